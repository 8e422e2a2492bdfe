"""The archive page's study section (issue 22 item 4): pooled forest plots, pooled network matrices and the
contrasts table, from a small study.nc made in the test; the page in headless Chromium."""

from __future__ import annotations

import json

import numpy as np
import pytest
from pagecheck import assert_page_ok, chromium
from test_report import rigorous_record
from test_study import _row

from neuralmi_core.cli import main as cli_main
from neuralmi_core.report.archive import write_archive_summary
from neuralmi_core.report.session import write_session_report
from neuralmi_core.report.study_page import contrast_rows, load_study, pooled_matrices, study_forest_png
from neuralmi_core.study.dataset import study_dataset, write_study
from neuralmi_core.validation import NeuralMIError

NETWORK = {"net__A__B": {"network": "net", "x": "A", "y": "B"}, "net__A__C": {"network": "net", "x": "A", "y": "C"},
           "net__B__C": {"network": "net", "x": "B", "y": "C"}}
TRUE = {"net__A__B": 0.6, "net__A__C": 0.02, "net__B__C": 0.3}


@pytest.fixture(scope="module")
def study_nc(tmp_path_factory):
    """Two groups of 3 animals x 2 sessions; A-B shares 0.6 bits (0.4 more in wt), A-C about none."""
    rng = np.random.default_rng(1)
    rows = []
    for g, extra in (("wt", 0.4), ("ko", 0.0)):
        for a in range(3):
            for j in range(2):
                for an, mu in TRUE.items():
                    mi = mu + (extra if an == "net__A__B" else 0.0) + rng.normal(0, 0.03)
                    rows.append(_row(f"{g}{a}_s{j}", f"{g}{a}", an, mi, 0.05, genotype=g))
    ds = study_dataset(rows, group_by="genotype", contrasts=["wt-ko"])
    return write_study(ds, tmp_path_factory.mktemp("study") / "study.nc")


def test_pooled_matrices_and_contrasts_from_study_nc(study_nc):
    ds = load_study(study_nc)
    mats = {m["network"]: m for m in pooled_matrices(ds, NETWORK)}
    assert sorted(mats) == ["net · ko", "net · wt"]
    wt = mats["net · wt"]
    assert wt["nodes"] == ["A", "B", "C"] and wt["cells"]["B"]["A"] is wt["cells"]["A"]["B"]
    assert wt["cells"]["A"]["B"]["mi"] == pytest.approx(1.0, abs=0.05)
    assert wt["cells"]["A"]["B"]["significant"] and not wt["cells"]["A"]["C"]["significant"]
    assert "q = " in wt["cells"]["A"]["B"]["p_text"] and "3 subjects" in wt["cells"]["A"]["B"]["p_text"]
    (ab,) = [r for r in contrast_rows(ds) if r["analysis"] == "net__A__B"]
    assert ab["contrast"] == "wt-ko" and ab["CI low"] < 0.4 < ab["CI high"] and ab["q"] <= 0.05
    assert len(contrast_rows(ds)) == 3
    png = study_forest_png(ds, "net__A__B")
    assert png[:4] == b"\x89PNG" and len(png) > 5000


def test_pooled_matrix_nodes_follow_the_declaration_order(study_nc):
    """The nodes come in the order the pairs were declared (the `networks` mapping), not in the order the study
    lists its analyses (the demo's matrix once read A, C, B)."""
    declared = {k: NETWORK[k] for k in ("net__B__C", "net__A__B", "net__A__C")}  # values: [B, C, A]
    for m in pooled_matrices(load_study(study_nc), declared):
        assert m["nodes"] == ["B", "C", "A"]


def _summaries(root):
    paths = []
    for i, session in enumerate(["wt0_s0", "ko0_s0"]):
        d = root / session
        d.mkdir()
        results, pairs = [], []
        for name, info in NETWORK.items():
            (d / f"{name}.json").write_text(json.dumps(rigorous_record(intercept=0.3 + 0.2 * i, seed=i)))
            results.append((name, "rigorous", d / f"{name}.json"))
            pairs.append((name, "net", info["x"], info["y"]))
        write_session_report(session, results, html_out=d / "report.html", json_out=d / "summary.json", pairs=pairs)
        paths.append(d / "summary.json")
    return paths


def test_archive_page_shows_the_study(tmp_path, study_nc):
    paths = _summaries(tmp_path)
    write_archive_summary(paths, csv_out=None, html_out=tmp_path / "summary.html", study=study_nc)
    page = (tmp_path / "summary.html").read_text()
    assert "<h2 id='study'>" in page and page.count("study forest plot") == 3
    assert "net · wt — network (rigorous)" in page and "net · ko — network (rigorous)" in page
    contrasts = page.split("<h3 id='contrasts'>", 1)[1]
    assert "fdr_bh over 3 test(s)" in contrasts and "wt-ko" in contrasts
    assert not (tmp_path / "summary.csv").exists()
    write_archive_summary(paths, csv_out=tmp_path / "summary.csv", html_out=tmp_path / "plain.html")
    assert "id='study'" not in (tmp_path / "plain.html").read_text()


def test_archive_page_with_study_loads_cleanly_in_chromium(tmp_path, study_nc):
    chromium()
    write_archive_summary(_summaries(tmp_path), csv_out=tmp_path / "summary.csv", html_out=tmp_path / "summary.html",
                          study=study_nc)
    found = assert_page_ok(tmp_path / "summary.html", min_images=5)
    assert sum("study forest plot" in i["alt"] for i in found["images"]) == 3


ERRORS = [  # (arguments after the summaries, words of the error)
    (["--unit", "bits"], ["--csv, --html or both"]),
    (["--csv", "{d}/s.csv", "--study", "{d}/study.nc"], ["--study", "give --html"]),
    (["--html", "{d}/s.html", "--study", "{d}/missing.nc"], ["missing.nc", "study.nc of `neuralmi study`"]),
]


@pytest.mark.parametrize("args,words", ERRORS, ids=["no-output", "study-without-html", "missing-study"])
def test_cli_archive_errors(tmp_path, capsys, args, words):
    paths = _summaries(tmp_path)
    (tmp_path / "study.nc").write_bytes(b"")
    rc = cli_main(["report", "archive", *map(str, paths), *[a.format(d=tmp_path) for a in args]])
    err = capsys.readouterr().err
    assert rc != 0 and all(w in err for w in words), err
    assert not (tmp_path / "s.html").exists()


def test_write_archive_summary_needs_an_output(tmp_path):
    with pytest.raises(NeuralMIError, match="csv_out, html_out or both"):
        write_archive_summary(_summaries(tmp_path), csv_out=None, html_out=None)
