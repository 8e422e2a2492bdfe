"""The generative model of the synthetic sessions: two populations driven by smooth shared latents.

Generative model (one session; time step ``dt_gen``, default 5 ms; latents are piecewise constant on
that grid, spike times sit on a tick grid of ``resolution`` seconds):

* ``s(t)``: ``n_shared`` independent smooth Gaussian processes (white noise filtered by a Gaussian kernel of
  width ``timescale_s``, unit variance), shared by both populations;
* ``p_A(t)``, ``p_B(t)``: ``n_private_a`` / ``n_private_b`` private smooth processes of the same kind;
* ``eta_A[n]``, ``eta_B[n]``: white Gaussian noise per time step, population-specific, on the shared drive;
* population ``P`` sees the latent state ``z_P = [s + shared_noise * eta_P, p_P]`` (dimension
  ``n_shared + n_private_P``); unit ``i`` of ``P`` fires as an inhomogeneous Poisson process with rate
  ``r_i * exp(gain * w_i . z_P - gain**2 var(w_i . z_P) / 2)`` (mean rate ``r_i``, lognormal around
  ``mean_rate_hz``), ``w_i`` a random unit vector;
* behaviour: a 2-d ``SpatialSeries`` (``processing/behavior/Position/position``) equal to a fixed linear
  read-out of ``s`` plus small noise, sampled at ``behavior_rate`` Hz with missing stretches of timestamps
  and NaN samples (tracking loss);
* a trials table, a units table with ``region`` ("A"/"B"), ``quality`` ("good"/"mua") and
  ``obs_intervals`` (a few units have an unobserved stretch in which they emit no spikes).

Ground truth (also in ``scratch/neuralmi_synth_params`` and a JSON sidecar next to each file): the latent
dimensionality per population (``n_shared + n_private_P``), the number of shared dims, and exact mutual
information of the latent drives. Because spike counts of A in a bin depend only on A's latent state in
that bin (plus independent Poisson noise), the Markov chain ``counts_A - z_A(bin) - z_B(bin) - counts_B``
makes ``I(z_A(bin); z_B(bin))`` an upper bound on ``I(counts_A; counts_B)`` (data processing inequality).
It is computed exactly from the Gaussian covariance of the shared components over the ``m = bin / dt_gen``
steps of a bin: ``I = sum_dims sum_j 1/2 log((l_j + v)^2 / ((l_j + v)^2 - l_j^2))`` with ``l_j`` the
eigenvalues of the m x m latent covariance and ``v = shared_noise**2``.

Files and archives: :mod:`neuralmi_core.synth.nwb`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..validation import NeuralMIError, check_float, check_int

#: bin widths (s) for which the sidecar states the exact latent-drive MI upper bound
TRUTH_BIN_WIDTHS = (0.005, 0.01, 0.02, 0.05, 0.1)
#: Allen CCF acronyms used as electrode locations of the two simulated populations
REGION_LOCATIONS = {"A": "VISp", "B": "LGd"}


@dataclass(frozen=True)
class SynthParams:
    """Parameters of one synthetic session (see module docstring for the model)."""

    duration_s: float = 600.0
    n_units_a: int = 40
    n_units_b: int = 40
    n_shared: int = 3
    n_private_a: int = 2
    n_private_b: int = 2
    timescale_s: float = 0.3
    shared_noise: float = 0.5
    gain: float = 1.2
    mean_rate_hz: float = 10.0
    dt_gen: float = 0.005
    resolution: float = 1e-4
    behavior_rate: float = 30.0
    behavior_noise: float = 0.02
    n_behavior_gaps: int = 4
    behavior_gap_s: float = 5.0
    behavior_nan_fraction: float = 0.02
    n_unobserved_units: int = 1
    unobserved_s: float = 10.0
    mua_fraction: float = 0.2
    trial_s: tuple[float, float] = (4.0, 10.0)
    iti_s: tuple[float, float] = (1.0, 3.0)
    extra: dict[str, Any] = field(default_factory=dict)

    def check(self) -> SynthParams:
        check_float("duration_s", self.duration_s, 1.0, None)
        for name in ("n_units_a", "n_units_b"):
            check_int(name, getattr(self, name), 1)
        check_int("n_shared", self.n_shared, 0)
        check_int("n_private_a", self.n_private_a, 0)
        check_int("n_private_b", self.n_private_b, 0)
        check_float("timescale_s", self.timescale_s, 0.0, None, low_open=True)
        check_float("shared_noise", self.shared_noise, 0.0, None, low_open=True)
        check_float("gain", self.gain, 0.0, None)
        check_float("mean_rate_hz", self.mean_rate_hz, 0.0, None, low_open=True)
        check_float("dt_gen", self.dt_gen, 0.0, 1.0, low_open=True)
        check_float("resolution", self.resolution, 0.0, self.dt_gen, low_open=True)
        tps = self.dt_gen / self.resolution
        if abs(tps - round(tps)) > 1e-6:
            raise NeuralMIError(
                f"`dt_gen` ({self.dt_gen}) must be a whole number of `resolution` "
                f"ticks ({self.resolution}). Got {tps:.6g} ticks."
            )
        return self


# ----------------------------------------------------------------------------------------------- latents
def gaussian_filter_taps(timescale_s: float, dt: float) -> np.ndarray:
    """Taps ``h`` of the Gaussian smoothing filter, normalised so filtered unit white noise has variance 1."""
    half = max(1, int(math.ceil(4 * timescale_s / dt)))
    k = np.arange(-half, half + 1) * dt
    h = np.exp(-0.5 * (k / timescale_s) ** 2)
    return h / np.sqrt(np.sum(h**2))


def latent_covariance(timescale_s: float, dt: float, m: int) -> np.ndarray:
    """Exact m x m covariance of ``m`` consecutive steps of one filtered-noise latent."""
    h = gaussian_filter_taps(timescale_s, dt)
    ac = np.correlate(h, h, mode="full")[len(h) - 1 :]  # autocovariance at lags 0..len(h)-1
    lags = np.abs(np.subtract.outer(np.arange(m), np.arange(m)))
    acf = np.concatenate([ac, np.zeros(max(0, m - len(ac)))])
    return acf[lags]


def latent_mi_nats(params: SynthParams, steps: int) -> float:
    """Exact I(z_A; z_B) in nats over ``steps`` consecutive generation steps (see module docstring)."""
    if params.n_shared == 0:
        return 0.0
    lam = np.clip(np.linalg.eigvalsh(latent_covariance(params.timescale_s, params.dt_gen, steps)), 0, None)
    v = params.shared_noise**2
    a = lam + v
    per_dim = 0.5 * np.sum(np.log(a**2) - np.log(a**2 - lam**2))
    return float(params.n_shared * per_dim)


def smooth_noise(
    rng: np.random.Generator, n_steps: int, n_dims: int, timescale_s: float, dt: float
) -> np.ndarray:
    """(n_steps, n_dims) filtered white noise with unit variance and Gaussian autocorrelation."""
    from scipy.signal import fftconvolve

    h = gaussian_filter_taps(timescale_s, dt)
    out = np.empty((n_steps, n_dims))
    for d in range(n_dims):
        w = rng.standard_normal(n_steps + len(h) - 1)
        out[:, d] = fftconvolve(w, h, mode="valid")
    return out


# ----------------------------------------------------------------------------------------------- spikes
def poisson_spike_ticks(
    rng: np.random.Generator, log_rate_fn, n_units: int, n_steps: int, ticks_per_step: int, chunk: int = 20000
) -> list[np.ndarray]:
    """Spike tick indices per unit for piecewise-constant rates given in time chunks.

    ``log_rate_fn(a, b)`` returns (b - a, n_units) log-rates (Hz) times dt for steps a..b-1 (i.e. the
    log of the expected count per step). Spikes are placed uniformly on the ticks inside their step.
    """
    per_unit: list[list[np.ndarray]] = [[] for _ in range(n_units)]
    for a in range(0, n_steps, chunk):
        b = min(n_steps, a + chunk)
        counts = rng.poisson(np.exp(log_rate_fn(a, b)))  # (b - a, n_units)
        steps, units = np.nonzero(counts)
        reps = counts[steps, units]
        steps = np.repeat(steps + a, reps).astype(np.int64)
        units = np.repeat(units, reps)
        ticks = steps * ticks_per_step + rng.integers(0, ticks_per_step, size=steps.size)
        order = np.lexsort((ticks, units))
        ticks, units = ticks[order], units[order]
        bounds = np.searchsorted(units, np.arange(n_units + 1))
        for u in range(n_units):
            per_unit[u].append(ticks[bounds[u] : bounds[u + 1]])
    return [np.concatenate(p) if p else np.zeros(0, np.int64) for p in per_unit]


# ----------------------------------------------------------------------------------------------- session
@dataclass
class SessionData:
    """Everything generated for one session, before it is written as NWB."""

    params: SynthParams
    seed: int
    spike_times: list[np.ndarray]
    region: np.ndarray
    quality: np.ndarray
    obs_intervals: list[np.ndarray]
    behavior_t: np.ndarray
    behavior_xy: np.ndarray
    trials: np.ndarray
    truth: dict[str, Any]


@dataclass
class Population:
    """One population's drive: private latents, fast noise on the shared latents, tuning and baselines.

    Unit ``i`` fires at ``exp(base_i + gain * w_i . z(t))`` spikes per step, ``z = [s + shared_noise * eta,
    private]`` (see the module docstring).
    """

    private: np.ndarray  # (n_steps, n_private)
    eta: np.ndarray  # (n_steps, n_shared)
    w: np.ndarray  # (n_units, n_shared + n_private), unit rows
    base: np.ndarray  # (n_units,) log expected count per step at z = 0, minus the lognormal mean shift

    @property
    def n_units(self) -> int:
        return int(self.w.shape[0])

    def latent(self, s: np.ndarray, shared_noise: float, a: int, b: int) -> np.ndarray:
        """The population's latent state ``z`` for steps ``a..b-1``: (b - a, n_shared + n_private)."""
        return np.hstack([s[a:b] + shared_noise * self.eta[a:b], self.private[a:b]])


