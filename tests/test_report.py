"""Reports from fabricated gathered records (no training): rows, units, HTML, summary.json/csv, CLI."""

from __future__ import annotations

import csv
import json
import math

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


def test_dimensionality_row_finds_latent_dim():
    row = dimensionality_row("A_dims", dimensionality_record(latent=3), "bits")
    assert row["saturation_dim_s1"] == 3
    assert [r["embedding_dim"] for r in row["curve"]] == [1, 2, 3, 4, 6]
    assert row["curve"][0]["mean_bits"] == pytest.approx(0.8 / LN2, abs=0.05)
    assert row["of"] == "I(X_A;X_B)"


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
    assert cli_main(["report", "archive", str(tmp_path / "summary.json"), "--csv", str(tmp_path / "summary.csv"),
                     "--html", str(tmp_path / "summary.html")]) == 0
    assert (tmp_path / "summary.csv").read_text().startswith("session,analysis,mode")
    # a bad record: clear error, exit status 2, nothing written
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    assert cli_main(["report", "session", "--session", "t", "--result", "A", "rigorous", str(bad),
                     "--html", str(tmp_path / "t.html"), "--json", str(tmp_path / "t.json")]) == 2
    assert not (tmp_path / "t.html").exists()
