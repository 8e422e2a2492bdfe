"""Archives that mix kinds of recording (issue 25, item 2): `required: false` in the signal spec leaves a kind the
file lacks out of its binned file (recorded in attr ``absent_signals``), and `required: false` on an analysis skips
it, with its reason, in a session that lacks its signal, through the check (preflight), the gather, the session
report and the archive summary. Other errors still fail."""

from __future__ import annotations

import csv
import json
import runpy
import warnings
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import xarray as xr
from pynwb import NWBHDF5IO, TimeSeries
from pynwb.testing.mock.file import mock_NWBFile

from neuralmi_core.analysis.preflight import is_skipped, merge_selections, preflight_or_skip
from neuralmi_core.cli import main
from neuralmi_core.io.netcdf import write_netcdf
from neuralmi_core.io.select import load_selected
from neuralmi_core.io.session import bin_session
from neuralmi_core.io.signals import parse_signal_spec
from neuralmi_core.report import write_archive_summary
from neuralmi_core.report.session import build_session_report
from neuralmi_core.validation import NeuralMIError, SignalAbsent

ROOT = Path(__file__).resolve().parents[1]
CHECK = ROOT / "workflow" / "scripts" / "check_selection.py"


def write_ephys(path, regions=("A", "B"), units=True, duration=20.0):
    """A small ephys session: 3 units per region (units column `location`), a position TimeSeries; no imaging,
    LFP, events or interval tables."""
    nwb = mock_NWBFile()
    t = np.arange(0, duration, 0.05)
    beh = nwb.create_processing_module("behavior", "behaviour")
    beh.add(TimeSeries(name="position", data=np.sin(t), unit="m", timestamps=t))
    if units:
        nwb.add_unit_column("location", "brain area")
        rng = np.random.default_rng(0)
        for region in regions:
            for _ in range(3):
                nwb.add_unit(spike_times=np.sort(rng.uniform(0, duration, 100)), location=region)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with NWBHDF5IO(str(path), "w") as io:
            io.write(nwb)
    return path


@pytest.fixture(scope="module")
def ephys(tmp_path_factory):
    return write_ephys(tmp_path_factory.mktemp("mixed") / "ephys.nwb")


# ------------------------------------------------------------------------------------------ signal spec
def test_required_keys_parse_and_keep_old_hashes():
    plain = {"ophys": {}, "lfp": {"bands": {"theta": [6, 10]}}, "events": {"licks": "acquisition/licks"},
             "intervals": {"stim": {"table": "intervals/gratings"}}, "spikes": {"table": "units"}}
    optional = {"ophys": {"required": False}, "lfp": {"bands": {"theta": [6, 10]}, "required": False},
                "events": {"licks": {"path": "acquisition/licks", "required": False}},
                "intervals": {"stim": {"table": "intervals/gratings", "required": False}},
                "spikes": {"table": "units", "required": False}}
    a, b = parse_signal_spec(plain), parse_signal_spec(optional)
    assert a.ophys.required and a.lfp.required and a.events["licks"].required and a.intervals["stim"].required
    assert a.spikes.required
    assert not (b.ophys.required or b.lfp.required or b.events["licks"].required or b.intervals["stim"].required
                or b.spikes.required)
    da, db = a.to_dict(), b.to_dict()
    # the default (true) never appears: specs without the key hash exactly as before it existed
    assert "required" not in json.dumps(da)
    assert parse_signal_spec({**plain, "ophys": {"required": True}}).to_dict() == da
    for kind in ("ophys", "lfp", "spikes"):
        assert db[kind]["required"] is False
    assert db["events"]["licks"]["required"] is False and db["intervals"]["stim"]["required"] is False


