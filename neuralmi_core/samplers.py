"""Samplers with exact mutual information, for tests and benchmarks (bmi-style).

:class:`CorrelatedGaussian` draws (X, Y) jointly Gaussian with a chosen MI split evenly over
``n_pairs`` correlated coordinate pairs (I = -1/2 sum log(1 - rho^2)); optional random invertible linear
mixing of X and of Y, and elementwise invertible transforms, leave the MI unchanged, so
``mutual_information()`` stays exact.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import special, stats

from .validation import check_float, check_int


def _cube(a: np.ndarray) -> np.ndarray:
    return a**3


def _student_t(df: float) -> Callable[[np.ndarray], np.ndarray]:
    def f(a: np.ndarray) -> np.ndarray:  # Gaussian copula with Student-t marginals (heavy tails)
        return stats.t.ppf(special.ndtr(a), df)

    return f


def _spiral(a: np.ndarray, speed: float) -> np.ndarray:
    out = a.copy()
    for i in range(0, a.shape[1] - 1, 2):
        u, v = a[:, i], a[:, i + 1]
        theta = speed * (u * u + v * v)
        c, s = np.cos(theta), np.sin(theta)
        out[:, i], out[:, i + 1] = c * u - s * v, s * u + c * v
    return out


TRANSFORMS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "identity": lambda a: a,
    "cube": _cube,
    "asinh": np.arcsinh,
    "sinh": np.sinh,
    "uniform": special.ndtr,  # uniform marginals via the normal CDF
    "exp": np.exp,  # log-normal marginals
    "student_t2": _student_t(2.0),  # heavy tails, infinite variance
}


@dataclass(frozen=True)
class CorrelatedGaussian:
    """(X, Y) with ``dim_x``/``dim_y`` coordinates and exactly ``mi_nats`` nats of MI.

    The first ``n_pairs`` (default ``min(dim_x, dim_y)``) coordinates of X and Y are pairwise correlated
    with the same rho, chosen so that the total MI is ``mi_nats``; the rest are independent noise.
    ``mix=True`` applies a random invertible linear map (seeded by ``mix_seed``) to X and to Y;
    ``spiral > 0`` rotates each consecutive coordinate pair by an angle ``spiral * r^2`` (r the pair's
    radius, which the rotation keeps, so the map is invertible and not removable by per-coordinate
    transforms). ``transform`` (a name in :data:`TRANSFORMS`) is then applied elementwise. All of these
    preserve the MI.
    """

    dim_x: int
    dim_y: int
    mi_nats: float
    n_pairs: int | None = None
    mix: bool = False
    transform: str = "identity"
    mix_seed: int = 12345
    spiral: float = 0.0

    def __post_init__(self) -> None:
        check_int("dim_x", self.dim_x, 1)
        check_int("dim_y", self.dim_y, 1)
        check_float("mi_nats", self.mi_nats, 0.0)
        if self.n_pairs is not None:
            check_int("n_pairs", self.n_pairs, 1, min(self.dim_x, self.dim_y))
        if self.transform not in TRANSFORMS:
            raise ValueError(f"`transform` must be one of {sorted(TRANSFORMS)}. Got {self.transform!r}.")

    @property
    def pairs(self) -> int:
        return self.n_pairs or min(self.dim_x, self.dim_y)

    @property
    def rho(self) -> float:
        return float(np.sqrt(1.0 - np.exp(-2.0 * self.mi_nats / self.pairs)))

    def mutual_information(self) -> float:
        """Exact MI in nats."""
        return float(self.mi_nats)

    def _mixers(self) -> tuple[np.ndarray, np.ndarray]:
        rng = np.random.default_rng(self.mix_seed)

        def well_conditioned(d: int) -> np.ndarray:
            q, _ = np.linalg.qr(rng.standard_normal((d, d)))
            return q @ np.diag(rng.uniform(0.5, 2.0, d))

        return well_conditioned(self.dim_x), well_conditioned(self.dim_y)

    def sample(self, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """Draw ``n`` samples: arrays of shape (n, dim_x) and (n, dim_y)."""
        n = check_int("n", n, 1)
        rng = np.random.default_rng(seed)
        x = rng.standard_normal((n, self.dim_x))
        y = rng.standard_normal((n, self.dim_y))
        p, r = self.pairs, self.rho
        y[:, :p] = r * x[:, :p] + np.sqrt(1.0 - r * r) * y[:, :p]
        if self.mix:
            mx, my = self._mixers()
            # rows scaled to unit norm: every mixed coordinate has unit variance (X, Y marginals are N(0, I))
            mx /= np.linalg.norm(mx, axis=1, keepdims=True)
            my /= np.linalg.norm(my, axis=1, keepdims=True)
            x, y = x @ mx.T, y @ my.T
        if self.spiral:
            x, y = _spiral(x, self.spiral), _spiral(y, self.spiral)
        f = TRANSFORMS[self.transform]
        return f(x), f(y)


@dataclass(frozen=True)
class Independent:
    """Independent standard Gaussian X and Y: MI is exactly 0."""

    dim_x: int
    dim_y: int

    def mutual_information(self) -> float:
        return 0.0

    def sample(self, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
        rng = np.random.default_rng(seed)
        return rng.standard_normal((n, self.dim_x)), rng.standard_normal((n, self.dim_y))
