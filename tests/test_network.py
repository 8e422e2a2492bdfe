"""Region networks (issue 22 item 1): the pairs of one `pairs:` declaration as one matrix in the session report,
`within: true` (two halves of one region's units as the diagonal), and the `half` selector that splits them."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import xarray as xr
from pagecheck import assert_page_ok, chromium
from test_report import rigorous_record, selection_record

from neuralmi_core.io.netcdf import write_netcdf
from neuralmi_core.io.select import load_selected
from neuralmi_core.report import build_session_report
from neuralmi_core.report.network import cell_text, network_matrices
from neuralmi_core.report.session import write_session_report
from neuralmi_core.validation import NeuralMIError, SignalAbsent

NETWORK = {"net__A__B": {"network": "net", "x": "A", "y": "B"},
           "net__A__C": {"network": "net", "x": "A", "y": "C"},
           "net__B__C": {"network": "net", "x": "B", "y": "C"},
           "net__A__A": {"network": "net", "x": "A", "y": "A"}}


def _row(name, mi, lo, hi, mode="rigorous", **extra):
    return {"analysis": name, "mode": mode, "mi_bits": mi, "ci_low_bits": lo, "ci_high_bits": hi, "flags": [],
            "warnings": [], **extra}


def test_matrix_from_hand_made_rows_is_symmetric_with_marks_and_skips():
    rows = [_row("net__A__A", 0.9, 0.8, 1.0), _row("net__A__B", 0.5, 0.4, 0.6),
            _row("net__A__C", 0.1, 0.0, 0.2, warnings=["networks still improving"]),
            {"analysis": "net__B__C", "mode": "rigorous", "skipped": "Y has 1 unit(s), min_units 2", "warnings": []},
            {"analysis": "net__A__B", "mode": "significance", "significant": True, "p_text": "p < 0.01"},
            {"analysis": "net__A__C", "mode": "significance", "significant": False, "p_text": "p = 0.4"},
            _row("other", 2.0, 1.9, 2.1)]
    (m,) = network_matrices(rows, NETWORK, "bits")
    assert (m["network"], m["mode"], m["directed"], m["has_significance"]) == ("net", "rigorous", False, True)
    assert m["nodes"] == ["A", "B", "C"] and "other" not in m["analyses"]
    c = m["cells"]
    assert c["A"]["B"] is c["B"]["A"] and (c["A"]["B"]["mi"], c["A"]["B"]["ci_low"]) == (0.5, 0.4)
    assert c["A"]["A"]["mi"] == 0.9 and c["A"]["A"]["significant"] is None  # no significance row for it
    assert cell_text(c["A"]["B"]) == ("0.500 [0.400, 0.600]", "*")
    assert cell_text(c["C"]["A"]) == ("0.100 [0.000, 0.200]", "!")
    assert c["B"]["C"]["skipped"].startswith("Y has 1 unit") and cell_text(c["C"]["B"]) == ("skipped", "")
    assert "B" not in c["B"] and cell_text(None) == ("", "")  # no within pair for B: not measured


def test_directed_matrix_has_rows_as_sources_and_reverse_only_when_bidirectional():
    curve = [{"reverse_te_bits": 0.02, "reverse_ci_low_bits": 0.0, "reverse_ci_high_bits": 0.04},
             {"reverse_te_bits": 0.07, "reverse_ci_low_bits": 0.05, "reverse_ci_high_bits": 0.09}]
    rows = [_row("net__A__B", 0.4, 0.3, 0.5, mode="transfer_entropy", bidirectional=True, curve=curve),
            _row("net__A__C", 0.2, 0.1, 0.3, mode="transfer_entropy", bidirectional=False, curve=[])]
    (m,) = network_matrices(rows, NETWORK, "bits")
    assert m["directed"] and m["missing_reverse"]
    assert m["cells"]["A"]["B"]["mi"] == 0.4 and m["cells"]["B"]["A"]["mi"] == 0.07  # reverse at its own peak
    assert m["cells"]["B"]["A"]["ci_high"] == 0.09 and "A" not in m["cells"].get("C", {})


def test_session_page_shows_one_matrix_not_one_row_per_pair(tmp_path):
    results, sels = [], {}
    for i, name in enumerate(["net__A__B", "net__A__C", "net__B__C"]):
        results.append((name, "rigorous", rigorous_record(intercept=0.5 + 0.3 * i, seed=i)))
        sels[name] = selection_record()
    results.append(("single", "rigorous", rigorous_record(seed=7)))
    results.append(("net__A__A", "rigorous", {"skipped": "X (spikes[region=A,half=1]) has 1 unit(s)",
                                              "mode": "rigorous"}))
    summary, page, figures = build_session_report("s1", results, selections=sels, networks=NETWORK)
    assert [m["network"] for m in summary["networks"]] == ["net"] and "network_net_rigorous" in figures
    assert figures["network_net_rigorous"][:4] == b"\x89PNG"
    assert all(r["network"]["network"] == "net" for r in summary["analyses"] if r["analysis"].startswith("net__"))
    glance = page.split("<h2>Results at a glance</h2>", 1)[1].split("</table>", 1)[0]
    assert "single" in glance and "net__A__B" not in glance and "3 of 4 pairs measured" in glance
    assert page.count("<table class='network'>") == 1 and "<details class='pairs'>" in page
    details = page.split("<details class='pairs'>", 1)[1].split("</details>", 1)[0]
    assert all(f"id='net-{a}-rigorous'" in details for a in ("a-b", "a-c", "b-c", "a-a"))
    assert "href='#net-a-b-rigorous'" in page  # a cell links to its pair's section
    json.dumps(summary, default=str)  # the matrices are kept in the summary


def test_network_page_loads_cleanly_in_chromium(tmp_path):
    """The page with a network (heatmap, table, collapsed pair sections) in headless Chromium: no console error,
    every image decodes (the heatmap and the pair figures), nothing fetched from outside."""
    chromium()
    results = []
    for i, name in enumerate(["net__A__B", "net__A__C", "net__B__C"]):
        (tmp_path / f"{name}.json").write_text(json.dumps(rigorous_record(intercept=0.5 + 0.3 * i, seed=i)))
        results.append((name, "rigorous", tmp_path / f"{name}.json"))
    write_session_report("s1", results, html_out=tmp_path / "report.html", json_out=tmp_path / "summary.json",
                         pairs=[(n, *NETWORK[n].values()) for n, _, _ in results])
    found = assert_page_ok(tmp_path / "report.html", min_images=4)
    assert found["images"][0]["alt"] == "net rigorous matrix"


def test_cli_pair_arguments_reach_the_summary(tmp_path):
    from neuralmi_core.cli import main as cli_main

    args = ["report", "session", "--session", "s1", "--html", str(tmp_path / "r.html"),
            "--json", str(tmp_path / "s.json")]
    for i, (name, a, b) in enumerate([("net__A__B", "A", "B"), ("net__A__C", "A", "C")]):
        (tmp_path / f"{name}.json").write_text(json.dumps(rigorous_record(seed=i)))
        args += ["--result", name, "rigorous", str(tmp_path / f"{name}.json"), "--pair", name, "net", a, b]
    assert cli_main(args) == 0
    out = json.loads((tmp_path / "s.json").read_text())
    (m,) = out["networks"]
    assert m["nodes"] == ["A", "B", "C"] and math.isfinite(m["cells"]["C"]["A"]["mi"])


def test_write_session_report_takes_pairs(tmp_path):
    (tmp_path / "r.json").write_text(json.dumps(rigorous_record()))
    summary = write_session_report("s", [("n__X__Y", "rigorous", tmp_path / "r.json")], html_out=tmp_path / "r.html",
                                   json_out=tmp_path / "s.json", pairs=[("n__X__Y", "n", "X", "Y")])
    assert summary["networks"][0]["nodes"] == ["X", "Y"]


# ---- the `half` selector (within: true)

T = 30


@pytest.fixture(scope="module")
def binned(tmp_path_factory):
    """5 units of A (ids 3, 8, 10, 11, 20, not contiguous), 1 of B; each unit's counts equal its id."""
    ids = [3, 8, 10, 11, 20, 5]
    spikes = np.tile(np.array(ids, np.int64), (T, 1))
    ds = xr.Dataset({"spikes": (("time", "unit"), spikes)},
                    coords={"time": ("time", (np.arange(T) + 0.5) * 0.1), "unit": ids,
                            "region": ("unit", ["A", "A", "A", "A", "A", "B"])}, attrs={"bin_width_s": 0.1})
    return write_netcdf(ds, tmp_path_factory.mktemp("half") / "binned.nc")


