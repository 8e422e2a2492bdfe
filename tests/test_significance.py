"""Shuffle significance (issue 12): p-values, surrogates that keep autocorrelation, calibration, bad input."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import stats

import neuralmi_core as nmi
from neuralmi_core.analysis.significance import (
    SurrogateMember,
    decorrelation_bins,
    gather_significance,
    summarize_significance,
    surrogate_rows,
)
from neuralmi_core.validation import NeuralMIError

TINY = dict(epochs=15, hidden=16, n_layers=1, patience=5, batch_size=128, progress=False, device="cpu",
            time_unit="bins", n_surrogates=19, alpha=0.05)


def ar1(n: int, d: int, phi: float, rng: np.random.Generator) -> np.ndarray:
    e = rng.standard_normal((n, d))
    a = np.zeros_like(e)
    for t in range(1, n):
        a[t] = phi * a[t - 1] + e[t]
    return a


def test_p_value_formula_on_a_member_table():
    def m(i, mi):
        return SurrogateMember(i, 5 * i, 100, 20, 20, mi, mi, 3, 5)

    null = [0.1, 0.3, 0.5, 0.2]
    res = summarize_significance([m(0, 0.25)] + [m(i + 1, v) for i, v in enumerate(null)], {}, {},
                                 n_surrogates=4, alpha=0.5, method="circular", min_shift=3, block=6,
                                 decorrelation={"x": 1, "y": 2}, bin_width=0.01)
    assert res.p_value == pytest.approx((1 + 2) / (1 + 4)) and not res.significant  # 0.3, 0.5 >= 0.25
    assert res.null_mean_nats == pytest.approx(np.mean(null)) and res.null_quantiles_nats["0.5"] == pytest.approx(0.25)
    d = res.to_dict()
    assert d["min_shift_s"] == pytest.approx(0.03) and d["decorrelation_s"]["y"] == pytest.approx(0.02)
    assert nmi.SignificanceResult.from_dict(json.loads(json.dumps(d))) == res


def test_surrogates_keep_autocorrelation():
    n = 400
    ix, iy, shift = surrogate_rows("circular", 3, n, 0, 50, 0, None)
    assert ix.tolist() == list(range(n)) and 50 <= shift <= n - 50 and iy.tolist() == np.roll(np.arange(n), -shift).tolist()
    _, iy, _ = surrogate_rows("block", 3, n, 0, 0, 40, None)
    assert sorted(iy.tolist()) == list(range(n))
    assert all(iy[k + 1] - iy[k] == 1 for k in range(0, n - 1) if (k + 1) % 40)  # contiguous inside blocks
    trials = np.repeat([0, 1, 2, 3], [30, 25, 40, 30])
    ix0, iy0, _ = surrogate_rows("trial", 0, len(trials), 0, 0, 0, trials)
    ix, iy, _ = surrogate_rows("trial", 5, len(trials), 0, 0, 0, trials)
    assert ix.tolist() == ix0.tolist() == iy0.tolist() and len(ix) == 4 * 25  # cropped to the shortest trial
    assert sorted(set(trials[iy])) == [0, 1, 2, 3]
    x = ar1(4000, 2, 0.9, np.random.default_rng(0))
    assert 7 <= decorrelation_bins(x) <= 13  # phi^k < 1/e at k = 1 / -ln(0.9) = 9.5
    assert decorrelation_bins(np.zeros((50, 2))) == 0


def test_dependent_data_is_significant_and_cells_gather():
    rng = np.random.default_rng(1)
    x = ar1(1500, 2, 0.8, rng)
    y = x + 1.0 * ar1(1500, 2, 0.8, rng)
    full = nmi.significance(x, y, **TINY)
    assert full.p_value == pytest.approx(1 / 20) and full.significant  # below every surrogate
    assert full.observed_mi_nats > full.null_quantiles_nats["0.99"]
    parts = [nmi.significance(x, y, **TINY, surrogates_per_cell=8, cells=[c]).to_dict() for c in range(3)]
    gathered = gather_significance(json.loads(json.dumps(parts)))
    assert gathered.n_surrogates == 19 and math.isfinite(gathered.p_value)
    assert gathered.min_shift_bins == full.min_shift_bins


@pytest.mark.parametrize("kwargs, message", [
    (dict(n_surrogates=10), r"`n_surrogates` is 10, but a p-value at alpha=0.05 needs at least 19 surrogates"),
    (dict(n_surrogates=40, alpha=0.01), r"needs at least 99 surrogates"),
    (dict(surrogate="block", block_length=200), r"`block_length` is 200 bins .* at most a third of the data"),
    (dict(min_shift=250), r"`min_shift` is 250 bins .* min_shift <= n / 3"),
    (dict(surrogate="trial"), r"needs the trial of every sample .* at least 3 trials; got 0"),
    (dict(time_unit="s", min_shift=0.5), r"`min_shift` is in seconds .* no `bin_width`"),
])
def test_bad_input_names_the_setting(kwargs, message):
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((500, 2)), rng.standard_normal((500, 2))
    with pytest.raises(NeuralMIError, match=message):
        nmi.significance(x, y, **{**TINY, **kwargs})


@pytest.mark.slow
def test_circular_surrogates_are_calibrated_and_iid_is_not():
    """Independent AR(1) pairs (phi 0.95): circular-shift p-values are uniform over data sets (KS test), an
    iid permutation rejects far more often than alpha. ``benchmarks/significance.py`` runs the full study."""
    p_circ, p_iid = [], []
    for k in range(100):
        rng = np.random.default_rng(1000 + k)
        x, y = ar1(800, 1, 0.95, rng), ar1(800, 1, 0.95, rng)
        kw = {**TINY, "epochs": 8, "hidden": 8, "seed": k}
        p_circ.append(nmi.significance(x, y, **kw).p_value)
        p_iid.append(nmi.significance(x, y, **kw, surrogate="iid").p_value)
    # p-values take the values k / 20: compare with the uniform through the mid-points of those steps
    ks = stats.kstest(np.array(p_circ) - 0.5 / 20, stats.uniform(0, 1).cdf)
    assert ks.pvalue > 0.05, (ks, sorted(p_circ))
    assert np.mean(np.array(p_iid) <= 0.05) > 0.15, sorted(p_iid)


def _populations(latent: np.ndarray, units: int, rng: np.random.Generator) -> np.ndarray:
    """Poisson counts of ``units`` units tuned to a slow latent (mostly 0-2 spikes per bin, like the demo)."""
    gains = rng.uniform(0.5, 1.0, (latent.shape[1], units)) * rng.choice([-1, 1], (latent.shape[1], units))
    return rng.poisson(0.4 * np.exp(0.8 * latent @ gains / latent.shape[1] ** 0.5)).astype(float)


@pytest.mark.slow
def test_slow_populations_shift_beyond_the_dependence():
    """Issue 26 item 7: on populations of noisy units driven by slow latents (AR(1), phi 0.97: about 33 bins),
    the minimum shift comes from the latents' time scale, not from the units' noise (which decorrelates at
    once and gave 1-2 bins); with dependent populations every surrogate is a null (null far below the
    observed MI, p at its floor); with independent slow populations p is not piled at the floor."""
    kw = {**TINY, "epochs": 10, "hidden": 8}
    rng = np.random.default_rng(7)
    shared = ar1(3000, 2, 0.97, rng) * (1 - 0.97**2) ** 0.5
    x, y = _populations(shared, 10, rng), _populations(shared, 10, rng)
    res = nmi.significance(x, y, seed=0, **kw)
    assert res.min_shift_bins >= 20, res.decorrelation_bins
    assert res.p_value == pytest.approx(res.p_floor) and res.p_text.startswith("p ≤ 0.05 (the smallest possible")
    assert res.null_quantiles_nats["0.95"] < 0.5 * res.observed_mi_nats, (res.null_quantiles_nats, res.observed_mi_nats)
    at_floor = []
    for k in range(8):
        rng = np.random.default_rng(100 + k)
        a, b = ar1(3000, 2, 0.97, rng) * (1 - 0.97**2) ** 0.5, ar1(3000, 2, 0.97, rng) * (1 - 0.97**2) ** 0.5
        r = nmi.significance(_populations(a, 10, rng), _populations(b, 10, rng), seed=k, **kw)
        at_floor.append(r.p_value <= r.p_floor + 1e-12)
    # under the null P(p at floor) = 1/20: 3 or more of 8 has probability 0.6 %
    assert sum(at_floor) <= 2, at_floor
