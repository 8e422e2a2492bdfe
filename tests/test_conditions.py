"""Conditions within a session (issue 22 item 2): planning `conditions:` into analyses, the bins of a condition
in a binned file built from a pynwb mock NWB, the contrast's maths, the report's contrasts and a dry run."""

from __future__ import annotations

import copy
import importlib.util
import math
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
import yaml
from pynwb import NWBHDF5IO, TimeSeries
from pynwb.epoch import TimeIntervals
from pynwb.testing.mock.file import mock_NWBFile
from scipy import stats

from neuralmi_core.io.netcdf import write_netcdf
from neuralmi_core.io.select import select_xy, split_condition
from neuralmi_core.io.session import bin_session
from neuralmi_core.study.conditions import condition_contrast, contrast, se_from_ci, session_contrasts
from neuralmi_core.validation import NeuralMIError, SignalAbsent

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("wfplan", ROOT / "workflow" / "scripts" / "wfplan.py")
wfplan = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(wfplan)
SCHEMA = wfplan.load_schema(ROOT / "workflow" / "schemas" / "config.schema.yaml")
Z95 = stats.norm.ppf(0.975)


def config(conditions=None, **analysis) -> dict:
    """The shipped config with its ephys analysis only, intervals declared and `conditions` on the analysis."""
    with open(ROOT / "config.yaml") as fh:
        cfg = yaml.safe_load(fh)
    cfg["analyses"] = [a for a in cfg["analyses"] if a["name"] == "A_vs_B"]
    cfg["analyses"][0].pop("required", None)
    cfg["analyses"][0]["modes"] = ["rigorous"]
    cfg["signals"].pop("ophys", None)
    cfg["signals"]["spikes"].pop("required", None)
    cfg["signals"]["intervals"] = {
        "running": "intervals/running",
        "rest": "intervals/rest",
        "trials": {"table": "trials", "columns": ["trial_type"]},
    }
    cfg["demo_archive"].pop("imaging_sessions", None)
    if conditions is not None:
        cfg["analyses"][0]["conditions"] = conditions
    cfg["analyses"][0].update(analysis)
    return cfg


RUN_REST = {"running": {"intervals": "running"}, "rest": {"intervals": "rest"}}


# ------------------------------------------------------------------------------------------------ planning


def test_conditions_expand_into_analyses_with_stable_names():
    cfg = wfplan.validate_config(
        config({**RUN_REST, "go": {"intervals": "trials", "column": "trial_type", "equals": ["go", "late"]}}),
        SCHEMA,
    )
    made = {a["name"]: a for a in cfg["analyses"]}
    assert list(made) == ["A_vs_B__running", "A_vs_B__rest", "A_vs_B__go"]  # declaration order
    a = made["A_vs_B__running"]
    assert (a["x"], a["y"], a["condition_of"], a["condition"], a["config_index"]) == (
        "spikes[region=A]@running",
        "spikes[region=B]@running",
        "A_vs_B",
        "running",
        0,
    )
    assert made["A_vs_B__go"]["x"] == "spikes[region=A]@trials[column=trial_type,label=go|late]"
    assert "conditions" not in a and a["training"] == config()["analyses"][0]["training"]
    assert wfplan.contrast_pairs(cfg) == [
        ("A_vs_B", "running", "rest", "A_vs_B__running", "A_vs_B__rest"),
        ("A_vs_B", "running", "go", "A_vs_B__running", "A_vs_B__go"),
        ("A_vs_B", "rest", "go", "A_vs_B__rest", "A_vs_B__go"),
    ]
    plans = wfplan.plan(cfg)
    assert set(plans) == set(made)
    check = wfplan.check_params(cfg, "A_vs_B__rest", "rigorous", plans["A_vs_B__rest"]["rigorous"])
    assert check["x"] == "spikes[region=A]@rest" and "required" not in check
    # required: false is kept: a session without the table skips the condition
    loose = wfplan.validate_config(config(RUN_REST, required=False), SCHEMA)
    assert wfplan.optional_analyses(loose) == ["A_vs_B__running", "A_vs_B__rest"]


