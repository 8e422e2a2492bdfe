"""Benchmark families shaped like recordings, with exact MI (issue 20 item 1).

Every sampler is a frozen dataclass with ``dim_x``, ``dim_y``, ``sample(n, seed) -> (x, y)`` (float64
(n, dim_x), (n, dim_y)), ``mutual_information()`` in nats and ``mutual_information_se()`` (the Monte
Carlo standard error of that value). Families:

- :class:`PlaceCells1D` (Gaussian place fields on a track, Y = position),
- :class:`PlaceCells2D` (2-d Gaussian fields in a square arena, Y = (x, y)),
- :class:`HeadDirectionCells` (von Mises tuning, Y = (cos, sin) of the heading),
- :class:`GridCells` (sum of three plane waves 60 degrees apart, several modules, Y = (x, y)),
- :class:`ConjunctiveCells` (position on a track x heading: place, head-direction and conjunctive cells),
- :class:`SharedLatent` (counts of population A vs counts of population B, both driven by a latent z),
- :class:`GaussianMixture` (a mixture of Gaussians over (x, y)).

**Exact MI.** For the tuned families X are conditionally independent Poisson counts given the encoded
variable u (position, heading, ...), so ``log p(x|u) = sum_i x_i log r_i(u) - r_i(u) - log x_i!`` is
exact, and ``p(x) = ∫ p(x|u) p(u) du`` is computed by deterministic quadrature over u (a midpoint rule on
a uniform grid: 2000 points on a track or circle, ``grid`` x ``grid`` in an arena; the log x_i! cancel).
Then ``I(X; Y) = E[log p(x|u) - log p(x)]`` (Y is an invertible function of u), the outer expectation by
Monte Carlo over (u, x) with a fixed internal seed (``mc_seed``), in chunks, until its standard error is
below ``mc_rel_se`` (0.5 %) of the MI. For :class:`SharedLatent`, ``I = E[log ∫p(x|z)p(y|z)p(z)dz -
log p(x) - log p(y)]``, each integral by the same quadrature over z. The value is cached per instance.

**Slow versions.** ``tau_bins > 0`` makes ``sample`` return consecutive time bins in which the encoded
variable follows a stationary Markov walk with the *same* stationary marginal as the i.i.d. version: a
Gaussian walk reflected at the walls of the track/arena (its kernel is symmetric, so the uniform law is
stationary), a wrapped Gaussian walk on the circle (likewise), an AR(1)/OU process for a Gaussian latent.
The counts of bin t are drawn given u_t alone, so each pair (X_t, Y_t) has exactly the joint law of the
i.i.d. version and the per-sample MI I(X_t; Y_t) is unchanged; only the effective sample size falls.
``tau_bins`` is the correlation time of the slowest mode: lag-1 autocorrelation exp(-1/tau) of cos(pi u/L)
on a track (reflected Brownian motion's first eigenfunction), of cos/sin of the heading, of a Gaussian
latent. :meth:`lag1_autocorrelation` gives the exact lag-1 autocorrelation of the returned Y.

**Parameters** (chosen to span recordings, not to make an estimator pass; counts per bin = rate x bin):
CA1 place cells peak 5-20 Hz in field, out-of-field 0.1-0.5 Hz, field s.d. 5-15 % of the track/arena side
(field widths ~ 10-30 %), 25-100 ms bins; head-direction cells (ADN/postsubiculum) peak 10-80 Hz, von
Mises concentration 2-8 (tuning widths ~60-100 degrees), baseline 0.5-2 Hz; MEC grid cells peak 5-15 Hz,
spacing 30-80 % of the arena side in 2-4 modules, random phases and orientations per module; untuned
neurons 0.5-5 Hz. Heterogeneous values are drawn from these ranges with ``layout_seed`` (deterministic).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from scipy import special, stats

from .validation import NeuralMIError, check_float, check_int

_CHUNK = 1000
_MAX_MC = 400_000


def _reflect(u: np.ndarray, length: float) -> np.ndarray:
    """Fold ``u`` into [0, length] by reflection at both walls."""
    v = np.mod(u, 2 * length)
    return np.where(v > length, 2 * length - v, v)


def _track_step_sd(tau: float, length: float) -> float:
    # reflected BM on [0, L]: eigenfunction cos(pi u/L), eigenvalue exp(-pi^2 s^2 / (2 L^2)) = exp(-1/tau)
    return length * math.sqrt(2.0 / (math.pi ** 2 * tau))


def _track_lag1(tau: float) -> float:
    """Exact lag-1 autocorrelation of a uniform position under the reflected walk (odd cosine modes)."""
    k = np.arange(1, 400, 2, dtype=float)
    a = k ** -4.0
    return float(np.sum(a * np.exp(-(k ** 2) / tau)) / np.sum(a))


def _mc(draw, rel_se: float, seed: int) -> tuple[float, float]:
    """Mean and standard error of ``draw(rng, n)`` values, chunked until SE < rel_se * |mean| (or 400k)."""
    rng = np.random.default_rng(seed)
    vals: list[np.ndarray] = []
    n = 0
    while True:
        vals.append(draw(rng, _CHUNK))
        n += _CHUNK
        if n >= 4 * _CHUNK:
            v = np.concatenate(vals)
            mean, se = float(v.mean()), float(v.std(ddof=1) / math.sqrt(v.size))
            if se <= rel_se * abs(mean) or n >= _MAX_MC or se < 1e-12:
                return mean, se


class _Tuned:
    """Shared machinery of the tuned Poisson populations (see the module docstring)."""

    n_neurons: int
    n_untuned: int
    bin_s: float
    layout_seed: int
    mc_seed: int
    mc_rel_se: float
    tau_bins: float

    @property
    def dim_x(self) -> int:
        return self.n_neurons + self.n_untuned

    def _counts(self, tuned_hz: np.ndarray) -> np.ndarray:
        """Counts per bin: the tuned cells' rates ``tuned_hz`` (Hz, (n, n_neurons)), then the ``n_untuned``
        cells at their constant 0.5-5 Hz, times ``bin_s``."""
        unt = _layout(self.layout_seed, self.n_untuned, 0.5, 5.0, 5)
        return np.concatenate([tuned_hz, np.broadcast_to(unt, (tuned_hz.shape[0], unt.size))], axis=1) * self.bin_s

    # subclasses define: dim_x, dim_y, _rates(u) (n, N) counts per bin, _grid() (points, log weights),
    # _draw(rng, n) i.i.d. u, _walk(rng, n) slow u, _y(u) features
    def _rates(self, u: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _grid(self, scale: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def _draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        raise NotImplementedError

    def _walk(self, rng: np.random.Generator, n: int) -> np.ndarray:
        raise NotImplementedError

    def _y(self, u: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def mi_estimate(self, mc_seed: int | None = None, grid_scale: float = 1.0) -> tuple[float, float]:
        """(MI, standard error) by quadrature on a grid ``grid_scale`` times the default and MC seed ``mc_seed``."""
        pts, logw = self._grid(grid_scale)
        rq = self._rates(pts)
        if np.any(rq <= 0):
            raise NeuralMIError(f"{type(self).__name__}: every rate must be positive (set a baseline > 0).")
        log_rq, sum_rq = np.log(rq), rq.sum(1)

        def draw(rng: np.random.Generator, n: int) -> np.ndarray:
            u = self._draw(rng, n)
            r = self._rates(u)
            x = rng.poisson(r).astype(float)
            cond = np.sum(x * np.log(r) - r, axis=1)
            marg = special.logsumexp(x @ log_rq.T - sum_rq[None, :] + logw[None, :], axis=1)
            return cond - marg

        return _mc(draw, self.mc_rel_se, self.mc_seed if mc_seed is None else mc_seed)

    @functools.cached_property
    def _mi_se(self) -> tuple[float, float]:
        return self.mi_estimate()

    def mutual_information(self) -> float:
        return self._mi_se[0]

    def mutual_information_se(self) -> float:
        return self._mi_se[1]

    def mean_counts(self) -> np.ndarray:
        """Mean spike count per bin of every neuron (quadrature over the encoded variable)."""
        pts, logw = self._grid()
        return np.exp(logw) @ self._rates(pts)

    def sample(self, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
        n = check_int("n", n, 1)
        check_float("tau_bins", self.tau_bins, 0.0)
        rng = np.random.default_rng(seed)
        u = self._walk(rng, n) if self.tau_bins > 0 else self._draw(rng, n)
        return rng.poisson(self._rates(u)).astype(float), self._y(u)


def _layout(seed: int, n: int, low: float, high: float, salt: int) -> np.ndarray:
    return np.random.default_rng([seed, salt]).uniform(low, high, n)


# --------------------------------------------------------------------------------------------- track ---
@dataclass(frozen=True)
class PlaceCells1D(_Tuned):
    """Place cells on a 1-d track of length 1: Gaussian fields, Y = position ~ U[0, 1].

    Rate of cell i (Hz): baseline_i + peak_i exp(-(u - c_i)^2 / (2 w_i^2)); centres uniform on the track,
    peaks in ``peak_hz``, field s.d. in ``width`` (fractions of the track), baselines in ``baseline_hz``,
    all drawn with ``layout_seed``; ``n_untuned`` more cells fire at a constant 0.5-5 Hz. Counts per bin =
    rate x ``bin_s``. Slow version: reflected Gaussian walk (``tau_bins``)."""

    n_neurons: int = 40
    n_untuned: int = 0
    bin_s: float = 0.05
    peak_hz: tuple[float, float] = (5.0, 20.0)
    width: tuple[float, float] = (0.05, 0.15)
    baseline_hz: tuple[float, float] = (0.1, 0.5)
    tau_bins: float = 0.0
    layout_seed: int = 0
    n_grid: int = 2000
    mc_seed: int = 12345
    mc_rel_se: float = 0.005

    @property
    def dim_y(self) -> int:
        return 1

    def _params(self) -> tuple[np.ndarray, ...]:
        n, s = check_int("n_neurons", self.n_neurons, 1), self.layout_seed
        return (_layout(s, n, 0.0, 1.0, 1), _layout(s, n, *self.peak_hz, 2), _layout(s, n, *self.width, 3),
                _layout(s, n, *self.baseline_hz, 4))

    def _rates(self, u: np.ndarray) -> np.ndarray:
        c, peak, w, base = self._params()
        p = u[:, :1]
        r = base + peak * np.exp(-((p - c) ** 2) / (2 * w ** 2))
        return self._counts(r)

    def _grid(self, scale: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
        g = int(round(self.n_grid * scale))
        return ((np.arange(g) + 0.5) / g)[:, None], np.full(g, -math.log(g))

    def _draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.uniform(0.0, 1.0, (n, 1))

    def _walk(self, rng: np.random.Generator, n: int) -> np.ndarray:
        steps = rng.normal(0.0, _track_step_sd(self.tau_bins, 1.0), (n, 1))
        steps[0] = rng.uniform(0.0, 1.0, 1)
        # reflection commutes with the cumulative sum of the unfolded walk
        return _reflect(np.cumsum(steps, axis=0), 1.0)

    def _y(self, u: np.ndarray) -> np.ndarray:
        return u.copy()

    def lag1_autocorrelation(self) -> float:
        return _track_lag1(self.tau_bins) if self.tau_bins > 0 else 0.0


# --------------------------------------------------------------------------------------------- arena ---
class _Arena(_Tuned):
    n_grid: int

    @property
    def dim_y(self) -> int:
        return 2

    def _grid(self, scale: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
        g = int(round(self.n_grid * scale))
        t = (np.arange(g) + 0.5) / g
        xx, yy = np.meshgrid(t, t, indexing="ij")
        return np.stack([xx.ravel(), yy.ravel()], axis=1), np.full(g * g, -2 * math.log(g))

    def _draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.uniform(0.0, 1.0, (n, 2))

    def _walk(self, rng: np.random.Generator, n: int) -> np.ndarray:
        steps = rng.normal(0.0, _track_step_sd(self.tau_bins, 1.0), (n, 2))
        steps[0] = rng.uniform(0.0, 1.0, 2)
        return _reflect(np.cumsum(steps, axis=0), 1.0)

    def _y(self, u: np.ndarray) -> np.ndarray:
        return u.copy()

    def lag1_autocorrelation(self) -> float:
        return _track_lag1(self.tau_bins) if self.tau_bins > 0 else 0.0


@dataclass(frozen=True)
class PlaceCells2D(_Arena):
    """Place cells in a unit square arena: isotropic 2-d Gaussian fields, Y = (x, y) uniform.

    Same parameters as :class:`PlaceCells1D` (field s.d. as fractions of the side); quadrature on an
    ``n_grid`` x ``n_grid`` midpoint grid. Slow version: independent reflected walks in x and y."""

    n_neurons: int = 50
    n_untuned: int = 0
    bin_s: float = 0.1
    peak_hz: tuple[float, float] = (5.0, 20.0)
    width: tuple[float, float] = (0.05, 0.15)
    baseline_hz: tuple[float, float] = (0.1, 0.5)
    tau_bins: float = 0.0
    layout_seed: int = 0
    n_grid: int = 128
    mc_seed: int = 12345
    mc_rel_se: float = 0.005

    def _rates(self, u: np.ndarray) -> np.ndarray:
        n, s = check_int("n_neurons", self.n_neurons, 1), self.layout_seed
        cx, cy = _layout(s, n, 0.0, 1.0, 1), _layout(s, n, 0.0, 1.0, 6)
        peak, w, base = _layout(s, n, *self.peak_hz, 2), _layout(s, n, *self.width, 3), _layout(
            s, n, *self.baseline_hz, 4)
        d2 = (u[:, :1] - cx) ** 2 + (u[:, 1:2] - cy) ** 2
        r = base + peak * np.exp(-d2 / (2 * w ** 2))
        return self._counts(r)


@dataclass(frozen=True)
class GridCells(_Arena):
    """Grid cells in a unit square arena, Y = (x, y) uniform.

    Rate (Hz): baseline + peak exp(b (sum_k cos(k_k . (u - phi)) - 3)), three wave vectors 60 degrees
    apart with |k| = 4 pi / (sqrt 3 spacing); ``n_modules`` modules with spacings evenly spread over
    ``spacing`` (fractions of the side), one orientation per module, random phases per cell; b = 1.5
    (fields about a third of the spacing wide). Default grid 160 x 160 (finest spacing / 48)."""

    n_neurons: int = 60
    n_untuned: int = 0
    n_modules: int = 3
    bin_s: float = 0.1
    spacing: tuple[float, float] = (0.3, 0.8)
    peak_hz: tuple[float, float] = (5.0, 15.0)
    baseline_hz: tuple[float, float] = (0.1, 0.5)
    sharpness: float = 1.5
    tau_bins: float = 0.0
    layout_seed: int = 0
    n_grid: int = 160
    mc_seed: int = 12345
    mc_rel_se: float = 0.005

    def _rates(self, u: np.ndarray) -> np.ndarray:
        n, s = check_int("n_neurons", self.n_neurons, 1), self.layout_seed
        m = check_int("n_modules", self.n_modules, 1)
        module = np.arange(n) % m
        spac = np.linspace(*self.spacing, m)[module]
        orient = _layout(s, m, 0.0, math.pi / 3, 7)[module]
        phx, phy = _layout(s, n, 0.0, 1.0, 8), _layout(s, n, 0.0, 1.0, 9)
        peak, base = _layout(s, n, *self.peak_hz, 2), _layout(s, n, *self.baseline_hz, 4)
        kmag = 4 * math.pi / (math.sqrt(3) * spac)
        total = np.zeros((u.shape[0], n))
        for j in range(3):
            ang = orient + j * math.pi / 3
            total += np.cos(kmag * (np.cos(ang) * (u[:, :1] - phx) + np.sin(ang) * (u[:, 1:2] - phy)))
        r = base + peak * np.exp(self.sharpness * (total - 3.0))
        return self._counts(r)


# -------------------------------------------------------------------------------------------- circle ---
@dataclass(frozen=True)
class HeadDirectionCells(_Tuned):
    """Head-direction cells: rate (Hz) baseline + peak exp(kappa (cos(theta - mu) - 1)), preferred
    directions mu uniform, Y = (cos theta, sin theta) with theta uniform on the circle. Slow version: a
    wrapped Gaussian walk with step s.d. sqrt(2 / tau) (lag-1 autocorrelation of cos theta exp(-1/tau))."""

    n_neurons: int = 40
    n_untuned: int = 0
    bin_s: float = 0.025
    peak_hz: tuple[float, float] = (10.0, 80.0)
    kappa: tuple[float, float] = (2.0, 8.0)
    baseline_hz: tuple[float, float] = (0.5, 2.0)
    tau_bins: float = 0.0
    layout_seed: int = 0
    n_grid: int = 2000
    mc_seed: int = 12345
    mc_rel_se: float = 0.005

    @property
    def dim_y(self) -> int:
        return 2

    def _rates(self, u: np.ndarray) -> np.ndarray:
        n, s = check_int("n_neurons", self.n_neurons, 1), self.layout_seed
        mu, peak = _layout(s, n, 0.0, 2 * math.pi, 1), _layout(s, n, *self.peak_hz, 2)
        kap, base = _layout(s, n, *self.kappa, 3), _layout(s, n, *self.baseline_hz, 4)
        r = base + peak * np.exp(kap * (np.cos(u[:, :1] - mu) - 1.0))
        return self._counts(r)

    def _grid(self, scale: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
        g = int(round(self.n_grid * scale))
        return (2 * math.pi * (np.arange(g) + 0.5) / g)[:, None], np.full(g, -math.log(g))

    def _draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.uniform(0.0, 2 * math.pi, (n, 1))

    def _walk(self, rng: np.random.Generator, n: int) -> np.ndarray:
        steps = rng.normal(0.0, math.sqrt(2.0 / self.tau_bins), (n, 1))
        steps[0] = rng.uniform(0.0, 2 * math.pi, 1)
        return np.mod(np.cumsum(steps, axis=0), 2 * math.pi)

    def _y(self, u: np.ndarray) -> np.ndarray:
        return np.concatenate([np.cos(u), np.sin(u)], axis=1)

    def lag1_autocorrelation(self) -> float:
        return math.exp(-1.0 / self.tau_bins) if self.tau_bins > 0 else 0.0


# ------------------------------------------------------------------------------------ conjunctive ---
@dataclass(frozen=True)
class ConjunctiveCells(_Tuned):
    """Mixed selectivity on a track: position p ~ U[0, 1] and heading theta ~ U[0, 2 pi) independent;
    Y = (p, cos theta, sin theta). A third of the cells are place cells, a third head-direction cells and a
    third conjunctive (rate baseline + peak x place field x von Mises tuning), parameters in the ranges of
    :class:`PlaceCells1D` and :class:`HeadDirectionCells` (peaks 5-30 Hz). Quadrature on a ``n_grid`` x
    ``n_grid`` (position x heading) grid. Slow version: reflected walk in p, wrapped walk in theta."""

    n_neurons: int = 60
    n_untuned: int = 0
    bin_s: float = 0.05
    peak_hz: tuple[float, float] = (5.0, 30.0)
    width: tuple[float, float] = (0.05, 0.15)
    kappa: tuple[float, float] = (2.0, 8.0)
    baseline_hz: tuple[float, float] = (0.1, 1.0)
    tau_bins: float = 0.0
    layout_seed: int = 0
    n_grid: int = 160
    mc_seed: int = 12345
    mc_rel_se: float = 0.005

    @property
    def dim_y(self) -> int:
        return 3

    def _rates(self, u: np.ndarray) -> np.ndarray:
        n, s = check_int("n_neurons", self.n_neurons, 1), self.layout_seed
        kind = np.arange(n) % 3  # 0 place, 1 head direction, 2 conjunctive
        c, mu = _layout(s, n, 0.0, 1.0, 1), _layout(s, n, 0.0, 2 * math.pi, 6)
        peak, w = _layout(s, n, *self.peak_hz, 2), _layout(s, n, *self.width, 3)
        kap, base = _layout(s, n, *self.kappa, 7), _layout(s, n, *self.baseline_hz, 4)
        place = np.exp(-((u[:, :1] - c) ** 2) / (2 * w ** 2))
        hd = np.exp(kap * (np.cos(u[:, 1:2] - mu) - 1.0))
        tune = np.where(kind == 0, place, np.where(kind == 1, hd, place * hd))
        r = base + peak * tune
        return self._counts(r)

    def _grid(self, scale: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
        g = int(round(self.n_grid * scale))
        t = (np.arange(g) + 0.5) / g
        pp, hh = np.meshgrid(t, 2 * math.pi * t, indexing="ij")
        return np.stack([pp.ravel(), hh.ravel()], axis=1), np.full(g * g, -2 * math.log(g))

    def _draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return np.stack([rng.uniform(0.0, 1.0, n), rng.uniform(0.0, 2 * math.pi, n)], axis=1)

    def _walk(self, rng: np.random.Generator, n: int) -> np.ndarray:
        sp = rng.normal(0.0, _track_step_sd(self.tau_bins, 1.0), n)
        sh = rng.normal(0.0, math.sqrt(2.0 / self.tau_bins), n)
        sp[0], sh[0] = rng.uniform(0.0, 1.0), rng.uniform(0.0, 2 * math.pi)
        return np.stack([_reflect(np.cumsum(sp), 1.0), np.mod(np.cumsum(sh), 2 * math.pi)], axis=1)

    def _y(self, u: np.ndarray) -> np.ndarray:
        return np.concatenate([u[:, :1], np.cos(u[:, 1:2]), np.sin(u[:, 1:2])], axis=1)


# -------------------------------------------------------------------------------------- shared latent ---
@dataclass(frozen=True)
class SharedLatent:
    """Counts of population A (X) vs counts of population B (Y), conditionally independent Poisson given
    a shared latent z: the workflow's region-A-vs-region-B analysis.

    ``latent="gaussian"``: z ~ N(0, I_k) (k = ``latent_dim``, 1-3), log rate_i = log m_i + g_i w_i . z -
    g_i^2 / 2 (mean m_i counts per bin, unit direction w_i, gain g_i in ``gain``). ``latent="track"``: z
    uniform on [0, 1] (k = 1) and both populations are place cells (:class:`PlaceCells1D` ranges).
    Mean counts per bin in ``mean_count``. MI by quadrature over z (Gaussian: midpoint grid on [-5, 5]^k,
    ``n_grid`` per axis, default 400 / 64 / 24 for k = 1 / 2 / 3; track: ``n_grid`` points) and MC outside. Slow version: AR(1) latent with
    coefficient exp(-1/tau) (Gaussian) or reflected walk (track)."""

    n_a: int = 30
    n_b: int = 30
    latent_dim: int = 2
    latent: str = "gaussian"
    gain: tuple[float, float] = (0.3, 1.0)
    mean_count: tuple[float, float] = (0.05, 0.5)
    bin_s: float = 0.05
    tau_bins: float = 0.0
    layout_seed: int = 0
    n_grid: int = 0
    mc_seed: int = 12345
    mc_rel_se: float = 0.005

    @property
    def dim_x(self) -> int:
        return self.n_a

    @property
    def dim_y(self) -> int:
        return self.n_b

    def _k(self) -> int:
        if self.latent not in ("gaussian", "track"):
            raise NeuralMIError(f"SharedLatent: `latent` must be 'gaussian' or 'track'. Got {self.latent!r}.")
        return check_int("latent_dim", self.latent_dim, 1, 3) if self.latent == "gaussian" else 1

    def _rates(self, z: np.ndarray) -> np.ndarray:
        """Counts per bin of A then B at latents z (n, k): (n, n_a + n_b)."""
        n, s, k = self.n_a + self.n_b, self.layout_seed, self._k()
        if self.latent == "track":
            c, w = _layout(s, n, 0.0, 1.0, 1), _layout(s, n, 0.05, 0.15, 3)
            peak, base = _layout(s, n, 5.0, 20.0, 2), _layout(s, n, 0.1, 0.5, 4)
            return (base + peak * np.exp(-((z[:, :1] - c) ** 2) / (2 * w ** 2))) * self.bin_s
        rng = np.random.default_rng([s, 10])
        w = rng.standard_normal((n, k))
        w /= np.linalg.norm(w, axis=1, keepdims=True)
        g, m = _layout(s, n, *self.gain, 11), _layout(s, n, *self.mean_count, 12)
        return np.exp(np.log(m) + (z @ w.T) * g - g ** 2 / 2)

    def _grid(self, scale: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
        k = self._k()
        if self.latent == "track":
            g = int(round((self.n_grid or 2000) * scale))
            return ((np.arange(g) + 0.5) / g)[:, None], np.full(g, -math.log(g))
        g = int(round((self.n_grid or {1: 400, 2: 64, 3: 24}[k]) * scale))
        t = -5.0 + 10.0 * (np.arange(g) + 0.5) / g
        pts = np.stack([a.ravel() for a in np.meshgrid(*([t] * k), indexing="ij")], axis=1)
        logw = stats.norm.logpdf(pts).sum(1)
        return pts, logw - special.logsumexp(logw)

    def _draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        k = self._k()
        return rng.uniform(0.0, 1.0, (n, 1)) if self.latent == "track" else rng.standard_normal((n, k))

    def mi_estimate(self, mc_seed: int | None = None, grid_scale: float = 1.0) -> tuple[float, float]:
        """(MI, standard error) with quadrature grid ``grid_scale`` x the default and MC seed ``mc_seed``."""
        pts, logw = self._grid(grid_scale)
        rq = self._rates(pts)
        la, lb = np.log(rq[:, :self.n_a]), np.log(rq[:, self.n_a:])
        sa, sb = rq[:, :self.n_a].sum(1), rq[:, self.n_a:].sum(1)

        def draw(rng: np.random.Generator, n: int) -> np.ndarray:
            r = self._rates(self._draw(rng, n))
            c = rng.poisson(r).astype(float)
            lxa = c[:, :self.n_a] @ la.T - sa[None, :]
            lyb = c[:, self.n_a:] @ lb.T - sb[None, :]
            lse = special.logsumexp
            return lse(lxa + lyb + logw, axis=1) - lse(lxa + logw, axis=1) - lse(lyb + logw, axis=1)

        return _mc(draw, self.mc_rel_se, self.mc_seed if mc_seed is None else mc_seed)

    @functools.cached_property
    def _mi_se(self) -> tuple[float, float]:
        return self.mi_estimate()

    def mutual_information(self) -> float:
        return self._mi_se[0]

    def mutual_information_se(self) -> float:
        return self._mi_se[1]

    def mean_counts(self) -> np.ndarray:
        pts, logw = self._grid()
        return np.exp(logw) @ self._rates(pts)

    def sample(self, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
        n = check_int("n", n, 1)
        rng = np.random.default_rng(seed)
        c = rng.poisson(self._rates(self.latent_path(rng, n))).astype(float)
        return c[:, :self.n_a], c[:, self.n_a:]

    def latent_path(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """The latent z of ``n`` bins (i.i.d., or the slow walk when ``tau_bins`` > 0): (n, k)."""
        tau = check_float("tau_bins", self.tau_bins, 0.0)
        if tau == 0:
            z = self._draw(rng, n)
        elif self.latent == "track":
            steps = rng.normal(0.0, _track_step_sd(tau, 1.0), (n, 1))
            steps[0] = rng.uniform(0.0, 1.0, 1)
            z = _reflect(np.cumsum(steps, axis=0), 1.0)
        else:
            rho = math.exp(-1.0 / tau)
            e = rng.standard_normal((n, self._k()))
            z = np.empty_like(e)
            z[0] = e[0]
            s = math.sqrt(1 - rho * rho)
            for t in range(1, n):
                z[t] = rho * z[t - 1] + s * e[t]
        return z

    def lag1_autocorrelation(self) -> float:
        if self.tau_bins <= 0:
            return 0.0
        return _track_lag1(self.tau_bins) if self.latent == "track" else math.exp(-1.0 / self.tau_bins)


# ------------------------------------------------------------------------------------------ mixture ---
@dataclass(frozen=True)
class GaussianMixture:
    """A mixture of Gaussians over (x, y): ``weights``, ``means`` (K, dx + dy), ``covs`` (K, d, d) as nested
    tuples. Log densities are exact (the marginals are mixtures of the marginal Gaussians); the MI
    E[log p(x, y) - log p(x) - log p(y)] is by Monte Carlo (fixed ``mc_seed``, SE < ``mc_rel_se``).
    :func:`three_component_mixture` builds the 2+2-d benchmark."""

    dx: int
    weights: tuple[float, ...]
    means: tuple[tuple[float, ...], ...]
    covs: tuple[tuple[tuple[float, ...], ...], ...]
    mc_seed: int = 12345
    mc_rel_se: float = 0.005

    @property
    def dim_x(self) -> int:
        return self.dx

    @property
    def dim_y(self) -> int:
        return len(self.means[0]) - self.dx

    def _arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        w, mu, cov = np.asarray(self.weights, float), np.asarray(self.means, float), np.asarray(self.covs, float)
        if w.ndim != 1 or np.any(w <= 0) or abs(w.sum() - 1) > 1e-9 or mu.shape[0] != w.size or \
                cov.shape != (w.size, mu.shape[1], mu.shape[1]):
            raise NeuralMIError(f"GaussianMixture: weights must be positive and sum to 1, means (K, d), covs "
                                f"(K, d, d). Got shapes {w.shape}, {mu.shape}, {cov.shape}.")
        return w, mu, cov

    def _logpdf(self, v: np.ndarray, sl: slice) -> np.ndarray:
        w, mu, cov = self._arrays()
        comp = [stats.multivariate_normal(mu[k, sl], cov[k, sl, sl]).logpdf(v).reshape(len(v)) for k in
                range(w.size)]
        return special.logsumexp(np.stack(comp, axis=1) + np.log(w), axis=1)

    def pointwise_mi(self, xy: np.ndarray) -> np.ndarray:
        d = xy.shape[1]
        return (self._logpdf(xy, slice(0, d)) - self._logpdf(xy[:, :self.dx], slice(0, self.dx))
                - self._logpdf(xy[:, self.dx:], slice(self.dx, d)))

    def _draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        w, mu, cov = self._arrays()
        k = rng.choice(w.size, size=n, p=w)
        chol = np.linalg.cholesky(cov)
        e = rng.standard_normal((n, mu.shape[1]))
        return mu[k] + np.einsum("nij,nj->ni", chol[k], e)

    def mi_estimate(self, mc_seed: int | None = None) -> tuple[float, float]:
        return _mc(lambda rng, n: self.pointwise_mi(self._draw(rng, n)), self.mc_rel_se,
                   self.mc_seed if mc_seed is None else mc_seed)

    @functools.cached_property
    def _mi_se(self) -> tuple[float, float]:
        return self.mi_estimate()

    def mutual_information(self) -> float:
        return self._mi_se[0]

    def mutual_information_se(self) -> float:
        return self._mi_se[1]

    def sample(self, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
        n = check_int("n", n, 1)
        xy = self._draw(np.random.default_rng(seed), n)
        return xy[:, :self.dx].copy(), xy[:, self.dx:].copy()


def three_component_mixture() -> GaussianMixture:
    """3 components over 2+2 dims with different means and covariances (x-y correlation of each sign)."""
    def cov(r: float, s: float) -> tuple[tuple[float, ...], ...]:
        c = np.eye(4) * s
        c[0, 2] = c[2, 0] = r * s
        c[1, 3] = c[3, 1] = -r * s
        c[0, 1] = c[1, 0] = 0.3 * s
        return tuple(tuple(float(v) for v in row) for row in c)

    return GaussianMixture(2, (0.5, 0.3, 0.2),
                           ((0.0, 0.0, 0.0, 0.0), (1.5, -1.0, 1.0, 1.5), (-1.5, 1.0, -1.0, 0.5)),
                           (cov(0.6, 1.0), cov(-0.5, 0.5), cov(0.0, 2.0)))
