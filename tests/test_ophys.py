"""Calcium imaging (`ophys` signal kind): files written with pynwb's mock helpers, planted dF/F, ROI
coordinates, filters, selectors, default discovery and bad input (one-line errors, no output left)."""

from __future__ import annotations

import json
import re
import warnings

import numpy as np
import pytest
from hdmf.common import DynamicTableRegion
from pynwb import NWBHDF5IO, TimeSeries
from pynwb.ophys import DfOverF, Fluorescence, ImageSegmentation, RoiResponseSeries
from pynwb.testing.mock.file import mock_NWBFile
from pynwb.testing.mock.ophys import mock_ImagingPlane, mock_PlaneSegmentation, mock_RoiResponseSeries

from neuralmi_core.cli import main
from neuralmi_core.io.netcdf import open_binned, write_netcdf
from neuralmi_core.io.select import select_xy
from neuralmi_core.io.session import bin_session
from neuralmi_core.io.signals import parse_signal_spec
from neuralmi_core.validation import NeuralMIError

RATE = 30.0
N_FRAMES = 900  # 30 s at 30 Hz
GAIN = np.array([1.0, -2.0, 0.5, 3.0, 0.0])
BASE = np.array([0.1, 0.0, -0.3, 1.0, 0.2])
IDS = [10, 13, 16, 19, 22]
ISCELL = np.array([[1, 0.9], [0, 0.2], [1, 0.8], [1, 0.95], [0, 0.1]])


def position(t):
    return np.sin(2 * np.pi * t / 7.0) + 0.3 * np.cos(2 * np.pi * t / 2.3)


def _plane_seg(nwb, mod, location="VISp", n_rois=5, iscell=True, roi_locations=None):
    plane = mock_ImagingPlane(nwbfile=nwb, name="plane0", location=location, imaging_rate=RATE)
    ps = mock_PlaneSegmentation(imaging_plane=plane, n_rois=n_rois, name="PlaneSegmentation")
    if iscell:  # suite2p's two-column iscell: is cell, probability
        ps.add_column("iscell", "two columns - iscell & probcell", data=ISCELL[:n_rois])
    if roi_locations is not None:
        ps.add_column("location", "brain area of each ROI", data=list(roi_locations))
    ps.id.data[:] = IDS[:n_rois]  # ROI ids differ from row numbers: coordinates must carry the ids
    mod.add(ImageSegmentation(plane_segmentations=[ps]))
    return ps


def _series(name, data, ps, timestamps=None):
    rows = list(range(data.shape[1] if data.ndim == 2 and data.shape[1] == len(ps) else len(ps)))
    region = DynamicTableRegion(name="rois", description="ROIs", table=ps, data=rows)
    kw = {"timestamps": timestamps} if timestamps is not None else {"rate": RATE, "starting_time": 0.0}
    return RoiResponseSeries(name=name, data=data, rois=region, unit="n.a.", **kw)