@pytest.mark.parametrize("raw,words", [
    ({"ophys": {"required": "no"}}, "`ophys.required` must be true or false. Got 'no'"),
    ({"lfp": {"required": 0}}, "`lfp.required` must be true or false. Got 0"),
    ({"spikes": {"required": None}}, "`spikes.required` must be true or false. Got None"),
    ({"events": {"e": {"path": "acquisition/e", "required": 1}}}, "`events.e.required` must be true or false"),
    ({"intervals": {"s": {"required": "false"}}}, "`intervals.s.required` must be true or false"),
])
def test_required_must_be_a_boolean(raw, words):
    with pytest.raises(NeuralMIError, match=None) as err:
        parse_signal_spec(raw)
    assert words in str(err.value)


# -------------------------------------------------------------------------------------------- binning
MISSING = {  # kind -> (spec entry asking for it, absent_signals key, words of the reason)
    "ophys": ({"ophys": {}}, "ophys", "asks for imaging data but the file has no processing/ophys module"),
    "lfp": ({"lfp": {}}, "lfp", "asks for LFP but the file has no ElectricalSeries in an LFP container"),
    "events": ({"events": {"licks": {"path": "processing/behavior/licks"}}}, "licks", "has no 'licks'"),
    "intervals": ({"intervals": {"stim": {"table": "intervals/grating_presentations"}}}, "stim",
                  "has no intervals table 'intervals/grating_presentations'"),
}


@pytest.mark.parametrize("kind", sorted(MISSING))
def test_a_kind_the_file_lacks_fails_by_default_naming_the_file(ephys, kind):
    spec, _, words = MISSING[kind]
    with pytest.raises(SignalAbsent) as err:
        bin_session(ephys, spec, 0.1)
    assert words in str(err.value) and str(ephys) in str(err.value)


@pytest.mark.parametrize("kind", sorted(MISSING))
def test_a_kind_the_file_lacks_is_recorded_with_required_false(ephys, kind):
    spec, key, words = MISSING[kind]
    entry = next(iter(spec.values()))
    if kind in ("events", "intervals"):
        entry = {name: {**item, "required": False} for name, item in entry.items()}
    else:
        entry = {**entry, "required": False}
    ds = bin_session(ephys, {kind: entry}, 0.1)
    absent = json.loads(ds.attrs["absent_signals"])
    assert list(absent) == [key] and words in absent[key] and str(ephys) in absent[key]
    assert key not in ds.data_vars and "spikes" in ds.data_vars and "position" in ds.data_vars
    assert ds.spikes.shape[1] == 6


def test_every_kind_absent_at_once_and_spikes_optional(tmp_path):
    path = write_ephys(tmp_path / "no_units.nwb", units=False)
    spec = {"spikes": {"required": False}, "ophys": {"required": False}, "lfp": {"required": False}}
    ds = bin_session(path, spec, 0.1)
    absent = json.loads(ds.attrs["absent_signals"])
    assert sorted(absent) == ["lfp", "ophys", "spikes"] and "has no 'units' table" in absent["spikes"]
    assert list(ds.data_vars) == ["position", "observed"]
    with pytest.raises(SignalAbsent, match="has no 'units' table"):  # the default: required
        bin_session(path, {}, 0.1)


def test_files_with_every_kind_keep_their_attrs(ephys):
    """No `absent_signals` attr when nothing was missing (binned files of today's archives are unchanged)."""
    ds = bin_session(ephys, {"ophys": False}, 0.1)
    assert "absent_signals" not in ds.attrs


@pytest.mark.parametrize("spec,words", [
    # present but unusable: still an error with required: false
    ({"spikes": {"required": False, "filters": {"location": "CA1"}}}, "no unit left after filter location='CA1'"),
    ({"behavior": {"speed": "processing/behavior/speed"}, "ophys": {"required": False}}, "has no 'speed'"),
])
def test_other_errors_still_fail_with_required_false(ephys, spec, words):
    with pytest.raises(NeuralMIError) as err:
        bin_session(ephys, spec, 0.1)
    assert words in str(err.value)


