"""Issue 26, the parts that need no workflow run: failures in the archive summary, metadata as data (CSV
injection, mathtext), lag and significance that say what they measured, help texts and config errors."""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import re
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from neuralmi_core.analysis.lag.result import _lag_warnings, rounded_lags
from neuralmi_core.analysis.significance.compute import decorrelation_bins
from neuralmi_core.analysis.significance.result import p_text
from neuralmi_core.cli import build_parser
from neuralmi_core.report.archive import csv_cell, write_archive_summary

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "workflow" / "scripts"))
import wfplan  # noqa: E402

# ------------------------------------------------------------------------------------ summary, failures, CSV


def _summary(tmp_path: Path, session: str, subject: str) -> Path:
    d = tmp_path / session
    d.mkdir()
    s = {"session": session, "unit": "bits", "subject": subject, "session_warnings": [],
         "provenance": {"config_hash": "h", "source": f"/data/{session}.nwb"},
         "analyses": [{"analysis": "A_vs_B", "mode": "rigorous", "mi_bits": 0.5, "ci_low_bits": 0.4,
                       "ci_high_bits": 0.6, "naive_mi_bits": 0.45, "confidence": 0.68, "reliable": True,
                       "warnings": []}]}
    (d / "summary.json").write_text(json.dumps(s))
    (d / "report.html").write_text("<html></html>")
    return d / "summary.json"


def test_archive_summary_lists_failures_and_neutralises_formulas(tmp_path):
    paths = [_summary(tmp_path, "s1", '=HYPERLINK("http://x","y")'), _summary(tmp_path, "s2", r"$\notacommand{x$")]
    failures = [{"session": "s3", "source": "/data/s3.nwb", "status": "failed", "step": "bin_session",
                 "analysis": None, "mode": None, "log": "results/logs/bin/s3.log",
                 "reason": "neuralmi bin: error: /data/s3.nwb: not an HDF5 file"}]
    write_archive_summary(paths, csv_out=tmp_path / "summary.csv", html_out=tmp_path / "summary.html",
                          failures=failures)
    rows = list(csv.DictReader(io.StringIO((tmp_path / "summary.csv").read_text())))
    by = {r["session"]: r for r in rows}
    assert by["s1"]["subject"].startswith("'=") and by["s1"]["status"] == "ok" and by["s1"]["source_file"] == "s1.nwb"
    assert by["s2"]["subject"] == r"$\notacommand{x$"  # the forest plot drew it without mathtext
    assert by["s3"]["status"] == "failed" and "not an HDF5 file" in by["s3"]["error"] and by["s3"]["mi_bits"] == ""
    html = (tmp_path / "summary.html").read_text()
    assert "1 session of this config did not finish" in html and "not an HDF5 file" in html


@pytest.mark.parametrize("value, expected", [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-cmd", "'-cmd"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"),
    ("sub-01", "sub-01"), (-0.5, -0.5), (None, ""), (True, True)])
def test_csv_cell(value, expected):
    assert csv_cell(value) == expected


def test_archive_status_names_the_failed_step(tmp_path):
    res = tmp_path / "results"
    (res / "logs" / "bin").mkdir(parents=True)
    (res / "logs" / "bin" / "bad.log").write_text("loading\nneuralmi bin: error: bad.nwb: HDF5 file is truncated\n")
    (res / "good").mkdir()
    (res / "good" / "summary.json").write_text(json.dumps({"provenance": {"config_hash": "h"}}))
    (res / "old").mkdir()
    (res / "old" / "summary.json").write_text(json.dumps({"provenance": {"config_hash": "older"}}))
    done, failed = wfplan.archive_status({"good": "g.nwb", "bad": "bad.nwb", "old": "o.nwb"}, "h", {},
                                         results=str(res))
    assert done == [f"{res}/good/summary.json"]
    by = {f["session"]: f for f in failed}
    assert by["bad"]["status"] == "failed" and by["bad"]["step"] == "bin_session"
    assert by["bad"]["reason"].endswith("HDF5 file is truncated")
    assert by["old"]["status"] == "unfinished" and by["old"]["step"] is None  # a report of an older config


# ------------------------------------------------------------------------------------------ lag, significance