def test_conditions_after_pairs():
    cfg = config()
    cfg["analyses"] = [
        {
            "name": "net",
            "pairs": {"by": "region", "values": ["A", "B", "C"]},
            "modes": ["rigorous"],
            "rigorous": {"gammas": [1, 2, 3, 4, 5]},
            "conditions": RUN_REST,
        }
    ]
    cfg = wfplan.validate_config(cfg, SCHEMA)
    names = [a["name"] for a in cfg["analyses"]]
    assert names == [f"net__{p}__{c}" for p in ("A__B", "A__C", "B__C") for c in ("running", "rest")]
    a = cfg["analyses"][0]
    assert (a["x"], a["pair_of"], a["condition_of"], a["required"]) == (
        "spikes[region=A]@running",
        "net",
        "net__A__B",
        False,
    )
    assert ("net__A__B", "running", "rest", "net__A__B__running", "net__A__B__rest") in wfplan.contrast_pairs(
        cfg
    )


@pytest.mark.parametrize(
    "conditions, message",
    [
        ({}, r"analyses\[0\]\.conditions: \{\} should be non-empty"),
        ({"run": {}}, r"missing config key analyses\[0\]\.conditions\.run\.intervals"),
        (
            {"run": {"intervals": "running", "table": "x"}},
            r"unknown config key analyses\[0\]\.conditions\.run\.table",
        ),
        ({"run": {"intervals": "running", "column": "trial_type"}}, r"'equals' is a dependency of 'column'"),
        ({"run": {"intervals": "running", "equals": "go"}}, r"'column' is a dependency of 'equals'"),
        ({"run": {"intervals": "trials", "column": "trial_type", "equals": []}}, r"conditions\.run\.equals"),
        (
            {"run": {"intervals": "trials", "column": "trial_type", "equals": {"a": 1}}},
            r"conditions\.run\.equals",
        ),
        ({"a__b": {"intervals": "running"}}, r"conditions: 'a__b' does not match"),
        ({"run ning": {"intervals": "running"}}, r"conditions: 'run ning' does not match"),
        (
            {"run": {"intervals": "intervals/running"}},
            r"conditions\.run\.intervals: 'intervals/running' does not match",
        ),
        ({"run": "running"}, r"conditions\.run: 'running' is not of type 'object'"),
        # planning-time checks (beyond the schema)
        (
            {"run": {"intervals": "walking"}},
            r"conditions\.run\.intervals: 'walking' is not an entry of "
            r"signals\.intervals \(declared: \['rest', 'running', 'trials'\]\)",
        ),
        (
            {"go": {"intervals": "trials", "column": "outcome", "equals": "hit"}},
            r"conditions\.go\.column: 'outcome' is not among the columns signals\.intervals\.trials bins \(\['trial_type'\]\)",
        ),
        (
            {"Run": {"intervals": "running"}, "run": {"intervals": "rest"}},
            r"conditions 'Run' and 'run' differ only in case",
        ),
        (
            {"go": {"intervals": "trials", "column": "trial_type", "equals": "a|b"}},
            r"which selectors reserve",
        ),
    ],
)
def test_bad_conditions_are_refused_while_planning(conditions, message):
    with pytest.raises(wfplan.ConfigError, match=message):
        wfplan.validate_config(config(conditions), SCHEMA)


def test_condition_name_colliding_with_another_analysis():
    cfg = config(RUN_REST)
    cfg["analyses"].append({**copy.deepcopy(cfg["analyses"][0]), "name": "A_vs_B__rest"})
    del cfg["analyses"][1]["conditions"]
    with pytest.raises(wfplan.ConfigError, match=r"duplicate analysis name 'A_vs_B__rest'"):
        wfplan.validate_config(cfg, SCHEMA)


# ------------------------------------------------------------------------------------- bins of a condition

# 20 bins of 0.25 s over [0, 5): centres 0.125 + 0.25 k
RUNNING = [(0.0, 1.0), (2.6, 3.4)]  # centres 0.125..0.875 (bins 0-3) and 2.625..3.375 (bins 10-13)
REST = [(1.0, 2.0), (4.0, 5.0)]  # bins 4-7 and 16-19
TRIALS = [(0.0, 1.5, "go"), (1.5, 2.5, "nogo"), (3.0, 4.2, "go")]  # bins 0-5 go, 6-9 nogo, 12-16 go