# ---------------------------------------------------------------------------------- selection and check
def binned(path, regions=("A", "A", "B", "B"), n_bins=2000, absent=None):
    rng = np.random.default_rng(1)
    ds = xr.Dataset(
        {"spikes": (("time", "unit"), rng.poisson(1.0, (n_bins, len(regions))).astype(np.int16)),
         "observed": ("time", np.ones(n_bins, np.uint8))},
        coords={"time": ("time", (np.arange(n_bins) + 0.5) * 0.02), "unit": np.arange(1, len(regions) + 1),
                "region": ("unit", list(regions))},
        attrs={"bin_width_s": 0.02, **({"absent_signals": json.dumps(absent)} if absent else {})})
    return write_netcdf(ds, path)


@pytest.mark.parametrize("spec,error,words", [
    ("spikes[region=CA1]", SignalAbsent, "value 'CA1' matched no unit; available region values: ['A', 'B']"),
    ("spikes[region=A|CA1]", SignalAbsent, "value 'CA1' matched no unit"),
    ("ophys[location=VISp]", SignalAbsent, "has no variable 'ophys'; it holds ['observed', 'spikes'] (binning left "
                                           "'ophys' out: no RoiResponseSeries)"),
    ("spikes[area=A]", NeuralMIError, "no coordinate 'area' to select on"),
    ("spikes[region]", NeuralMIError, "has no '='"),
])
def test_load_selected_tells_an_absent_signal_from_a_bad_selector(tmp_path, spec, error, words):
    path = binned(tmp_path / "b.nc", absent={"ophys": "no RoiResponseSeries"})
    with pytest.raises(NeuralMIError) as err:
        load_selected(f"{path}:{spec}")
    assert type(err.value) is error and words in str(err.value)


@pytest.mark.parametrize("x,y,z", [
    ("spikes[region=CA1]", "spikes[region=B]", None),
    ("spikes[region=A]", "ophys", None),
    ("spikes[region=A]", "spikes[region=B]", "stim[column=orientation]"),
])
def test_preflight_skips_an_optional_analysis_and_names_why(tmp_path, x, y, z):
    path = binned(tmp_path / "b.nc")
    where = "session s2, analysis A_vs_B"
    rec = preflight_or_skip(path, x, y, z=z, required=False, where=where, modes={"rigorous": {"gammas": [1, 2, 3]}})
    assert is_skipped(rec) and rec["required"] is False and (rec["x"], rec["y"], rec["z"]) == (x, y, z)
    assert rec["skipped"].startswith(f"{where}: ") and "\n" not in rec["skipped"] and str(path) in rec["skipped"]
    with pytest.raises(SignalAbsent):
        preflight_or_skip(path, x, y, z=z, where=where, modes={"rigorous": {"gammas": [1, 2, 3]}})


def test_preflight_keeps_a_present_signal_and_other_errors(tmp_path):
    path = binned(tmp_path / "b.nc")
    rec = preflight_or_skip(path, "spikes[region=A]", "spikes[region=B]", required=False)
    assert not is_skipped(rec) and rec["n_rows"] == 2000 and "required" not in rec
    short = binned(tmp_path / "short.nc", n_bins=300)
    with pytest.raises(NeuralMIError, match="the session has 300 usable samples") as err:
        preflight_or_skip(short, "spikes[region=A]", "spikes[region=B]", required=False,
                          modes={"rigorous": {"gammas": [1, 2, 80]}})
    assert not isinstance(err.value, SignalAbsent)


def _check(tmp_path, binned_path, required, x="spikes[region=CA1]"):
    out, log = tmp_path / "sel" / "selection.json", tmp_path / "check.log"
    out.parent.mkdir(exist_ok=True)
    check = {"x": x, "y": "spikes[region=B]", "window": 1, "lag": 0, "modes": {"rigorous": {"gammas": [1, 2, 3]}},
             "use_y": {"rigorous": True}, "keys": {"rigorous": {}}, "z": None}
    if not required:
        check["required"] = False
    sm = SimpleNamespace(params=SimpleNamespace(check=check), input=SimpleNamespace(binned=str(binned_path)),
                         output=[str(out)], log=[str(log)],
                         wildcards=SimpleNamespace(session="s2", analysis="CA1_vs_B", mode="rigorous"))
    code = 0
    try:
        runpy.run_path(str(CHECK), init_globals={"snakemake": sm})
    except SystemExit as exc:
        code = exc.code
    return code, out, log.read_text()


