"""Lag sweep (issue 12): a planted lag is found within one bin, cells gather into one call, bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest

import neuralmi_core as nmi
from neuralmi_core.analysis.lag import Lags, lag_pairs, lags_in_bins
from neuralmi_core.cli import main
from neuralmi_core.validation import NeuralMIError

TINY = dict(epochs=25, hidden=32, n_layers=1, patience=8, batch_size=128, split="random", progress=False,
            device="cpu", time_unit="bins", gammas="1-3", min_gammas=3)


def planted(lag: int = 3, n: int = 3000, seed: int = 0):
    """X_t and Y_t = a latent at t - lag plus noise: Y follows X by ``lag`` bins. The latent is an AR(1)
    (phi 0.5), so neighbouring lags carry some information too and the peak must be found among them."""
    rng = np.random.default_rng(seed)
    e = rng.standard_normal((n + 50, 2))
    z = np.zeros_like(e)
    for t in range(1, len(e)):
        z[t] = 0.5 * z[t - 1] + e[t]
    x = z[20 : 20 + n] + 0.5 * rng.standard_normal((n, 2))
    y = z[20 - lag : 20 - lag + n] + 0.5 * rng.standard_normal((n, 2))
    return x, y


def test_planted_lag_is_found_within_one_bin():
    x, y = planted(3)
    res = nmi.lag_sweep(x, y, lags="-6:6:1", **TINY)
    assert abs(res.peak_lag_bins - 3) <= 1, res.summary_line()
    lo, hi = res.peak_range_bins
    assert lo <= res.peak_lag_bins <= hi
    mi = {r["lag_bins"]: r["mi_nats"] for r in res.curve}
    assert mi[res.peak_lag_bins] > mi[-3] + 0.3  # Y does not lead: the mirrored lag carries far less
    # the answer does not depend on the sign convention being mixed up: Y leading by 3 peaks at -3
    res_lead = nmi.lag_sweep(y, x, lags=[-3, 0, 3], **TINY)
    assert res_lead.peak_lag_bins == -3


def test_seconds_cells_gather_and_json_round_trip(tmp_path):
    x, y = planted(2, n=1500)
    kw = {**TINY, "time_unit": "s", "bin_width": 0.02, "lags": {"start": -0.04, "stop": 0.04, "step": 0.02}}
    full = nmi.lag_sweep(x, y, **kw)
    assert full.lags_bins == (-2, -1, 0, 1, 2) and full.peak_lag_s == pytest.approx(full.peak_lag_bins * 0.02)
    parts = [nmi.lag_sweep(x, y, **{**kw, "gammas": (g,)}).to_dict() for g in (1, 2, 3)]
    for p in parts:  # a single gamma is a valid partial run: members but no fit
        assert all(r["mi_nats"] is None for r in p["curve"])
    gathered = nmi.analysis.lag.gather_lag_sweep(json.loads(json.dumps(parts)))
    assert [r["mi_nats"] for r in gathered.curve] == pytest.approx([r["mi_nats"] for r in full.curve])
    back = nmi.LagSweepResult.from_dict(json.loads(json.dumps(full.to_dict())))
    assert back.peak_lag_bins == full.peak_lag_bins and back.curve == full.curve
    back.plot().savefig(tmp_path / "lag.png")


def test_lags_parsing_and_pairs():
    assert Lags().check("lags", "-1:1:0.5") == (-1.0, -0.5, 0.0, 0.5, 1.0)
    assert Lags().check("lags", [0.1, -0.1, 0.1]) == (-0.1, 0.1)
    assert lags_in_bins({"time_unit": "s", "bin_width": 0.02, "lags": (-0.05, 0.0, 0.05)}) == (-2, 0, 2)
    ix, iy = lag_pairs(6, np.array([0, 1, 2, 4, 5, 6]), [0, 2], min_pairs=1)  # bin 3 missing: bin 1 has no partner at +2
    assert ix[0].tolist() == [0, 2, 3] and iy[1].tolist() == [2, 3, 5]  # bins 0, 2, 4 with bins 2, 4, 6


@pytest.mark.parametrize("kwargs, message", [
    (dict(lags="-3000:3000:1000"), r"`lags` span 6000 bins but only 0 samples have a partner"),
    (dict(lags={"start": 1, "stop": 0, "step": 1}), r"`lags` must be a list of lags"),
    (dict(time_unit="s"), r"no `bin_width` is known"),
    (dict(lags=[0.5]), r"`lags` in bins must be whole numbers"),
    (dict(estimator="ksg"), r"`estimator` must be one of .* for lag_sweep"),
])
def test_bad_input_names_the_setting(kwargs, message):
    x, y = planted(1, n=500)
    with pytest.raises(NeuralMIError, match=message):
        nmi.lag_sweep(x, y, **{**TINY, **kwargs})


def test_cli_lag_sweep_writes_json(tmp_path):
    x, y = planted(2, n=1200)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    out = tmp_path / "lag.json"
    args = ["--epochs", "10", "--hidden", "16", "--gammas", "1-3", "--min-gammas", "3", "--split", "random",
            "--time-unit", "bins", "--lags=-2,0,2", "--json", str(out)]
    assert main(["lag-sweep", str(tmp_path / "x.npy"), str(tmp_path / "y.npy"), *args]) == 0
    d = json.loads(out.read_text())
    assert d["lags_bins"] == [-2, 0, 2] and len(d["curve"]) == 3 and "peak_lag_bins" in d and d["selection"]