def _table(name, rows):
    t = TimeIntervals(name=name, description=name)
    for a, b in rows:
        t.add_interval(start_time=a, stop_time=b)
    return t


def write_nwb(path, running=True):
    nwb = mock_NWBFile()
    nwb.add_trial_column("trial_type", "go or nogo")
    for a, b, kind in TRIALS:
        nwb.add_trial(start_time=a, stop_time=b, trial_type=kind)
    if running:
        nwb.add_time_intervals(_table("running", RUNNING))
    nwb.add_time_intervals(_table("rest", REST))
    t = np.arange(0.05, 5.0, 0.1)
    nwb.add_acquisition(TimeSeries(name="speed", data=np.sin(t), timestamps=t, unit="cm/s"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with NWBHDF5IO(str(path), "w") as io:
            io.write(nwb)
    return path


SPEC = {
    "spikes": False,
    "time_range": [0, 5],
    "trials": None,
    "behavior": {"speed": "acquisition/speed"},
    "intervals": {
        "running": {"table": "intervals/running", "required": False},
        "rest": "intervals/rest",
        "trials": {"table": "trials", "columns": ["trial_type"]},
    },
}


@pytest.fixture
def binned(tmp_path):
    return write_netcdf(bin_session(write_nwb(tmp_path / "s.nwb"), SPEC, 0.25), tmp_path / "b.nc")


@pytest.mark.parametrize(
    "cond, bins",
    [
        ("running", [0, 1, 2, 3, 10, 11, 12, 13]),
        ("rest", [4, 5, 6, 7, 16, 17, 18, 19]),
        ("trials[column=trial_type,label=go]", [0, 1, 2, 3, 4, 5, 12, 13, 14, 15, 16]),
        ("trials[column=trial_type,label=nogo]", [6, 7, 8, 9]),
        ("trials[column=trial_type,label=go|nogo]", [*range(10), 12, 13, 14, 15, 16]),
    ],
)
def test_condition_keeps_exactly_the_bins_whose_centre_a_row_holds(binned, cond, bins):
    sel = select_xy(f"{binned}:speed@{cond}", None)
    assert sel.bins.tolist() == bins
    assert sel.summary["invalid_x_by_reason"]["outside_condition"] == 20 - len(bins)


def test_windows_and_lags_never_reach_across_a_condition_gap(binned):
    sel = select_xy(f"{binned}:speed@running", f"{binned}:speed@running", window=2, lag=1)
    # X bins t-1, t and Y bin t+1 all in a run: runs 0-3 and 10-13 give t = 1, 2 and 11, 12
    assert sel.bins.tolist() == [1, 2, 11, 12]


def test_condition_errors(binned, tmp_path):
    with pytest.raises(
        SignalAbsent,
        match=r"no intervals variable 'walking' \(intervals variables: "
        r"\['rest', 'running', 'trials'\]",
    ):
        select_xy(f"{binned}:speed@walking", None)
    with pytest.raises(
        SignalAbsent,
        match=r"value 'stop' not found in 'trials'; available label values: "
        r"\['go', 'nogo'\]",
    ):
        select_xy(f"{binned}:speed@trials[column=trial_type,label=stop]", None)
    # a session whose file lacks the table: binned with required: false, the condition reports why
    other = write_netcdf(
        bin_session(write_nwb(tmp_path / "o.nwb", running=False), SPEC, 0.25), tmp_path / "o.nc"
    )
    with pytest.raises(SignalAbsent, match=r"no intervals variable 'running'.*binning left it out"):
        select_xy(f"{other}:speed@running", None)


def test_a_table_of_rows_only_is_binned_as_its_mask(binned):
    import xarray as xr

    with xr.open_dataset(binned) as ds:
        assert ds["running"].shape == (20, 0) and int(ds["running_in_interval"].sum()) == 8
        assert (
            ds["running"].attrs["preprocessing"].startswith("intervals/running: rows only (no value columns)")
        )


def test_shared_bins_of_two_conditions(binned):
    from neuralmi_core.report.session import condition_overlaps

    rows = [
        {"analysis": "AB__run", "x": f"{binned}:speed@running"},
        {"analysis": "AB__rest", "x": "speed@rest"},
        {"analysis": "AB__go", "x": "speed@trials[column=trial_type,label=go]"},
    ]
    shared = condition_overlaps(
        binned, rows, [("AB", "run", "rest"), ("AB", "run", "go"), ("AB", "run", "gone")]
    )
    assert shared == {
        ("AB", "run", "rest"): 0,
        ("AB", "run", "go"): 6,
    }  # bins 0-3 and 12-13; unknown left out


def test_condition_on_a_numeric_column_is_refused(tmp_path):
    nwb = mock_NWBFile()
    nwb.add_trial_column("contrast", "contrast")
    for a, b, c in [(0.0, 1.0, 0.5), (1.0, 2.0, 1.0)]:
        nwb.add_trial(start_time=a, stop_time=b, contrast=c)
    t = np.arange(0.05, 2.0, 0.1)
    nwb.add_acquisition(TimeSeries(name="speed", data=np.cos(t), timestamps=t, unit="cm/s"))
    with NWBHDF5IO(str(tmp_path / "n.nwb"), "w") as io:
        io.write(nwb)
    spec = {
        "spikes": False,
        "time_range": [0, 2],
        "trials": None,
        "behavior": {"speed": "acquisition/speed"},
        "intervals": {"trials": ["contrast"]},
    }
    out = write_netcdf(bin_session(tmp_path / "n.nwb", spec, 0.25), tmp_path / "n.nc")
    with pytest.raises(NeuralMIError, match=r"selects a numeric column of 'trials'.*categorical"):
        select_xy(f"{out}:speed@trials[column=contrast]", None)


def test_split_condition():
    assert split_condition("spikes[region=A]@running") == ("spikes[region=A]", "running")
    assert split_condition("spikes") == ("spikes", None)


# ------------------------------------------------------------------------------------------ contrast maths


def test_contrast_on_numbers():
    # a: 1.0 with se 0.3; b: 0.6 with se 0.4 -> d 0.4, se 0.5, z 0.8
    d, se, lo, hi, z, p = contrast(
        1.0, 1.0 - 0.3 * Z95, 1.0 + 0.3 * Z95, 0.6, 0.6 - 0.4 * Z95, 0.6 + 0.4 * Z95
    )
    assert (d, se, z) == pytest.approx((0.4, 0.5, 0.8))
    assert (lo, hi) == pytest.approx((0.4 - 0.5 * Z95, 0.4 + 0.5 * Z95))
    assert p == pytest.approx(0.4237107971667934)  # 2 (1 - Phi(0.8))
    # a 68 % interval: half-width = se * z_0.84
    assert se_from_ci(0.0, 2 * stats.norm.ppf(0.84), 0.68) == pytest.approx(1.0)
    d, se, *_ = contrast(2.0, 1.0, 3.0, 2.0, 1.0, 3.0)
    assert d == 0 and se == pytest.approx(math.sqrt(2) / Z95)


def _row(name, mi, se, conf=0.95, n=4000, **kw):
    q = stats.norm.ppf((1 + conf) / 2)
    return {
        "analysis": name,
        "mode": "rigorous",
        "mi_bits": mi,
        "ci_low_bits": mi - q * se,
        "ci_high_bits": mi + q * se,
        "confidence": conf,
        "reliable": True,
        "n_samples": n,
        **kw,
    }


@pytest.mark.parametrize(
    "row_a, row_b, reason",
    [
        (None, _row("b", 1, 0.1), r"condition 'a' has no rigorous result"),
        (
            {"analysis": "a", "mode": "rigorous", "skipped": "no table"},
            _row("b", 1, 0.1),
            r"'a' was skipped: no table",
        ),
        (_row("a", 1, 0.1), _row("b", 1, 0.1, reliable=False), r"'b': the 1/N fit is marked unreliable"),
        (_row("a", 1, 0.1), _row("b", 1, 0.0), r"'b': its interval has zero width"),
        (_row("a", 1, 0.1), _row("b", 1, 0.1, conf=0.68), r"different confidence levels"),
        (_row("a", 1, 0.1), {**_row("b", 1, 0.1), "mode": "dimensionality"}, r"no bias-corrected interval"),
    ],
)
def test_contrast_without_usable_rows_says_why(row_a, row_b, reason):
    c = condition_contrast("AB", "a", "b", row_a, row_b)
    assert re.search(reason, c.reason) and math.isnan(c.difference) and math.isnan(c.p)


def test_session_contrasts_and_shared_bins():
    rows = [_row("AB__run", 1.2, 0.1, n=3000), _row("AB__rest", 0.6, 0.2, n=9000), _row("CD__run", 1, 0.1)]
    [c] = session_contrasts(rows, [("AB", "run", "rest")])
    assert (c["a"], c["b"], c["n_a"], c["n_b"], c["reason"]) == ("run", "rest", 3000, 9000, None)
    assert c["difference"] == pytest.approx(0.6) and c["se"] == pytest.approx(math.hypot(0.1, 0.2))
    assert c["p"] == pytest.approx(2 * stats.norm.sf(0.6 / math.hypot(0.1, 0.2)))
    [c] = session_contrasts(rows, [("AB", "run", "rest")], shared_bins={("AB", "run", "rest"): 7})
    assert c["shared_bins"] == 7 and "share 7 bins" in c["reason"] and math.isnan(c["difference"])


def test_session_report_shows_the_contrasts():
    from neuralmi_core.report.session_html import render_session_html

    rows = [_row("AB__run", 1.2, 0.1), _row("AB__rest", 0.6, 0.2)]
    summary = {
        "session": "s1",
        "unit": "bits",
        "provenance": {},
        "warnings": [],
        "analyses": [],
        "contrasts": session_contrasts(rows, [("AB", "run", "rest"), ("AB", "run", "<b>x</b>")]),
    }
    page = render_session_html(summary, {})
    assert "<h2 id='contrasts'>Condition contrasts</h2>" in page
    assert "<td>AB</td><td>run</td><td>rest</td>" in page and "&lt;b&gt;x&lt;/b&gt;" in page
    assert "(95 %)" in page
    assert "Condition contrasts" not in render_session_html({**summary, "contrasts": []}, {})


# ----------------------------------------------------------------------------------------------- dry run

SNAKEMAKE = Path(__import__("sys").executable).with_name("snakemake")


@pytest.mark.skipif(not SNAKEMAKE.exists(), reason="snakemake not installed next to python")
def test_dry_run_plans_each_condition_and_the_contrast(tmp_path):
    import subprocess

    nwb = tmp_path / "archive" / "sub-01_ses-01.nwb"
    nwb.parent.mkdir(parents=True)
    nwb.write_bytes(b"")
    cfg = config(RUN_REST)
    cfg.update(archive="archive", demo_archive={"generate": False})
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    cmd = [
        str(SNAKEMAKE),
        "-s",
        str(ROOT / "Snakefile"),
        "--directory",
        str(tmp_path),
        "--cores",
        "1",
        "--configfile",
        str(tmp_path / "c.yaml"),
        "-n",
        "-p",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = proc.stdout
    for c in ("running", "rest"):
        assert f"results/sub-01_ses-01/A_vs_B__{c}/rigorous/selection.json" in out
        assert f"results/sub-01_ses-01/binned.nc:spikes[region=A]@{c}" in out
    assert "--contrast A_vs_B running rest" in out


def test_a_condition_too_short_for_the_split_is_named_with_its_count(binned):
    from neuralmi_core.analysis.preflight import preflight

    with pytest.raises(
        NeuralMIError,
        match=r"session s1, analysis AB__running: the session has 8 usable samples "
        r"for rigorous .*condition 'running' holds 8 of the 20 bins.*or a longer "
        r"condition\.",
    ):
        preflight(binned, "speed@running", modes={"rigorous": {}}, where="session s1, analysis AB__running")


@pytest.mark.slow
def test_planted_stronger_dependence_in_one_condition_gives_a_positive_contrast(tmp_path):
    """End to end without Snakemake: NWB -> binned file -> rigorous on each condition's `@` selectors -> session
    report with --contrast. Y = rho X + noise with rho² = 0.9 while running, 0.2 at rest (Gaussian: 1.15 and
    0.11 nats); running and rest alternate in 20 s blocks over 600 s of 50 ms bins."""
    import json

    from neuralmi_core.cli import main

    rng = np.random.default_rng(0)
    dt, n = 0.05, 12000
    t = (np.arange(n) + 0.5) * dt
    running = (t // 20) % 2 == 0
    rho = np.sqrt(np.where(running, 0.9, 0.2))
    x = rng.standard_normal(n)
    y = rho * x + np.sqrt(1 - rho**2) * rng.standard_normal(n)
    nwb = mock_NWBFile()
    starts = np.arange(0, 600, 20.0)
    nwb.add_time_intervals(_table("running", [(s, s + 20) for s in starts[::2]]))
    nwb.add_time_intervals(_table("rest", [(s, s + 20) for s in starts[1::2]]))
    nwb.add_acquisition(TimeSeries(name="xa", data=x, timestamps=t, unit="a.u."))
    nwb.add_acquisition(TimeSeries(name="yb", data=y, timestamps=t, unit="a.u."))
    with NWBHDF5IO(str(tmp_path / "p.nwb"), "w") as io:
        io.write(nwb)
    spec = {
        "spikes": False,
        "time_range": [0, 600],
        "trials": None,
        "behavior": {"xa": "acquisition/xa", "yb": "acquisition/yb"},
        "intervals": {"running": "intervals/running", "rest": "intervals/rest"},
    }
    b = write_netcdf(bin_session(tmp_path / "p.nwb", spec, dt), tmp_path / "p.nc")
    args = []
    for c in ("running", "rest"):
        out = tmp_path / f"{c}.json"
        assert (
            main(
                [
                    "rigorous",
                    f"{b}:xa@{c}",
                    f"{b}:yb@{c}",
                    "--gammas",
                    "1-4",
                    "--seed-list",
                    "0",
                    "--epochs",
                    "30",
                    "--hidden",
                    "32",
                    "--n-layers",
                    "1",
                    "--batch-size",
                    "128",
                    "--no-progress",
                    "--device",
                    "cpu",
                    "--min-gammas",
                    "3",
                    "--json",
                    str(out),
                ]
            )
            == 0
        )
        args += ["--result", f"AB__{c}", "rigorous", str(out)]
    summary = tmp_path / "s.json"
    assert (
        main(
            [
                "report",
                "session",
                "--session",
                "p",
                *args,
                "--contrast",
                "AB",
                "running",
                "rest",
                "--html",
                str(tmp_path / "r.html"),
                "--json",
                str(summary),
            ]
        )
        == 0
    )
    [c] = json.loads(summary.read_text())["contrasts"]
    assert c["reason"] is None and c["n_a"] == c["n_b"] == 6000
    assert c["ci_low"] > 0 and c["p"] < 0.01 and c["mi_a"] > c["mi_b"]
    truth = (-0.5 * np.log(1 - 0.9) + 0.5 * np.log(1 - 0.2)) / np.log(2)  # 1.50 bits (measured: 1.53, 68 % CI
    assert abs(c["difference"] - truth) < 0.3  # [1.43, 1.63] on the reference machine)
    assert "Condition contrasts" in (tmp_path / "r.html").read_text()


def test_decorrelation_time_sees_the_gaps_between_runs_of_a_condition():
    """An AR(1) latent (autocorrelation exp(-k / 8.5): 10 bins by the lag-1-relative 1/e rule) kept in runs of
    25 bins every 100 (a condition): read as adjacent rows its decorrelation time shrinks (pairs across a gap are
    far apart in time, so they dilute the autocorrelation); placed on their bins it is the contiguous value."""
    from scipy.signal import lfilter

    from neuralmi_core.autocorr import decorrelation_bins

    rng = np.random.default_rng(3)
    n, phi = 100_000, np.exp(-1 / 8.5)
    x = lfilter([np.sqrt(1 - phi**2)], [1, -phi], rng.standard_normal(n))
    a = np.c_[x, x + 0.1 * rng.standard_normal(n)]
    keep = np.arange(n) % 100 < 25
    whole = decorrelation_bins(a)
    assert whole == 10
    assert decorrelation_bins(a[keep]) <= whole - 2
    assert abs(decorrelation_bins(a[keep], time_index=np.flatnonzero(keep)) - whole) <= 1
    assert decorrelation_bins(a[keep], time_index=np.arange(keep.sum())) == decorrelation_bins(a[keep])
    with pytest.raises(ValueError, match="strictly increasing"):
        decorrelation_bins(a[:10], time_index=np.zeros(10))