def test_check_selection_writes_a_skip_record_and_exits_0(tmp_path):
    path = binned(tmp_path / "b.nc")
    code, out, log = _check(tmp_path, path, required=False)
    rec = json.loads(out.read_text())
    assert code == 0 and rec["skipped"].startswith("session s2, analysis CA1_vs_B: X: ")
    assert "value 'CA1' matched no unit" in rec["skipped"] and rec["mode"] == "rigorous" and rec["session"] == "s2"
    assert log.startswith("skipped (required: false): session s2")
    # required (the default): the same session fails the check, nothing written
    out.unlink()
    code, out, log = _check(tmp_path, path, required=True)
    assert code == 2 and not out.exists() and "neuralmi check: error: X: " in log
    # a present signal: a normal record
    code, out, _ = _check(tmp_path, path, required=False, x="spikes[region=A]")
    assert code == 0 and not is_skipped(json.loads(out.read_text()))


# ------------------------------------------------------------------------------------- gather and reports
def test_gather_skipped_writes_a_result_marked_skipped(tmp_path):
    sel = tmp_path / "selection.json"
    reason = "session s2, analysis CA1_vs_B: X: b.nc:spikes[region=CA1]: value 'CA1' matched no unit"
    sel.write_text(json.dumps({"skipped": reason, "x": "spikes[region=CA1]", "y": "spikes[region=B]",
                               "session": "s2", "analysis": "CA1_vs_B"}))
    out = tmp_path / "rigorous.json"
    assert main(["gather", "rigorous", "--skipped", str(sel), "--confidence", "0.9", "--json", str(out)]) == 0
    res = json.loads(out.read_text())
    assert res["skipped"] == reason and res["mode"] == "rigorous" and res["parts"] == []
    assert res["selection"]["x"] == "spikes[region=CA1]"
    bad = tmp_path / "not_skipped.json"
    bad.write_text(json.dumps({"x": "spikes"}))
    assert main(["gather", "rigorous", "--skipped", str(bad), "--json", str(tmp_path / "o.json")]) != 0
    assert main(["gather", "rigorous", "--json", str(tmp_path / "o.json")]) != 0  # neither parts nor --skipped
    assert not (tmp_path / "o.json").exists()


SKIPPED = {"skipped": "session s2, analysis CA1_vs_B: X: results/s2/binned.nc:spikes[region=CA1]: value 'CA1' "
                      "matched no unit; available region values: ['A', 'B'].",
           "analysis": "CA1_vs_B", "mode": "rigorous", "parts": [],
           "selection": {"x": "spikes[region=CA1]", "y": "spikes[region=B]", "z": None}}


def _summary(tmp_path, session, results):
    summary, html, figures = build_session_report(session, results,
                                                  provenance={"config_hash": "h", "source": f"{session}.nwb"})
    d = tmp_path / session
    d.mkdir()
    (d / "summary.json").write_text(json.dumps(summary))
    return summary, html, figures, d / "summary.json"


def test_session_report_and_archive_summary_show_skips(tmp_path):
    summary, html, figures, s2 = _summary(tmp_path, "s2", [("CA1_vs_B", "rigorous", SKIPPED)])
    row = summary["analyses"][0]
    assert row["status"] == "skipped" and row["skipped"] == SKIPPED["skipped"] and not row["no_signal"]
    assert summary["warnings"] == [] and figures["CA1_vs_B_rigorous"].startswith(b"\x89PNG")
    assert "skipped: session s2, analysis CA1_vs_B: X: " in html and "class='note'" in html
    assert "class='alert'" not in html
    csv_out, html_out = tmp_path / "summary.csv", tmp_path / "summary.html"
    write_archive_summary([s2], csv_out=csv_out, html_out=html_out)
    rows = list(csv.DictReader(csv_out.open()))
    assert [(r["session"], r["analysis"], r["status"], r["skipped"]) for r in rows] == [
        ("s2", "CA1_vs_B", "skipped", SKIPPED["skipped"])]
    assert rows[0]["mi_bits"] == "" and rows[0]["no_signal"] == "False"
    page = html_out.read_text()
    # skipped in every session of the archive: said prominently (likely a typo)
    assert "skipped in every session (1)" in page and "CA1_vs_B (rigorous)" in page
    assert "1 analysis result(s) skipped" in page and "result(s) without signal" not in page