def draw_population(
    rng: np.random.Generator, params: SynthParams, s: np.ndarray, n_units: int, n_private: int
) -> Population:
    """Draw one population's private latents, shared noise, tuning vectors and mean rates (in that order)."""
    p = params
    n_steps = s.shape[0]
    priv = smooth_noise(rng, n_steps, n_private, p.timescale_s, p.dt_gen)
    eta = rng.standard_normal((n_steps, p.n_shared)).astype(np.float64)
    d = p.n_shared + n_private
    w = rng.standard_normal((n_units, d))
    w /= np.linalg.norm(w, axis=1, keepdims=True)
    rates = p.mean_rate_hz * rng.lognormal(0.0, 0.5, n_units) / np.exp(0.125)
    # variance of w . z: shared coords have variance 1 + shared_noise^2, private ones 1
    var = np.sum(w[:, : p.n_shared] ** 2, axis=1) * (1 + p.shared_noise**2) + np.sum(
        w[:, p.n_shared :] ** 2, 1
    )
    base = np.log(rates * p.dt_gen) - 0.5 * p.gain**2 * var
    return Population(priv, eta, w, base)


def population_spike_ticks(
    rng: np.random.Generator, params: SynthParams, s: np.ndarray, pop: Population
) -> list[np.ndarray]:
    """Poisson spike tick indices (ticks of ``params.resolution``) of every unit of ``pop``."""
    p = params

    def log_rate(a: int, b: int) -> np.ndarray:
        return pop.base[None, :] + p.gain * (pop.latent(s, p.shared_noise, a, b) @ pop.w.T)

    tps = int(round(p.dt_gen / p.resolution))
    return poisson_spike_ticks(rng, log_rate, pop.n_units, s.shape[0], tps)


