"""A living archive (issue 26): edit the versioned config, rerun, get exactly what it asks.

Slow (about 3 minutes on 2 CPU cores): a one-session archive at tiny settings, then the edits a lab makes
over months -- add an analysis, rename one, add a mode, remove one -- each checked by the jobs Snakemake
plans (dry run) and by the summary rows after the real run. A second archive holds a corrupt and a
truncated file among good ones whose names and subject ids are hostile or non-ASCII.

Every run here uses a PATH without this environment's bin folder (the venv is not "activated"): the rules
must call the Python that runs Snakemake, not whatever `neuralmi` PATH finds (item 6).
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import h5py
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = Path(sys.executable).with_name("snakemake")

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not SNAKEMAKE.exists(), reason="snakemake not installed next to python")]

ANALYSIS = {
    "x": "spikes[region=A]", "y": "spikes[region=B]", "estimator": "infonce", "critic": "separable",
    "embedding_dim": 8, "hidden": 32, "n_layers": 1,
    "training": {"epochs": 3, "batch_size": 256, "patience": 10, "eval_size": 512},
    "modes": ["rigorous"],
    "rigorous": {"gammas": [1, 2, 3], "seeds": [0], "min_gammas": 3, "min_chunk": 500},
}
DIMENSIONALITY = {"embedding_dims": [1, 2], "n_splits": 2, "seeds": [0]}


def _config(archive: str, analyses: list[dict]) -> dict:
    return {"config_version": 1, "archive": archive, "demo_archive": {"generate": False}, "bin_width": 0.02,
            "signals": None, "unit": "bits", "device": "cpu", "analyses": analyses,
            "resources": {"ingest": {"threads": 1, "mem_mb": 1000, "runtime": 10},
                          "train": {"threads": 1, "mem_mb": 1000, "runtime": 10},
                          "gather": {"threads": 1, "mem_mb": 500, "runtime": 5}}}


def _analysis(name: str, **change) -> dict:
    out = json.loads(json.dumps(ANALYSIS))
    out.update(name=name, **change)
    return out


def _env() -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONHOME")}
    venv_bin = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p and p != venv_bin) or "/usr/bin"
    env.setdefault("MPLBACKEND", "Agg")
    env["OMP_NUM_THREADS"] = "1"
    return env


def _snakemake(run: Path, cfg: dict, *args: str, timeout: int = 900) -> subprocess.CompletedProcess:
    (run / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    cmd = [str(SNAKEMAKE), "-s", str(ROOT / "Snakefile"), "--directory", str(run), "--configfile",
           str(run / "config.yaml"), "--cores", "2", *args]
    return subprocess.run(cmd, capture_output=True, text=True, env=_env(), timeout=timeout)


def _ok(proc: subprocess.CompletedProcess, run: Path) -> str:
    out = proc.stdout + proc.stderr
    if proc.returncode != 0:
        logs = "\n".join(f"--- {p}\n{p.read_text()[-1500:]}" for p in sorted((run / "results" / "logs").rglob("*.log")))
        raise AssertionError(f"snakemake failed ({proc.returncode}):\n{out[-4000:]}\n{logs[-6000:]}")
    return out


def _planned(run: Path, cfg: dict) -> Counter:
    """Jobs per rule of a dry run (`Job stats:`); empty when there is nothing to do."""
    out = _ok(_snakemake(run, cfg, "-n"), run)
    if "Job stats:" not in out:
        assert "Nothing to be done" in out, out[-3000:]
        return Counter()
    jobs = Counter()
    for line in out.split("Job stats:")[1].splitlines()[3:]:
        if not line.strip() or line.split()[0] == "total":
            break
        rule, count = line.split()
        jobs[rule] = int(count)
    return jobs


def _rows(run: Path) -> list[dict]:
    with open(run / "results" / "summary.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def _analyses(run: Path) -> set[tuple[str, str]]:
    return {(r["analysis"], r["mode"]) for r in _rows(run) if r["status"] == "ok"}


def _session_analyses(run: Path, sid: str) -> set[tuple[str, str]]:
    summary = json.loads((run / "results" / sid / "summary.json").read_text())
    return {(a["analysis"], a["mode"]) for a in summary["analyses"]}


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("archive_src") / "archive"
    subprocess.run([sys.executable, "-m", "neuralmi_core", "demo-archive", "--out", str(out), "--sessions", "1",
                    "--seed", "0", "--duration", "60", "--units-per-region", "10"], check=True, env=_env(),
                   capture_output=True)
    return out


def test_config_edits_plan_exactly_their_jobs_and_summary_follows(archive, tmp_path):
    run = tmp_path
    shutil.copytree(archive, run / "archive")
    sid = "sub-01_ses-01_ecephys"
    n_rig = len(ANALYSIS["rigorous"]["gammas"]) * len(ANALYSIS["rigorous"]["seeds"])  # one cell per (gamma, seed)

    cfg = _config("archive", [_analysis("A_vs_B")])
    _ok(_snakemake(run, cfg), run)
    assert _analyses(run) == {("A_vs_B", "rigorous")}
    assert _planned(run, cfg) == Counter()

    # 1. a new analysis: its check, cells and gather, the report and the summary; nothing else
    cfg["analyses"].append(_analysis("B_vs_A", x="spikes[region=B]", y="spikes[region=A]"))
    new_analysis = Counter(check_selection=1, train=n_rig, gather=1, report_session=1, summary=1, all=1)
    assert _planned(run, cfg) == new_analysis
    _ok(_snakemake(run, cfg), run)
    assert _analyses(run) == _session_analyses(run, sid) == {("A_vs_B", "rigorous"), ("B_vs_A", "rigorous")}

    # 2. renamed: the new name is computed, the old one leaves the reports and the summary
    cfg["analyses"][1]["name"] = "B_to_A"
    assert _planned(run, cfg) == new_analysis
    _ok(_snakemake(run, cfg), run)
    assert _analyses(run) == _session_analyses(run, sid) == {("A_vs_B", "rigorous"), ("B_to_A", "rigorous")}
    for page in ("summary.html", f"{sid}/report.html"):
        assert "B_vs_A" not in (run / "results" / page).read_text(), page

    # 3. a mode added to an analysis: that mode's check and cells only; the rigorous cells are not re-trained
    before = {p: p.stat().st_mtime_ns for p in (run / "results" / sid).rglob("rigorous/*.json")}
    cfg["analyses"][0]["modes"] = ["rigorous", "dimensionality"]
    cfg["analyses"][0]["dimensionality"] = dict(DIMENSIONALITY)
    n_dim = len(DIMENSIONALITY["embedding_dims"]) * len(DIMENSIONALITY["seeds"])
    assert _planned(run, cfg) == Counter(check_selection=1, train=n_dim, gather=1, report_session=1, summary=1,
                                         all=1)
    _ok(_snakemake(run, cfg), run)
    assert {p: p.stat().st_mtime_ns for p in before} == before
    assert _analyses(run) == {("A_vs_B", "rigorous"), ("A_vs_B", "dimensionality"), ("B_to_A", "rigorous")}

    # 4. an analysis removed: the report and the summary only, without it
    del cfg["analyses"][1]
    assert _planned(run, cfg) == Counter(report_session=1, summary=1, all=1)
    _ok(_snakemake(run, cfg), run)
    assert _analyses(run) == _session_analyses(run, sid) == {("A_vs_B", "rigorous"), ("A_vs_B", "dimensionality")}
    assert "B_to_A" not in (run / "results" / sid / "report.html").read_text()
    assert _planned(run, cfg) == Counter()


def _set_subject(path: Path, subject: str) -> None:
    with h5py.File(path, "r+") as f:
        del f["general/subject/subject_id"]
        f["general/subject"].create_dataset("subject_id", data=subject, dtype=h5py.string_dtype())


def test_bad_files_never_stop_the_archive_and_metadata_stays_data(archive, tmp_path):
    """Items 3 and 4: a corrupt and a truncated file among good ones whose names and subject ids are hostile
    or non-ASCII. The README's command (no --keep-going: the workflow profile sets it) processes every
    readable session, exits non-zero, and replaces an older summary by one of this config with the failures
    listed; metadata reaches HTML, PNG, CSV and JSON as text."""
    run = tmp_path
    src = next(archive.rglob("*.nwb"))
    (run / "archive").mkdir()
    unicode_file = run / "archive" / "séance_マウス_2.nwb"
    shutil.copy(src, unicode_file)
    _set_subject(unicode_file, r"$\notacommand{x$")
    formula_file = run / "archive" / "sub-02_ses-01_ecephys.nwb"
    shutil.copy(src, formula_file)
    _set_subject(formula_file, '=HYPERLINK("http://example.org","click")')
    (run / "archive" / "sub-03_ses-01_ecephys.nwb").write_bytes(src.read_bytes()[: src.stat().st_size // 2])
    (run / "archive" / "sub-04_ses-01_ecephys.nwb").write_text("not an NWB file\n")
    (run / "results").mkdir()
    (run / "results" / "summary.csv").write_text("session,analysis\nold_session,old_analysis\n")  # a stale summary

    cfg = _config("archive", [_analysis("A_vs_B")])
    proc = _snakemake(run, cfg)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out[-3000:]
    assert "2 of 4 session(s) did not finish" in out, out[-3000:]

    rows = _rows(run)
    by_session = {r["session"]: r for r in rows}
    assert set(by_session) == {"seance_mausu_2", "sub-02_ses-01_ecephys", "sub-03_ses-01_ecephys",
                               "sub-04_ses-01_ecephys"}
    assert "old_session" not in by_session
    ok, trunc, bad = by_session["seance_mausu_2"], by_session["sub-03_ses-01_ecephys"], by_session["sub-04_ses-01_ecephys"]
    assert ok["status"] == "ok" and ok["source_file"] == "séance_マウス_2.nwb" and float(ok["mi_bits"]) == float(ok["mi_bits"])
    assert ok["subject"] == r"$\notacommand{x$"
    assert by_session["sub-02_ses-01_ecephys"]["subject"] == "'" + '=HYPERLINK("http://example.org","click")'
    assert trunc["status"] == "failed" and "bin_session" in trunc["error"] and "truncated" in trunc["error"]
    assert bad["status"] == "failed" and "not an HDF5 file" in bad["error"]
    assert not trunc["mi_bits"] and not bad["mi_bits"]

    from pagecheck import assert_page_ok

    html = (run / "results" / "summary.html").read_text()
    assert "2 sessions of this config did not finish" in html and "sub-04_ses-01_ecephys.nwb" in html
    assert "=HYPERLINK(&#34;http://example.org&#34;" in html and '=HYPERLINK("' not in html  # escaped (MarkupSafe)
    assert "séance_マウス_2.nwb" in html
    assert_page_ok(run / "results" / "summary.html", min_images=1)
    report = (run / "results" / "seance_mausu_2" / "report.html").read_text()
    assert "séance_マウス_2.nwb" in report
    assert_page_ok(run / "results" / "seance_mausu_2" / "report.html", min_images=1)
    summary = json.loads((run / "results" / "seance_mausu_2" / "summary.json").read_text())
    assert summary["subject"] == r"$\notacommand{x$"
    assert (run / "results" / "seance_mausu_2" / "figures" / "A_vs_B_rigorous.png").stat().st_size > 0
    import xarray as xr

    with xr.open_dataset(run / "results" / "seance_mausu_2" / "binned.nc") as ds:
        assert ds.attrs["source_path"].endswith("séance_マウス_2.nwb")
        assert ds.attrs["nwb_subject_id"] == r"$\notacommand{x$"

    # the failed files stay failed on a rerun (exit status non-zero again), the good sessions are not redone
    done = {p: p.stat().st_mtime_ns for p in (run / "results" / "seance_mausu_2").rglob("*.json")}
    proc = _snakemake(run, cfg)
    assert proc.returncode != 0
    assert {p: p.stat().st_mtime_ns for p in done} == done
    assert re.search(r"sub-04_ses-01_ecephys: bin_session: .*not an HDF5 file", proc.stderr)


def test_transfer_entropy_mode_end_to_end(archive, tmp_path):
    """Issue 21: the transfer_entropy mode runs through the workflow (cells, gather, report, summary)."""
    run = tmp_path
    shutil.copytree(archive, run / "archive")
    an = _analysis("A_to_B", modes=["transfer_entropy"],
                   transfer_entropy={"delays": [1, 2], "gammas": [1, 2, 3], "min_gammas": 3, "seeds": [0],
                                     "bidirectional": True})
    cfg = _config("archive", [an])
    # one job per (gamma, seed, term): term 0 the target's own past, terms 1 and 2 the source at delays 1, 2
    assert _planned(run, cfg)["train"] == 3 * 3
    _ok(_snakemake(run, cfg), run)
    (row,) = [r for r in _rows(run) if r["mode"] == "transfer_entropy"]
    assert row["status"] == "ok" and row["mi_bits"] != "" and row["ci_low_bits"] != ""
    from pagecheck import assert_page_ok

    sid = "sub-01_ses-01_ecephys"
    assert "Transfer entropy per delay" in (run / "results" / sid / "report.html").read_text()
    assert_page_ok(run / "results" / sid / "report.html", min_images=1)
    assert_page_ok(run / "results" / "summary.html", min_images=0)