def test_lags_off_the_bin_grid_are_named():
    assert rounded_lags([-0.05, -0.04, 0.0, 0.05], 0.02) == [(-0.05, -0.04), (0.05, 0.04)]
    w = _lag_warnings({"lags_requested": [-0.05, 0.0, 0.05], "time_unit": "s"}, 0.02, (-2, 0, 2), 1, (1, 1))
    assert len(w) == 1 and "-0.05 s -> -0.04 s" in w[0] and "0.05 s -> 0.04 s" in w[0]
    assert _lag_warnings({"lags_requested": [-0.04, 0.04], "time_unit": "s"}, 0.02, (-2, 2), 0, (0, 0)) != []
    assert _lag_warnings({"lags_requested": [-2, 0, 2], "time_unit": "bins"}, 0.02, (-2, 0, 2), 1, (1, 1)) == []


def test_peak_at_edge_and_unlocated_peak_are_flagged():
    lags = (-5, -3, 0, 3, 5)
    assert "edge of the sweep (-0.1 s)" in _lag_warnings({}, 0.02, lags, 0, (0, 1))[0]
    assert "spans the whole sweep" in _lag_warnings({}, 0.02, lags, 0, (0, 4))[0]
    assert _lag_warnings({}, 0.02, lags, 2, (1, 3)) == []


def test_p_value_states_its_floor():
    assert p_text(0.05, 19) == "p ≤ 0.05 (the smallest possible with 19 surrogates)"
    assert p_text(0.35, 19) == "p = 0.35 (19 surrogates)"
    assert p_text(float("nan"), 19) == "p not available"


def _slow_population(n=6000, units=20, rho=0.95, seed=0):
    """Poisson units driven by one slow AR(1) latent (decorrelation 1/-ln(rho) ≈ 19.5 bins), plus white noise."""
    rng = np.random.default_rng(seed)
    z = np.zeros(n)
    e = rng.standard_normal(n)
    for t in range(1, n):
        z[t] = rho * z[t - 1] + math.sqrt(1 - rho**2) * e[t]
    rates = 0.3 * np.exp(0.8 * z[:, None] * rng.uniform(0.5, 1.0, units))
    return rng.poisson(rates).astype(float)


def test_decorrelation_time_is_the_dependences_not_the_units_noise():
    pop = _slow_population()
    tau = decorrelation_bins(pop)
    assert 12 <= tau <= 30, tau  # the latent's time scale (1/e at ~19.5 bins), not a bin or two
    # the mean autocorrelation of the single noisy units (the old measure) falls below 1/e at once
    z = (pop - pop.mean(0)) / pop.std(0)
    acf1 = np.mean(np.sum(z[1:] * z[:-1], axis=0) / len(z))
    assert acf1 < math.exp(-1)
    assert decorrelation_bins(np.random.default_rng(1).standard_normal((4000, 8))) == 1


def test_degenerate_null_figure_stays_readable():
    from neuralmi_core.analysis.significance.result import SignificanceResult

    res = SignificanceResult(
        observed_mi_nats=0.0, p_value=1.0, significant=False, alpha=0.05, method="circular", n_surrogates=19,
        null_nats=tuple([0.0] * 19), null_mean_nats=0.0, null_sd_nats=0.0, null_quantiles_nats={"0.95": 0.0},
        min_shift_bins=2, block_length_bins=4, decorrelation_bins={"x": 1, "y": 1}, bin_width_s=0.02, members=(),
        settings={}, data={})
    fig = res.plot()
    ax = fig.axes[0]
    lo, hi = ax.get_xlim()
    assert hi - lo > 1e-4 and lo < 0 < hi
    assert any(p.get_height() == 19 for p in ax.patches)
    assert any("all 19 surrogates" in t.get_text() for t in ax.texts)
    assert res.p_floor == pytest.approx(0.05)


# --------------------------------------------------------------------------------------- help and config errors


def _subparsers(parser: argparse.ArgumentParser):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield name, sub
                yield from ((f"{name} {n}", s) for n, s in _subparsers(sub))


def _options(parser: argparse.ArgumentParser) -> set[str]:
    """Every option string of a command and of its subcommands (gather rigorous, ...)."""
    return {opt for p in [parser, *(s for _, s in _subparsers(parser))] for action in p._actions
            for opt in action.option_strings}