def test_archive_summary_lists_skips_in_a_neutral_box_when_other_sessions_ran(tmp_path):
    """One session skipped, another with a result: a neutral box, no every-session alert; the result's columns
    keep their meaning and `skipped` is the last column (columns are added, never renamed)."""
    from neuralmi_core.report.archive import columns, render_html

    _, _, _, s2 = _summary(tmp_path, "s2", [("CA1_vs_B", "rigorous", SKIPPED)])
    s1 = json.loads(s2.read_text())
    s1.update(session="s1", analyses=[{"analysis": "CA1_vs_B", "mode": "rigorous", "mi_bits": 0.5, "ci_low_bits": 0.4,
                                       "ci_high_bits": 0.6, "reliable": True, "warnings": [], "no_signal": False}])
    (tmp_path / "s1").mkdir()
    (tmp_path / "s1" / "summary.json").write_text(json.dumps(s1))
    rows = write_archive_summary([tmp_path / "s1" / "summary.json", s2], csv_out=tmp_path / "summary.csv",
                                 html_out=tmp_path / "summary.html")
    assert columns("bits")[-2:] == ["skipped", "genotype"] and [r["status"] for r in rows] == ["ok", "skipped"]
    page = render_html(rows, "bits", {})
    assert "skipped in every session" not in page and "class='note'" in page
    assert "s2 · CA1_vs_B (rigorous): session s2, analysis CA1_vs_B" in page
    # a note, not a warning: the list is behind a closed <details> line, so it does not push the results down
    box = page[page.index("analysis result(s) skipped"):]
    assert box.index("<details><summary>show the list</summary>") < box.index("s2 · CA1_vs_B (rigorous)")


def test_merge_selections_leaves_skipped_records_out():
    ok = {"x": {"selector": "spikes"}, "y": {"selector": "position"}, "checks": {"rigorous": {}},
          "settings": {"rigorous": {}}, "warnings": []}
    merged = merge_selections([{"skipped": "why", "checks": {}}, ok])
    assert merged["x"] == ok["x"] and "skipped" not in merged
    assert merge_selections([{"skipped": "why"}])["skipped"] == "why"


# --------------------------------------------------------------------------------------- workflow plan
def test_check_params_and_optional_analyses():
    import sys

    sys.path.insert(0, str(ROOT / "workflow" / "scripts"))
    import wfplan

    cfg = {"analyses": [{"name": "a", "x": "spikes", "y": "position", "modes": ["rigorous"]},
                        {"name": "b", "x": "spikes", "y": "position", "modes": ["rigorous"], "required": False},
                        {"name": "c", "x": "spikes", "y": "position", "modes": ["rigorous"], "required": True}],
           "device": "cpu"}
    plans = wfplan.plan(cfg)
    assert wfplan.optional_analyses(cfg) == ["b"]
    assert "required" not in wfplan.check_params(cfg, "a", "rigorous", plans["a"]["rigorous"])
    assert "required" not in wfplan.check_params(cfg, "c", "rigorous", plans["c"]["rigorous"])
    assert wfplan.check_params(cfg, "b", "rigorous", plans["b"]["rigorous"])["required"] is False


def test_session_page_lists_the_signals_absent_from_the_file():
    absent = {"ophys": "s2.nwb: `ophys` asks for imaging data but the file has no processing/ophys module"}
    data = {"n_bins": 10, "bin_width_s": 0.1, "attrs": {"absent_signals": json.dumps(absent)}}
    _, html, _ = build_session_report("s2", [("CA1_vs_B", "rigorous", SKIPPED)], data=data)
    assert "signals absent from the file" in html and "ophys: s2.nwb: `ophys` asks for imaging data" in html


