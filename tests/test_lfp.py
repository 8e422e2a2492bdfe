"""LFP (`lfp` signal kind): plain pynwb files with planted sinusoids; band power against A^2/2, a theta
amplitude that follows behaviour, electrode coordinates, filters, selectors, and bad input (one-line
errors naming the file and the series, nothing written)."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from pynwb import NWBHDF5IO, TimeSeries
from pynwb.ecephys import LFP, ElectricalSeries
from pynwb.testing.mock.file import mock_NWBFile

from neuralmi_core.cli import main
from neuralmi_core.io.lfp import band_power
from neuralmi_core.io.netcdf import open_binned, write_netcdf
from neuralmi_core.io.select import load_selected
from neuralmi_core.io.session import bin_session
from neuralmi_core.io.signals import parse_signal_spec
from neuralmi_core.validation import NeuralMIError

RATE = 500.0
DUR = 30.0
IDS = [100, 101, 102, 103]
LOCS = ["CA1", "CA1", "CA3", "CA3"]
SPEC = {"lfp": {"bands": {"theta": [6, 10], "gamma": [30, 80]}}, "behavior": {"position": "processing/behavior/position"}}
SERIES = "processing/ecephys/LFP/ElectricalSeries"


def position(t):
    return np.sin(2 * np.pi * t / 7.0)


def amplitude(t):  # ch 102's theta amplitude follows the position
    return 1.0 + 0.5 * position(t)


def signals(t):
    """(samples, 4): 8 Hz A=2 | 50 Hz A=1 | 8 Hz with amplitude(t) | 20 Hz A=1 (between the bands)."""
    return np.stack([2.0 * np.sin(2 * np.pi * 8 * t), np.sin(2 * np.pi * 50 * t),
                     amplitude(t) * np.sin(2 * np.pi * 8 * t), np.sin(2 * np.pi * 20 * t)], axis=1)


def write_lfp(path, *, data=None, rate=RATE, lfp=True, timestamps=None, channel_conversion=None, units=False):
    nwb = mock_NWBFile()
    t = np.arange(int(DUR * rate)) / rate
    dev = nwb.create_device(name="probe")
    groups = [nwb.create_electrode_group(name=f"shank{g}", description="shank", location="hippocampus", device=dev)
              for g in (0, 1)]
    for i, (eid, loc) in enumerate(zip(IDS, LOCS, strict=True)):
        nwb.add_electrode(id=eid, location=loc, group=groups[i // 2])
    region = nwb.create_electrode_table_region(list(range(4)), "LFP channels")
    if lfp:
        kw = {"timestamps": timestamps} if timestamps is not None else {"rate": rate, "starting_time": 0.0}
        if channel_conversion is not None:
            kw["channel_conversion"] = channel_conversion
        es = ElectricalSeries(name="ElectricalSeries", data=signals(t) if data is None else data,
                              electrodes=region, **kw)
        nwb.create_processing_module("ecephys", "LFP").add(LFP(electrical_series=es))
    if units:  # a units table with its own `location` column: the LFP coordinate becomes channel_location
        nwb.add_unit_column("location", "brain area")
        for k in range(3):
            nwb.add_unit(spike_times=np.sort(np.random.default_rng(k).uniform(0, DUR, 200)), location="CA1")
    beh = nwb.create_processing_module("behavior", "behaviour")
    beh.add(TimeSeries(name="position", data=position(t), unit="m", rate=rate, starting_time=0.0))
    with NWBHDF5IO(str(path), "w") as io:
        io.write(nwb)
    return path


@pytest.fixture(scope="module")
def lfpfile(tmp_path_factory):
    return write_lfp(tmp_path_factory.mktemp("lfp") / "lfp.nwb")


def test_band_power_of_a_sinusoid_is_half_its_squared_amplitude():
    # order-4 Butterworth through sosfiltfilt: |H|^4 is within 1 % of 1 at 8 Hz in [6, 10] (and at 50 Hz in
    # [30, 80]); away from the edges (2 s, > 10 filter time constants) the envelope is flat to < 1 %.
    t = np.arange(0, 20, 1 / RATE)
    for f, band in ((8.0, (6.0, 10.0)), (50.0, (30.0, 80.0))):
        p = band_power(3.0 * np.sin(2 * np.pi * f * t), RATE, band)[1000:-1000]
        np.testing.assert_allclose(p.mean(), 4.5, rtol=0.02)
        assert p.std() < 0.02 * 4.5
    off = band_power(np.sin(2 * np.pi * 20 * t), RATE, (6.0, 10.0))[1000:-1000].mean()
    assert off < 1e-3 * 0.5  # 20 Hz is > 1 octave from the theta band: < 0.1 % of its power leaks


def test_planted_band_power_per_channel(lfpfile):
    ds = bin_session(lfpfile, SPEC, 0.5)
    assert ds.lfp.dims == ("time", "channel", "band") and ds.lfp.dtype == np.float32
    assert ds.channel.values.tolist() == IDS and ds.band.values.tolist() == ["theta", "gamma"]
    assert ds.location.values.tolist() == LOCS
    assert ds["group"].values.tolist() == ["shank0", "shank0", "shank1", "shank1"]
    assert ds.lfp.shape[0] == int(DUR / 0.5) and (ds.lfp_n_samples.values == 250).all()
    p = ds.lfp.values[4:-4]  # leave 2 s at each end (filtfilt edge transients)
    np.testing.assert_allclose(p[:, 0, 0], 2.0, rtol=0.02)  # 8 Hz, A=2: theta power 2
    np.testing.assert_allclose(p[:, 1, 1], 0.5, rtol=0.02)  # 50 Hz, A=1: gamma power 0.5
    assert p[:, 0, 1].max() < 1e-3 and p[:, 1, 0].max() < 1e-3  # the other band holds < 0.1 %
    assert p[:, 3, :].max() < 0.01 * 0.5  # 20 Hz is in neither band
    assert ds.lfp.attrs["signal_kind"] == "lfp" and ds.lfp.attrs["units"] == "(volts)^2"
    assert "500 Hz LFP averaged into 500 ms bins" in ds.lfp.attrs["preprocessing"]
    assert ds.attrs["lfp_series"] == SERIES


def test_theta_power_follows_behaviour(lfpfile):
    ds = bin_session(lfpfile, SPEC, 0.5)
    theta = ds.lfp.values[4:-4, 2, 0]
    t = ds.time.values[4:-4]
    # bin mean of amplitude(t)^2 / 2 over 0.5 s bins; the envelope (period 7 s) passes the 4 Hz-wide filter
    fine = np.arange(0, DUR, 1 / RATE)
    want = (amplitude(fine) ** 2 / 2).reshape(-1, 250).mean(axis=1)[4:-4]
    np.testing.assert_allclose(theta, want, rtol=0.03)
    assert np.corrcoef(theta, ds.position.values[4:-4].ravel())[0, 1] > 0.99
    assert t.size == want.size


def test_filters_and_selectors(lfpfile, tmp_path):
    ds = bin_session(lfpfile, {"lfp": {"filters": {"location": "CA1"}}}, 0.5)
    assert ds.channel.values.tolist() == IDS[:2] and ds.band.values.tolist() == ["theta", "beta", "gamma"]
    assert json.loads(ds.attrs["lfp_channels_removed_by_filter"]) == {"location": 2}
    out = tmp_path / "b.nc"
    write_netcdf(bin_session(lfpfile, SPEC, 0.5), out)
    with open_binned(out) as back:
        assert back.lfp.dims == ("time", "channel", "band")
    sel = load_selected(f"{out}:lfp[location=CA1,band=theta]")
    assert sel.values.shape == (60, 2)
    np.testing.assert_allclose(sel.values[4:-4, 0], 2.0, rtol=0.02)
    assert sel.features["channel"]["location"] == {"CA1": 2} and sel.features["channel"]["group"] == {"shank0": 2}
    assert sel.labels == ["channel=100,band=theta", "channel=101,band=theta"]
    sel = load_selected(f"{out}:lfp[group=shank1,band=theta]")
    np.testing.assert_allclose(sel.values[4:-4, 1], 0.0, atol=5e-3)
    with pytest.raises(NeuralMIError, match=r"no channel left after filter location='DG'"):
        bin_session(lfpfile, {"lfp": {"filters": {"location": "DG"}}}, 0.5)
    with pytest.raises(NeuralMIError, match=r"channels have no column 'depth'"):
        bin_session(lfpfile, {"lfp": {"filters": {"depth": 3}}}, 0.5)


def test_channel_blocks_scattered_channels_and_channel_conversion(lfpfile, tmp_path, monkeypatch):
    import neuralmi_core.io.lfp as lfpmod

    full = bin_session(lfpfile, SPEC, 0.5).lfp.values
    scattered = bin_session(lfpfile, {**SPEC, "lfp": {**SPEC["lfp"], "filters": {"channel": [100, 103]}}}, 0.5)
    assert scattered.channel.values.tolist() == [100, 103]
    np.testing.assert_array_equal(scattered.lfp.values, full[:, [0, 3]])
    monkeypatch.setattr(lfpmod, "_BLOCK_BYTES", 8 * int(DUR * RATE))  # one channel a block
    np.testing.assert_array_equal(bin_session(lfpfile, SPEC, 0.5).lfp.values, full)
    conv = write_lfp(tmp_path / "conv.nwb", channel_conversion=[1.0, 1.0, 1.0, 3.0])
    got = bin_session(conv, SPEC, 0.5).lfp.values
    np.testing.assert_allclose(got[:, :3], full[:, :3], rtol=1e-6)
    np.testing.assert_allclose(got[:, 3], 9.0 * full[:, 3], rtol=1e-5, atol=1e-9)  # power scales as gain^2


def test_timestamps_and_units_alongside(tmp_path):
    t = 5.0 + np.arange(int(DUR * RATE)) / RATE  # timestamps instead of a rate, starting at 5 s
    path = write_lfp(tmp_path / "both.nwb", timestamps=t, units=True, data=signals(t - 5.0))
    ds = bin_session(path, {"lfp": {"bands": {"theta": [6, 10]}}}, 0.5)
    assert ds.spikes.shape[1] == 3 and ds.location.dims == ("unit",)
    assert ds.channel_location.values.tolist() == LOCS  # `location` was taken by the units column
    t_lfp = ds.time.values[ds.lfp_n_samples.values > 0]
    assert t_lfp.min() >= 5.0 and (ds.lfp_n_samples.values[ds.time.values < 5.0] == 0).all()
    inner = (ds.time.values > 7.0) & (ds.time.values < 5.0 + DUR - 2.0)
    np.testing.assert_allclose(ds.lfp.values[inner, 0, 0], 2.0, rtol=0.02)
    assert np.isnan(ds.lfp.values[ds.time.values < 5.0]).all()
    out = tmp_path / "b.nc"
    write_netcdf(ds, out)
    sel = load_selected(f"{out}:lfp[location=CA1,band=theta]")  # finds channel_location by its plain name
    assert sel.values.shape[1] == 2


def test_without_lfp_the_spec_hashes_as_before(lfpfile):
    assert json.dumps(parse_signal_spec({}).to_dict(), sort_keys=True) == (
        '{"behavior": null, "bin_width": null, "restrict_to": null, "spikes": {"filters": {}, "min_rate_hz": '
        '0.0, "table": "units"}, "time_range": null, "trials": "auto"}')
    sp = parse_signal_spec({"lfp": True})
    assert sp.to_dict()["lfp"]["bands"] == {"theta": [6.0, 10.0], "beta": [15.0, 30.0], "gamma": [30.0, 80.0]}
    assert parse_signal_spec({"lfp": SERIES}).lfp.series == SERIES


@pytest.mark.parametrize("raw,words", [
    ({"lfp": {"band": {}}}, "`lfp` has unknown key"),
    ({"lfp": {"bands": {"theta": [10, 6]}}}, r"`lfp.bands.theta` must be \[low, high\]"),
    ({"lfp": {"bands": {"theta": 8}}}, r"`lfp.bands.theta` must be"),
    ({"lfp": 3}, "`lfp` must be a mapping"),
])
def test_spec_errors(raw, words):
    with pytest.raises(NeuralMIError, match=words):
        parse_signal_spec(raw)


def _cli(path, spec, tmp_path, width):
    import yaml

    sfile = tmp_path / "spec.yaml"
    sfile.write_text(yaml.safe_dump(spec))
    out = tmp_path / "out" / "binned.nc"
    return out, ["bin", str(path), "--signals", str(sfile), "--bin-width", width, "--out", str(out)]


@pytest.mark.parametrize("case,words", [
    ("no_lfp", r"nolfp\.nwb: `lfp` asks for LFP but the file has no ElectricalSeries in an LFP container"),
    ("nyquist", r"lfp\.nwb: 'processing/ecephys/LFP/ElectricalSeries': band fast \[200, 260\] Hz reaches the "
                r"Nyquist frequency 250 Hz"),
    ("short_bins", r"lfp\.nwb: 'processing/ecephys/LFP/ElectricalSeries': bins of 3 ms hold fewer than 2 "
                   r"samples of the 500 Hz series"),
    ("nan", r"nan\.nwb: 'processing/ecephys/LFP/ElectricalSeries': channel 101 has 1 NaN/inf samples"),
    ("timestamps", r"ts\.nwb: 'processing/ecephys/LFP/ElectricalSeries': timestamps are not monotonic"),
    ("not_es", r"lfp\.nwb: 'processing/behavior/position' is a TimeSeries, not an ElectricalSeries"),
    ("missing", r"lfp\.nwb: path 'processing/ecephys/LFP/nope': 'processing/ecephys/LFP' has no 'nope'; it "
                r"holds \['ElectricalSeries'\]"),
])
def test_bad_input_is_one_line_and_writes_nothing(case, words, lfpfile, tmp_path, capsys):
    spec, width, path = {"lfp": {}}, "0.1", lfpfile
    if case == "no_lfp":
        path = write_lfp(tmp_path / "nolfp.nwb", lfp=False)
    elif case == "nyquist":
        spec = {"lfp": {"bands": {"theta": [6, 10], "fast": [200, 260]}}}
    elif case == "short_bins":
        width = "0.003"
    elif case == "nan":
        data = signals(np.arange(int(DUR * RATE)) / RATE)
        data[777, 1] = np.nan
        path = write_lfp(tmp_path / "nan.nwb", data=data)
    elif case == "not_es":
        spec = {"lfp": "processing/behavior/position"}
    elif case == "missing":
        spec = {"lfp": "processing/ecephys/LFP/nope"}
    else:
        ts = np.arange(int(DUR * RATE)) / RATE
        ts[100], ts[101] = ts[101], ts[100]
        path = write_lfp(tmp_path / "ts.nwb", timestamps=ts)
    out, argv = _cli(path, spec, tmp_path, width)
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    errors = [line for line in err if line.startswith("neuralmi bin: error:")]
    assert len(errors) == 1 and errors[0] == err[-1], err
    assert re.search(words, errors[0]), errors[0]
    assert not any("Traceback" in line for line in err)
    assert not out.exists() and (not out.parent.exists() or not list(out.parent.iterdir()))


def test_the_docs_example_runs(tmp_path, monkeypatch):
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs" / "lfp.md").read_text()
    code = re.findall(r"```python\n(.*?)```", text, re.S)
    assert code
    monkeypatch.chdir(tmp_path)
    exec(compile(code[-1], "docs/lfp.md", "exec"), {})
    sel = load_selected(f"{tmp_path / 'binned.nc'}:lfp[location=CA1,band=theta]")
    np.testing.assert_allclose(sel.values[4:-4, 0], 2.0, rtol=0.02)


def test_an_lfp_file_binned_without_lfp_says_how(lfpfile, tmp_path, capsys):
    out = tmp_path / "b.nc"
    assert main(["bin", str(lfpfile), "--bin-width", "0.1", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert re.search(r"lfp\.nwb: has no 'units' table but holds LFP \(processing/ecephys/LFP/ElectricalSeries\); "
                     r"bin its band power with `lfp: auto`", err), err
    assert not out.exists()