FLAG = re.compile(r"(?<![\w-])(--[a-z][a-z0-9-]*)")


def test_every_flag_a_help_text_names_exists():
    """Issue 26 item 8: a help text names only flags that exist (`lag-sweep --help` named `--lag-unit`), and
    states each default once. A line of an example that runs another command is checked against that one."""
    parser = build_parser()
    tops = dict((n, p) for n, p in _subparsers(parser) if " " not in n)
    checked = 0
    for name, sub in _subparsers(parser):
        own = _options(tops[name.split()[0]])
        for line in sub.format_help().splitlines():
            other = re.search(r"neuralmi ([a-z][a-z-]*)", line)
            known = _options(tops[other.group(1)]) if other and other.group(1) in tops else own
            said_absent = set(re.findall(r"there is no (--[a-z][a-z0-9-]*)", line))
            missing = sorted(set(FLAG.findall(line)) - known - said_absent - {"--help"})
            assert not missing, f"`neuralmi {name} --help` names {missing}, which do not exist: {line!r}"
        for action in sub._actions:
            assert (action.help or "").count("(default") <= 1, \
                f"`neuralmi {name} --help` states the default of {action.option_strings} twice: {action.help}"
        checked += 1
    assert checked >= 10


@pytest.mark.parametrize("where, typo, expected", [
    (("lag_sweep", "lags"), {"start": -0.04, "stop": 0.04, "stpe": 0.02}, "analyses[0].lag_sweep.lags.stpe"),
    (("training",), {"epochs": 3, "patiense": 2}, "analyses[0].training.patiense"),
    (("rigorous",), {"gammas": [1, 2, 3], "min_chunck": 5}, "analyses[0].rigorous.min_chunck"),
])
def test_a_typo_at_any_depth_names_its_key_path(where, typo, expected):
    cfg = yaml.safe_load((ROOT / "tests" / "configs" / "tiny.yaml").read_text())
    node = cfg["analyses"][0]
    for key in where[:-1]:
        node = node[key]
    node[where[-1]] = typo
    with pytest.raises(wfplan.ConfigError) as err:
        wfplan.validate_config(cfg, wfplan.load_schema(ROOT / "workflow" / "schemas" / "config.schema.yaml"))
    assert f"unknown config key {expected}" in str(err.value)


# ------------------------------------------------------------------------------------ effective settings


def test_session_page_shows_the_settings_the_networks_trained_with():
    """Item 5: the settings table comes from the result (lr 0.0005, weight decay), with what the cells ran
    with: the automatic batch size resolved, CPU threads, device."""
    from neuralmi_core.analysis.rigorous import RigorousMember, summarize_rigorous
    from neuralmi_core.report import build_session_report

    members = [RigorousMember(gamma=g, chunk=c, seed=0, n_train=4000 // g, n_test=1000 // g, n_eval=1000 // g,
                              mi_test_nats=0.9 + 0.05 * g, mi_train_nats=1.0 + 0.05 * g, best_epoch=30, epochs_run=50)
               for g in (1, 2, 3, 4) for c in range(g)]
    settings = {"estimator": "infonce", "critic": "separable", "epochs": 100, "lr": 0.0005, "weight_decay": 0.02,
                "batch_size": None}
    cells = [{"gamma": g, "seed": 0, "device": "cpu", "batch_size": 512, "timing": {"threads": 2}} for g in (1, 2, 3, 4)]
    res = summarize_rigorous(members, settings, {"n_samples": 5000, "dim_x": 4, "dim_y": 4, "sha256": "x"},
                             min_chunk=100, cells=cells)
    record = json.loads(json.dumps(res.to_dict()))
    _, page, _ = build_session_report("s1", [("A_vs_B", "rigorous", record)], unit="bits")
    table = page[page.index("<h3>Training settings</h3>"):]
    table = table[:table.index("</table>")]
    for label, value in (("lr", "0.0005"), ("weight_decay", "0.02"), ("batch_size", "512 (automatic)"),
                         ("CPU threads", "2"), ("device", "cpu")):
        assert re.search(rf"<th>{label}</th><td>{re.escape(value)}</td>", table), (label, table)