def write_imaging(path, *, data=None, timestamps=None, containers=("DfOverF",), location="VISp",
                  units=False, behaviour=True, iscell=True, roi_locations=None):
    """An imaging session: 5 ROIs whose dF/F is GAIN * position(t) + BASE, frames at 30 Hz."""
    nwb = mock_NWBFile()
    t = np.arange(N_FRAMES) / RATE if timestamps is None else np.asarray(timestamps)
    if data is None:
        data = position(t)[:, None] * GAIN[None, :] + BASE[None, :]
    mod = nwb.create_processing_module("ophys", "optical physiology")
    ps = _plane_seg(nwb, mod, location=location, iscell=iscell, roi_locations=roi_locations)
    for c in containers:  # add containers to the file before their series (DynamicTableRegion)
        if c == "DfOverF":
            box = DfOverF(name="DfOverF")
            mod.add(box)
            box.add_roi_response_series(_series("RoiResponseSeries", data, ps, timestamps))
        else:  # suite2p 1.1.0's export (suite2p/io/nwb.py): a Fluorescence container per output, one
            box = Fluorescence(name=c)  # series per plane named plane0, plane1, ...
            mod.add(box)
            box.add_roi_response_series(_series("plane0", data * (2.0 if c == "Fluorescence" else 1.0), ps,
                                                timestamps))
    if behaviour:
        beh = nwb.create_processing_module("behavior", "behaviour")
        beh.add(TimeSeries(name="position", data=position(t), unit="m", timestamps=t))
    if units:
        nwb.add_unit_column("location", "brain area")
        nwb.units.resolution = 1 / 30000  # spike times on a 30 kHz clock: the grid uses integer ticks
        rng = np.random.default_rng(0)
        span = float(t[-1]) + 3.0  # spikes before and after the imaging
        for loc in ("CA1", "VISp"):
            nwb.add_unit(spike_times=np.sort(np.rint(rng.uniform(0, span, 200) * 30000) / 30000), location=loc)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with NWBHDF5IO(str(path), "w") as io:
            io.write(nwb)
    return path


SPEC = {"spikes": False, "ophys": {}}


@pytest.fixture
def imaging(tmp_path):
    return write_imaging(tmp_path / "imaging.nwb")


def test_frames_are_averaged_into_bins_exactly(imaging):
    ds = bin_session(imaging, SPEC, 0.1)
    assert ds.ophys.dims == ("time", "roi") and ds.sizes["roi"] == 5
    t = np.arange(N_FRAMES) / RATE
    planted = position(t)[:, None] * GAIN + BASE
    expected = planted.reshape(-1, 3, 5).mean(axis=1)  # 3 frames of 30 Hz per 100 ms bin, by frame index
    assert ds.sizes["time"] == N_FRAMES // 3
    np.testing.assert_allclose(ds.ophys.values, expected, rtol=1e-6, atol=1e-6)
    assert (ds.ophys_n_frames.values == 3).all()
    # the planted relationship survives binning: ophys = GAIN * (position averaged over the same frames) + BASE
    pos = position(t).reshape(-1, 3).mean(axis=1)
    np.testing.assert_allclose(ds.ophys.values, pos[:, None] * GAIN + BASE, rtol=1e-6, atol=1e-6)
    a = ds.ophys.attrs
    assert a["preprocessing"] == "dF/F, 30 Hz frames averaged into 100 ms bins"
    assert a["signal_kind"] == "ophys" and a["source_path"] == "processing/ophys/DfOverF/RoiResponseSeries"
    assert ds.attrs["ophys_preprocessing"] == a["preprocessing"]
    assert json.loads(ds.attrs["signals_spec"])["ophys"] == {"series": "auto", "signal": "auto", "filters": {},
                                                              "on_nan": "drop"}


