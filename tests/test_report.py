"""Reports from fabricated gathered records (no training): rows, units, HTML, summary.json/csv, CLI."""

from __future__ import annotations

import csv
import json
import math
import re

import numpy as np
import pytest

from neuralmi_core.analysis.dimensionality import DimensionalityMember, summarize_dimensionality
from neuralmi_core.analysis.rigorous import RigorousMember, summarize_rigorous
from neuralmi_core.cli import main as cli_main
from neuralmi_core.report import archive_rows, build_session_report, dimensionality_row, rigorous_row, to_unit
from neuralmi_core.report.archive import columns, write_archive_summary
from neuralmi_core.report.session import write_session_report
from neuralmi_core.validation import NeuralMIError

LN2 = math.log(2)
SETTINGS = {"estimator": "infonce", "critic": "separable", "epochs": 100}


def rigorous_record(intercept=1.0, slope=0.05, noise=0.01, gammas=range(1, 7), seed=0) -> dict:
    rng = np.random.default_rng(seed)
    members = []
    for g in gammas:
        for c in range(g):
            mi = intercept + slope * g + noise * np.sqrt(g) * rng.standard_normal()
            members.append(RigorousMember(gamma=g, chunk=c, seed=0, n_train=4000 // g, n_test=1000 // g,
                                          n_eval=1000 // g, mi_test_nats=mi - 0.1, mi_train_nats=mi,
                                          best_epoch=30, epochs_run=50))
    res = summarize_rigorous(members, dict(SETTINGS), {"n_samples": 5000, "dim_x": 10, "dim_y": 10, "sha256": "x"},
                             min_chunk=100)
    return json.loads(json.dumps(res.to_dict()))


def dimensionality_record(latent=3, dims=(1, 2, 3, 4, 6), seed=0) -> dict:
    rng = np.random.default_rng(seed)
    members = []
    for d in dims:
        for split in range(3):
            mi = min(d, latent) * 0.8 + 0.01 * rng.standard_normal()
            members.append(DimensionalityMember(embedding_dim=d, halving=split, seed=0, n_train=4000, n_test=1000,
                                                n_eval=1000, mi_test_nats=mi, mi_train_nats=mi + 0.05,
                                                best_epoch=20, epochs_run=40))
    res = summarize_dimensionality(members, {"estimator": "smile", "critic": "separable", "epochs": 100,
                                             "n_splits": 3, "target": "internal"},
                                   {"n_samples": 5000, "dim_x": 20, "dim_y": 0, "sha256": "y"})
    return json.loads(json.dumps(res.to_dict()))


