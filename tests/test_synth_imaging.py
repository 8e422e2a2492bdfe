"""Synthetic two-photon imaging sessions (neuralmi_core.synth.imaging): the file, its binning as `ophys`,
the calcium model, cells vs non-cells, the sidecar, the archive layout with imaging sessions (ephys
sessions unchanged), the CLI flag, the workflow key and bad input."""

from __future__ import annotations

import copy
import importlib.util
import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml
from scipy.signal import lfilter

from neuralmi_core.cli import main
from neuralmi_core.io import nwb as nwbio
from neuralmi_core.io.netcdf import open_binned
from neuralmi_core.io.units import read_units
from neuralmi_core.synth import (
    DFF_PATH,
    ImagingParams,
    SynthParams,
    calcium_at_frames,
    generate_archive,
    generate_imaging_session,
    position_mi_bound_nats,
    sidecar_path,
    simulate_imaging,
)
from neuralmi_core.validation import NeuralMIError

ROOT = Path(__file__).resolve().parents[1]
DURATION = 60.0
SEED = 11
SMALL = dict(duration_s=30.0, n_units_a=5, n_units_b=4)


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    """A 60 s imaging session with the default 200 ROIs (20 non-cells)."""
    path = tmp_path_factory.mktemp("imaging") / "sub-01_ses-01_ophys.nwb"
    return generate_imaging_session(path, seed=SEED, duration_s=DURATION)


@pytest.fixture(scope="module")
def binned(session, tmp_path_factory):
    """The session binned by `neuralmi bin --signals` with {spikes: false, ophys: auto} at 0.1 s."""
    tmp = tmp_path_factory.mktemp("binned")
    spec = tmp / "spec.yaml"
    spec.write_text(yaml.safe_dump({"spikes": False, "ophys": "auto"}))
    out = tmp / "binned.nc"
    argv = ["bin", str(session), "--signals", str(spec), "--bin-width", "0.1", "--out", str(out)]
    assert main(argv) == 0
    return out


