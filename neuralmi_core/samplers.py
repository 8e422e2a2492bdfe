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


@dataclass(frozen=True)
class LatentViews:
    """High-dimensional non-linear views of a correlated latent pair: exact MI = the latent MI.

    A latent pair (Z_x, Z_y), each ``latent_dim``-dimensional, is drawn as :class:`CorrelatedGaussian`
    (``latent_dim`` correlated coordinate pairs, ``mi_nats`` in total). Each latent is lifted to
    ``dim_x`` (``dim_y``) features by a fixed, seeded, *injective* map of ``layers`` layers,

    .. math:: h_1 = \\operatorname{asinh}(g\\,W z + b_1), \\quad
              h_{l+1} = \\operatorname{asinh}(g\\,M_l h_l + b_{l+1}), \\quad x = Q h_L,

    with W (dim x latent_dim) of full column rank, M_l and Q square and well conditioned (orthogonal
    times a diagonal in [0.5, 2], rows scaled to unit norm) and asinh strictly increasing. Every step is
    invertible on its range (:meth:`invert_x` undoes it), so I(X; Y) = I(Z_x; Z_y) = ``mi_nats``
    exactly, while X and Y lie on curved ``latent_dim``-dimensional manifolds that no per-feature
    transform straightens. ``gain`` (default 2) sets how far into asinh's curved region the features go.
    Shaped like the quickstart of other neural-MI libraries (10-d latent, 100-d views).
    """

    latent_dim: int = 10
    dim_x: int = 100
    dim_y: int = 100
    mi_nats: float = 3.0 * float(np.log(2.0))
    layers: int = 2
    gain: float = 2.0
    map_seed: int = 2024

    def __post_init__(self) -> None:
        check_int("latent_dim", self.latent_dim, 1)
        check_int("dim_x", self.dim_x, self.latent_dim, context="the lift must be injective")
        check_int("dim_y", self.dim_y, self.latent_dim, context="the lift must be injective")
        check_float("mi_nats", self.mi_nats, 0.0)
        check_int("layers", self.layers, 1)
        check_float("gain", self.gain, 0.0, low_open=True)

    def mutual_information(self) -> float:
        """Exact MI in nats (the latent pair's)."""
        return float(self.mi_nats)

    def _maps(self, which: int, dim: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per layer (matrix, bias), then the output mixing (matrix, zero bias); seeded by (map_seed, which)."""
        rng = np.random.default_rng([self.map_seed, which])

        def unit_rows(m: np.ndarray) -> np.ndarray:
            return m / np.linalg.norm(m, axis=1, keepdims=True)

        def mixing(d: int) -> np.ndarray:
            q, _ = np.linalg.qr(rng.standard_normal((d, d)))
            return unit_rows(q @ np.diag(rng.uniform(0.5, 2.0, d)))

        lift = unit_rows(rng.standard_normal((dim, self.latent_dim)))
        maps = [(lift, rng.uniform(-0.5, 0.5, dim))]
        maps += [(mixing(dim), rng.uniform(-0.5, 0.5, dim)) for _ in range(self.layers - 1)]
        maps.append((mixing(dim), np.zeros(dim)))
        return maps

    def _forward(self, z: np.ndarray, which: int, dim: int) -> np.ndarray:
        maps = self._maps(which, dim)
        h = z
        for m, b in maps[:-1]:
            h = np.arcsinh(self.gain * (h @ m.T) + b)  # (n, dim)
        return h @ maps[-1][0].T

    def _inverse(self, v: np.ndarray, which: int, dim: int) -> np.ndarray:
        maps = self._maps(which, dim)
        h = np.linalg.solve(maps[-1][0], v.T).T  # (n, dim)
        for i in range(len(maps) - 2, -1, -1):
            m, b = maps[i]
            pre = (np.sinh(h) - b) / self.gain  # = h_prev @ m.T
            h = np.linalg.lstsq(m, pre.T, rcond=None)[0].T if i == 0 else np.linalg.solve(m, pre.T).T
        return h

    def latents(self, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """The latent pair behind :meth:`sample` with the same ``n`` and ``seed``: (n, latent_dim) twice."""
        return CorrelatedGaussian(self.latent_dim, self.latent_dim, self.mi_nats).sample(n, seed=seed)

    def sample(self, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """Draw ``n`` samples: arrays of shape (n, dim_x) and (n, dim_y)."""
        zx, zy = self.latents(n, seed)
        return self._forward(zx, 0, self.dim_x), self._forward(zy, 1, self.dim_y)

    def invert_x(self, x: np.ndarray) -> np.ndarray:
        """The latent Z_x (n, latent_dim) of views ``x`` (n, dim_x): the explicit inverse of the X map."""
        return self._inverse(np.asarray(x, dtype=np.float64), 0, self.dim_x)

    def invert_y(self, y: np.ndarray) -> np.ndarray:
        """The latent Z_y (n, latent_dim) of views ``y`` (n, dim_y)."""
        return self._inverse(np.asarray(y, dtype=np.float64), 1, self.dim_y)
