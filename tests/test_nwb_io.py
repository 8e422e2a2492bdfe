"""NWB reading and `neuralmi bin`: bulk spike reads, filters, TimeSeries by path, and every bad input."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest
import xarray as xr
from pynwb import NWBHDF5IO, TimeSeries
from pynwb.behavior import Position
from pynwb.testing.mock.file import mock_NWBFile

from neuralmi_core.cli import main
from neuralmi_core.io import nwb as nwbio
from neuralmi_core.io.session import bin_session
from neuralmi_core.io.units import filter_units, read_units, unit_rates
from neuralmi_core.synth import generate_session
from neuralmi_core.validation import NeuralMIError


def write_mock(path: Path, spikes=None, series=None, trials=None, columns=None, resolution=1e-3) -> Path:
    """A minimal NWB file: units with the given trains (+ columns), TimeSeries under processing/behavior."""
    nwb = mock_NWBFile()
    if spikes is not None:
        nwb.units = None
        for name in columns or {}:
            nwb.add_unit_column(name=name, description=name)
        for i, st in enumerate(spikes):
            nwb.add_unit(spike_times=list(st), **{k: v[i] for k, v in (columns or {}).items()})
        nwb.units.resolution = resolution
    if series:
        mod = nwb.create_processing_module(name="behavior", description="behaviour")
        for name, (t, v) in series.items():
            if name == "position":
                pos = Position(name="Position")
                mod.add(pos)
                pos.create_spatial_series(name=name, data=v, timestamps=t, reference_frame="corner", unit="m")
            else:
                mod.add(TimeSeries(name=name, data=v, timestamps=t, unit="a.u."))
    for a, b in trials or []:
        nwb.add_trial(start_time=a, stop_time=b)
    with NWBHDF5IO(str(path), "w") as io:
        io.write(nwb)
    return path


@pytest.fixture(scope="module")
def session(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("nwb")
    return generate_session(
        d / "sub-01_ses-01_ecephys.nwb", seed=3, duration_s=60.0, n_units_a=6, n_units_b=5
    )


def test_read_units_bulk_matches_pynwb(session):
    with nwbio.open_nwb(session) as f:
        units = read_units(f)
        assert units.n_units == 11
        for i in (0, 5, 10):
            np.testing.assert_array_equal(units.times(i), f.units.get_unit_spike_times(i))
        assert set(units.columns) >= {"region", "quality", "location"}
        assert units.resolution == pytest.approx(1e-4)
        assert units.obs_intervals is not None and len(units.obs_intervals) == 11
        info = nwbio.session_info(f)
    assert info["nwb_version"].startswith("2.")
    assert info["nwb_subject_id"] == "01"


def test_filters_equal_set_range_and_rate(session):
    with nwbio.open_nwb(session) as f:
        units = read_units(f)
    a, removed = filter_units(units, {"region": "A"})
    assert a.n_units == 6 and removed == {"region": 5}
    both, _ = filter_units(units, {"region": ["A", "B"], "quality": ["good", "mua"]})
    assert both.n_units == 11
    idx, _ = filter_units(units, {"region": "B"})
    np.testing.assert_array_equal(idx.times(0), units.times(6))
    rates = unit_rates(units, 60.0)
    keep, removed = filter_units(units, min_rate_hz=float(np.median(rates)), duration_s=60.0)
    assert keep.n_units == int((rates >= np.median(rates)).sum()) and removed["min_rate_hz"] > 0
    units.columns["depth"] = np.arange(11.0) * 100
    deep, _ = filter_units(units, {"depth": {"min": 200, "max": 500}})
    assert deep.ids.tolist() == [2, 3, 4, 5]


def test_timeseries_by_path_and_discovery(session):
    with nwbio.open_nwb(session) as f:
        assert nwbio.find_behavior_timeseries(f) == ["processing/behavior/Position/position"]
        ts = nwbio.read_timeseries(f, "processing/behavior/Position/position")
        raw = f.processing["behavior"]["Position"]["position"]
        np.testing.assert_array_equal(ts.timestamps, raw.timestamps[:])
        np.testing.assert_array_equal(ts.values, raw.data[:] * raw.conversion + raw.offset)
        assert ts.components == ["x", "y"]
        start, stop = nwbio.read_intervals(f, "trials")
        assert (stop > start).all()


def test_rate_based_timeseries_with_conversion_and_offset(tmp_path):
    path = tmp_path / "rate.nwb"
    nwb = mock_NWBFile()
    mod = nwb.create_processing_module(name="behavior", description="b")
    mod.add(
        TimeSeries(
            name="speed",
            data=np.arange(10, dtype=float),
            starting_time=2.0,
            rate=4.0,
            unit="m/s",
            conversion=0.5,
            offset=1.0,
        )
    )
    with NWBHDF5IO(str(path), "w") as io:
        io.write(nwb)
    with nwbio.open_nwb(path) as f:
        ts = nwbio.read_timeseries(f, "processing/behavior/speed")
    np.testing.assert_allclose(ts.timestamps, 2.0 + np.arange(10) / 4.0)
    np.testing.assert_allclose(ts.values[:, 0], np.arange(10) * 0.5 + 1.0)


def test_zero_spike_units_are_kept_and_flagged(tmp_path):
    path = write_mock(tmp_path / "z.nwb", spikes=[[0.1, 0.5, 1.2], [], [0.3]])
    ds = bin_session(path, {"behavior": {}}, bin_width=0.1)
    assert ds.sizes["unit"] == 3
    assert ds.zero_spikes.values.tolist() == [0, 1, 0]
    assert ds.attrs["zero_spike_units"] == "[1]"


def test_reader_works_while_another_process_holds_the_file(session, tmp_path):
    copy = tmp_path / "locked.nwb"
    shutil.copy(session, copy)
    code = (
        "import h5py, sys, time; f = h5py.File(sys.argv[1], 'a'); print('open', flush=True); "
        "sys.stdin.readline(); f.close()"
    )
    env = {k: v for k, v in os.environ.items() if k != "HDF5_USE_FILE_LOCKING"}
    holder = subprocess.Popen(
        [sys.executable, "-c", code, str(copy)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert holder.stdout.readline().strip() == "open"
        with nwbio.open_nwb(copy) as f:
            assert read_units(f).n_units == 11
    finally:
        holder.communicate("\n", timeout=30)


# ------------------------------------------------------------------------------------------- bad input
def _not_hdf5(d: Path) -> tuple[Path, dict, float]:
    p = d / "text.nwb"
    p.write_text("this is not HDF5\n" * 10)
    return p, {}, 0.01


def _hdf5_not_nwb(d: Path):
    p = d / "plain.nwb"
    with h5py.File(p, "w") as f:
        f["x"] = np.arange(3)
    return p, {}, 0.01


def _truncated(d: Path, session: Path):
    p = d / "truncated.nwb"
    p.write_bytes(session.read_bytes()[: session.stat().st_size // 2])
    return p, {}, 0.01


def _no_units(d: Path):
    p = write_mock(d / "nounits.nwb", series={"position": (np.arange(100) / 10.0, np.ones((100, 2)))})
    return p, {}, 0.01


def _missing_path(d: Path, session: Path):
    return session, {"behavior": {"pos": "processing/behavior/Position/pos"}}, 0.01


def _group_path(d: Path, session: Path):
    return session, {"behavior": {"pos": "processing/behavior/Position"}}, 0.01


def _empty_filter(d: Path, session: Path):
    return session, {"spikes": {"filters": {"region": "C"}}}, 0.01


def _unknown_column(d: Path, session: Path):
    return session, {"spikes": {"filters": {"area": "A"}}}, 0.01


def _nonmonotonic(d: Path):
    t = np.arange(50) / 10.0
    t[20] = 0.5
    p = write_mock(d / "nonmono.nwb", spikes=[[0.1, 1.0]], series={"speed": (t, np.ones(50))})
    return p, {}, 0.01


def _nan_timestamps(d: Path):
    t = np.arange(50) / 10.0
    t[7] = np.nan
    p = write_mock(d / "nants.nwb", spikes=[[0.1, 1.0]], series={"speed": (t, np.ones(50))})
    return p, {}, 0.01


def _bin_zero(d: Path, session: Path):
    return session, {}, 0.0


def _bin_negative(d: Path, session: Path):
    return session, {}, -0.01


def _bin_too_large(d: Path, session: Path):
    return session, {}, 1000.0


def _missing_file(d: Path):
    return d / "missing.nwb", {}, 0.01


def _missing_trials(d: Path, session: Path):
    return session, {"restrict_to": "sleep"}, 0.01


BAD = [
    # (case, builder, words the message must contain besides the file name)
    ("missing file", _missing_file, ["not found"]),
    ("not hdf5", _not_hdf5, ["not an HDF5"]),
    ("hdf5 not nwb", _hdf5_not_nwb, ["nwb_version"]),
    ("truncated", _truncated, ["truncated"]),
    ("no units table", _no_units, ["units"]),
    ("missing path", _missing_path, ["processing/behavior/Position/pos", "has no 'pos'"]),
    ("path names a group", _group_path, ["processing/behavior/Position", "not a TimeSeries"]),
    ("empty after filter", _empty_filter, ["region", "no unit left"]),
    ("unknown filter column", _unknown_column, ["area", "available"]),
    ("non-monotonic timestamps", _nonmonotonic, ["processing/behavior/speed", "not monotonic"]),
    ("nan timestamps", _nan_timestamps, ["processing/behavior/speed", "NaN"]),
    ("bin width zero", _bin_zero, ["bin_width", "positive"]),
    ("bin width negative", _bin_negative, ["bin_width", "positive"]),
    ("bin width > recording", _bin_too_large, ["bin_width", "larger than the recording"]),
    ("missing intervals table", _missing_trials, ["sleep", "intervals"]),
]


@pytest.mark.parametrize("case,builder,words", BAD, ids=[b[0] for b in BAD])
def test_bad_input_raises_and_writes_nothing(case, builder, words, tmp_path, session):
    import inspect

    args = (tmp_path, session) if len(inspect.signature(builder).parameters) == 2 else (tmp_path,)
    path, spec, width = builder(*args)
    with pytest.raises(NeuralMIError) as info:
        bin_session(path, spec, bin_width=width)
    msg = str(info.value)
    assert str(path) in msg or path.name in msg, msg
    for w in words:
        assert w in msg, msg
    # through the CLI: exit status 2, nothing written (not even a temporary file)
    out = tmp_path / "out" / "binned.nc"
    spec_file = tmp_path / "spec.yaml"
    import yaml

    spec_file.write_text(yaml.safe_dump({"signals": spec}))
    rc = main(["bin", str(path), "--signals", str(spec_file), "--bin-width", str(width), "--out", str(out)])
    assert rc == 2
    assert not out.exists()
    assert not out.parent.exists() or not any(out.parent.iterdir())


def test_cli_bin_writes_readable_file(session, tmp_path, capsys):
    out = tmp_path / "b.nc"
    assert main(["bin", str(session), "--bin-width", "0.02", "--out", str(out)]) == 0
    with xr.open_dataset(out) as ds:
        assert ds.spikes.dims == ("time", "unit")
        assert ds.attrs["bin_width_s"] == 0.02
        assert "position" in ds and "trial" in ds
    assert "bins of 0.02 s" in capsys.readouterr().err