def test_half_splits_the_selection_by_position(binned):
    one = load_selected(f"{binned}:spikes[region=A,half=1]")
    two = load_selected(f"{binned}:spikes[region=A,half=2]")
    assert one.values[0].tolist() == [3, 10, 20] and two.values[0].tolist() == [8, 11]
    assert set(one.values[0]).isdisjoint(two.values[0])
    assert load_selected(f"{binned}:spikes[half=2]").values[0].tolist() == [8, 11, 5]  # whole variable, file order


HALF_ERRORS = [  # (selector, exception, words)
    ("spikes[region=B,half=2]", SignalAbsent, ["half 2 is empty", "1 unit(s)"]),
    ("spikes[region=A,half=3]", NeuralMIError, ["half=1 or half=2", "half=3"]),
    ("spikes[region=A,half=1|2]", NeuralMIError, ["half=1 or half=2"]),
    ("spikes[half=1,half=2]", NeuralMIError, ["half=1 or half=2"]),
]


@pytest.mark.parametrize("sel,exc,words", HALF_ERRORS, ids=[e[0] for e in HALF_ERRORS])
def test_half_errors_name_the_selector(binned, sel, exc, words):
    with pytest.raises(exc) as info:
        load_selected(f"{binned}:{sel}")
    assert all(w in str(info.value) for w in [*words, "binned.nc"]), str(info.value)
