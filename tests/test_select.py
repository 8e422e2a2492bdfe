"""Selectors, masks, windows and lags: how binned tensors reach the estimators."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from neuralmi_core.io.netcdf import write_netcdf
from neuralmi_core.io.select import load_xy, pair_rows, parse_selector, select_xy, window_rows
from neuralmi_core.validation import NeuralMIError

T = 50


@pytest.fixture(scope="module")
def binned(tmp_path_factory):
    """A hand-made binned file: 4 units (A, A, B, B), unit 1 unobserved in bins 10-12, position NaN at 30."""
    rng = np.random.default_rng(0)
    spikes = rng.integers(0, 5, (T, 4)).astype(np.uint8)
    obs = np.ones((T, 4), np.uint8)
    obs[10:13, 1] = 0
    pos = rng.normal(size=(T, 2))
    pos[30, 1] = np.nan
    observed = np.ones(T, np.uint8)
    observed[45:] = 0
    ds = xr.Dataset(
        {
            "spikes": (("time", "unit"), spikes, {"mask_variable": "spikes_observed"}),
            "spikes_observed": (("time", "unit"), obs),
            "position": (("time", "position_component"), pos),
            "observed": ("time", observed),
        },
        coords={
            "time": ("time", (np.arange(T) + 0.5) * 0.1, {"units": "s"}),
            "unit": [10, 11, 12, 13],
            "region": ("unit", ["A", "A", "B", "B"]),
            "quality": ("unit", ["good", "mua", "good", "good"]),
            "position_component": ["x", "y"],
        },
        attrs={"bin_width_s": 0.1},
    )
    path = write_netcdf(ds, tmp_path_factory.mktemp("sel") / "binned.nc")
    return path, ds


@pytest.mark.parametrize(
    "key,expected",
    [
        ("spikes", ("spikes", [])),
        ("spikes[region=A]", ("spikes", [("region", ["A"])])),
        ("spikes[region=A|B, quality=good]", ("spikes", [("region", ["A", "B"]), ("quality", ["good"])])),
        ("position[position_component=x]", ("position", [("position_component", ["x"])])),
    ],
)
def test_parse_selector(key, expected):
    assert parse_selector(key) == expected


def test_pair_rows_and_windows_match_a_naive_loop():
    rng = np.random.default_rng(1)
    vx, vy = rng.random(40) > 0.1, rng.random(40) > 0.1
    x = rng.normal(size=(40, 3))
    for window in (1, 2, 4):
        for lag in (-3, 0, 2):
            rows = pair_rows(40, vx, vy, window, lag)
            naive = [
                t
                for t in range(40)
                if t - window + 1 >= 0
                and 0 <= t + lag < 40
                and vx[t - window + 1 : t + 1].all()
                and vy[t + lag]
            ]
            assert rows.tolist() == naive
            xw = window_rows(x, rows, window)
            expect = np.array([x[t - window + 1 : t + 1].reshape(-1) for t in naive]).reshape(len(naive), -1)
            np.testing.assert_array_equal(xw, expect)


def test_selection_masks_drop_bins_jointly(binned):
    path, ds = binned
    sel = select_xy(f"{path}:spikes[region=A]", f"{path}:position")
    keep = np.ones(T, bool)
    keep[10:13] = False  # unit 11 (region A) unobserved
    keep[30] = False  # position NaN
    keep[45:] = False  # observed == 0
    assert sel.bins.tolist() == np.flatnonzero(keep).tolist()
    np.testing.assert_array_equal(sel.x, ds.spikes.values[keep][:, :2])
    np.testing.assert_array_equal(sel.y, ds.position.values[keep])
    s = sel.summary
    assert s["n_rows"] == keep.sum() and s["invalid_x_by_reason"]["unobserved_units"] == 3
    assert s["invalid_y_by_reason"]["nan"] == 1 and s["invalid_x_by_reason"]["outside_observed"] == 5
    np.testing.assert_allclose(sel.time, ds.time.values[keep])


def test_selection_of_b_ignores_a_mask_and_window_lag(binned):
    path, ds = binned
    x, y = load_xy(f"{path}:spikes[region=B]", f"{path}:spikes[region=A,quality=good]", window=2, lag=-1)
    valid = np.ones(T, bool)
    valid[45:] = False
    rows = [t for t in range(1, T) if valid[t - 1 : t + 1].all() and valid[t - 1]]
    b, a = ds.spikes.values[:, 2:], ds.spikes.values[:, :1]
    np.testing.assert_array_equal(x, np.array([b[t - 1 : t + 1].reshape(-1) for t in rows]))
    np.testing.assert_array_equal(y, a[np.array(rows) - 1])


def test_plain_arrays_pass_through_and_take_windows(tmp_path):
    a = np.arange(24.0).reshape(6, 2, 2)
    np.save(tmp_path / "a.npy", a)
    np.savez(tmp_path / "b.npz", y=np.arange(6.0))
    x, y = load_xy(str(tmp_path / "a.npy"), str(tmp_path / "b.npz:y"))
    np.testing.assert_array_equal(x, a)
    np.testing.assert_array_equal(y, np.arange(6.0))
    x, y = load_xy(str(tmp_path / "a.npy"), str(tmp_path / "b.npz:y"), window=2, lag=1)
    assert x.shape == (4, 8) and y[:, 0].tolist() == [2, 3, 4, 5]
    x, y = load_xy(str(tmp_path / "a.npy"), None)
    assert y is None


BAD = [
    # (x spec template, y spec template, window, lag, words)
    ("{d}/missing.nc:spikes", None, 1, 0, ["missing.nc", "not found"]),
    ("{nc}:spike", None, 1, 0, ["spike", "holds", "'spikes'"]),
    ("{nc}", None, 1, 0, ["binned.nc", "VARIABLE"]),
    ("{nc}:spikes[region=C]", None, 1, 0, ["binned.nc", "'C'", "['A', 'B']"]),
    ("{nc}:spikes[area=A]", None, 1, 0, ["binned.nc", "'area'", "region"]),
    ("{nc}:spikes[region=A", None, 1, 0, ["binned.nc", "spikes[region=A"]),
    ("{nc}:spikes[region]", None, 1, 0, ["binned.nc", "no '='"]),
    ("{nc}:spikes[region=A,region=B]", None, 1, 0, ["binned.nc", "matched no unit"]),
    ("{nc}:spikes[time=0.05]", None, 1, 0, ["binned.nc", "non-time"]),
    ("{d}/x.npy:a[b=1]", None, 1, 0, ["x.npy", "netCDF"]),
    ("{nc}:spikes", "{d}/short.npy", 1, 0, ["short.npy", "same time bins"]),
    ("{nc}:spikes", None, 1, 2, ["lag", "give Y"]),
    ("{nc}:spikes", "{nc}:position", 0, 0, ["window"]),
    ("{nc}:spikes", "{nc}:position", 40, 20, ["window", "exceeds"]),
]


@pytest.mark.parametrize("xs,ys,window,lag,words", BAD, ids=[f"{b[0]}|{b[1]}|{b[2]}|{b[3]}" for b in BAD])
def test_bad_selections_raise_with_names(binned, tmp_path, xs, ys, window, lag, words):
    path, _ = binned
    np.save(tmp_path / "x.npy", np.zeros((T, 2)))
    np.save(tmp_path / "short.npy", np.zeros((T - 1, 2)))
    fmt = {"nc": str(path), "d": str(tmp_path)}
    with pytest.raises(NeuralMIError) as info:
        load_xy(xs.format(**fmt), ys.format(**fmt) if ys else None, window, lag)
    for w in words:
        assert w in str(info.value), str(info.value)


def test_cli_common_uses_selectors(binned):
    import argparse

    from neuralmi_core.cli.common import add_data_arguments, load_inputs

    p = argparse.ArgumentParser()
    add_data_arguments(p)
    path, ds = binned
    args = p.parse_args(
        [f"{path}:spikes[region=B]", f"{path}:spikes[region=A]", "--window", "3", "--lag", "1"]
    )
    x, y, prov = load_inputs(args)
    assert x.shape[1] == 6 and y.shape[1] == 2 and x.shape[0] == y.shape[0]
    # provenance: window and lag in bins and seconds, the unit behind every column, dropped bins
    assert prov["window_bins"] == 3 and prov["lag_bins"] == 1
    assert prov["lag_s"] == pytest.approx(0.1) and prov["window_s"] == pytest.approx(0.3)
    units_b = [str(u) for u in ds["unit"].values[ds["region"].values == "B"]]
    assert prov["x_columns"] == [f"unit={u}@t{k}" for k in (-2, -1, 0) for u in units_b]
    assert len(prov["y_columns"]) == 2 and all(f.startswith("unit=") for f in prov["y_columns"])
    assert prov["n_rows"] == x.shape[0] and prov["dropped_bins"] == prov["n_bins"] - x.shape[0] > 0
