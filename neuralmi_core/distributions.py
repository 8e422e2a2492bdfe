"""Benchmark distributions with exact mutual information, beyond Gaussians (bmi-style samplers).

Every sampler has ``dim_x``, ``dim_y``, ``sample(n, seed) -> (x, y)`` (float64 arrays (n, dim_x) and
(n, dim_y), deterministic per seed) and ``mutual_information()`` in nats: a closed form, or a
deterministic quadrature/summation accurate far below 0.5 %. Families, after Czyż et al. (2023):

- :class:`MultiNormal` (any covariance; :func:`dense_gaussian`, :func:`sparse_gaussian`),
- :class:`MultiStudentT` (tail dependence that no per-feature copula transform removes),
- :class:`Transformed` (a sampler pushed through invertible maps of X and of Y, which keep the MI:
  :class:`HalfCube`, :class:`NormalCDF`, :class:`Asinh`, :class:`Spiral`),
- :class:`SwissRoll` (a 1-d variable embedded as a 2-d roll),
- :class:`XMixture` (mixture of Gaussians with correlation +rho and -rho: no linear correlation),
- :class:`PoissonPopulation` (spike counts of a small population against the latent that drives it).

``tests/test_distributions.py`` checks each MI against an independent Monte Carlo estimate of
E[log p(x, y) / (p(x) p(y))] and each transform's invertibility.

Reference: Czyż, P., Grabowski, F., Vogt, J. E., Beerenwinkel, N. & Marx, A. (2023). Beyond normal: on
the evaluation of mutual information estimators. NeurIPS 36.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from scipy import special, stats

from .validation import NeuralMIError, check_float, check_int


class Sampler(Protocol):
    dim_x: int
    dim_y: int

    def sample(self, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]: ...

    def mutual_information(self) -> float: ...


def _logdet(a: np.ndarray) -> float:
    sign, val = np.linalg.slogdet(a)
    if sign <= 0:
        raise NeuralMIError(f"the covariance/dispersion matrix must be positive definite; got a {a.shape} matrix "
                            f"with determinant sign {sign}.")
    return float(val)


def gaussian_mi(cov: np.ndarray, dim_x: int) -> float:
    """MI of a Gaussian with covariance ``cov``: I = 1/2 (log|S_xx| + log|S_yy| - log|S|) nats (Cover & Thomas
    2006, eq. 8.56 applied to h(X) + h(Y) - h(X, Y))."""
    return 0.5 * (_logdet(cov[:dim_x, :dim_x]) + _logdet(cov[dim_x:, dim_x:]) - _logdet(cov))


def _check_cov(name: str, cov: np.ndarray, dim_x: int) -> np.ndarray:
    a = np.asarray(cov, dtype=float)
    if a.ndim != 2 or a.shape[0] != a.shape[1] or a.shape[0] <= dim_x or not np.allclose(a, a.T):
        raise NeuralMIError(f"`{name}` must be a symmetric (d, d) matrix with d > dim_x={dim_x}. Got shape {a.shape}.")
    _logdet(a)
    return a


@dataclass(frozen=True, eq=False)
class MultiNormal:
    """Zero-mean Gaussian (X, Y) with covariance ``cov``; X is the first ``dim_x`` coordinates.

    MI (nats): I = 1/2 (log|S_xx| + log|S_yy| - log|S|) (:func:`gaussian_mi`).
    """

    cov: np.ndarray
    dim_x: int
    name: str = "gaussian"
    dim_y: int = field(init=False)

    def __post_init__(self) -> None:
        check_int("dim_x", self.dim_x, 1)
        object.__setattr__(self, "cov", _check_cov("cov", self.cov, self.dim_x))
        object.__setattr__(self, "dim_y", self.cov.shape[0] - self.dim_x)

    def mutual_information(self) -> float:
        return gaussian_mi(self.cov, self.dim_x)

    def sample(self, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
        n = check_int("n", n, 1)
        z = np.random.default_rng(seed).standard_normal((n, self.cov.shape[0])) @ np.linalg.cholesky(self.cov).T
        return z[:, : self.dim_x], z[:, self.dim_x :]


def dense_gaussian(dim_x: int, dim_y: int, off_diag: float = 0.5) -> MultiNormal:
    """Unit variances, every pair of the dim_x + dim_y coordinates correlated ``off_diag`` (bmi "dense")."""
    check_float("off_diag", off_diag, 0.0, 1.0, high_open=True)
    d = dim_x + dim_y
    return MultiNormal(np.eye(d) * (1 - off_diag) + off_diag, dim_x, name=f"dense {off_diag:g}")


def sparse_gaussian(dim_x: int, dim_y: int, n_interacting: int = 2, correlation: float = 0.8) -> MultiNormal:
    """The first ``n_interacting`` coordinates of X and Y pairwise correlated, the rest independent noise.

    bmi's "2-pair" task (latent strength 2: correlation 4/5); I = -n/2 log(1 - rho^2) (1.022 nats for 2 pairs).
    """
    check_int("n_interacting", n_interacting, 1, min(dim_x, dim_y))
    check_float("correlation", correlation, -1.0, 1.0, low_open=True, high_open=True)
    cov = np.eye(dim_x + dim_y)
    for i in range(n_interacting):
        cov[i, dim_x + i] = cov[dim_x + i, i] = correlation
    return MultiNormal(cov, dim_x, name=f"sparse {n_interacting}x{correlation:g}")


def student_t_entropy(k: int, df: float) -> float:
    """Differential entropy of a standard k-variate Student-t (identity dispersion), nats.

    h = log G(nu/2) - log G((nu+k)/2) + k/2 log(nu pi) + (nu+k)/2 (psi((nu+k)/2) - psi(nu/2))
    (Arellano-Valle, Contreras-Reyes & Genton 2013, eq. 7).
    """
    a, b = 0.5 * df, 0.5 * (df + k)
    return float(special.gammaln(a) - special.gammaln(b) + 0.5 * k * np.log(df * np.pi)
                 + b * (special.digamma(b) - special.digamma(a)))


@dataclass(frozen=True, eq=False)
class MultiStudentT:
    """Multivariate Student-t (X, Y) with dispersion ``dispersion`` and ``df`` degrees of freedom.

    (X, Y) = G / sqrt(U / nu), G ~ N(0, dispersion), U ~ chi^2_nu. The shared scale U makes the tails of X
    and Y dependent even when the dispersion is the identity. MI (nats), the Gaussian part of the dispersion
    plus a correction that depends only on nu and the dimensions:

    .. math:: I = \\tfrac12(\\log|\\Sigma_{xx}| + \\log|\\Sigma_{yy}| - \\log|\\Sigma|) + h_{d_x}(\\nu)
              + h_{d_y}(\\nu) - h_{d_x + d_y}(\\nu),

    with h_k the entropy of a standard k-variate t (:func:`student_t_entropy`). Reference: Arellano-Valle,
    R. B., Contreras-Reyes, J. E. & Genton, M. G. (2013). Shannon entropy and mutual information for
    multivariate skew-elliptical distributions. Scand. J. Stat. 40, 42-62; Czyż et al. (2023), App. D.
    """

    dispersion: np.ndarray
    dim_x: int
    df: float
    name: str = "student-t"
    dim_y: int = field(init=False)

    def __post_init__(self) -> None:
        check_int("dim_x", self.dim_x, 1)
        check_float("df", self.df, 0.0, low_open=True)
        object.__setattr__(self, "dispersion", _check_cov("dispersion", self.dispersion, self.dim_x))
        object.__setattr__(self, "dim_y", self.dispersion.shape[0] - self.dim_x)

    @classmethod
    def identity(cls, dim_x: int, dim_y: int, df: float) -> MultiStudentT:
        """Identity dispersion (bmi "Student-t identity"): all MI comes from the shared scale."""
        return cls(np.eye(dim_x + dim_y), dim_x, df, name=f"student-t df={df:g}")

    def correction(self) -> float:
        nu, dx, dy = self.df, self.dim_x, self.dim_y
        return student_t_entropy(dx, nu) + student_t_entropy(dy, nu) - student_t_entropy(dx + dy, nu)

    def mutual_information(self) -> float:
        return gaussian_mi(self.dispersion, self.dim_x) + self.correction()

    def sample(self, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
        n = check_int("n", n, 1)
        rng = np.random.default_rng(seed)
        g = rng.standard_normal((n, self.dispersion.shape[0])) @ np.linalg.cholesky(self.dispersion).T
        z = g / np.sqrt(rng.chisquare(self.df, size=(n, 1)) / self.df)
        return z[:, : self.dim_x], z[:, self.dim_x :]


# --- invertible maps (MI-preserving) -------------------------------------------------------------------


class HalfCube:
    """Element-wise x -> sign(x) |x|^(3/2) (bmi "half-cube"); inverse u -> sign(u) |u|^(2/3)."""

    name = "half-cube"

    def __call__(self, a: np.ndarray) -> np.ndarray:
        return np.sign(a) * np.abs(a) ** 1.5

    def inverse(self, u: np.ndarray) -> np.ndarray:
        return np.sign(u) * np.abs(u) ** (2.0 / 3.0)


class NormalCDF:
    """Element-wise standard normal CDF (uniform marginals for N(0, 1) input); inverse the probit."""

    name = "normal-CDF"

    def __call__(self, a: np.ndarray) -> np.ndarray:
        return special.ndtr(a)

    def inverse(self, u: np.ndarray) -> np.ndarray:
        return special.ndtri(u)


class Asinh:
    """Element-wise asinh (tames heavy tails); inverse sinh."""

    name = "asinh"

    def __call__(self, a: np.ndarray) -> np.ndarray:
        return np.arcsinh(a)

    def inverse(self, u: np.ndarray) -> np.ndarray:
        return np.sinh(u)


@dataclass(frozen=True)
class Spiral:
    """x -> R(speed * ||x||^2) x, R(theta) the rotation by theta in the plane of coordinates (i, j).

    The rotation keeps ||x||, so the inverse rotates back by the same angle: a diffeomorphism of R^d
    that no per-coordinate transform undoes (bmi's spiral with the canonical so(d) generator E_ij).
    """

    speed: float = 1.0 / 3.0
    i: int = 0
    j: int = 1

    @property
    def name(self) -> str:
        return f"spiral {self.speed:.3g}"

    def _rotate(self, a: np.ndarray, sign: float) -> np.ndarray:
        if a.shape[1] <= max(self.i, self.j):
            raise NeuralMIError(f"Spiral rotates coordinates ({self.i}, {self.j}); got {a.shape[1]} dimensions.")
        theta = sign * self.speed * np.sum(a * a, axis=1)
        c, s = np.cos(theta), np.sin(theta)
        out = a.copy()
        u, v = a[:, self.i], a[:, self.j]
        out[:, self.i], out[:, self.j] = c * u - s * v, s * u + c * v
        return out

    def __call__(self, a: np.ndarray) -> np.ndarray:
        return self._rotate(a, 1.0)

    def inverse(self, u: np.ndarray) -> np.ndarray:
        return self._rotate(u, -1.0)


@dataclass(frozen=True, eq=False)
class Transformed:
    """``base`` pushed through invertible maps f of X and g of Y: I(f(X); g(Y)) = I(X; Y) (exact).

    ``transform_x`` / ``transform_y`` are callables on (n, d) arrays with an ``inverse``; None is the identity.
    """

    base: Sampler
    transform_x: object | None = None
    transform_y: object | None = None

    @property
    def dim_x(self) -> int:
        return self.base.dim_x

    @property
    def dim_y(self) -> int:
        return self.base.dim_y

    def mutual_information(self) -> float:
        return self.base.mutual_information()

    def sample(self, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
        x, y = self.base.sample(n, seed)
        fx = x if self.transform_x is None else self.transform_x(x)
        fy = y if self.transform_y is None else self.transform_y(y)
        return fx, fy


@dataclass(frozen=True)
class SwissRoll:
    """X: a 2-d swiss roll of U = Phi(A); Y = Phi(B) uniform; (A, B) bivariate normal with ``correlation``.

    t = 1.5 pi (1 + 2 U), X = (t cos t, t sin t) / 21 is injective in U (||X|| = t / 21), so I(X; Y) =
    I(A; B) = -1/2 log(1 - rho^2) (0.413 nats at rho = 0.75; bmi "Swiss roll 2 x 1").
    """

    correlation: float = 0.75
    dim_x: int = 2
    dim_y: int = 1

    def mutual_information(self) -> float:
        return -0.5 * float(np.log1p(-self.correlation**2))

    def sample(self, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
        n = check_int("n", n, 1)
        r = check_float("correlation", self.correlation, -1.0, 1.0, low_open=True, high_open=True)
        ab = np.random.default_rng(seed).standard_normal((n, 2))
        b = r * ab[:, 0] + np.sqrt(1 - r * r) * ab[:, 1]
        t = 1.5 * np.pi * (1 + 2 * special.ndtr(ab[:, 0]))
        return np.stack([t * np.cos(t), t * np.sin(t)], axis=1) / 21.0, special.ndtr(b)[:, None]

    @staticmethod
    def unroll(x: np.ndarray) -> np.ndarray:
        """The inverse of the roll: U from X (shape (n,))."""
        return (21.0 * np.linalg.norm(x, axis=1) / (1.5 * np.pi) - 1.0) / 2.0


# --- distributions whose MI is integrated numerically -----------------------------------------------------


@functools.lru_cache(maxsize=32)
def _xmixture_pair_mi(rho: float, half_width: float = 10.0, n_grid: int = 1001) -> float:
    h = 2 * half_width / (n_grid - 1)
    g = np.linspace(-half_width, half_width, n_grid)
    x, y = np.meshgrid(g, g, indexing="ij")
    q = 1.0 - rho * rho
    a = rho * x * y / q
    logp = -(x * x + y * y) / (2 * q) - np.log(4 * np.pi * np.sqrt(q)) + np.logaddexp(a, -a)
    h_xy = -float(np.sum(np.exp(logp) * logp) * h * h)  # Gaussian decay: the plain Riemann sum is spectral
    return float(np.log(2 * np.pi * np.e)) - h_xy  # h(X) + h(Y) - h(X, Y), both marginals N(0, 1)


@dataclass(frozen=True)
class XMixture:
    """``n_pairs`` independent pairs, each (x_i, y_i) ~ 1/2 N(0, [[1, rho], [rho, 1]]) + 1/2 N(0, [[1, -rho],
    [-rho, 1]]) (an "X"-shaped Gaussian mixture), plus independent N(0, 1) noise coordinates up to dim_x, dim_y.

    Every marginal is exactly N(0, 1) and the linear correlation is 0, so the Gaussian (CCA) estimate is
    0 while the MI is not. MI (nats) = n_pairs * (log(2 pi e) - h(x_i, y_i)), with the joint entropy of the
    2-d mixture integrated on a 1001 x 1001 grid over [-10, 10]^2 (error far below 1e-6 nats).
    """

    dim_x: int = 3
    dim_y: int = 3
    n_pairs: int = 2
    rho: float = 0.9

    def mutual_information(self) -> float:
        check_float("rho", self.rho, 0.0, 0.999)
        return self.n_pairs * _xmixture_pair_mi(float(self.rho))

    def sample(self, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
        n = check_int("n", n, 1)
        check_int("n_pairs", self.n_pairs, 1, min(self.dim_x, self.dim_y))
        rng = np.random.default_rng(seed)
        x = rng.standard_normal((n, self.dim_x))
        y = rng.standard_normal((n, self.dim_y))
        k = self.n_pairs
        sign = rng.choice([-1.0, 1.0], size=(n, k))
        y[:, :k] = sign * self.rho * x[:, :k] + np.sqrt(1 - self.rho**2) * y[:, :k]
        return x, y


@functools.lru_cache(maxsize=32)
def _on_off_mi(total_rate: float, gain: float, half_width: float = 8.0, n_grid: int = 1601) -> float:
    """I(z; S_on, S_off) for z ~ N(0, 1), S_on ~ Pois(R e^(g z - g^2/2)), S_off ~ Pois(R e^(-g z - g^2/2))."""
    z = np.linspace(-half_width, half_width, n_grid)
    w = stats.norm.pdf(z) * (z[1] - z[0])  # Riemann weights: spectrally accurate for this smooth integrand
    lam_on = total_rate * np.exp(gain * z - gain**2 / 2)
    lam_off = lam_on[::-1]
    s_max = int(stats.poisson.ppf(1 - 1e-13, lam_on.max())) + 1
    s = np.arange(s_max + 1)
    a_on = stats.poisson.pmf(s[None, :], lam_on[:, None])  # (G, S)
    a_off = stats.poisson.pmf(s[None, :], lam_off[:, None])  # (G, S)
    joint = (a_on * w[:, None]).T @ a_off  # p(s_on, s_off), (S, S)
    if abs(joint.sum() - 1.0) > 1e-9:
        raise NeuralMIError(f"Poisson MI summation lost {1 - joint.sum():.2e} of the probability mass (grid too small).")

    def entropy(p: np.ndarray, axis: int | None = None) -> np.ndarray:
        return -np.sum(np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0), axis=axis)

    h_cond = float(np.sum(w * (entropy(a_on, 1) + entropy(a_off, 1))))  # E_z H(S_on, S_off | z)
    return float(entropy(joint)) - h_cond


@dataclass(frozen=True)
class PoissonPopulation:
    """Spike counts X of a small population against the latent Y = z ~ N(0, I_k) that drives it.

    For each latent coordinate z_j there are ``len(rates)`` ON neurons with Poisson rates (counts per bin)
    r_i exp(g z_j - g^2/2) and as many OFF neurons with r_i exp(-g z_j - g^2/2) (mean rate r_i); ``n_untuned``
    further neurons fire at rate 1 whatever z. X holds 2 k len(rates) + n_untuned count columns.
    Given z, the log-likelihood depends on the counts only through the ON and OFF totals of each latent
    coordinate, which are Poisson with rate R e^(+-g z_j - g^2/2), R = sum_i r_i; the latent coordinates are
    independent, so (Cover & Thomas 2006, sufficient statistics and the chain rule)

    .. math:: I(X; Z) = k\\, I(z; S_{on}, S_{off}) = k\\,[H(S_{on}, S_{off}) - E_z H(S_{on}, S_{off} \\mid z)],

    computed exactly by summation over the counts and a 1601-point quadrature over z in [-8, 8].
    """

    latent_dim: int = 2
    rates: tuple[float, ...] = (0.5, 1.0, 2.0)
    gain: float = 0.5
    n_untuned: int = 0

    @property
    def dim_x(self) -> int:
        return 2 * self.latent_dim * len(self.rates) + self.n_untuned

    @property
    def dim_y(self) -> int:
        return self.latent_dim

    def log_rates(self, z: np.ndarray) -> np.ndarray:
        """Log Poisson rate of every neuron at latents z (n, k): shape (n, dim_x)."""
        g = check_float("gain", self.gain, 0.0)
        base = np.log(np.asarray(self.rates, dtype=float)) - g * g / 2
        cols = []
        for j in range(self.latent_dim):
            cols += [base[None, :] + g * z[:, j : j + 1], base[None, :] - g * z[:, j : j + 1]]
        cols.append(np.zeros((z.shape[0], self.n_untuned)))
        return np.concatenate(cols, axis=1)

    def mutual_information(self) -> float:
        if not self.rates or min(self.rates) <= 0:
            raise NeuralMIError(f"`rates` must be positive counts per bin. Got {self.rates!r}.")
        if self.gain == 0:
            return 0.0
        return self.latent_dim * _on_off_mi(float(sum(self.rates)), float(self.gain))

    def sample(self, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
        n = check_int("n", n, 1)
        check_int("latent_dim", self.latent_dim, 1)
        rng = np.random.default_rng(seed)
        z = rng.standard_normal((n, self.latent_dim))
        return rng.poisson(np.exp(self.log_rates(z))).astype(float), z