@pytest.mark.parametrize("units", [False, True])
def test_jittered_timestamps_and_uneven_bins_match_a_histogram(tmp_path, units):
    """Imaging starting at 5 s; with units (spikes from 0 s, 30 kHz clock) the grid is the integer-tick one
    and bins before and after the imaging are NaN with no frame."""
    rng = np.random.default_rng(3)
    t = 5.0 + np.arange(N_FRAMES) / RATE + rng.uniform(-0.004, 0.004, N_FRAMES)
    path = write_imaging(tmp_path / "jit.nwb", timestamps=t, units=units)
    ds = bin_session(path, {"ophys": {}} if units else SPEC, 0.25)
    assert ds.attrs["binning_method"] == ("integer_ticks" if units else "shared_edges")
    edges = ds.attrs["t0_s"] + 0.25 * np.arange(ds.sizes["time"] + 1)
    if units:
        assert ds.spikes.shape[0] == ds.ophys.shape[0] and ds.attrs["t0_s"] < 1.0
        outside = ds.ophys_n_frames.values == 0
        assert outside.sum() > 20 and np.isnan(ds.ophys.values[outside]).all()
    vals = position(t)[:, None] * GAIN + BASE
    counts = np.histogram(t, edges)[0]
    for j in range(5):
        sums = np.histogram(t, edges, weights=vals[:, j])[0]
        np.testing.assert_allclose(ds.ophys.values[:, j], sums / counts, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(ds.ophys_n_frames.values, counts)
    assert set(counts[counts > 0][1:-1]) == {7, 8}  # 7.5 frames per bin: both occur (the end bins are partial)


def test_roi_coordinates_from_the_plane_segmentation(imaging):
    ds = bin_session(imaging, SPEC, 0.1)
    assert ds.roi.values.tolist() == IDS
    assert set(ds.location.values) == {"VISp"} and set(ds.plane.values) == {"plane0"}
    assert ds.is_cell.values.tolist() == [1, 0, 1, 1, 0] and ds.is_cell.dtype == np.uint8
    np.testing.assert_allclose(ds.cell_probability.values, ISCELL[:, 1])


@pytest.mark.parametrize("filters,kept", [
    ({"is_cell": 1}, [10, 16, 19]),
    ({"is_cell": 1, "cell_probability": {"min": 0.85}}, [10, 19]),
    ({"roi": [13, 22]}, [13, 22]),
    ({"location": "VISp"}, IDS),
])
def test_roi_filters(imaging, filters, kept):
    ds = bin_session(imaging, {"spikes": False, "ophys": {"filters": filters}}, 0.1)
    assert ds.roi.values.tolist() == kept
    full = bin_session(imaging, SPEC, 0.1)
    np.testing.assert_array_equal(ds.ophys.values, full.ophys.sel(roi=kept).values)
    removed = json.loads(ds.attrs["ophys_rois_removed_by_filter"])
    assert sum(removed.values()) == 5 - len(kept)


def test_filter_errors_name_file_and_series(imaging):
    with pytest.raises(NeuralMIError, match=r"imaging\.nwb.*DfOverF/RoiResponseSeries.*no column 'depth'"):
        bin_session(imaging, {"spikes": False, "ophys": {"filters": {"depth": 3}}}, 0.1)
    with pytest.raises(NeuralMIError, match=r"no ROI left after filter location='VISl'.*\['VISp'\]"):
        bin_session(imaging, {"spikes": False, "ophys": {"filters": {"location": "VISl"}}}, 0.1)


def test_selectors_work_on_roi_coordinates(tmp_path):
    """With a units table holding `location` too, the ROI column is stored as roi_location and the plain
    name still selects it; spikes keep their own `location`."""
    path = write_imaging(tmp_path / "both.nwb", units=True)
    ds = bin_session(path, {"ophys": "auto"}, 0.1)
    assert "roi_location" in ds.coords and ds.location.dims == ("unit",)
    out = write_netcdf(ds, tmp_path / "binned.nc")
    sel = select_xy(f"{out}:ophys[location=VISp,is_cell=1]", f"{out}:position")
    assert sel.x.shape == (N_FRAMES // 3, 3)
    assert sel.x_labels == ["roi=10", "roi=16", "roi=19"]
    pos = position(np.arange(N_FRAMES) / RATE).reshape(-1, 3).mean(axis=1)
    np.testing.assert_allclose(sel.x, pos[:, None] * GAIN[[0, 2, 3]] + BASE[[0, 2, 3]], rtol=1e-6, atol=1e-6)
    assert sel.summary["x_features"]["roi"]["location"] == {"VISp": 3}
    assert sel.summary["x_features"]["roi"]["is_cell"] == {"1": 3}
    assert select_xy(f"{out}:spikes[location=CA1]", None).x.shape[1] == 1
    with pytest.raises(NeuralMIError, match=r"value 'VISl' matched no roi; available roi_location values"):
        select_xy(f"{out}:ophys[location=VISl]", None)


def test_default_discovery_prefers_dff_then_fluorescence(tmp_path):
    s2p = ("Fluorescence", "Neuropil", "Deconvolved")
    both = write_imaging(tmp_path / "both.nwb", containers=(*s2p, "DfOverF"))
    ds = bin_session(both, {"spikes": False, "ophys": "auto"}, 0.1)
    assert ds.attrs["ophys_series"] == "processing/ophys/DfOverF/RoiResponseSeries"
    ds = bin_session(both, {"spikes": False, "ophys": {"signal": "fluorescence"}}, 0.1)
    assert ds.attrs["ophys_series"] == "processing/ophys/Fluorescence/plane0"
    suite2p = write_imaging(tmp_path / "s2p.nwb", containers=s2p)
    ds = bin_session(suite2p, {"spikes": False, "ophys": True}, 0.1)
    assert ds.attrs["ophys_series"] == "processing/ophys/Fluorescence/plane0"
    assert ds.ophys.attrs["preprocessing"].startswith("fluorescence, 30 Hz")
    ds = bin_session(suite2p, {"spikes": False, "ophys": "processing/ophys/Deconvolved/plane0"}, 0.1)
    assert ds.ophys.attrs["preprocessing"].startswith("deconvolved, 30 Hz")
    with pytest.raises(NeuralMIError, match=r"s2p\.nwb.*no DfOverF RoiResponseSeries"):
        bin_session(suite2p, {"spikes": False, "ophys": {"signal": "dff"}}, 0.1)


def test_bare_mock_series_is_found(tmp_path):
    nwb = mock_NWBFile()
    data = np.arange(60 * 4, dtype=float).reshape(60, 4)
    mock_RoiResponseSeries(nwbfile=nwb, data=data, rate=20.0, name="rrs")
    with NWBHDF5IO(str(tmp_path / "bare.nwb"), "w") as io:
        io.write(nwb)
    ds = bin_session(tmp_path / "bare.nwb", {"spikes": False, "ophys": {}, "behavior": {}}, 0.2)
    assert ds.attrs["ophys_series"] == "processing/ophys/rrs"
    np.testing.assert_allclose(ds.ophys.values, data.reshape(-1, 4, 4).mean(axis=1))
    assert "is_cell" not in ds.coords  # the mock table has no iscell column


def test_without_ophys_the_spec_and_output_are_unchanged(tmp_path):
    assert json.dumps(parse_signal_spec({}).to_dict(), sort_keys=True) == (
        '{"behavior": null, "bin_width": null, "restrict_to": null, "spikes": {"filters": {}, "min_rate_hz": '
        '0.0, "table": "units"}, "time_range": null, "trials": "auto"}')
    path = write_imaging(tmp_path / "both.nwb", units=True)
    ds = bin_session(path, None, 0.1)  # an imaging file binned without `ophys`: spikes and behaviour only
    assert not any("ophys" in str(v) or "roi" in str(v) for v in [*ds.variables, *ds.attrs])
    assert "ophys" not in json.loads(ds.attrs["signals_spec"])


def test_nan_frames_are_dropped_and_counted(tmp_path):
    t = np.arange(N_FRAMES) / RATE
    data = position(t)[:, None] * GAIN + BASE
    data[4, 1] = np.nan  # bin 1 of ROI 1 averages frames 3 and 5
    data[6:9, 2] = np.nan  # bin 2 of ROI 2 has no finite frame
    path = write_imaging(tmp_path / "nan.nwb", data=data)
    ds = bin_session(path, SPEC, 0.1)
    assert ds.ophys.values[1, 1] == pytest.approx((data[3, 1] + data[5, 1]) / 2, rel=1e-6)
    assert np.isnan(ds.ophys.values[2, 2]) and np.isfinite(ds.ophys.values[2, [0, 1, 3, 4]]).all()
    assert ds.n_nan_frames.values.tolist() == [0, 1, 3, 0, 0] and ds.ophys.attrs["nan_values"] == 4
    out = write_netcdf(ds, tmp_path / "b.nc")
    sel = select_xy(f"{out}:ophys", None)
    assert sel.summary["invalid_x_by_reason"]["nan"] == 1  # the selector drops the all-NaN bin
    with pytest.raises(NeuralMIError, match=r"nan\.nwb: 'processing/ophys/DfOverF/RoiResponseSeries': 4\+? "
                                            r"frame values are NaN.*frame 4, ROI id 13"):
        bin_session(path, {"spikes": False, "ophys": {"on_nan": "error"}}, 0.1)
    data[:, 4] = np.nan
    dead = write_imaging(tmp_path / "dead.nwb", data=data)
    with pytest.raises(NeuralMIError, match=r"dead\.nwb.*ROI id\(s\) \[22\] have no finite value"):
        bin_session(dead, SPEC, 0.1)
    assert bin_session(dead, {"spikes": False, "ophys": {"filters": {"roi": IDS[:4]}}}, 0.1).sizes["roi"] == 4


def test_missing_location_is_flagged_and_refused_by_a_location_filter(tmp_path):
    path = write_imaging(tmp_path / "noloc.nwb", location="")
    ds = bin_session(path, SPEC, 0.1)
    assert set(ds.location.values) == {"unknown"}
    assert json.loads(ds.ophys.attrs["location_missing"]) == ["plane0"]
    with pytest.raises(NeuralMIError, match=r"noloc\.nwb: 'processing/ophys/DfOverF/RoiResponseSeries': filter "
                                            r"on `location` but imaging plane\(s\) \[.plane0.\]"):
        bin_session(path, {"spikes": False, "ophys": {"filters": {"location": "VISp"}}}, 0.1)


def test_a_per_roi_location_column_wins_over_the_plane(tmp_path):
    path = write_imaging(tmp_path / "areas.nwb", location="VIS", roi_locations=["VISp", "VISl", "VISp", "", "VISl"])
    ds = bin_session(path, SPEC, 0.1)
    assert ds.location.values.tolist() == ["VISp", "VISl", "VISp", "unknown", "VISl"]
    assert json.loads(ds.ophys.attrs["location_missing"]) == ["plane0 (table column location, 1 ROIs)"]
    out = write_netcdf(ds, tmp_path / "b.nc")
    assert select_xy(f"{out}:ophys[location=VISl]", None).x_labels == ["roi=13", "roi=22"]
    kept = bin_session(path, {"spikes": False, "ophys": {"filters": {"location": "VISp"}}}, 0.1)
    assert kept.roi.values.tolist() == [10, 16]


def test_transposed_data_is_read_and_flagged(tmp_path):
    t = np.arange(N_FRAMES) / RATE
    data = position(t)[:, None] * GAIN + BASE
    path = write_imaging(tmp_path / "tr.nwb", data=np.ascontiguousarray(data.T))
    ds = bin_session(path, SPEC, 0.1)
    assert ds.ophys.attrs["transposed_in_file"] == 1
    np.testing.assert_allclose(ds.ophys.values, data.reshape(-1, 3, 5).mean(axis=1), rtol=1e-6, atol=1e-6)


def _cli_fails(path, spec, tmp_path, width="0.1"):
    import yaml

    sfile = tmp_path / "spec.yaml"
    sfile.write_text(yaml.safe_dump(spec))
    out = tmp_path / "out" / "binned.nc"
    return out, ["bin", str(path), "--signals", str(sfile), "--bin-width", width, "--out", str(out)]


@pytest.mark.parametrize("case,words", [
    ("no_module", r"no\.nwb: `ophys` asks for imaging data but the file has no processing/ophys module"),
    ("short_bins", r"short\.nwb: 'processing/ophys/DfOverF/RoiResponseSeries': bins of 10 ms are shorter than "
                   r"the frame period 33\.3333 ms \(30 Hz\)"),
    ("timestamps", r"ts\.nwb: 'processing/ophys/DfOverF/RoiResponseSeries' has 899 timestamps for 900 frames"),
    ("not_series", r"ns\.nwb: 'processing/ophys/ImageSegmentation' is a ImageSegmentation, not a "
                   r"RoiResponseSeries"),
    ("bad_path", r"bp\.nwb: path 'processing/ophys/DfOverF/nope': 'processing/ophys/DfOverF' has no 'nope'"),
])
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, capsys, case, words):
    spec, width = {"spikes": False, "ophys": "auto"}, "0.1"
    if case == "no_module":
        nwb = mock_NWBFile()
        nwb.add_acquisition(TimeSeries(name="speed", data=np.ones(100), unit="m/s", rate=10.0))
        path = tmp_path / "no.nwb"
        with NWBHDF5IO(str(path), "w") as io:
            io.write(nwb)
    elif case == "short_bins":
        path, width = write_imaging(tmp_path / "short.nwb"), "0.01"
    elif case == "timestamps":  # pynwb refuses to write it: cut the stored timestamps by one
        import h5py

        path = write_imaging(tmp_path / "ts.nwb", timestamps=np.arange(N_FRAMES) / RATE)
        with h5py.File(path, "a") as h5:
            grp = h5["processing/ophys/DfOverF/RoiResponseSeries"]
            old = grp["timestamps"]
            vals, attrs = old[:-1], dict(old.attrs)
            del grp["timestamps"]
            grp.create_dataset("timestamps", data=vals).attrs.update(attrs)
    elif case == "not_series":
        path, spec = write_imaging(tmp_path / "ns.nwb"), {"spikes": False,
                                                          "ophys": "processing/ophys/ImageSegmentation"}
    else:
        path, spec = write_imaging(tmp_path / "bp.nwb"), {"spikes": False, "ophys": "processing/ophys/DfOverF/nope"}
    out, argv = _cli_fails(path, spec, tmp_path, width)
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    errors = [line for line in err if line.startswith("neuralmi bin: error:")]
    assert len(errors) == 1 and errors[0] == err[-1], err  # one line (pynwb's own warnings may precede it)
    assert re.search(words, errors[0]), errors[0]
    assert not any("Traceback" in line for line in err)
    assert not out.exists() and (not out.parent.exists() or not list(out.parent.iterdir()))


def test_an_imaging_file_binned_without_ophys_says_how(imaging, tmp_path, capsys):
    out = tmp_path / "b.nc"
    assert main(["bin", str(imaging), "--bin-width", "0.1", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert re.search(r"imaging\.nwb: has no 'units' table but holds imaging data \(processing/ophys/DfOverF/"
                     r"RoiResponseSeries\); bin it with `ophys: auto`", err), err
    assert not out.exists()


def test_cli_writes_ophys_and_the_file_reads_back(imaging, tmp_path, capsys):
    out, argv = _cli_fails(imaging, {"ophys": {"filters": {"is_cell": 1}}}, tmp_path)
    assert main(argv) == 0  # no units table: the default spikes spec is skipped for an imaging file
    with open_binned(out) as ds:
        assert ds.ophys.shape == (N_FRAMES // 3, 3) and ds.ophys.dtype == np.float32
        assert ds.ophys.attrs["preprocessing"] == "dF/F, 30 Hz frames averaged into 100 ms bins"
        assert "unit" not in ds.dims


@pytest.mark.parametrize("raw,words", [
    ({"ophys": {"seriess": "x"}}, "`ophys` has unknown key"),
    ({"ophys": {"signal": "raw"}}, "`ophys.signal` must be one of"),
    ({"ophys": {"on_nan": "hold"}}, "`ophys.on_nan` must be one of"),
    ({"ophys": {"series": "a/b", "signal": "dff"}}, "cannot be combined"),
    ({"ophys": {"filters": {"depth": {"lo": 1}}}}, "range accepts keys min/max"),
    ({"ophys": 3}, "`ophys` must be a mapping"),
])
def test_spec_errors(raw, words):
    with pytest.raises(NeuralMIError, match=words):
        parse_signal_spec(raw)


def test_spec_forms():
    assert parse_signal_spec({"ophys": False}).ophys is None
    assert parse_signal_spec({"ophys": "auto"}).ophys == parse_signal_spec({"ophys": {}}).ophys
    sp = parse_signal_spec({"ophys": "/processing/ophys/DfOverF/R/"}).ophys
    assert sp.series == "processing/ophys/DfOverF/R"


def test_workflow_config_accepts_ophys_and_refuses_bad_keys():
    """The config JSON Schema and the library's signal-spec check (wfplan.validate_config runs both)."""
    import copy
    import importlib.util
    from pathlib import Path

    import yaml

    root = Path(__file__).resolve().parents[1]
    spec = importlib.util.spec_from_file_location("wfplan_ophys", root / "workflow" / "scripts" / "wfplan.py")
    wfplan = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(wfplan)
    schema = wfplan.load_schema(root / "workflow" / "schemas" / "config.schema.yaml")
    base = yaml.safe_load((root / "config.yaml").read_text())
    cfg = copy.deepcopy(base)
    cfg["signals"] = {**(cfg.get("signals") or {}), "ophys": {"series": "auto", "filters": {"is_cell": 1}}}
    assert wfplan.validate_config(cfg, schema)["signals"]["ophys"]["filters"] == {"is_cell": 1}
    cfg = copy.deepcopy(base)
    cfg["signals"] = {**(cfg.get("signals") or {}), "ophys": {"on_nan": "hold"}}
    with pytest.raises(Exception, match=r"ophys\.on_nan"):
        wfplan.validate_config(cfg, schema)


def test_the_docs_example_runs(tmp_path, monkeypatch):
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs" / "ophys.md").read_text()
    code = re.findall(r"```python\n(.*?)```", text, re.S)
    assert code
    monkeypatch.chdir(tmp_path)
    exec(compile(code[-1], "docs/ophys.md", "exec"), {})
    assert (tmp_path / "binned.nc").exists()


def test_a_file_written_by_neuroconv_from_suite2p_output():
    """tests/data/suite2p_neuroconv.nwb: synthetic suite2p output converted by neuroconv 0.10.2 (see
    tests/data/make_suite2p_neuroconv.py): one Fluorescence container with RoiResponseSeries (F),
    Neuropil and Deconvolved; a 1-d iscell column; imaging plane location 'unknown'."""
    from pathlib import Path

    path = Path(__file__).resolve().parent / "data" / "suite2p_neuroconv.nwb"
    ds = bin_session(path, {"ophys": "auto"}, 0.1)  # no units table: the default spikes spec is skipped
    assert ds.attrs["ophys_series"] == "processing/ophys/Fluorescence/RoiResponseSeries"
    assert ds.ophys.attrs["preprocessing"] == "fluorescence, 30 Hz frames averaged into 100 ms bins"
    t = np.arange(300) / 30.0
    f = (100 + 20 * np.sin(2 * np.pi * t / 5.0)[None, :] * (1 + np.arange(6))[:, None]).astype(np.float32)
    np.testing.assert_allclose(ds.ophys.values, f.T.astype(np.float64).reshape(100, 3, 6).mean(axis=1), rtol=1e-6)
    assert ds.roi.values.tolist() == list(range(6)) and ds.is_cell.values.tolist() == [1, 0, 1, 1, 0, 1]
    assert set(ds.location.values) == {"unknown"} and json.loads(ds.ophys.attrs["location_missing"])
    dec = bin_session(path, {"ophys": {"series": "processing/ophys/Fluorescence/Deconvolved",
                                       "filters": {"is_cell": 1}}}, 0.2)
    assert dec.ophys.attrs["preprocessing"].startswith("deconvolved") and dec.sizes["roi"] == 4
    assert "unit" not in ds.dims
