"""Binning: exact edges, behaviour alignment, interval masks, and the NWB -> netCDF -> xarray round trip."""

from __future__ import annotations

import json

import numpy as np
import pytest
import xarray as xr

from neuralmi_core.io.binning import (
    align_samples,
    bin_spike_trains,
    interval_index,
    interval_mask,
    make_grid,
)
from neuralmi_core.io.netcdf import attr_value, edges_from_attrs, open_binned, write_netcdf
from neuralmi_core.io.session import bin_session
from neuralmi_core.synth import SynthParams, generate_session, simulate_session
from neuralmi_core.validation import NeuralMIError


def _flat(trains):
    return np.concatenate(trains), np.cumsum([len(t) for t in trains])


@pytest.mark.parametrize(
    "resolution,bin_width",
    [(2.0**-10, 8 * 2.0**-10), (1 / 30000, 0.01), (1e-4, 0.02), (None, 0.03), (1e-4, 0.0123456)],
)
def test_counts_equal_histogram_on_edge_aligned_spikes(resolution, bin_width):
    rng = np.random.default_rng(0)
    grid = make_grid(0.37, 60.0, bin_width, resolution)
    edges = grid.edges()
    assert grid.t0 <= 0.37 and edges[-1] >= 60.0
    trains = []
    for _ in range(4):
        on_edges = edges[rng.integers(0, grid.n_bins, 300)]  # exactly on (left) bin edges
        inside = rng.uniform(edges[0], edges[-1], 300)
        if grid.ticks_per_bin:  # spike times of a file with a clock sit on its ticks
            inside = np.rint(inside / resolution) * resolution
        trains.append(np.sort(np.concatenate([on_edges, inside])))
    counts = bin_spike_trains(*_flat(trains), grid)
    assert counts.shape == (grid.n_bins, 4)
    for u, t in enumerate(trains):
        np.testing.assert_array_equal(counts[:, u], np.histogram(t, bins=edges)[0])


