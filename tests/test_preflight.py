"""The check after binning (issue 14 items 3, 5, 12): what an analysis selects, and a session too short for
its gammas or split refused before training, naming the session and the setting to change."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from neuralmi_core.analysis.preflight import preflight
from neuralmi_core.analysis.rigorous import MIN_CHUNK_SAMPLES, rigorous
from neuralmi_core.io.netcdf import write_netcdf
from neuralmi_core.validation import NeuralMIError


def binned(path, n_bins=2000, silent_a=False, seed=0):
    """A binned session: units 1-3 in region A (VISp), 4-5 in region B; unit 2 unobserved in bins 100-149."""
    rng = np.random.default_rng(seed)
    spikes = rng.poisson(1.0, (n_bins, 5)).astype(np.int16)
    if silent_a:
        spikes[:, :3] = 0
    obs = np.ones((n_bins, 5), np.uint8)
    obs[100:150, 1] = 0
    ds = xr.Dataset(
        {"spikes": (("time", "unit"), spikes, {"mask_variable": "spikes_observed"}),
         "spikes_observed": (("time", "unit"), obs), "observed": ("time", np.ones(n_bins, np.uint8))},
        coords={"time": ("time", (np.arange(n_bins) + 0.5) * 0.02, {"units": "s"}), "unit": [1, 2, 3, 4, 5],
                "region": ("unit", ["A", "A", "A", "B", "B"]), "location": ("unit", ["VISp"] * 3 + ["LGd"] * 2)},
        attrs={"bin_width_s": 0.02})
    return write_netcdf(ds, path)


def test_selection_record(tmp_path):
    path = binned(tmp_path / "binned.nc")
    rec = preflight(path, "spikes[region=A]", "spikes[region=B]", window=2, lag=3,
                    modes={"rigorous": {"gammas": [1, 2, 3]}, "dimensionality": {}},
                    use_y={"rigorous": True, "dimensionality": False})
    assert rec["n_bins"] == 2000 and rec["bin_width_s"] == 0.02
    assert rec["window_s"] == pytest.approx(0.04) and rec["lag_s"] == pytest.approx(0.06)
    assert rec["x"]["units"]["region"] == {"A": 3} and rec["x"]["units"]["ids"] == [1, 2, 3]
    assert rec["y"]["units"]["location"] == {"LGd": 2}
    assert rec["x"]["invalid_bins_by_reason"]["unobserved_units"] == 50
    # 50 unobserved bins of X (unit 2) reach 51 rows with window 2; 1 + 3 rows lost at the edges
    assert rec["dropped_bins"] == rec["n_bins"] - rec["n_rows"] == 51 + 4
    assert rec["checks"]["rigorous"]["smallest_chunk"] == rec["n_rows"] // 3
    assert rec["checks"]["dimensionality"]["x_alone"] and rec["checks"]["dimensionality"]["dropped_bins"] == 51 + 1
    assert rec["settings"]["rigorous"]["gammas"] == [1, 2, 3] and rec["settings"]["rigorous"]["gap"] == 10
    assert not rec["x"]["constant"] and rec["warnings"] == []


def test_constant_selection_is_flagged(tmp_path):
    rec = preflight(binned(tmp_path / "b.nc", silent_a=True), "spikes[region=A]", "spikes[region=B]")
    assert rec["x"]["constant"] and rec["x"]["n_constant_features"] == 3 and rec["x"]["constant_ids"] == [1, 2, 3]
    assert rec["warnings"] and rec["warnings"][0].startswith("X (spikes[region=A]): `x` is constant")


def test_too_short_for_the_gammas_names_session_and_key(tmp_path):
    path = binned(tmp_path / "b.nc", n_bins=300)
    keys = {"rigorous": {"gammas": "analyses[0].rigorous.gammas", "gap": "analyses[0].training.gap",
                         "test_fraction": "analyses[0].training.test_fraction"}}
    with pytest.raises(NeuralMIError) as err:
        preflight(path, "spikes[region=A]", "spikes[region=B]", modes={"rigorous": {"gammas": list(range(1, 21))}},
                  where="session sub-01_ses-01, analysis A_vs_B", keys=keys)
    msg = str(err.value)
    assert msg.startswith("session sub-01_ses-01, analysis A_vs_B: the session has 250 usable samples")
    assert "analyses[0].rigorous.gammas" in msg and f"at least {MIN_CHUNK_SAMPLES}" in msg
    # chunks of 83 samples pass the size rule but not the blocked split (5 test blocks with a 10-bin gap)
    with pytest.raises(NeuralMIError, match=r"at gamma 3 each chunk holds 83 samples.*analyses\[0\]\.training\.gap"):
        preflight(path, "spikes[region=A]", "spikes[region=B]", modes={"rigorous": {"gammas": list(range(1, 11))}},
                  keys=keys)
    # the library itself refuses the same session when training would start
    x = np.zeros((250, 2))
    with pytest.raises(NeuralMIError, match=f"at least {MIN_CHUNK_SAMPLES}"):
        rigorous(x, x, gammas="1-20", epochs=1)


def test_dimensionality_needs_two_features(tmp_path):
    path = binned(tmp_path / "b.nc")
    with pytest.raises(NeuralMIError, match="X selects 1 feature"):
        preflight(path, "spikes[unit=4]", None, modes={"dimensionality": {}})


def test_every_mode_checks_its_data(tmp_path):
    """Each registered mode refuses a session that cannot hold its lags, chunks or split, naming its keys."""
    path = binned(tmp_path / "b.nc", n_bins=300)
    keys = {"lag_sweep": {"lags": "analyses[0].lag_sweep.lags"}}
    with pytest.raises(NeuralMIError, match=r"`lags` span 400 bins .*analyses\[0\]\.lag_sweep\.lags \(now "):
        preflight(path, "spikes[region=A]", "spikes[region=B]", modes={"lag_sweep": {"lags": [-4.0, 4.0]}}, keys=keys)
    with pytest.raises(NeuralMIError, match=r"for lag_sweep .*at gamma 3 each chunk holds 80 samples"):
        preflight(path, "spikes[region=A]", "spikes[region=B]", modes={"lag_sweep": {"lags": [-0.1, 0.1]}})
    rec = preflight(binned(tmp_path / "long.nc"), "spikes[region=A]", "spikes[region=B]",
                    modes={"lag_sweep": {"lags": [-0.1, 0.1]}, "significance": {}, "contributions": {}})
    assert rec["checks"]["lag_sweep"]["lags_bins"] == [-5, 5] and set(rec["settings"]) == {
        "lag_sweep", "significance", "contributions"}


def test_conditioning_signal_and_transfer_entropy_checks(tmp_path):
    """Issue 21: Z's invalid bins drop rows too; TE refuses a session whose chunks cannot hold its windows."""
    path = binned(tmp_path / "b.nc")
    rec = preflight(path, "spikes[region=A]", "spikes[unit=4]", z="spikes[unit=2]",
                    modes={"conditional_mi": {"gammas": [1, 2, 3]}, "transfer_entropy": {"delays": [1, 2]}})
    assert rec["z"]["selector"] == "spikes[unit=2]" and rec["z"]["invalid_bins_by_reason"]["unobserved_units"] == 50
    assert rec["n_rows"] == 2000 - 50 and rec["checks"]["transfer_entropy"]["window_span_bins"] == 2
    with pytest.raises(NeuralMIError, match=r"`delays` up to 1900 .*fewer than 20 per chunk"):
        preflight(path, "spikes[region=A]", "spikes[region=B]", modes={"transfer_entropy": {"delays": [1, 1900]}})
