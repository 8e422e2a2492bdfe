"""An archive that mixes sessions with and without a signal (issue 25, item 2), end to end through Snakemake.

Slow (about 2 minutes on 2 CPU cores): two tiny ephys sessions, s1 with regions A and B, s2 with A and C, and
an analysis A_vs_B with `required: false`: it trains in s1 and is skipped in s2 (no training job), the report
and the summary say so; a rerun plans nothing; an analysis added later (A_vs_C) runs where its signal is
(s2) and is skipped elsewhere, re-running nothing of A_vs_B; and when s2's file later holds region B, A_vs_B
is un-skipped there and trains.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest
from test_mixed_archive import write_ephys
from test_workflow_edits import SNAKEMAKE, _analysis, _config, _ok, _planned, _rows, _snakemake

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not SNAKEMAKE.exists(), reason="snakemake not installed next to python")]

TINY = {"x": "spikes[location=A]", "hidden": 16, "embedding_dim": 4, "required": False,
        "training": {"epochs": 2, "batch_size": 256, "patience": 10, "eval_size": 256}}


def _cfg(*analyses):
    cfg = _config("archive", list(analyses))
    cfg["signals"] = {"ophys": {"required": False}}  # no session holds imaging: recorded, not fatal
    return cfg


def _mtimes(run, pattern):
    return {p: p.stat().st_mtime_ns for p in (run / "results").glob(pattern)}


def test_an_optional_analysis_is_skipped_where_its_signal_is_absent(tmp_path):
    run = tmp_path
    (run / "archive").mkdir()
    write_ephys(run / "archive" / "s1.nwb", regions=("A", "B"), duration=60.0)
    write_ephys(run / "archive" / "s2.nwb", regions=("A", "C"), duration=60.0)
    res = run / "results"
    a_vs_b = _analysis("A_vs_B", **TINY, y="spikes[location=B]")
    cfg = _cfg(a_vs_b)
    _ok(_snakemake(run, cfg), run)

    # binning: the absent kind is recorded in both binned files
    import xarray as xr

    for sid in ("s1", "s2"):
        with xr.open_dataset(res / sid / "binned.nc") as ds:
            assert "asks for imaging data but the file has no processing/ophys module" in \
                json.loads(ds.attrs["absent_signals"])["ophys"]
    # s1 trains; s2 skips: its record and result carry the reason, and no training job ran there
    assert len(list((res / "s1" / "A_vs_B" / "rigorous").glob("g*_s0.json"))) == 3
    assert not list((res / "s2" / "A_vs_B" / "rigorous").glob("g*.json"))
    assert not (res / "logs" / "train" / "s2").exists()
    record = json.loads((res / "s2" / "A_vs_B" / "rigorous" / "selection.json").read_text())
    assert record["skipped"].startswith("session s2, analysis A_vs_B: Y: ")
    assert "value 'B' matched no unit; available location values: ['A', 'C']" in record["skipped"]
    result = json.loads((res / "s2" / "A_vs_B" / "rigorous.json").read_text())
    assert result["skipped"] == record["skipped"]
    page = (res / "s2" / "report.html").read_text()
    assert "skipped: session s2, analysis A_vs_B" in page and (res / "s2" / "figures" / "A_vs_B_rigorous.png").exists()
    rows = {(r["session"], r["analysis"]): r for r in _rows(run)}
    assert rows[("s1", "A_vs_B")]["status"] == "ok" and rows[("s1", "A_vs_B")]["mi_bits"] != ""
    assert rows[("s1", "A_vs_B")]["skipped"] == ""
    assert rows[("s2", "A_vs_B")]["status"] == "skipped" and rows[("s2", "A_vs_B")]["skipped"] == record["skipped"]
    summary = (res / "summary.html").read_text()
    assert "1 analysis result(s) skipped" in summary and "skipped in every session" not in summary
    assert "did not finish" not in summary

    # a rerun of the same config: nothing to do
    assert _planned(run, cfg) == Counter()

    # an analysis added later runs where its signal is (s2), is skipped in s1; A_vs_B is not re-run
    before = _mtimes(run, "*/A_vs_B/**/*.json")
    a_vs_c = _analysis("A_vs_C", **TINY, y="spikes[location=C]")
    cfg = _cfg(a_vs_b, a_vs_c)
    _ok(_snakemake(run, cfg), run)
    assert _mtimes(run, "*/A_vs_B/**/*.json") == before
    assert len(list((res / "s2" / "A_vs_C" / "rigorous").glob("g*_s0.json"))) == 3
    assert not list((res / "s1" / "A_vs_C" / "rigorous").glob("g*.json"))
    status = {(r["session"], r["analysis"]): r["status"] for r in _rows(run)}
    assert status == {("s1", "A_vs_B"): "ok", ("s2", "A_vs_B"): "skipped", ("s1", "A_vs_C"): "skipped",
                      ("s2", "A_vs_C"): "ok"}
    assert _planned(run, cfg) == Counter()

    # s2's file now holds region B: A_vs_B is un-skipped there and trains
    write_ephys(run / "archive" / "s2.nwb", regions=("A", "B", "C"), duration=60.0)
    _ok(_snakemake(run, cfg), run)
    assert len(list((res / "s2" / "A_vs_B" / "rigorous").glob("g*_s0.json"))) == 3
    status = {(r["session"], r["analysis"]): r["status"] for r in _rows(run)}
    assert status[("s2", "A_vs_B")] == "ok" and status[("s1", "A_vs_C")] == "skipped"
    assert _planned(run, cfg) == Counter()
