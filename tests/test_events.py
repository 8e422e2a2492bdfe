"""Events and intervals (`events`, `intervals` signal kinds): NWB files written with pynwb at test time, exact
per-bin values on a tiny hand-computed file, one-hot labels, selectors on the feature coordinates, the CLI
path, one estimate with planted dependence, and bad input (one-line errors, no output left)."""

from __future__ import annotations

import json
import re
import warnings

import numpy as np
import pytest
from pynwb import NWBHDF5IO, TimeSeries
from pynwb.behavior import BehavioralEvents
from pynwb.epoch import TimeIntervals
from pynwb.event import EventsTable
from pynwb.testing.mock.file import mock_NWBFile

from neuralmi_core.cli import main
from neuralmi_core.io.netcdf import open_binned, write_netcdf
from neuralmi_core.io.select import select_xy
from neuralmi_core.io.session import bin_session
from neuralmi_core.io.signals import parse_signal_spec
from neuralmi_core.validation import NeuralMIError

# the tiny file: 16 bins of 0.25 s over [0, 4), centres 0.125 + 0.25 k
LICKS_T = [0.1, 0.2, 0.3, 1.0, 1.0, 2.6, 3.9, 4.5]  # 4.5 lies after the binned span
LICKS_V = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]
TRIALS = [  # start, stop, choice, correct, rt, side
    (0.0, 1.0, "left", True, 0.3, 1),
    (1.5, 2.5, "right", False, np.nan, 2),
    (3.0, 3.5, "left", True, 0.5, 1),
]
GRATINGS = [(0.0, 0.5, 0.0, 0.5), (0.5, 1.0, 90.0, 1.0), (2.0, 2.5, 45.0, 0.5), (2.5, 3.0, 90.0, 1.0)]
TINY = {"spikes": False, "time_range": [0, 4], "trials": None}