def draw_behavior(
    rng: np.random.Generator, params: SynthParams, s: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Position ``(t, xy, readout)``: a linear read-out of the shared latents ``s`` plus noise, with missing
    stretches of timestamps and NaN samples (tracking loss)."""
    p = params
    n_steps = s.shape[0]
    n_beh = int(p.duration_s * p.behavior_rate)
    bt = np.arange(n_beh) / p.behavior_rate
    readout = rng.standard_normal((2, max(p.n_shared, 1))) * 0.1  # metres
    step_idx = np.minimum((bt / p.dt_gen).astype(np.int64), n_steps - 1)
    src = s[step_idx] if p.n_shared else np.zeros((n_beh, 1))
    xy = 0.5 + src @ readout.T + p.behavior_noise * rng.standard_normal((n_beh, 2))
    keep = np.ones(n_beh, bool)
    for _ in range(p.n_behavior_gaps):
        g0 = rng.uniform(0, p.duration_s - p.behavior_gap_s)
        keep &= ~((bt >= g0) & (bt < g0 + p.behavior_gap_s))
    nan_rows = rng.random(n_beh) < p.behavior_nan_fraction
    xy[nan_rows] = np.nan
    return bt[keep], xy[keep], readout


def behavior_truth(params: SynthParams, readout: np.ndarray) -> dict[str, Any]:
    """The sidecar's ``behavior`` entry: the read-out matrix and noise of the position."""
    return {
        "path": "processing/behavior/Position/position",
        "readout_of_shared_latents": readout.tolist(),
        "noise_std_m": params.behavior_noise,
        "note": "position = 0.5 + readout @ s(t) + noise; NaN samples and missing stretches: tracking loss",
    }


def draw_trials(rng: np.random.Generator, params: SynthParams) -> np.ndarray:
    """(n, 2) trial start/stop times tiling the recording, separated by inter-trial intervals."""
    p = params
    trials = []
    t = float(rng.uniform(*p.iti_s))
    while True:
        dur = float(rng.uniform(*p.trial_s))
        if t + dur > p.duration_s:
            break
        trials.append((t, t + dur))
        t += dur + float(rng.uniform(*p.iti_s))
    return np.round(np.array(trials, dtype=np.float64).reshape(-1, 2), 4)


def simulate_session(params: SynthParams, seed: int) -> SessionData:
    """Draw one session from the generative model (pure: arrays only, no file)."""
    p = params.check()
    rng = np.random.default_rng(seed)
    n_steps = int(round(p.duration_s / p.dt_gen))
    s = smooth_noise(rng, n_steps, p.n_shared, p.timescale_s, p.dt_gen)
    pops = {
        name: draw_population(rng, p, s, n_units, n_priv)
        for name, n_units, n_priv in (("A", p.n_units_a, p.n_private_a), ("B", p.n_units_b, p.n_private_b))
    }

    spikes: list[np.ndarray] = []
    obs: list[np.ndarray] = []
    region: list[str] = []
    for name, pop in pops.items():
        n_units = pop.n_units
        ticks = population_spike_ticks(rng, p, s, pop)
        gap_units = set(rng.choice(n_units, size=min(p.n_unobserved_units, n_units), replace=False).tolist())
        for u in range(n_units):
            t = ticks[u]
            if u in gap_units and p.unobserved_s < p.duration_s / 2:
                g0_tick = int(rng.integers(0, int((p.duration_s - p.unobserved_s) / p.resolution)))
                g1_tick = g0_tick + int(round(p.unobserved_s / p.resolution))
                t = t[(t < g0_tick) | (t >= g1_tick)]
                obs.append(np.array([[0.0, g0_tick * p.resolution], [g1_tick * p.resolution, p.duration_s]]))
            else:
                obs.append(np.array([[0.0, p.duration_s]]))
            spikes.append(t * p.resolution)
            region.append(name)
    quality = np.where(rng.random(len(spikes)) < p.mua_fraction, "mua", "good")

    bt, xy, readout = draw_behavior(rng, p, s)
    trials_arr = draw_trials(rng, p)

    truth = ground_truth(p)
    truth["behavior"] = behavior_truth(p, readout)
    return SessionData(p, seed, spikes, np.array(region), quality, obs, bt, xy, trials_arr, truth)


def ground_truth(params: SynthParams) -> dict[str, Any]:
    """The known answers for a session generated with ``params`` (JSON-ready)."""
    p = params
    inst = latent_mi_nats(p, 1)
    bounds = {}
    for bw in TRUTH_BIN_WIDTHS:
        m = bw / p.dt_gen
        if abs(m - round(m)) < 1e-9 and round(m) >= 1:
            bounds[f"{bw:g}"] = latent_mi_nats(p, int(round(m)))
    return {
        "n_shared_dims": p.n_shared,
        "latent_dims": {"A": p.n_shared + p.n_private_a, "B": p.n_shared + p.n_private_b},
        "private_dims": {"A": p.n_private_a, "B": p.n_private_b},
        "n_units": {"A": p.n_units_a, "B": p.n_units_b},
        "mi_latent_instantaneous_nats": inst,
        "mi_latent_instantaneous_bits": inst / math.log(2),
        "mi_counts_upper_bound_nats_by_bin_width": bounds,
        "mi_counts_upper_bound_bits_by_bin_width": {k: v / math.log(2) for k, v in bounds.items()},
        "notes": (
            "mi_latent_instantaneous: exact I(z_A(t); z_B(t)) of the latent drives at one generation step. "
            "mi_counts_upper_bound_*_by_bin_width[w]: exact I(z_A(bin); z_B(bin)) over the steps of one "
            "bin of width w (s, bins aligned to multiples of w, window 1, lag 0); by the data processing "
            "inequality an upper bound on I(spike counts of A; spike counts of B) at that bin width. "
            "latent_dims: dimensionality of each population's latent state (shared + private); "
            "n_shared_dims: dimensionality of what A and B share."
        ),
    }


__all__ = [
    "REGION_LOCATIONS",
    "Population",
    "TRUTH_BIN_WIDTHS",
    "SessionData",
    "SynthParams",
    "behavior_truth",
    "draw_behavior",
    "draw_population",
    "draw_trials",
    "gaussian_filter_taps",
    "ground_truth",
    "latent_covariance",
    "latent_mi_nats",
    "poisson_spike_ticks",
    "population_spike_ticks",
    "simulate_session",
    "smooth_noise",
]
