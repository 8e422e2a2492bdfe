"""Recording-shaped benchmark families (neuralmi_core/populations.py): every MI checked by an independent
method (direct summation over counts, 2-d numerical integration, another MC seed and quadrature grid);
tolerances are multiples of the reported Monte Carlo standard error."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import special, stats

from neuralmi_core import populations as P
from neuralmi_core.suite import TASKS


def _sum_over_counts(rates_fn, u, w, kmax=60):
    """I(K; U) for one Poisson count K with rate rates_fn(u), by summation over k and quadrature weights w."""
    k = np.arange(kmax + 1)
    r = rates_fn(u)
    pk_u = stats.poisson.pmf(k[None, :], r[:, None])  # (G, K)
    pk = w @ pk_u
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(pk_u > 0, pk_u * (np.log(pk_u) - np.log(pk)[None, :]), 0.0)
    return float(w @ terms.sum(1))


@pytest.mark.parametrize("bin_s", [0.5])
def test_single_place_cell_against_summation_over_counts(bin_s):
    s = P.PlaceCells1D(1, bin_s=bin_s, mc_rel_se=0.02)
    mi, se = s.mi_estimate()
    u = np.linspace(0.0, 1.0, 20001)
    w = np.full(u.size, 1.0)
    w[[0, -1]] = 0.5
    w /= w.sum()
    direct = _sum_over_counts(lambda v: s._rates(v[:, None])[:, 0], u, w)
    assert direct > 0.01
    assert abs(mi - direct) < 4 * se, (mi, se, direct)


def test_single_head_direction_cell_against_summation_over_counts():
    s = P.HeadDirectionCells(1, bin_s=0.2, mc_rel_se=0.02)
    mi, se = s.mi_estimate()
    th = 2 * np.pi * np.arange(20000) / 20000
    direct = _sum_over_counts(lambda v: s._rates(v[:, None])[:, 0], th, np.full(th.size, 1 / th.size))
    assert abs(mi - direct) < 4 * se, (mi, se, direct)


def test_shared_latent_one_neuron_each_against_summation():
    s = P.SharedLatent(1, 1, latent_dim=1, gain=(1.2, 1.2), mean_count=(0.8, 0.8), mc_rel_se=0.02)
    mi, se = s.mi_estimate()
    z = np.linspace(-8, 8, 8001)
    wz = stats.norm.pdf(z)
    wz /= wz.sum()
    r = s._rates(z[:, None])
    k = np.arange(40)
    pa, pb = stats.poisson.pmf(k[None, :], r[:, :1]), stats.poisson.pmf(k[None, :], r[:, 1:])
    joint = np.einsum("g,ga,gb->ab", wz, pa, pb)
    ma, mb = joint.sum(1), joint.sum(0)
    nz = joint > 0
    direct = float(np.sum(joint[nz] * (np.log(joint[nz]) - np.log(np.outer(ma, mb)[nz]))))
    assert direct > 0.01
    assert abs(mi - direct) < 4 * se, (mi, se, direct)


@pytest.mark.parametrize("sampler", [
    P.PlaceCells2D(12, mc_rel_se=0.03, n_grid=64),
    P.GridCells(12, n_modules=2, mc_rel_se=0.03, n_grid=72),
    P.ConjunctiveCells(12, mc_rel_se=0.03, n_grid=60),
    P.PlaceCells1D(30, mc_rel_se=0.03),
    P.SharedLatent(6, 6, latent_dim=2, gain=(1.0, 1.5), mean_count=(0.5, 1.0), mc_rel_se=0.03, n_grid=30),
], ids=["place2d", "grid", "conj", "place1d", "shared2"])
def test_other_seed_and_grid_agree_within_4_se(sampler):
    a, sa = sampler.mi_estimate()
    b, sb = sampler.mi_estimate(mc_seed=7, grid_scale=1.5)
    assert a > 0.02 and abs(a - b) < 4 * math.hypot(sa, sb), (a, sa, b, sb)
    # quadrature alone (same MC draws, coarser grid): converged far below the MC error
    c, _ = sampler.mi_estimate(grid_scale=0.75)
    assert abs(a - c) < 0.5 * sa, (a, c, sa)


def test_zero_gain_gives_zero_mi():
    assert abs(P.PlaceCells1D(10, peak_hz=(0.0, 0.0)).mutual_information()) < 1e-9
    assert abs(P.HeadDirectionCells(10, peak_hz=(0.0, 0.0)).mutual_information()) < 1e-9
    assert abs(P.SharedLatent(4, 4, latent_dim=1, gain=(0.0, 0.0)).mutual_information()) < 1e-9


def test_mixture_against_2d_numerical_integration():
    m = P.GaussianMixture(1, (0.6, 0.4), ((0.0, 0.0), (2.0, -1.0)),
                          (((1.0, 0.7), (0.7, 1.0)), ((0.5, -0.3), (-0.3, 1.5))), mc_rel_se=0.02)
    mi, se = m.mi_estimate()
    t = np.linspace(-10, 10, 1201)
    h = t[1] - t[0]
    xx, yy = np.meshgrid(t, t, indexing="ij")
    logp = m._logpdf(np.stack([xx.ravel(), yy.ravel()], 1), slice(0, 2)).reshape(xx.shape)
    p = np.exp(logp)
    px, py = p.sum(1) * h, p.sum(0) * h  # marginals by integration, not by the analytic formula
    direct = float(np.sum(p * (logp - np.log(px)[:, None] - np.log(py)[None, :])) * h * h)
    assert abs(mi - direct) < 4 * se, (mi, se, direct)
    big = P.three_component_mixture()
    assert big.dim_x == 2 and big.dim_y == 2 and big.mutual_information_se() < 0.005 * big.mutual_information()


@pytest.mark.parametrize("sampler,col", [
    (P.PlaceCells1D(5, tau_bins=20.0), 0),
    (P.HeadDirectionCells(5, tau_bins=20.0), 0),
    (P.SharedLatent(2, 2, latent_dim=1, tau_bins=20.0), None),
])
def test_slow_versions_keep_the_marginal_and_have_the_requested_autocorrelation(sampler, col):
    n = 200_000
    x, y = sampler.sample(n, seed=3)
    if col is None:  # counts vs counts: check the latent path the sampler draws from
        v, law = sampler.latent_path(np.random.default_rng(3), n)[:, 0], stats.norm.cdf
        assert np.allclose(x.mean(0), sampler.mean_counts()[:sampler.n_a], rtol=0.1)
    else:
        v = y[:, col]
        law = stats.uniform.cdf if isinstance(sampler, P.PlaceCells1D) else None
    thin = v[::400]  # 500 nearly independent draws (400 bins = 20 correlation times)
    if law is None:  # heading: cos of a uniform angle has the arcsine law
        thin = np.arccos(np.clip(thin, -1, 1)) / np.pi
        law = stats.uniform.cdf
    assert stats.kstest(thin, law).pvalue > 1e-3
    lag1 = np.corrcoef(v[:-1], v[1:])[0, 1]
    assert abs(lag1 - sampler.lag1_autocorrelation()) < 0.01, (lag1, sampler.lag1_autocorrelation())
    assert 0.9 < sampler.lag1_autocorrelation() < 0.99


def test_suite_tasks_mean_counts_in_range_and_sampling_reproducible():
    pop = [t for t in TASKS if type(t.sampler).__module__.endswith("populations")]
    assert len({t.family for t in pop}) >= 7
    for t in pop:
        s = t.sampler
        x1, y1 = s.sample(300, seed=5)
        x2, y2 = s.sample(300, seed=5)
        x3, _ = s.sample(300, seed=6)
        assert np.array_equal(x1, x2) and np.array_equal(y1, y2) and not np.array_equal(x1, x3), t.name
        if hasattr(s, "mean_counts"):
            mc = s.mean_counts()
            assert 0.05 <= mc.mean() <= 2.0, (t.name, mc.mean())
            assert 20 <= s.dim_x <= 200 or isinstance(s, P.SharedLatent), t.name
        if t.family.startswith("slow"):
            assert t.settings == {"split": "blocked"}, t.name
        else:
            assert t.settings == {}, t.name


def test_empirical_counts_match_quadrature_means():
    s = P.GridCells(20, n_modules=2)
    x, _ = s.sample(40_000, seed=0)
    m = s.mean_counts()
    se = np.sqrt(x.var(0) / x.shape[0])
    assert np.all(np.abs(x.mean(0) - m) < 5 * se + 1e-12)
    assert special.logsumexp(s._grid()[1]) == pytest.approx(0.0, abs=1e-9)