def _write(nwb, path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # BehavioralEvents is deprecated in pynwb 4 (still written by converters)
        with NWBHDF5IO(str(path), "w") as io:
            io.write(nwb)
    return path


def _gratings(rows, name="grating_presentations"):
    table = TimeIntervals(name=name, description="drifting gratings")
    table.add_column("orientation", "degrees")
    table.add_column("contrast", "Michelson contrast")
    for start, stop, ori, con in rows:
        table.add_interval(start_time=start, stop_time=stop, orientation=ori, contrast=con, tags=["grating"])
    return table


def write_tiny(path, *, licks_t=LICKS_T, licks_v=LICKS_V, trials=TRIALS, gratings=GRATINGS, events_table=True,
               blank=False):
    nwb = mock_NWBFile()
    for col in ("choice", "correct", "rt", "side"):
        nwb.add_trial_column(col, col)
    for start, stop, choice, correct, rt, side in trials:
        nwb.add_trial(start_time=start, stop_time=stop, choice=choice, correct=correct, rt=rt, side=side)
    if gratings is not None:
        nwb.add_time_intervals(_gratings(gratings))
    if blank:  # a table without rows
        nwb.add_time_intervals(TimeIntervals(name="blank", description="no rows"))
    beh = nwb.create_processing_module("behavior", "behaviour")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        box = BehavioralEvents(name="BehavioralEvents")
    box.add_timeseries(TimeSeries(name="licks", data=np.asarray(licks_v), timestamps=np.asarray(licks_t),
                                  unit="uL"))
    beh.add(box)
    if events_table:
        table = EventsTable(name="rewards", description="reward deliveries")
        table.add_column("volume", "uL")
        for t, v in [(0.6, 2.0), (0.2, 1.0), (0.7, 3.0), (3.1, 4.0)]:  # rows out of time order
            table.add_event(timestamp=t, volume=v)
        nwb.add_events_table(table)
    return _write(nwb, path)


@pytest.fixture
def tiny(tmp_path):
    return write_tiny(tmp_path / "tiny.nwb")


# ----------------------------------------------------------------------------------------------- events
@pytest.mark.parametrize("value,expected", [
    ("count", {0: 2, 1: 1, 4: 2, 10: 1, 15: 1}),
    ("sum", {0: 3.0, 1: 3.0, 4: 9.0, 10: 6.0, 15: 7.0}),
])
def test_event_counts_and_sums_per_bin(tiny, value, expected):
    spec = {**TINY, "events": {"licks": {"path": "processing/behavior/BehavioralEvents/licks", "value": value}}}
    ds = bin_session(tiny, spec, 0.25)
    want = np.zeros(16)
    want[list(expected)] = list(expected.values())
    assert ds.licks.dims == ("time", "licks_column") and ds.licks_column.values.tolist() == [value]
    np.testing.assert_array_equal(ds.licks.values[:, 0], want)
    assert ds.licks.dtype == (np.uint8 if value == "count" else np.float64)
    a = ds.licks.attrs
    assert a["signal_kind"] == "events" and a["source_path"] == "processing/behavior/BehavioralEvents/licks"
    assert a["n_events"] == 8 and a["value"] == value
    if value == "count":
        assert a["preprocessing"] == "processing/behavior/BehavioralEvents/licks: events counted per 250 ms bin"


def test_last_holds_the_latest_event_value(tiny):
    spec = {**TINY, "events": {"licks": {"path": "processing/behavior/BehavioralEvents/licks", "value": "last"}}}
    got = bin_session(tiny, {**spec, "time_range": [0, 4]}, 0.25).licks.values[:, 0]
    want = [2, 3, 3, 3] + [5] * 6 + [6] * 5 + [7]
    np.testing.assert_array_equal(got, want)
    late = bin_session(tiny, {**spec, "time_range": [0.5, 4]}, 0.25).licks.values[:, 0]
    assert late[0] == 3  # an event before the span seeds the held value
    early = write_tiny(tiny.parent / "early.nwb", licks_t=[1.0, 2.0], licks_v=[4.0, 6.0])
    got = bin_session(early, spec, 0.25).licks.values[:, 0]
    assert np.isnan(got[:4]).all() and got[4] == 4 and got[8] == 6  # NaN before the first event


def test_a_container_path_with_one_series_and_an_events_table(tiny):
    spec = {**TINY, "events": {"licks": "processing/behavior/BehavioralEvents", "rewards": "events/rewards",
                               "volume": {"path": "events/rewards", "value": "sum", "column": "volume"}}}
    ds = bin_session(tiny, spec, 0.25)
    assert ds.licks.attrs["source_path"] == "processing/behavior/BehavioralEvents/licks"
    np.testing.assert_array_equal(ds.rewards.values[:, 0], [1, 0, 2, 0] + [0] * 8 + [1, 0, 0, 0])
    np.testing.assert_array_equal(ds.volume.values[:, 0], [1.0, 0, 5.0, 0] + [0] * 8 + [4.0, 0, 0, 0])
    assert ds.rewards.attrs["neurodata_type"] == "EventsTable"
    assert json.loads(ds.attrs["events_signals"])["volume"] == {"path": "events/rewards", "value": "sum"}


def test_event_series_are_not_also_binned_as_behaviour(tiny):
    """With `behavior` omitted every TimeSeries under processing/behavior is discovered; the one named as
    events is left out of the behaviour (it would be interpolated between events)."""
    ds = bin_session(tiny, {k: v for k, v in TINY.items()}, 0.25)
    assert "licks" in json.loads(ds.attrs["behavior_signals"])
    ds = bin_session(tiny, {**TINY, "events": {"licks": "processing/behavior/BehavioralEvents/licks"}}, 0.25)
    assert json.loads(ds.attrs["behavior_signals"]) == {} and ds.licks.attrs["signal_kind"] == "events"


# ----------------------------------------------------------------------------------------------- intervals
def test_trial_columns_exact_with_one_hot_labels(tiny):
    ds = bin_session(tiny, {**TINY, "intervals": {"trials": None}}, 0.25)
    assert ds.trials.dims == ("time", "trials_feature") and ds.trials.dtype == np.float32
    assert ds.trials_feature.values.tolist() == ["choice=left", "choice=right", "correct=False", "correct=True",
                                                 "rt", "side"]
    assert ds.trials_feature_column.values.tolist() == ["choice", "choice", "correct", "correct", "rt", "side"]
    assert ds.trials_feature_label.values.tolist() == ["left", "right", "False", "True", "", ""]
    assert ds.trials_feature_kind.values.tolist() == ["one-hot"] * 4 + ["numeric"] * 2
    row = np.array([0, 0, 0, 0, -1, -1, 1, 1, 1, 1, -1, -1, 2, 2, -1, -1])  # bin centre in [start, stop)
    np.testing.assert_array_equal(ds.trials_in_interval.values, row >= 0)
    v = ds.trials.values
    np.testing.assert_array_equal(v[:, 0], np.isin(row, [0, 2]))  # left: rows 0 and 2
    np.testing.assert_array_equal(v[:, 1], row == 1)
    np.testing.assert_array_equal(v[:, 3], np.isin(row, [0, 2]))
    rt = np.where(row == 0, 0.3, np.where(row == 2, 0.5, np.nan)).astype(np.float32)
    np.testing.assert_array_equal(v[:, 4], rt)  # NaN outside the rows and in the miss trial
    np.testing.assert_array_equal(v[:, 5], np.where(row >= 0, np.array([1, 2, 1])[row], np.nan))
    a = ds.trials.attrs
    assert a["mask_variable"] == "trials_in_interval" and json.loads(a["nan_rows"]) == {"rt": 1}
    assert a["preprocessing"] == ("trials: choice (one-hot, 2 labels), correct (one-hot, 2 labels), rt (numeric), "
                                  "side (numeric) held over each row; bins outside every row invalid")
    assert "trial" not in ds  # `trials: null` in TINY: the trial index is independent of the `trials` variable


def test_short_and_long_forms_agree_and_the_trial_index_stays(tiny):
    long = bin_session(tiny, {**TINY, "trials": "trials", "intervals": {
        "choice": {"table": "trials", "columns": ["choice"]}}}, 0.25)
    short = bin_session(tiny, {**TINY, "trials": "trials", "intervals": {"trials": ["choice"]}}, 0.25)
    np.testing.assert_array_equal(long.choice.values, short.trials.values)
    assert long.choice_feature_label.values.tolist() == ["left", "right"]
    np.testing.assert_array_equal(long.trial.values, [0] * 4 + [-1] * 2 + [1] * 4 + [-1] * 2 + [2] * 2 + [-1] * 2)


def test_numeric_columns_declared_categorical(tiny):
    spec = {**TINY, "intervals": {"stim": {"table": "intervals/grating_presentations",
                                           "categorical": ["orientation"]}}}
    ds = bin_session(tiny, spec, 0.25)
    assert ds.stim_feature.values.tolist() == ["orientation=0", "orientation=45", "orientation=90", "contrast"]
    want = np.full((16, 4), 0.0)
    want[[0, 1], 0] = 1  # [0, 0.5): 0 deg
    want[[2, 3, 10, 11], 2] = 1  # [0.5, 1.0) and [2.5, 3.0): 90 deg
    want[[8, 9], 1] = 1  # [2.0, 2.5): 45 deg
    want[:, 3] = np.nan
    want[[0, 1, 8, 9], 3] = 0.5
    want[[2, 3, 10, 11], 3] = 1.0
    np.testing.assert_array_equal(ds.stim.values, want)
    assert ds.stim.attrs["preprocessing"].startswith(
        "intervals/grating_presentations: orientation (one-hot, 3 labels), contrast (numeric) held over each row")
    plain = bin_session(tiny, {**TINY, "intervals": {"grating_presentations": ["orientation"]}}, 0.25)
    assert plain.grating_presentations_feature_kind.values.tolist() == ["numeric"]  # not declared: numeric
    assert plain.grating_presentations.attrs["source_table"] == "intervals/grating_presentations"


def test_enum_columns_are_categorical(tmp_path):
    """hdmf EnumData columns store codes into their elements: the elements are the labels."""
    nwb = mock_NWBFile()
    nwb.add_trial_column("outcome", "hit or miss", enum=["hit", "miss"])
    for k, outcome in enumerate(["hit", "miss", "hit"]):
        nwb.add_trial(start_time=float(k), stop_time=k + 0.5, outcome=outcome)
    path = _write(nwb, tmp_path / "enum.nwb")
    ds = bin_session(path, {"spikes": False, "time_range": [0, 3], "intervals": {"trials": None}}, 0.5)
    assert ds.trials_feature.values.tolist() == ["outcome=hit", "outcome=miss"]
    np.testing.assert_array_equal(ds.trials.values, [[1, 0], [0, 0], [0, 1], [0, 0], [1, 0], [0, 0]])


def test_selectors_and_provenance_on_the_feature_coordinates(tiny, tmp_path):
    spec = {**TINY, "events": {"licks": "processing/behavior/BehavioralEvents/licks"},
            "intervals": {"stim": {"table": "intervals/grating_presentations", "categorical": ["orientation"]},
                          "choice": {"table": "trials", "columns": ["choice", "rt"]},
                          "gray": {"table": "intervals/grating_presentations", "columns": ["orientation"],
                                   "categorical": ["orientation"], "outside": "keep"}}}
    out = write_netcdf(bin_session(tiny, spec, 0.25), tmp_path / "b.nc")
    sel = select_xy(f"{out}:stim[column=orientation]", f"{out}:choice[label=left]")
    assert sel.x_labels == ["stim_feature=orientation=0", "stim_feature=orientation=45", "stim_feature=orientation=90"]
    assert sel.y_labels == ["choice_feature=choice=left"]
    assert sel.bins.tolist() == [0, 1, 2, 3, 8, 9]  # inside a grating and inside a trial
    prov = sel.provenance()
    assert prov["invalid_bins_x"]["outside_intervals"] == 8 and prov["invalid_bins_y"]["outside_intervals"] == 6
    assert prov["x_features"]["stim_feature"]["column"] == {"orientation": 3}
    assert prov["x_signal"]["signal_kind"] == "intervals"
    assert prov["x_signal"]["preprocessing"].startswith("intervals/grating_presentations: orientation (one-hot, "
                                                        "3 labels)")
    rt = select_xy(f"{out}:choice[column=rt]", None)
    assert rt.bins.tolist() == [0, 1, 2, 3, 12, 13]  # the miss trial's NaN rt drops its bins too
    kept = select_xy(f"{out}:gray", None)  # outside: keep -- all-zero bins count as "no grating"
    assert kept.summary["n_rows"] == 16 and kept.x[4:8].sum() == 0
    licks = select_xy(f"{out}:licks", f"{out}:stim[label=90]")
    assert licks.provenance()["x_signal"]["signal_kind"] == "events"
    assert licks.bins.tolist() == [0, 1, 2, 3, 8, 9, 10, 11] and licks.x[:, 0].tolist() == [2, 1, 0, 0, 0, 0, 1, 0]
    with pytest.raises(NeuralMIError, match=r"value '30' matched no stim_feature; available .*'0', '45', '90'"):
        select_xy(f"{out}:stim[label=30]", None)


def test_overlapping_rows(tmp_path):
    overlapping = [(0.0, 1.0, 0.0, 0.5), (0.5, 1.5, 90.0, 0.5)]
    path = write_tiny(tmp_path / "ov.nwb", gratings=overlapping)
    stim = {"table": "intervals/grating_presentations", "categorical": ["orientation"]}
    with pytest.raises(NeuralMIError, match=r"ov\.nwb: intervals table 'intervals/grating_presentations': rows 0 "
                                            r"and 1 overlap \(both hold the bin centred at 0\.625 s\) with different "
                                            r"'orientation' \('0' vs '90'\)"):
        bin_session(path, {**TINY, "intervals": {"stim": stim}}, 0.25)
    ds = bin_session(path, {**TINY, "intervals": {"stim": {**stim, "overlap": "last"}}}, 0.25)
    np.testing.assert_array_equal(ds.stim.values[:6, :2], [[1, 0], [1, 0], [0, 1], [0, 1], [0, 1], [0, 1]])
    agree = bin_session(path, {**TINY, "intervals": {"c": {"table": "intervals/grating_presentations",
                                                          "columns": ["contrast"]}}}, 0.25)
    assert agree.c.values[:6, 0].tolist() == [0.5] * 6  # overlapping rows that agree are fine


def test_cli_writes_the_variables(tiny, tmp_path, capsys):
    spec = {**TINY, "events": {"licks": "processing/behavior/BehavioralEvents/licks"},
            "intervals": {"trials": ["choice"], "stim": "intervals/grating_presentations"}}
    sfile = tmp_path / "signals.yaml"
    sfile.write_text(json.dumps({"signals": spec}))  # JSON is YAML
    out = tmp_path / "out" / "binned.nc"
    assert main(["bin", str(tiny), "--signals", str(sfile), "--bin-width", "0.25", "--out", str(out)]) == 0
    assert "events ['licks'], intervals ['trials', 'stim']" in capsys.readouterr().err
    with open_binned(out) as ds:
        assert ds.licks.values[:, 0].sum() == 7 and ds.trials.shape == (16, 2) and ds.stim.shape == (16, 2)
        assert ds.trials.attrs["mask_variable"] == "trials_in_interval"
        assert json.loads(ds.attrs["signals_spec"])["intervals"]["trials"]["columns"] == ["choice"]


def test_without_events_or_intervals_the_spec_hashes_as_before():
    d = parse_signal_spec({}).to_dict()
    assert "events" not in d and "intervals" not in d


# ----------------------------------------------------------------------------------------------- estimate
def test_orientation_drives_spikes_and_the_estimate_sees_it(tmp_path):
    """Mock units fire at 40 Hz during their preferred orientation and 5 Hz otherwise: MI(spikes; stim) > 0,
    and ~0 against a shuffled orientation column."""
    import neuralmi_core as nmi

    rng = np.random.default_rng(0)
    n = 300  # 300 presentations of 0.5 s
    ori = rng.choice([0.0, 45.0, 90.0, 135.0], n)
    shuffled = rng.permutation(ori)
    nwb = mock_NWBFile()
    table = TimeIntervals(name="grating_presentations", description="drifting gratings")
    table.add_column("orientation", "degrees")
    table.add_column("shuffled", "the orientations in random order")
    for k in range(n):
        table.add_interval(start_time=0.5 * k, stop_time=0.5 * k + 0.5, orientation=ori[k], shuffled=shuffled[k])
    nwb.add_time_intervals(table)
    for pref in (0.0, 45.0, 90.0, 135.0):
        spikes = [np.sort(rng.uniform(0.5 * k, 0.5 * k + 0.5, rng.poisson(20.0 if ori[k] == pref else 2.5)))
                  for k in range(n)]
        nwb.add_unit(spike_times=np.concatenate(spikes))
    path = _write(nwb, tmp_path / "tuned.nwb")
    spec = {"trials": None, "intervals": {"stim": {"table": "intervals/grating_presentations",
                                                   "categorical": ["orientation", "shuffled"]}}}
    out = write_netcdf(bin_session(path, spec, 0.5), tmp_path / "b.nc")
    sel = select_xy(f"{out}:spikes", f"{out}:stim[column=orientation]")
    assert sel.x.shape == (n, 4) and sel.y.shape == (n, 4)
    res = nmi.estimate(sel.x, sel.y, estimator="ksg")
    assert res.mi_nats > 0.3
    null = select_xy(f"{out}:spikes", f"{out}:stim[column=shuffled]")
    assert nmi.estimate(null.x, null.y, estimator="ksg").mi_nats < 0.1


# ----------------------------------------------------------------------------------------------- bad input
def _nan_events(path):
    return write_tiny(path, licks_t=[0.1, np.nan, 0.3], licks_v=[1.0, 2.0, 3.0])


def _patched(path, dataset, values):
    import h5py

    with h5py.File(path, "a") as h5:
        h5[dataset][...] = values
    return path


BAD = [
    ("missing_table", lambda p: write_tiny(p), {"intervals": {"s": "intervals/nope"}},
     r"has no intervals table 'intervals/nope'; interval tables present: \['grating_presentations', 'trials'\]"),
    ("missing_column", lambda p: write_tiny(p), {"intervals": {"trials": ["choise"]}},
     r"intervals table 'trials' has no column 'choise' to bin; its columns: \['choice', 'correct', 'rt', 'side'\]"),
    ("empty_table", lambda p: write_tiny(p, blank=True), {"intervals": {"b": "intervals/blank"}},
     r"intervals table 'intervals/blank' has no rows; expected at least one interval"),
    ("nan_start", lambda p: _patched(write_tiny(p), "intervals/trials/start_time", [0.0, np.nan, 3.0]),
     {"intervals": {"trials": None}}, r"intervals table 'trials': 1 rows have NaN times or stop < start \(first "
                                      r"row 1"),
    ("overlap", lambda p: write_tiny(p, gratings=[(0.0, 1.0, 0.0, 0.5), (0.5, 1.5, 90.0, 0.5)]),
     {"intervals": {"stim": "intervals/grating_presentations"}},
     r"rows 0 and 1 overlap .* different 'orientation' \(0\.0 vs 90\.0\)"),
    ("categorical_nan", lambda p: write_tiny(p), {"intervals": {"trials": {"columns": ["rt"],
                                                                          "categorical": ["rt"]}}},
     r"column 'rt' is declared categorical but holds 1 NaN/inf values \(first at row 1\)"),
    ("ragged_column", lambda p: write_tiny(p), {"intervals": {"g": {"table": "intervals/grating_presentations",
                                                                    "columns": ["tags"]}}},
     r"has no column 'tags' to bin"),
    ("missing_events", lambda p: write_tiny(p), {"events": {"e": "processing/behavior/BehavioralEvents/nope"}},
     r"path 'processing/behavior/BehavioralEvents/nope': 'processing/behavior/BehavioralEvents' has no 'nope'"),
    ("unsorted", lambda p: write_tiny(p, licks_t=[0.1, 0.3, 0.2], licks_v=[1.0, 2.0, 3.0]),
     {"events": {"e": "processing/behavior/BehavioralEvents/licks"}},
     r"'processing/behavior/BehavioralEvents/licks': timestamps are not monotonic: sample 2"),
    ("nan_timestamps", _nan_events, {"events": {"e": "processing/behavior/BehavioralEvents/licks"}},
     r"'processing/behavior/BehavioralEvents/licks': 1 timestamps are NaN/inf \(first at sample 1\)"),
    ("nan_values", lambda p: write_tiny(p, licks_v=[1.0, np.nan] + LICKS_V[2:]),
     {"events": {"e": {"path": "processing/behavior/BehavioralEvents/licks", "value": "sum"}}},
     r"'processing/behavior/BehavioralEvents/licks': 1 events have NaN/inf data \(first at event 1\)"),
    ("no_events", lambda p: write_tiny(p, licks_t=[], licks_v=[]),
     {"events": {"e": "processing/behavior/BehavioralEvents/licks"}}, r"holds no events"),
    ("not_series", lambda p: write_tiny(p), {"events": {"e": "processing/behavior"}},
     r"'processing/behavior' is a ProcessingModule, not a TimeSeries of event times"),
    ("events_table_column", lambda p: write_tiny(p),
     {"events": {"e": {"path": "events/rewards", "value": "last", "column": "vol"}}},
     r"'events/rewards' has no column 'vol'; columns: \['volume'\]"),
    ("name_taken", lambda p: write_tiny(p), {"events": {"observed": "processing/behavior/BehavioralEvents/licks"}},
     r"events 'observed' .*the name 'observed' is taken"),
]


@pytest.mark.parametrize("case,make,spec,words", BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, capsys, case, make, spec, words):
    path = make(tmp_path / f"{case}.nwb")
    sfile = tmp_path / "signals.yaml"
    sfile.write_text(json.dumps({**TINY, **spec}))
    out = tmp_path / "out" / "binned.nc"
    assert main(["bin", str(path), "--signals", str(sfile), "--bin-width", "0.25", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    errors = [line for line in err if line.startswith("neuralmi bin: error:")]
    assert len(errors) == 1 and errors[0] == err[-1], err
    assert f"{case}.nwb" in errors[0] and re.search(words, errors[0]), errors[0]
    assert not any("Traceback" in line for line in err)
    assert not out.exists() and (not out.parent.exists() or not list(out.parent.iterdir()))


@pytest.mark.parametrize("raw,words", [
    ({"events": ["a"]}, r"`events` must map name"),
    ({"events": {"e": {"path": "a/b", "value": "mean"}}}, r"`events\.e\.value` must be one of \['count', 'sum', "
                                                          r"'last'\]"),
    ({"events": {"e": {"path": "a/b", "values": "sum"}}}, r"`events\.e` has unknown key\(s\) \['values'\]"),
    ({"events": {"e": {"path": "events/t", "column": "v"}}}, r"`events\.e\.column` \(v\) needs `value: sum`"),
    ({"events": {"e": 3}}, r"`events\.e` must be a TimeSeries path"),
    ({"intervals": {"s": {"table": "trials", "colums": ["a"]}}}, r"`intervals\.s` has unknown key\(s\) \['colums'\]"),
    ({"intervals": {"s": {"columns": []}}}, r"`intervals\.s\.columns` must be a non-empty list"),
    ({"intervals": {"s": {"columns": ["a", "a"]}}}, r"names a column twice"),
    ({"intervals": {"s": {"columns": ["a"], "categorical": ["b"]}}}, r"`intervals\.s\.categorical` names \['b'\]"),
    ({"intervals": {"s": {"overlap": "first"}}}, r"`intervals\.s\.overlap` must be one of \['error', 'last'\]"),
    ({"intervals": {"s": {"outside": "zero"}}}, r"`intervals\.s\.outside` must be one of \['drop', 'keep'\]"),
    ({"intervals": {"s": 3}}, r"`intervals\.s` must be a table name, a list of columns"),
    ({"intervals": ["trials"]}, r"`intervals` must map name"),
])
def test_spec_errors(raw, words):
    with pytest.raises(NeuralMIError, match=words):
        parse_signal_spec(raw)


def test_spec_forms():
    sp = parse_signal_spec({"events": {"licks": "/a/b/"}, "intervals": {
        "trials": ["choice"], "epoch": "epochs", "stim": {"table": "intervals/g", "columns": "orientation"}}})
    assert sp.events["licks"].path == "a/b" and sp.events["licks"].value == "count"
    assert sp.intervals["trials"].table == "trials" and sp.intervals["trials"].columns == ("choice",)
    assert sp.intervals["epoch"].table == "epochs" and sp.intervals["epoch"].columns is None
    assert sp.intervals["stim"].columns == ("orientation",) and sp.intervals["stim"].overlap == "error"
    assert sp.to_dict()["intervals"]["stim"] == {"table": "intervals/g", "columns": ["orientation"],
                                                 "categorical": [], "overlap": "error", "outside": "drop"}


def test_workflow_config_accepts_events_and_intervals():
    """The config JSON Schema and the library's signal-spec check (wfplan.validate_config runs both)."""
    import copy
    import importlib.util
    from pathlib import Path

    import yaml

    root = Path(__file__).resolve().parents[1]
    spec = importlib.util.spec_from_file_location("wfplan_events", root / "workflow" / "scripts" / "wfplan.py")
    wfplan = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(wfplan)
    schema = wfplan.load_schema(root / "workflow" / "schemas" / "config.schema.yaml")
    base = yaml.safe_load((root / "config.yaml").read_text())
    cfg = copy.deepcopy(base)
    cfg["signals"] = {**(cfg.get("signals") or {}), "events": {"licks": "processing/behavior/BehavioralEvents/licks"},
                      "intervals": {**(cfg.get("signals") or {}).get("intervals", {}), "trials": ["choice"]}}
    assert wfplan.validate_config(copy.deepcopy(cfg), schema)["signals"]["intervals"]["trials"] == ["choice"]
    cfg["signals"]["intervals"] = {**base["signals"].get("intervals", {}), "trials": {"overlap": "first"}}
    with pytest.raises(Exception, match=r"intervals\.trials\.overlap"):
        wfplan.validate_config(cfg, schema)


def test_the_docs_example_runs(tmp_path, monkeypatch):
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs" / "events.md").read_text()
    code = re.findall(r"```python\n(.*?)```", text, re.S)
    assert code
    monkeypatch.chdir(tmp_path)
    exec(compile(code[-1], "docs/events.md", "exec"), {})
    assert (tmp_path / "binned.nc").exists()