def _wfplan():
    spec = importlib.util.spec_from_file_location(
        "wfplan_imaging", ROOT / "workflow" / "scripts" / "wfplan.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_the_file_opens_validates_and_holds_imaging_only(session):
    from pynwb import NWBHDF5IO, validate

    with NWBHDF5IO(str(session), "r") as io:
        assert validate(io=io) == []
        nwb = io.read()
        assert nwb.units is None and nwb.electrodes is None
        plane = nwb.imaging_planes["plane0"]
        assert (plane.location, plane.indicator, plane.imaging_rate) == ("VISp", "GCaMP6s", 30.0)
        rrs = nwb.processing["ophys"]["DfOverF"]["RoiResponseSeries"]
        assert rrs.rate == 30.0 and rrs.unit == "dF/F" and rrs.data.shape == (int(DURATION * 30), 200)
        ps = nwb.processing["ophys"]["ImageSegmentation"]["PlaneSegmentation"]
        is_cell = np.asarray(ps["is_cell"].data[:])
        assert len(ps) == 200 and int(is_cell.sum()) == 180
        assert not is_cell[:180].all()  # non-cells sit among the cells, not all at the end
        assert len(ps["pixel_mask"][0]) == 29  # a disk of radius 3 px
        pos = nwbio.read_timeseries(nwb, "processing/behavior/Position/position")
        assert pos.values.shape[1] == 2 and np.isnan(pos.values).any()
        meta = json.loads(nwb.scratch["neuralmi_synth_params"].data)
    assert meta["kind"] == "ophys" and meta["imaging_params"]["n_rois"] == 200


def test_files_pass_nwbinspector_dandi_without_critical(session, tmp_path):
    nwbinspector = pytest.importorskip("nwbinspector")
    shutil.copy(session, tmp_path / session.name)  # nwbinspector keeps the files it read open
    msgs = list(
        nwbinspector.inspect_all(
            path=tmp_path, config=nwbinspector.load_config("dandi"), n_jobs=1, progress_bar=False
        )
    )
    assert not [m for m in msgs if m.importance.name in ("CRITICAL", "ERROR", "PYNWB_VALIDATION")], msgs


def test_neuralmi_bin_reads_it_as_ophys(binned):
    with open_binned(binned) as ds:
        assert ds.ophys.dims == ("time", "roi") and ds.ophys.shape == (int(DURATION / 0.1), 200)
        assert set(ds.location.values.tolist()) == {"VISp"} and set(ds.plane.values.tolist()) == {"plane0"}
        assert int(ds.is_cell.sum()) == 180 and int((ds.is_cell == 0).sum()) == 20
        assert ds.ophys.attrs["preprocessing"] == "dF/F, 30 Hz frames averaged into 100 ms bins"
        assert ds.attrs["ophys_series"] == DFF_PATH
        assert (ds.ophys_n_frames.values == 3).all() and "unit" not in ds.dims
        assert ds.position.shape == (int(DURATION / 0.1), 2)


def test_the_sidecar_states_the_imaging_truth_and_keeps_the_ephys_keys(session, tmp_path):
    truth = json.loads(sidecar_path(session).read_text())
    ephys = generate_archive(tmp_path, n_sessions=1, seed=0, **SMALL)[0]
    ephys_truth = json.loads(sidecar_path(ephys).read_text())
    assert set(ephys_truth) - {"kind"} <= set(truth) - {"imaging_params"}
    assert (truth["kind"], ephys_truth["kind"]) == ("ophys", "ecephys")
    assert truth["latent_dims"] == {"A": 5} and truth["n_shared_dims"] == 3
    assert (truth["n_rois"], truth["n_cells"], truth["n_non_cells"]) == (200, 180, 20)
    assert truth["n_units"] == {"A": 180}
    assert (truth["frame_rate_hz"], truth["calcium_tau_s"], truth["dff_noise_sd"]) == (30.0, 0.6, 0.25)
    assert truth["mi_counts_upper_bound_nats_by_bin_width"] == {}  # no population B in an imaging file
    bounds = truth["mi_position_upper_bound_nats_by_bin_width"]
    assert sorted(bounds) == ["0.05", "0.1"]  # bins shorter than a frame are refused by the reader
    assert 0 < bounds["0.05"] < bounds["0.1"]
    assert truth["mi_position_upper_bound_bits_by_bin_width"]["0.1"] == pytest.approx(
        bounds["0.1"] / math.log(2)
    )
    readout = np.array(truth["behavior"]["readout_of_shared_latents"])
    p = SynthParams(
        **truth["params"]
        | {"trial_s": tuple(truth["params"]["trial_s"]), "iti_s": tuple(truth["params"]["iti_s"])}
    )
    assert position_mi_bound_nats(p, readout, 0.1) == pytest.approx(bounds["0.1"])
    assert "expect MI(dF/F; position) well below it" in truth["notes"]


def test_the_position_bound_by_hand():
    """1/2 log det(I + k_max / sigma^2 R R^T), k_max = max(2, floor(bin * rate) + 1)."""
    r = np.array([[0.1, 0.0, 0.0], [0.0, 0.2, 0.0]])
    p = SynthParams(behavior_noise=0.05, behavior_rate=30.0)
    k = 4  # 0.1 s at 30 Hz: at most 4 samples in a half-open bin
    want = 0.5 * (math.log(1 + k * 0.01 / 0.0025) + math.log(1 + k * 0.04 / 0.0025))
    assert position_mi_bound_nats(p, r, 0.1) == pytest.approx(want)
    assert position_mi_bound_nats(p, r, 0.01) == pytest.approx(0.5 * (math.log(9) + math.log(33)))  # k = 2
    assert position_mi_bound_nats(SynthParams(n_shared=0), r, 0.1) == 0.0
    assert position_mi_bound_nats(SynthParams(behavior_noise=0.0), r, 0.1) is None


def test_calcium_is_the_exact_exponential_sum():
    rng = np.random.default_rng(0)
    spikes = [np.sort(rng.uniform(0, 5, 30)), np.zeros(0), np.array([1 / 30, 2.0])]
    ft = np.arange(150) / 30.0
    c = calcium_at_frames(spikes, ft, 0.6)
    for u, ts in enumerate(spikes):
        lag = ft[:, None] - ts[None, :]
        np.testing.assert_allclose(c[:, u], np.where(lag >= 0, np.exp(-lag / 0.6), 0).sum(axis=1), atol=1e-12)


def test_dff_of_a_cell_is_its_amplitude_times_calcium_without_noise():
    im = ImagingParams(n_rois=12, non_cell_fraction=0.25, noise_sd=0.0)
    d = simulate_imaging(SynthParams(duration_s=20.0), im, seed=3)
    cells = np.flatnonzero(d.is_cell)
    assert cells.size == 9 and len(d.spike_times) == 9 and d.dff.dtype == np.float32
    ca = calcium_at_frames(d.spike_times, d.frame_times, im.tau_decay_s)
    ok = ca > 0.05
    ratio = d.dff[:, cells] / np.where(ok, ca, np.nan)
    amp = np.nanmedian(ratio, axis=0)
    assert ok.mean() > 0.9
    np.testing.assert_allclose(ratio[ok], np.broadcast_to(amp, ratio.shape)[ok], rtol=1e-5)
    assert 0.05 < np.median(amp) < 0.8  # lognormal around dff_per_spike = 0.2
    assert np.mean([t.size for t in d.spike_times]) / 20.0 == pytest.approx(10.0, rel=0.5)


def _r2_on_latents(
    dff_binned: np.ndarray, latents: np.ndarray, tau: float, dt: float, steps: int
) -> np.ndarray:
    """R^2 of each ROI's binned dF/F regressed on the latents, low-passed by the calcium kernel and binned."""
    zf = lfilter([1.0], [1.0, -math.exp(-dt / tau)], latents, axis=0)
    n = dff_binned.shape[0]
    x = np.column_stack([np.ones(n), zf[: n * steps].reshape(n, steps, -1).mean(axis=1)])
    beta, *_ = np.linalg.lstsq(x, dff_binned, rcond=None)
    res = dff_binned - x @ beta
    return 1 - (res**2).sum(0) / ((dff_binned - dff_binned.mean(0)) ** 2).sum(0)


def test_cells_follow_the_latents_and_non_cells_do_not(binned):
    """R^2 of the binned dF/F (0.1 s) on the 5 latent dims the cells see (low-passed like calcium).

    Spread over 10 seeds (60 s, 200 ROIs): median R^2 of the cells 0.56-0.64, mean R^2 of the non-cells
    0.064-0.098 (not 0: 600 autocorrelated bins and 5 regressors fit some of the slow neuropil by chance;
    the same non-cells against independent latents give the same level). The thresholds 0.4 and 0.2 sit
    more than 6 seed-sds away from both; a non-cell driven by the latents would reach ~0.6.
    """
    d = simulate_imaging(SynthParams(duration_s=DURATION), ImagingParams(), SEED)  # same seed: same content
    with open_binned(binned) as ds:
        y = ds.ophys.values.astype(np.float64)
        is_cell = ds.is_cell.values
    np.testing.assert_allclose(y, d.dff.astype(np.float64).reshape(-1, 3, 200).mean(axis=1), atol=1e-5)
    r2 = _r2_on_latents(y, d.latents, 0.6, d.params.dt_gen, 20)
    assert np.median(r2[is_cell == 1]) > 0.4
    assert r2[is_cell == 0].mean() < 0.2
    other = simulate_imaging(SynthParams(duration_s=DURATION), ImagingParams(), SEED + 1)
    null = _r2_on_latents(y, other.latents, 0.6, d.params.dt_gen, 20)
    assert np.median(null[is_cell == 1]) < 0.2  # independent latents explain the cells no better than noise
    assert abs(r2[is_cell == 0].mean() - null[is_cell == 0].mean()) < 0.1


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_cells_vs_non_cells_over_seeds(seed):
    d = simulate_imaging(SynthParams(duration_s=DURATION), ImagingParams(n_rois=60), seed)
    y = d.dff.astype(np.float64).reshape(-1, 3, 60).mean(axis=1)
    r2 = _r2_on_latents(y, d.latents, 0.6, d.params.dt_gen, 20)
    assert (d.is_cell == 0).sum() == 6
    assert np.median(r2[d.is_cell == 1]) > 0.4 and r2[d.is_cell == 0].mean() < 0.2


def test_archive_layout_with_imaging_sessions_and_ephys_unchanged(tmp_path):
    im = {"n_rois": 10}
    base = generate_archive(tmp_path / "a", n_sessions=3, seed=5, **SMALL)
    paths = generate_archive(tmp_path / "b", n_sessions=3, seed=5, imaging_sessions=3, imaging=im, **SMALL)
    rel = [str(p.relative_to(tmp_path / "b")) for p in paths]
    assert rel == [
        "sub-01/sub-01_ses-01_ecephys.nwb",
        "sub-01/sub-01_ses-02_ecephys.nwb",
        "sub-02/sub-02_ses-01_ecephys.nwb",
        "sub-03/sub-03_ses-01_ophys.nwb",
        "sub-03/sub-03_ses-02_ophys.nwb",
        "sub-04/sub-04_ses-01_ophys.nwb",
    ]
    assert all(sidecar_path(p).exists() for p in paths)
    for a, b in zip(base, paths[:3], strict=True):  # the ephys sessions: same content with imaging added
        with nwbio.open_nwb(a) as fa, nwbio.open_nwb(b) as fb:
            ua, ub = read_units(fa), read_units(fb)
            for x, y in zip(ua.spike_times, ub.spike_times, strict=True):
                np.testing.assert_array_equal(x, y)
            assert fa.scratch["neuralmi_synth_params"].data == fb.scratch["neuralmi_synth_params"].data
        ta, tb = (json.loads(sidecar_path(p).read_text()) for p in (a, b))
        assert ta == tb and ta["kind"] == "ecephys"
    seeds = [json.loads(sidecar_path(p).read_text())["seed"] for p in paths]
    assert len(set(seeds)) == 6
    one = generate_archive(tmp_path / "c", n_sessions=1, seed=5, imaging_sessions=1, imaging=im, **SMALL)
    assert one[1].name == "sub-02_ses-01_ophys.nwb"  # imaging seeds do not depend on the ephys count
    assert json.loads(sidecar_path(one[1]).read_text())["seed"] == seeds[3]


def test_demo_archive_cli_flag(tmp_path, capsys):
    argv = [
        "demo-archive",
        "--out",
        str(tmp_path / "d"),
        "--sessions",
        "1",
        "--duration",
        "20",
        "--units-per-region",
        "3",
        "--imaging-sessions",
        "1",
        "--rois",
        "12",
    ]
    assert main(argv) == 0
    out = capsys.readouterr().out.split()
    assert out == [
        str(tmp_path / "d" / "sub-01" / "sub-01_ses-01_ecephys.nwb"),
        str(tmp_path / "d" / "sub-02" / "sub-02_ses-01_ophys.nwb"),
    ]
    truth = json.loads(sidecar_path(out[1]).read_text())
    assert truth["n_rois"] == 12 and truth["params"]["duration_s"] == 20.0 and truth["kind"] == "ophys"


def test_workflow_key_and_checkpoint_arguments():
    wfplan = _wfplan()
    schema = wfplan.load_schema(ROOT / "workflow" / "schemas" / "config.schema.yaml")
    base = yaml.safe_load((ROOT / "config.yaml").read_text())
    assert base["demo_archive"]["imaging_sessions"] == 1  # the shipped demo shows an imaging session
    cfg = copy.deepcopy(base)
    del cfg["demo_archive"]["imaging_sessions"]
    cfg = wfplan.validate_config(cfg, schema)
    assert cfg["demo_archive"]["imaging_sessions"] == 0  # the default: none
    assert "--imaging-sessions" not in wfplan.demo_archive_args(cfg["demo_archive"])
    cfg = copy.deepcopy(base)
    cfg["demo_archive"]["imaging_sessions"] = 2
    args = wfplan.demo_archive_args(wfplan.validate_config(cfg, schema)["demo_archive"])
    assert args[:6] == ["--sessions", str(base["demo_archive"]["sessions"]), "--seed", "0", "--imaging-sessions", "2"]
    cfg["demo_archive"]["imaging_sessions"] = -1
    with pytest.raises(wfplan.ConfigError, match="imaging_sessions"):
        wfplan.validate_config(cfg, schema)


@pytest.mark.parametrize(
    "kwargs,words",
    [
        ({"imaging_sessions": -1}, r"`imaging_sessions` must be an int in \[0, inf\]. Got -1"),
        ({"imaging_sessions": 1, "imaging": {"n_rois": 1}}, r"`n_rois` must be an int in \[2, inf\]. Got 1"),
        (
            {"imaging_sessions": 1, "imaging": {"n_roi": 5}},
            r"unknown imaging-session parameter\(s\) \['n_roi'\]",
        ),
        ({"imaging_sessions": 1, "imaging": {"non_cell_fraction": 1.0}}, r"`non_cell_fraction` must be"),
        ({"imaging_sessions": 1, "imaging": {"n_rois": 2, "non_cell_fraction": 0.9}}, "leaves no cell"),
        ({"imaging_sessions": 1, "imaging": {"location": " "}}, "`location` must name a brain area"),
        ({"imaging_sessions": 0, "imaging": {"n_rois": 5}}, r"given but `imaging_sessions` is 0"),
        (
            {"imaging_sessions": 1, "duration_s": 1.0, "imaging": {"frame_rate_hz": 1.5}},
            "fewer than 2 frames",
        ),
    ],
)
def test_bad_input_is_refused_before_anything_is_written(tmp_path, kwargs, words):
    with pytest.raises(NeuralMIError, match=words):
        generate_archive(tmp_path / "x", n_sessions=1, **kwargs)
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize(
    "flags,words",
    [
        (["--imaging-sessions", "-2"], "`imaging_sessions` must be an int"),
        (["--imaging-sessions", "1", "--rois", "1"], "`n_rois` must be an int in [2, inf]"),
        (["--rois", "50"], "given but `imaging_sessions` is 0"),
    ],
)
def test_cli_bad_input_is_one_line(tmp_path, capsys, flags, words):
    assert main(["demo-archive", "--out", str(tmp_path / "x"), "--duration", "10", *flags]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and words in err[0], err
    assert not (tmp_path / "x").exists()


@pytest.mark.slow
def test_estimated_mi_of_cells_and_position_is_positive_and_below_the_bound(tmp_path):
    import neuralmi_core as nmi
    from neuralmi_core.io.netcdf import write_netcdf
    from neuralmi_core.io.select import select_xy
    from neuralmi_core.io.session import bin_session

    path = generate_imaging_session(tmp_path / "i.nwb", seed=3, duration_s=300.0)
    bound = json.loads(sidecar_path(path).read_text())["mi_position_upper_bound_nats_by_bin_width"]["0.1"]
    out = write_netcdf(bin_session(path, {"spikes": False, "ophys": "auto"}, 0.1), tmp_path / "b.nc")
    sel = select_xy(f"{out}:ophys[is_cell=1]", f"{out}:position")
    assert sel.x.shape[1] == 180
    with pytest.warns(Warning):  # autocorrelated bins: warned, not an error
        res = nmi.estimate(sel.x, sel.y, seed=0, progress=False)
    assert 0.1 < res.mi_nats < bound
