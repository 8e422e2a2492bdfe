"""Synthetic NWB archive: layout, ground truth, DANDI conformance and a clearly non-zero shared signal."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from neuralmi_core.cli import main
from neuralmi_core.io import nwb as nwbio
from neuralmi_core.io.units import read_units
from neuralmi_core.synth import (
    SynthParams,
    generate_archive,
    latent_covariance,
    latent_mi_nats,
    sidecar_path,
    simulate_session,
)
from neuralmi_core.validation import NeuralMIError

SMALL = dict(duration_s=30.0, n_units_a=5, n_units_b=4)


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    root = tmp_path_factory.mktemp("archive")
    return root, generate_archive(root, n_sessions=3, seed=5, **SMALL)


def test_dandi_layout_sidecar_and_scratch(archive):
    root, paths = archive
    rel = sorted(str(p.relative_to(root)) for p in paths)
    assert rel == [
        "sub-01/sub-01_ses-01_ecephys.nwb",
        "sub-01/sub-01_ses-02_ecephys.nwb",
        "sub-02/sub-02_ses-01_ecephys.nwb",
    ]
    truth = json.loads(sidecar_path(paths[0]).read_text())
    assert truth["n_shared_dims"] == 3 and truth["latent_dims"] == {"A": 5, "B": 5}
    assert truth["mi_latent_instantaneous_nats"] > 0
    with nwbio.open_nwb(paths[0]) as f:
        meta = json.loads(f.scratch["neuralmi_synth_params"].data)
        units = read_units(f)
        assert f.trials is not None and len(f.trials) > 0
        pos = nwbio.read_timeseries(f, "processing/behavior/Position/position")
    assert meta["truth"]["n_shared_dims"] == 3 and meta["params"]["n_units_a"] == 5
    assert sorted(set(units.columns["region"])) == ["A", "B"] and set(units.columns["quality"]) <= {
        "good",
        "mua",
    }
    assert np.isnan(pos.values).any()  # tracking loss
    assert np.diff(pos.timestamps).max() > 1.0  # missing stretches of timestamps


def test_same_seed_same_content_different_seeds_differ(tmp_path):
    a = simulate_session(SynthParams(**SMALL), 7)
    b = simulate_session(SynthParams(**SMALL), 7)
    c = simulate_session(SynthParams(**SMALL), 8)
    for x, y in zip(a.spike_times, b.spike_times, strict=True):
        np.testing.assert_array_equal(x, y)
    assert any(len(x) != len(y) or (x != y).any() for x, y in zip(a.spike_times, c.spike_times, strict=True))


def test_spikes_sit_on_the_resolution_grid_and_respect_obs_intervals():
    d = simulate_session(SynthParams(**SMALL, n_unobserved_units=1, unobserved_s=5.0), 1)
    for t, obs in zip(d.spike_times, d.obs_intervals, strict=True):
        ticks = t / 1e-4
        np.testing.assert_allclose(ticks, np.rint(ticks), atol=1e-6)
        inside = np.zeros(t.size, bool)
        for a, b in obs:
            inside |= (t >= a) & (t < b)
        assert inside.all()


def test_latent_mi_formula():
    p = SynthParams(shared_noise=0.5, n_shared=3)
    rho2 = 1 / (1 + 0.25) ** 2
    assert latent_mi_nats(p, 1) == pytest.approx(-1.5 * math.log(1 - rho2))
    vals = [latent_mi_nats(p, m) for m in (1, 2, 4, 10)]
    assert all(b > a for a, b in zip(vals, vals[1:], strict=False))
    assert vals[-1] < 10 * vals[0]  # smooth latents: far below m independent steps
    k = latent_covariance(0.3, 0.005, 5)
    assert np.allclose(np.diag(k), 1.0) and np.allclose(k, k.T)
    assert latent_mi_nats(SynthParams(n_shared=0), 4) == 0.0


def test_bad_generator_parameters():
    with pytest.raises(NeuralMIError, match="n_units_z"):
        generate_archive("unused", n_sessions=1, n_units_z=3)
    with pytest.raises(NeuralMIError, match="n_sessions"):
        generate_archive("unused", n_sessions=0)


def test_files_pass_nwbinspector_dandi_without_critical(archive):
    nwbinspector = pytest.importorskip("nwbinspector")
    root, _ = archive
    msgs = list(
        nwbinspector.inspect_all(
            path=root, config=nwbinspector.load_config("dandi"), n_jobs=1, progress_bar=False
        )
    )
    critical = [m for m in msgs if m.importance.name in ("CRITICAL", "ERROR", "PYNWB_VALIDATION")]
    assert not critical, [str(m) for m in critical]


def test_demo_archive_cli(tmp_path, capsys):
    assert (
        main(
            [
                "demo-archive",
                "--out",
                str(tmp_path / "d"),
                "--sessions",
                "1",
                "--seed",
                "2",
                "--duration",
                "20",
                "--units-per-region",
                "3",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out.split()
    assert out == [str(tmp_path / "d" / "sub-01" / "sub-01_ses-01_ecephys.nwb")]
    assert sidecar_path(out[0]).exists()


def test_shared_signal_is_clearly_nonzero_and_below_the_bound(tmp_path):
    from neuralmi_core.estimators.gaussian import gaussian_mi
    from neuralmi_core.io.session import bin_session

    path = generate_archive(tmp_path, n_sessions=1, seed=0, duration_s=180.0)[0]
    truth = json.loads(sidecar_path(path).read_text())
    ds = bin_session(path, {"behavior": {}}, bin_width=0.05)
    a = np.sqrt(ds.spikes.values[:, ds.region.values == "A"].astype(float))
    b = np.sqrt(ds.spikes.values[:, ds.region.values == "B"].astype(float))
    mi = gaussian_mi(a, b)
    assert 0.3 < mi < truth["mi_counts_upper_bound_nats_by_bin_width"]["0.05"]