def test_a_skipped_row_is_never_marked_without_signal(tmp_path):
    """A session-level NO SIGNAL warning (no spikes at all) marks the session's results, not its skips."""
    from neuralmi_core.report.archive import archive_rows

    summary, _, _, _ = _summary(tmp_path, "s2", [("CA1_vs_B", "rigorous", SKIPPED)])
    summary["session_warnings"] = ["NO SIGNAL: none of the 4 units of this session has a spike"]
    (row,) = archive_rows([summary])
    assert row["status"] == "skipped" and row["no_signal"] is False


def test_pairs_skip_a_side_with_too_few_units(tmp_path):
    """A pair of a `pairs:` network (required false, min_units) is skipped where a region has too few units, with
    the count in the reason; enough units train; with required=True min_units does not apply."""
    path = binned(tmp_path / "b.nc", regions=("A", "A", "A", "B"))
    modes = {"rigorous": {"gammas": [1, 2, 3]}}
    rec = preflight_or_skip(path, "spikes[region=A]", "spikes[region=B]", required=False, min_units=2,
                            where="session s, analysis net__A__B", modes=modes)
    assert is_skipped(rec) and "Y (spikes[region=B]) has 1 unit(s)" in rec["skipped"] and "min_units" in rec["skipped"]
    assert not is_skipped(preflight_or_skip(path, "spikes[region=A]", "spikes[region=B]", required=False,
                                            min_units=1, modes=modes))
    assert not is_skipped(preflight_or_skip(path, "spikes[region=A]", "spikes[region=B]", min_units=2, modes=modes))


def test_warnings_box_has_one_line_per_kind_of_warning():
    """summary.html's warnings box: a warning that fires on many results is one line (how many, the first text,
    which results), not one line per result; kinds are told apart with their numbers taken out."""
    from neuralmi_core.report.archive import warning_groups
    from neuralmi_core.report.records import MAX_NAMED

    rows = [{"session": f"s{i}", "analysis": "a", "mode": "rigorous",
             "warnings": f"{i + 1} of 15 networks collapsed (weight_decay 0.001 avoids it)."
             + (" | extrapolation unreliable: unstable_without_gamma1" if i == 0 else "")} for i in range(MAX_NAMED + 2)]
    lines = warning_groups(rows)
    assert len(lines) == 2
    assert lines[0].startswith(f"{MAX_NAMED + 2} results: 1 of 15 networks collapsed (weight_decay 0.001 avoids it) "
                               "(numbers differ per result). In: s0 · a (rigorous), s1 · a (rigorous)")
    assert lines[0].endswith(" and 2 more") and f"s{MAX_NAMED - 1} · a" in lines[0] and f"s{MAX_NAMED} · a" not in lines[0]
    assert lines[1] == "s0 · a (rigorous): extrapolation unreliable: unstable_without_gamma1"


def test_session_warnings_box_groups_by_kind_and_keeps_the_count():
    """The session page: its own warnings first, the analyses' warnings one line per kind; the title counts every
    warning, and summary.json's list stays whole; a summary written before `session_warnings` is shown as is."""
    from neuralmi_core.report.session_html import warning_lines

    summary = {"session_warnings": ["3 units without spikes"],
               "analyses": [{"analysis": a, "mode": "rigorous", "warnings": [f"{k} of 15 networks collapsed"]}
                            for k, a in ((1, "A_vs_B"), (2, "net__A__B__rest"))],
               "warnings": ["3 units without spikes", "A_vs_B (rigorous): 1 of 15 networks collapsed",
                            "net__A__B__rest (rigorous): 2 of 15 networks collapsed"]}
    assert warning_lines(summary) == [
        "3 units without spikes",
        "2 results: 1 of 15 networks collapsed (numbers differ per result). In: A_vs_B (rigorous), "
        "net__A__B__rest (rigorous)"]
    old = {k: v for k, v in summary.items() if k != "session_warnings"}
    assert warning_lines(old) == summary["warnings"]