def selection_record(constant_x: bool = False, n_bins: int = 15000, dropped: int = 1002) -> dict:
    """A selection record as the workflow's check after binning writes it (neuralmi_core.analysis.preflight)."""
    side = {"n_features": 40, "feature_dim": "unit", "n_constant_features": 0, "constant": False,
            "invalid_bins_by_reason": {"outside_observed": 0, "unobserved_units": dropped // 2}}
    x = {**side, "selector": "spikes[region=A]",
         "units": {"size": 40, "region": {"A": 40}, "location": {"VISp": 40}, "quality": {"good": 34, "mua": 6}}}
    if constant_x:
        x.update(constant=True, n_constant_features=40)
    y = {**side, "selector": "spikes[region=B]", "units": {"size": 40, "region": {"B": 40}, "location": {"LGd": 40}}}
    return {"bin_width_s": 0.02, "window_bins": 2, "lag_bins": 3, "window_s": 0.04, "lag_s": 0.06, "n_bins": n_bins,
            "n_rows": n_bins - dropped, "dropped_bins": dropped, "x": x, "y": y,
            "training": {"split": "blocked", "test_fraction": 0.2, "gap": 10},
            "checks": {"dimensionality": {"n_samples": n_bins - dropped // 2, "dropped_bins": dropped // 2,
                                          "x_alone": True}}, "warnings": []}


@pytest.mark.parametrize("unit, factor", [("bits", 1 / LN2), ("nats", 1.0)])
def test_rigorous_row_units(unit, factor):
    rec = rigorous_record()
    row = rigorous_row("A_vs_B", rec, unit)
    assert row[f"mi_{unit}"] == pytest.approx(rec["mi_nats"] * factor)
    assert row[f"ci_low_{unit}"] <= row[f"mi_{unit}"] <= row[f"ci_high_{unit}"]
    assert row[f"mi_{unit}"] == pytest.approx(1.0 * factor, abs=0.05 * factor)
    assert row["reliable"] is True and row["n_members"] == 21 and row["mode"] == "rigorous"
    other = "nats" if unit == "bits" else "bits"
    assert not any(k.endswith(f"_{other}") for k in row), "a row holds one unit only"


def test_rows_name_the_critic_trained_not_the_auto_setting():
    """The settings say `auto`; each fit records the critic it resolved to in its cells' timing: rows show that."""
    rec = {**rigorous_record(), "settings": {**SETTINGS, "critic": "auto"}}
    assert rigorous_row("A_vs_B", rec, "nats")["critic"] == "auto"  # cells without the record: the setting
    rec["cells"] = [{"gamma": 1, "seed": 0, "timing": {"critic": "poisson", "counts_side": "x"}}]
    assert rigorous_row("A_vs_B", rec, "nats")["critic"] == "poisson"


def test_dimensionality_row_finds_latent_dim():
    row = dimensionality_row("A_dims", dimensionality_record(latent=3), "bits")
    assert row["saturation_dim_s1"] == 3
    assert [r["embedding_dim"] for r in row["curve"]] == [1, 2, 3, 4, 6]
    assert row["curve"][0]["mean_bits"] == pytest.approx(0.8 / LN2, abs=0.05)
    assert row["of"] == "I(half 1 of X; half 2 of X)"  # not X_A/X_B: those read as regions A and B


def test_unreliable_fit_and_ceiling_warnings():
    rec = rigorous_record(gammas=[1, 2])  # fewer gammas than min_gammas: no fit
    row = rigorous_row("a", rec, "bits")
    assert not row["reliable"] and any("extrapolation" in w or "unreliable" in w for w in row["warnings"])
    assert math.isnan(row["mi_bits"])
    rec = rigorous_record(intercept=6.5)  # far above log(n_eval) of small chunks
    row = rigorous_row("a", rec, "bits")
    assert any("ceiling" in w for w in row["warnings"])


@pytest.mark.parametrize("record, mode, message", [
    ({"foo": 1}, "rigorous", "not a gathered rigorous record"),
    ({"foo": 1}, "dimensionality", "not a gathered dimensionality record"),
])
def test_bad_records(record, mode, message):
    fn = rigorous_row if mode == "rigorous" else dimensionality_row
    with pytest.raises(NeuralMIError, match=message):
        fn("a", record, "bits")


def test_bad_unit():
    with pytest.raises(NeuralMIError, match="unit"):
        rigorous_row("a", rigorous_record(), "bit")


def test_to_unit():
    assert to_unit(LN2, "bits") == pytest.approx(1.0)
    assert math.isnan(to_unit(None, "bits"))


def test_session_report_self_contained():
    summary, page, figures = build_session_report(
        "sub-01_ses-01", [("A_vs_B", "rigorous", rigorous_record()), ("A_vs_B", "dimensionality",
                                                                       dimensionality_record())],
        unit="bits", truth={"n_shared_dims": 3}, provenance={"config_hash": "abc123"})
    assert set(figures) == {"A_vs_B_rigorous", "A_vs_B_dimensionality"}
    assert all(png[:8] == b"\x89PNG\r\n\x1a\n" for png in figures.values())
    assert page.count("data:image/png;base64,") == 2
    assert "<script" not in page and "src='http" not in page and 'src="http' not in page
    assert "abc123" in page and "sub-01_ses-01" in page and "Ground truth" in page
    assert summary["unit"] == "bits" and summary["truth"] == {"n_shared_dims": 3}
    assert summary["provenance"]["versions"]["neuralmi_core"]


def test_session_html_escapes_names():
    _, page, _ = build_session_report("s<script>", [("A", "rigorous", rigorous_record())], unit="bits")
    assert "<script>" not in page and "s&lt;script&gt;" in page


def _write_records(tmp_path, session, scale=1.0):
    r = tmp_path / session / "rig.json"
    d = tmp_path / session / "dim.json"
    r.parent.mkdir(parents=True)
    r.write_text(json.dumps(rigorous_record(intercept=scale)))
    d.write_text(json.dumps(dimensionality_record()))
    return [("A_vs_B", "rigorous", str(r)), ("A_vs_B", "dimensionality", str(d))]


def test_write_session_and_archive(tmp_path):
    summaries = []
    for i, session in enumerate(["s1", "s2"]):
        res = _write_records(tmp_path, session, scale=1.0 + i)
        figs = [tmp_path / session / "figures" / "A_vs_B_rigorous.png",
                tmp_path / session / "figures" / "A_vs_B_dimensionality.png"]
        write_session_report(session, res, html_out=tmp_path / session / "report.html",
                             json_out=tmp_path / session / "summary.json", figures_out=figs, unit="nats",
                             config_hash="h", config_version=3)
        assert all(f.read_bytes()[:4] == b"\x89PNG" for f in figs)
        s = json.loads((tmp_path / session / "summary.json").read_text())
        assert s["provenance"]["config_version"] == 3 and s["analyses"][0]["mi_nats"] == pytest.approx(1.0 + i,
                                                                                                         abs=0.05)
        summaries.append(tmp_path / session / "summary.json")
    rows = write_archive_summary(summaries, csv_out=tmp_path / "summary.csv", html_out=tmp_path / "summary.html",
                                 unit="nats")
    assert len(rows) == 4
    with open(tmp_path / "summary.csv") as fh:
        table = list(csv.DictReader(fh))
    assert list(table[0]) == columns("nats")
    rig = [r for r in table if r["mode"] == "rigorous"]
    assert [float(r["mi_nats"]) for r in rig] == pytest.approx([1.0, 2.0], abs=0.05)
    assert all(math.isfinite(float(r["ci_low_nats"])) for r in rig)
    html = (tmp_path / "summary.html").read_text()
    assert "s1/report.html" in html and "s2/report.html" in html


def test_archive_refuses_mixed_units():
    s = {"session": "a", "unit": "nats", "analyses": [], "provenance": {}}
    with pytest.raises(NeuralMIError, match="expected 'bits'"):
        archive_rows([s], "bits")


def test_missing_figure_is_an_error(tmp_path):
    res = _write_records(tmp_path, "s")
    with pytest.raises(NeuralMIError, match="no figure"):
        write_session_report("s", res, html_out=tmp_path / "r.html", json_out=tmp_path / "s.json",
                             figures_out=[tmp_path / "other_rigorous.png"])
    assert not (tmp_path / "r.html").exists() and not (tmp_path / "s.json").exists()


def test_cli_report(tmp_path):
    res = _write_records(tmp_path, "s")
    args = ["report", "session", "--session", "s", "--html", str(tmp_path / "report.html"),
            "--json", str(tmp_path / "summary.json"), "--config-hash", "h", "--figures",
            str(tmp_path / "A_vs_B_rigorous.png"), str(tmp_path / "A_vs_B_dimensionality.png")]
    for name, mode, path in res:
        args += ["--result", name, mode, path]
    assert cli_main(args) == 0
    prov = json.loads((tmp_path / "summary.json").read_text())["provenance"]
    assert prov["command"].startswith("neuralmi report session --session s --html ")
    assert cli_main(["report", "archive", str(tmp_path / "summary.json"), "--csv", str(tmp_path / "summary.csv"),
                     "--html", str(tmp_path / "summary.html")]) == 0
    assert (tmp_path / "summary.csv").read_text().startswith("session,analysis,mode")
    # a bad record: clear error, exit status 2, nothing written
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    assert cli_main(["report", "session", "--session", "t", "--result", "A", "rigorous", str(bad),
                     "--html", str(tmp_path / "t.html"), "--json", str(tmp_path / "t.json")]) == 2
    assert not (tmp_path / "t.html").exists()


# --------------------------------------------------------------------------- what a lab reads (issue 14)


def _session_page(selection=None, data=None, truth=None):
    sel = {"A_vs_B": selection} if selection else None
    return build_session_report("sub-01_ses-01", [("A_vs_B", "rigorous", rigorous_record()),
                                                  ("A_vs_B", "dimensionality", dimensionality_record())],
                                unit="bits", selections=sel, data=data, truth=truth,
                                provenance={"config_hash": "abc123", "binning_config_hash": "feed", "source": "a.nwb",
                                            "source_sha256": "f" * 64, "command": "neuralmi report session ..."})


def test_no_signal_is_flagged_in_rows_page_and_archive(tmp_path):
    """Item 3: an input without signal is flagged loudly: row, page (red, at the top), CSV warnings column."""
    summary, page, _ = _session_page(selection_record(constant_x=True))
    for row in summary["analyses"]:
        assert row["no_signal"] and row["warnings"][0].startswith("NO SIGNAL: X (spikes[region=A]) is constant")
    assert page.index("class='alert'") < page.index("Results at a glance")
    assert "no signal" in page
    path = tmp_path / "s" / "summary.json"
    path.parent.mkdir()
    path.write_text(json.dumps(summary))
    rows = write_archive_summary([path], csv_out=tmp_path / "summary.csv", html_out=tmp_path / "summary.html")
    with open(tmp_path / "summary.csv") as fh:
        table = list(csv.DictReader(fh))
    assert all(r["no_signal"] == "True" and "NO SIGNAL" in r["warnings"] for r in table)
    assert all(r["n_warnings"] for r in rows)
    html = (tmp_path / "summary.html").read_text()
    n = len(summary["analyses"])
    assert f"{n} result(s) without signal" in html
    # each result is named with its analysis and the measured reason (issue 20 item 7), not the whole session
    for row in summary["analyses"]:
        assert f"{row['analysis']} ({row['mode']}): NO SIGNAL: X (spikes[region=A]) is constant" in html


def test_session_without_spikes_is_a_session_warning():
    summary, page, _ = _session_page(data={"n_units": 80, "n_units_without_spikes": 80})
    assert summary["session_warnings"][0].startswith("NO SIGNAL: none of the 80 units")
    assert summary["warnings"][0] == summary["session_warnings"][0] and "class='alert'" in page


def test_session_page_layout():
    """Item 9: warnings at the top, a 'how to read this' line under each figure, provenance at the end."""
    summary, page, figures = _session_page(selection_record(), data={"n_units": 80, "n_units_without_spikes": 2})
    h2 = re.findall(r"<h2[^>]*>(.*?)</h2>", page)
    assert h2[0] == "Results at a glance" and h2[-1] == "Provenance" and h2[-2] == "Glossary"
    assert page.index("role='alert'") < page.index("Results at a glance")  # the warnings box comes first
    assert page.count("<figure>") == 2 == page.count("<strong>How to read this:</strong>")
    prov = page[page.index("id='provenance'"):]
    for text in ("f" * 64, "abc123", "feed", "signals and bin_width only", "neuralmi report session", "torch"):
        assert text in prov, text
    import struct

    for png in figures.values():
        width, height = struct.unpack(">II", png[16:24])
        assert width >= 800 and height >= 450, "figures at a readable size"


def test_session_page_shows_what_was_measured():
    """Item 12: selectors and their units, window, lag, bin width, bins used and why dropped, settings,
    a glossary and the headline saturation dim."""
    summary, page, _ = _session_page(selection_record())
    for text in ("spikes[region=A]", "region A (40)", "location VISp (40)", "region B (40)",
                 "Bin width 0.02 s", "window 2 bins (0.04 s)", "lag 3 bins (0.06 s)",
                 "13,998 of 15,000 bins used", "14,499 of 15,000 bins used",
                 "not being recorded (outside its obs_intervals): 501 in X and 501 in Y",
                 "two random halves of X", "Training settings", "<th>epochs</th>",
                 "saturation dim (headline, s = 1)", "id='g-shared-se'", "id='g-strictness-s'", "id='g-pi-pi-low-pi-high'"):
        assert text in page, text
    rig = next(r for r in summary["analyses"] if r["mode"] == "rigorous")
    assert rig["x"] == "spikes[region=A]" and rig["window_bins"] == 2 and rig["dropped_bins"] == 1002
    dim = next(r for r in summary["analyses"] if r["mode"] == "dimensionality")
    assert dim["y"] is None and dim["dropped_bins"] == 501 and dim["saturation_dim"] == dim["saturation_dim_s1"]


def test_archive_summary_at_a_glance(tmp_path):
    """Item 8: a forest plot and a dimensionality plot per analysis, flags highlighted, one table per mode
    (no empty saturation cells in MI rows), sortable and filterable, grouped by subject, self-contained."""
    paths = []
    for session, scale in (("sub-02_ses-01", 2.0), ("sub-01_ses-02", 1.5), ("sub-01_ses-01", 1.0)):
        summary, _, _ = build_session_report(session, [("A_vs_B", "rigorous", rigorous_record(intercept=scale)),
                                                       ("A_vs_B", "dimensionality", dimensionality_record())],
                                             unit="bits", selections={"A_vs_B": selection_record(
                                                 constant_x=session == "sub-02_ses-01")})
        p = tmp_path / session / "summary.json"
        p.parent.mkdir()
        p.write_text(json.dumps(summary))
        paths.append(p)
    write_archive_summary(paths, csv_out=tmp_path / "summary.csv", html_out=tmp_path / "summary.html")
    page = (tmp_path / "summary.html").read_text()
    assert "alt='A_vs_B forest plot'" in page and "alt='A_vs_B dimensionality'" in page
    assert page.count("data:image/png;base64,") == 2 and "<script>" in page
    assert not re.search(r"(src|href)=['\"]?(https?:)?//", page), "no network resources: works offline"
    tables = re.findall(r"<table class='sortable filterable'>.*?</table>", page, re.S)
    assert len(tables) == 2 and "sat. dim" not in tables[0] and "MI (bits)</th>" in tables[0]
    first = re.findall(r"<tr[^>]*><td[^>]*><a href='([^']+)'", tables[0])
    assert first == ["sub-01_ses-01/report.html", "sub-01_ses-02/report.html", "sub-02_ses-01/report.html"]
    assert "<tr class='nosignal'>" in tables[0] and "id='filter'" in page and "id='only-flagged'" in page


def _directed_records():
    from neuralmi_core.analysis.transfer import ConditionalMIResult, TransferEntropyResult

    member = {"direction": "x->y", "gamma": 1, "chunk": 0, "seed": 0, "term": 0, "mi_nats": 0.1, "best_epoch": 5,
              "epochs_run": 20}
    te = TransferEntropyResult(0.30, 0.26, 0.34, 0.68, 2, [2], [1, 2, 3], [0.05, 0.30, 0.04], [0.02, 0.26, 0.0],
                               [0.08, 0.34, 0.07], reverse={"te_nats": [0.0, 0.01, -0.01], "ci_low": [-0.01, -0.01,
                               -0.02], "ci_high": [0.01, 0.02, 0.0], "flags": []}, difference_nats=0.29,
                               difference_ci_low_nats=0.25, difference_ci_high_nats=0.33, members=[member],
                               settings={"estimator": "infonce", "epochs": 40, "delays": [1, 2, 3],
                                         "bidirectional": True}, data={"n_bins": 5000})
    cmi = ConditionalMIResult(0.12, 0.08, 0.16, 0.68, 0.52, 0.40, members=[{**member, "direction": None}],
                              settings={"estimator": "infonce", "epochs": 40}, data={"n_samples": 5000})
    return te.to_dict(), cmi.to_dict()


def test_transfer_entropy_and_conditional_mi_in_session_and_archive(tmp_path):
    """Issue 21 item 5: a TE panel (the result's plot: TE against delay, both directions, CI band, peak) and the
    CMI beside the terms it is the difference of; their archive rows in the generic mi/ci columns."""
    te, cmi = _directed_records()
    summary, page, figures = build_session_report(
        "s1", [("A_vs_B", "rigorous", rigorous_record()), ("A_to_B", "transfer_entropy", te),
               ("A_to_B", "conditional_mi", cmi)], unit="nats", provenance={"config_hash": "h"})
    assert {"A_to_B_transfer_entropy", "A_to_B_conditional_mi"} <= set(figures)
    assert all(png[:4] == b"\x89PNG" for png in figures.values())
    rows = {r["mode"]: r for r in summary["analyses"]}
    assert rows["transfer_entropy"]["mi_nats"] == pytest.approx(0.30) and rows["transfer_entropy"][
        "peak_delay_bins"] == 2
    assert rows["transfer_entropy"]["curve"][1]["reverse_te_nats"] == pytest.approx(0.01)
    assert rows["conditional_mi"]["mi_reduced_nats"] == pytest.approx(0.40)
    assert "Transfer entropy per delay" in page and "TE(X→Y) − TE(Y→X)" in page and "I(XZ;Y) 0.52" in page
    path = tmp_path / "s1" / "summary.json"
    path.parent.mkdir()
    path.write_text(json.dumps(summary))
    write_archive_summary([path], csv_out=tmp_path / "summary.csv", html_out=tmp_path / "summary.html", unit="nats")
    with open(tmp_path / "summary.csv") as fh:
        table = {r["mode"]: r for r in csv.DictReader(fh)}
    assert float(table["transfer_entropy"]["mi_nats"]) == pytest.approx(0.30)
    assert float(table["conditional_mi"]["ci_low_nats"]) == pytest.approx(0.08)
    assert "Transfer entropy (at the peak delay) and conditional MI" in (tmp_path / "summary.html").read_text()


def test_session_page_says_when_to_trust_from_the_generated_table():
    """Issue 20 item 8: the section comes from the generated accuracy table (benchmarks/trust.py), marks the
    families like the session's analyses (counts against counts here) and says what to do for each flag."""
    from neuralmi_core.flags import FLAG
    from neuralmi_core.report.accuracy_table import TABLE
    from neuralmi_core.report.trust import analysis_kind, trust_html

    summary, page, _ = _session_page(selection_record())
    h2 = re.findall(r"<h2[^>]*>(.*?)</h2>", page)
    assert h2[-3:] == ["When to trust these numbers", "Glossary", "Provenance"]
    section = page[page.index("id='trust'"):page.index("id='glossary'")]
    p = TABLE["pooled"]
    assert f"covered the truth in {p['ci_covers']} of {p['ci_rows']}" in section
    assert "spike counts against spike counts" in section and section.count("&#9679; ") >= 1 + sum(
        f["kind"] == "counts_vs_counts" for f in TABLE["families"])
    for f in TABLE["families"]:
        assert f["family"] in section
    assert analysis_kind({"x": {"selector": "spikes[region=A]", "feature_dim": "unit"},
                          "y": {"selector": "position", "feature_dim": "position_component"}}) == "counts_vs_variable"
    assert analysis_kind({"x": {"selector": "ophys", "feature_dim": "roi"},
                          "y": {"selector": "position", "feature_dim": "position_component"}}) == "continuous"
    rows = [{**r, "flags": ["sample_limited"]} for r in summary["analyses"] if r["mode"] == "rigorous"]
    assert FLAG["sample_limited"].action in trust_html(rows, {})
    assert trust_html([r for r in summary["analyses"] if r["mode"] != "rigorous"], {}) == ""


@pytest.mark.slow
@pytest.mark.parametrize("script", ["trust.py", "estimators_table.py"])
def test_generated_tables_are_current(script):
    """What the committed suite runs make, re-derived with today's code: trust.py's benchmarks/README.md block and
    neuralmi_core/report/accuracy_table.py; estimators_table.py's MI-NEE / MIENF / InfoNCE block (issue 23 item 2)."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, str(root / "benchmarks" / script), "--check"], capture_output=True,
                         text=True, cwd=root)
    assert out.returncode == 0, out.stdout + out.stderr
