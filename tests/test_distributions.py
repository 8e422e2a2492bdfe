"""Benchmark distributions: each exact MI against an independent Monte Carlo estimate, invertible maps.

The Monte Carlo estimate is the sample mean of log p(x, y) - log p(x) - log p(y) over draws of the sampler,
with densities from scipy (or, for the Poisson population, the full per-neuron likelihood integrated over
the latent, which does not use the sufficient-statistic reduction of the closed form). It agrees with the
exact MI within 4 Monte Carlo standard errors, and each check is sharp: its standard error is below 1.5 %
of the MI, so an error of a few per cent in the formula fails it.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special, stats

from neuralmi_core import distributions as D
from neuralmi_core.validation import NeuralMIError

N_MC = 20_000


def check_mc(log_ratio: np.ndarray, exact: float, max_rel_se: float = 0.015) -> None:
    mc, se = float(log_ratio.mean()), float(log_ratio.std(ddof=1) / np.sqrt(log_ratio.size))
    assert se < max_rel_se * exact, f"Monte Carlo check too weak: se {se:.4f} vs MI {exact:.4f}"
    assert abs(mc - exact) < 4 * se, f"exact MI {exact:.4f} vs Monte Carlo {mc:.4f} ± {se:.4f}"


def gaussian_log_ratio(s: D.MultiNormal, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    c, dx = s.cov, s.dim_x
    joint = stats.multivariate_normal(cov=c).logpdf(np.hstack([x, y]))
    return joint - stats.multivariate_normal(cov=c[:dx, :dx]).logpdf(x) - stats.multivariate_normal(
        cov=c[dx:, dx:]).logpdf(y)


@pytest.mark.parametrize("sampler,published", [
    (D.dense_gaussian(5, 5), 0.593), (D.dense_gaussian(25, 25), 1.292), (D.sparse_gaussian(5, 5), 1.022),
    (D.sparse_gaussian(3, 4, n_interacting=3, correlation=-0.6), None)])
def test_gaussian_mi_matches_monte_carlo(sampler, published):
    x, y = sampler.sample(N_MC, seed=1)
    exact = sampler.mutual_information()
    check_mc(gaussian_log_ratio(sampler, x, y), exact)
    if published is not None:  # the values in issue 13's table (bmi tasks)
        assert exact == pytest.approx(published, abs=5e-4)


@pytest.mark.parametrize("sampler", [
    D.MultiStudentT.identity(2, 2, 1.0), D.MultiStudentT.identity(5, 5, 2.0), D.MultiStudentT.identity(3, 3, 3.0),
    D.MultiStudentT(np.eye(5) * 0.5 + 0.5, 2, 3.0)])
def test_student_t_mi_matches_monte_carlo(sampler):
    x, y = sampler.sample(10 * N_MC, seed=2)  # heavy tails: more draws for a sharp check
    disp, dx, nu = sampler.dispersion, sampler.dim_x, sampler.df

    def logpdf(a: np.ndarray, shape: np.ndarray) -> np.ndarray:
        return stats.multivariate_t(shape=shape, df=nu).logpdf(a)

    ratio = logpdf(np.hstack([x, y]), disp) - logpdf(x, disp[:dx, :dx]) - logpdf(y, disp[dx:, dx:])
    check_mc(ratio, sampler.mutual_information())


def test_student_t_correction_is_the_whole_mi_for_identity_dispersion():
    s = D.MultiStudentT.identity(5, 5, 2.0)
    assert s.correction() == pytest.approx(s.mutual_information())
    assert s.mutual_information() == pytest.approx(0.448, abs=5e-4)  # issue 13's table
    # the correction vanishes as the t becomes Gaussian
    assert D.MultiStudentT.identity(2, 2, 1e6).mutual_information() < 1e-4


def test_xmixture_mi_matches_monte_carlo():
    s = D.XMixture(dim_x=3, dim_y=2, n_pairs=2, rho=0.9)
    x, y = s.sample(N_MC, seed=3)
    q = 1 - s.rho**2
    a, b = x[:, :2], y[:, :2]
    cross = s.rho * a * b / q
    log_joint = -(a * a + b * b) / (2 * q) - np.log(4 * np.pi * np.sqrt(q)) + np.logaddexp(cross, -cross)
    ratio = (log_joint - stats.norm.logpdf(a) - stats.norm.logpdf(b)).sum(axis=1)
    check_mc(ratio, s.mutual_information())
    assert abs(np.corrcoef(x[:, 0], y[:, 0])[0, 1]) < 0.03  # no linear correlation


def test_poisson_population_mi_matches_monte_carlo():
    s = D.PoissonPopulation(latent_dim=2, rates=(0.5, 1.0, 2.0), gain=0.5, n_untuned=2)
    x, z = s.sample(N_MC, seed=4)
    assert x.shape == (N_MC, 14) and z.shape == (N_MC, 2) and np.all(x == np.round(x))

    def log_lik(counts: np.ndarray, log_rate: np.ndarray) -> np.ndarray:  # summed over neurons (last axis)
        return (counts * log_rate - np.exp(log_rate) - special.gammaln(counts + 1)).sum(-1)

    # p(x) with the full per-neuron likelihood: neurons of latent j depend on z_j alone, so p(x) is a product
    # over latents of 1-d integrals (the untuned neurons cancel in the ratio)
    grid = np.linspace(-7, 7, 561)
    log_w = np.log(stats.norm.pdf(grid) * (grid[1] - grid[0]))
    m = len(s.rates)
    log_px = np.zeros(N_MC)
    for j in range(s.latent_dim):
        zg = np.zeros((grid.size, s.latent_dim))
        zg[:, j] = grid
        cols = slice(2 * m * j, 2 * m * (j + 1))
        rates = s.log_rates(zg)[:, cols]  # (G, 2m)
        log_px += special.logsumexp(log_lik(x[:, None, cols], rates[None]) + log_w[None], axis=1)
    tuned = slice(0, 2 * m * s.latent_dim)
    ratio = log_lik(x[:, tuned], s.log_rates(z)[:, tuned]) - log_px
    check_mc(ratio, s.mutual_information())


def test_poisson_mi_grows_with_gain_and_is_zero_without_it():
    mis = [D.PoissonPopulation(gain=g).mutual_information() for g in (0.0, 0.3, 0.5)]
    assert mis[0] == pytest.approx(0.0, abs=1e-9) and 0 < mis[1] < mis[2]


@pytest.mark.parametrize("f", [D.HalfCube(), D.NormalCDF(), D.Asinh(), D.Spiral(1 / 3), D.Spiral(1.0, 1, 2)])
def test_transforms_are_invertible(f):
    a = np.random.default_rng(5).standard_normal((2000, 5)) * 1.5
    assert np.allclose(f.inverse(f(a)), a, atol=1e-8)
    assert not np.allclose(f(a), a)


def test_spiral_is_not_elementwise_and_keeps_the_norm():
    a = np.random.default_rng(6).standard_normal((500, 4))
    out = D.Spiral(1.0)(a)
    assert np.allclose(np.linalg.norm(out, axis=1), np.linalg.norm(a, axis=1))
    # coordinate 0 of the output depends on coordinate 3 of the input (through the radius)
    b = a.copy()
    b[:, 3] += 0.5
    assert np.abs(D.Spiral(1.0)(b)[:, 0] - out[:, 0]).max() > 0.1


def test_transformed_sampler_pushes_the_base_samples_through():
    base = D.sparse_gaussian(5, 5)
    s = D.Transformed(base, D.Spiral(1 / 3), D.Spiral(1 / 3, 1, 2))
    x0, y0 = base.sample(100, seed=7)
    x, y = s.sample(100, seed=7)
    assert np.allclose(s.transform_x.inverse(x), x0) and np.allclose(s.transform_y.inverse(y), y0)
    assert s.mutual_information() == base.mutual_information()


def test_swiss_roll_is_injective_and_keeps_the_gaussian_mi():
    s = D.SwissRoll(0.75)
    x, y = s.sample(5000, seed=8)
    assert x.shape == (5000, 2) and y.shape == (5000, 1)
    u = s.unroll(x)
    a = special.ndtri(u)
    b = special.ndtri(y[:, 0])
    assert np.corrcoef(a, b)[0, 1] == pytest.approx(0.75, abs=0.02)  # the base pair survives the roll
    assert s.mutual_information() == pytest.approx(0.41334, abs=1e-5)


@pytest.mark.parametrize("sampler", [D.dense_gaussian(2, 3), D.MultiStudentT.identity(2, 2, 2.0), D.SwissRoll(),
                                     D.XMixture(), D.PoissonPopulation(), D.Transformed(D.sparse_gaussian(3, 3),
                                                                                        D.HalfCube(), D.NormalCDF())])
def test_samplers_are_deterministic_per_seed_with_declared_shapes(sampler):
    x, y = sampler.sample(50, seed=3)
    x2, y2 = sampler.sample(50, seed=3)
    x3, _ = sampler.sample(50, seed=4)
    assert x.shape == (50, sampler.dim_x) and y.shape == (50, sampler.dim_y)
    assert np.array_equal(x, x2) and np.array_equal(y, y2) and not np.array_equal(x, x3)
    assert np.isfinite(sampler.mutual_information()) and sampler.mutual_information() >= 0


@pytest.mark.parametrize("make,message", [
    (lambda: D.MultiNormal(np.array([[1.0, 2.0], [2.0, 1.0]]), 1), "positive definite"),
    (lambda: D.MultiNormal(np.eye(3), 3), "d > dim_x=3"),
    (lambda: D.MultiStudentT(np.eye(4), 2, 0.0), "`df`"),
    (lambda: D.sparse_gaussian(2, 2, n_interacting=3), "`n_interacting`"),
    (lambda: D.PoissonPopulation(rates=(0.0,)).mutual_information(), "`rates`"),
    (lambda: D.Spiral(1.0, 0, 4)(np.zeros((3, 2))), "coordinates"),
])
def test_bad_parameters_raise(make, message):
    with pytest.raises(NeuralMIError, match=message):
        make()