def test_tick_grid_is_exact_for_a_30khz_clock():
    res, width = 1 / 30000, 0.01
    ticks = np.sort(np.random.default_rng(1).integers(0, 30000 * 3600, 200000))
    grid = make_grid(0.0, 3600.0, width, res)
    assert grid.method == "integer_ticks" and grid.ticks_per_bin == 300
    counts = bin_spike_trains(ticks * res, np.array([ticks.size]), grid)[:, 0]
    np.testing.assert_array_equal(counts, np.bincount(ticks // 300, minlength=grid.n_bins))


def test_counts_widen_dtype_and_ignore_spikes_outside():
    grid = make_grid(0.0, 1.0, 0.5, 1e-3)
    t = np.concatenate([np.full(300, 0.1), [0.7, 1.0, 5.0]])
    counts = bin_spike_trains(t, np.array([t.size]), grid)
    assert counts.dtype == np.uint16 and counts[:, 0].tolist() == [300, 1]


def test_grid_starts_on_a_multiple_of_the_width():
    g = make_grid(1.234, 10.0, 0.1, 1e-4)
    assert g.start_tick % g.ticks_per_bin == 0 and g.t0 == pytest.approx(1.2)
    np.testing.assert_allclose(np.diff(g.edges()), 0.1)
    g2 = make_grid(1.234, 10.0, 0.1)
    assert g2.method == "shared_edges" and g2.t0 == pytest.approx(1.2)


@pytest.mark.parametrize(
    "width,words",
    [(0.0, "positive"), (-1.0, "positive"), (float("nan"), "positive"), (100.0, "larger than the recording")],
)
def test_make_grid_rejects_bad_widths(width, words):
    with pytest.raises(NeuralMIError, match=words):
        make_grid(0.0, 10.0, width, source="f.nwb")


def test_behaviour_alignment_on_a_hand_made_series():
    g = make_grid(0.0, 2.0, 0.25)  # centres 0.125, 0.375, ..., 1.875
    t = np.array([0.05, 0.1, 0.2, 0.5, 1.0, 1.05, 1.1, 1.3])
    v = np.array([1.0, np.nan, 3.0, 5.0, 7.0, np.nan, np.nan, 9.0])[:, None]
    out = align_samples(t, v, g, max_gap_s=0.6)[:, 0]
    assert out[0] == pytest.approx(2.0)  # bin [0, .25): 3 samples, NaN-aware mean of 1 and 3
    assert out[1] == pytest.approx(3.0 + 2.0 * (0.375 - 0.2) / 0.3)  # no sample: interpolation
    assert out[2] == pytest.approx(5.0 + 2.0 * (0.625 - 0.5) / 0.5)  # one sample: interpolation
    assert out[3] == pytest.approx(6.5)  # no sample: interpolation between 0.5 and 1.0
    assert out[4] == pytest.approx(7.0)  # [1, 1.25): 3 samples, 2 NaN -> NaN-aware mean of the valid one
    assert np.isnan(out[5])  # centre 1.375 lies after the last sample (1.3) -> NaN


def test_behaviour_alignment_nan_outside_and_across_gaps():
    g = make_grid(0.0, 4.0, 0.5)
    t = np.array([0.6, 0.9, 1.1, 3.0, 3.1])
    v = np.arange(5.0)[:, None]
    out = align_samples(t, v, g, max_gap_s=0.5)[:, 0]
    assert np.isnan(out[0])  # before the first sample
    assert out[1] == pytest.approx(0.5)  # mean of the 2 samples in [0.5, 1)
    assert np.isnan(out[3]) and np.isnan(out[4])  # centres 1.75 and 2.25 inside the 1.1 -> 3.0 gap
    assert out[6] == pytest.approx(3.5)
    assert np.isnan(out[7])  # after the last sample


def test_interval_masks_full_and_centre():
    g = make_grid(0.0, 1.0, 0.1)
    full = interval_mask(np.array([0.15]), np.array([0.6]), g, how="full")
    centre = interval_mask(np.array([0.15]), np.array([0.6]), g)
    assert np.flatnonzero(full).tolist() == [2, 3, 4, 5]
    assert np.flatnonzero(centre).tolist() == [1, 2, 3, 4, 5]
    idx = interval_index(np.array([0.0, 0.5]), np.array([0.3, 0.8]), g)
    assert idx.tolist() == [0, 0, 0, -1, -1, 1, 1, 1, -1, -1]


def test_attr_values_are_netcdf_safe():
    assert (
        attr_value(True) == 1 and attr_value(None) == "" and json.loads(attr_value({"a": [1]})) == {"a": [1]}
    )


@pytest.fixture(scope="module")
def small_session(tmp_path_factory):
    d = tmp_path_factory.mktemp("bin")
    kw = dict(duration_s=40.0, n_units_a=4, n_units_b=3, n_unobserved_units=1, unobserved_s=5.0)
    path = generate_session(d / "sub-01_ses-01_ecephys.nwb", seed=11, **kw)
    return path, simulate_session(SynthParams(**kw), 11)


def test_round_trip_nwb_netcdf_xarray(small_session, tmp_path):
    path, truth = small_session
    ds = bin_session(path, {"trials": "trials"}, bin_width=0.02, config_hash="abc")
    out = write_netcdf(ds, tmp_path / "binned.nc")
    assert not list(tmp_path.glob(".*tmp"))
    with open_binned(out) as back:
        back.load()
    assert back.spikes.dims == ("time", "unit") and back.spikes.dtype == ds.spikes.dtype
    assert (
        back.spikes.encoding["zlib"]
        and "zlib" not in back.position.encoding
        or not back.position.encoding["zlib"]
    )
    for name in ds.variables:
        np.testing.assert_array_equal(back[name].values, ds[name].values, err_msg=name)
        assert back[name].dims == ds[name].dims
    assert set(ds.attrs) == set(back.attrs)
    for k, v in ds.attrs.items():
        assert back.attrs[k] == v or (isinstance(v, float) and np.isnan(v) and np.isnan(back.attrs[k])), k
    assert back.attrs["config_hash"] == "abc" and back.attrs["source_sha256"] and back.attrs["nwb_identifier"]
    # counts equal an independent histogram of the simulated spike times on the file's exact edges
    edges = edges_from_attrs(back.attrs)
    assert edges[1] - edges[0] == pytest.approx(0.02)
    for u, t in enumerate(truth.spike_times):
        np.testing.assert_array_equal(back.spikes.values[:, u], np.histogram(t[t < edges[-1]], edges)[0])
    assert back.region.values.tolist() == truth.region.tolist()
    # the unit with an unobserved stretch is masked there, and has no spikes there
    masked = back.spikes_observed.values == 0
    assert masked.any() and (back.spikes.values[masked] == 0).all()
    assert (back.trial.values >= -1).all() and (back.trial.values >= 0).any()


def test_spec_filters_and_restrict(small_session):
    path, _ = small_session
    ds = bin_session(
        path,
        {"spikes": {"filters": {"region": "B"}}, "behavior": {}, "restrict_to": "trials", "trials": None},
        bin_width=0.05,
    )
    assert ds.sizes["unit"] == 3 and set(ds.region.values) == {"B"}
    assert "position" not in ds and "trial" not in ds
    assert 0 < ds.observed.mean() < 1
    assert json.loads(ds.attrs["units_removed_by_filter"]) == {"region": 4}
    assert isinstance(ds, xr.Dataset)
