"""Synthetic NWB recordings with known ground truth: two populations driven by smooth shared latents.

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

Examples
--------
>>> from neuralmi_core.synth import generate_archive
>>> paths = generate_archive("demo", n_sessions=2, seed=0)          # doctest: +SKIP
>>> paths[0].name                                                  # doctest: +SKIP
'sub-01_ses-01_ecephys.nwb'
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ._version import __version__
from .io.arrays import write_json
from .io.atomic import atomic_path
from .validation import NeuralMIError, check_float, check_int

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


def simulate_session(params: SynthParams, seed: int) -> SessionData:
    """Draw one session from the generative model (pure: arrays only, no file)."""
    p = params.check()
    rng = np.random.default_rng(seed)
    n_steps = int(round(p.duration_s / p.dt_gen))
    tps = int(round(p.dt_gen / p.resolution))
    s = smooth_noise(rng, n_steps, p.n_shared, p.timescale_s, p.dt_gen)
    pops = {}
    for name, n_units, n_priv in (("A", p.n_units_a, p.n_private_a), ("B", p.n_units_b, p.n_private_b)):
        priv = smooth_noise(rng, n_steps, n_priv, p.timescale_s, p.dt_gen)
        eta = rng.standard_normal((n_steps, p.n_shared)).astype(np.float64)
        d = p.n_shared + n_priv
        w = rng.standard_normal((n_units, d))
        w /= np.linalg.norm(w, axis=1, keepdims=True)
        rates = p.mean_rate_hz * rng.lognormal(0.0, 0.5, n_units) / np.exp(0.125)
        # variance of w . z: shared coords have variance 1 + shared_noise^2, private ones 1
        var = np.sum(w[:, : p.n_shared] ** 2, axis=1) * (1 + p.shared_noise**2) + np.sum(
            w[:, p.n_shared :] ** 2, 1
        )
        base = np.log(rates * p.dt_gen) - 0.5 * p.gain**2 * var
        pops[name] = (s, eta, priv, w, base, n_units)

    spikes: list[np.ndarray] = []
    obs: list[np.ndarray] = []
    region: list[str] = []
    for name, (s_, eta, priv, w, base, n_units) in pops.items():

        def log_rate(a: int, b: int, s_=s_, eta=eta, priv=priv, w=w, base=base) -> np.ndarray:
            z = np.hstack([s_[a:b] + p.shared_noise * eta[a:b], priv[a:b]])
            return base[None, :] + p.gain * (z @ w.T)

        ticks = poisson_spike_ticks(rng, log_rate, n_units, n_steps, tps)
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

    # behaviour: linear read-out of the shared latents, with missing timestamps and NaN samples
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
    bt, xy = bt[keep], xy[keep]

    # trials tiling the recording
    trials = []
    t = float(rng.uniform(*p.iti_s))
    while True:
        dur = float(rng.uniform(*p.trial_s))
        if t + dur > p.duration_s:
            break
        trials.append((t, t + dur))
        t += dur + float(rng.uniform(*p.iti_s))
    trials_arr = np.round(np.array(trials, dtype=np.float64).reshape(-1, 2), 4)

    truth = ground_truth(p)
    truth["behavior"] = {
        "path": "processing/behavior/Position/position",
        "readout_of_shared_latents": readout.tolist(),
        "noise_std_m": p.behavior_noise,
        "note": "position = 0.5 + readout @ s(t) + noise; NaN samples and missing stretches: tracking loss",
    }
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


# ----------------------------------------------------------------------------------------------- NWB
def build_nwbfile(data: SessionData, subject_id: str, session_id: str):
    """Build a DANDI-conformant ``NWBFile`` from simulated ``data`` (nothing is written)."""
    from hdmf.common import DynamicTableRegion, VectorData, VectorIndex
    from pynwb import NWBFile
    from pynwb.behavior import Position
    from pynwb.file import Subject
    from pynwb.misc import Units

    p = data.params
    start = _dt.datetime(2024, 1, 1, 10, 0, tzinfo=_dt.UTC) + _dt.timedelta(days=data.seed % 365)
    nwb = NWBFile(
        session_description="Synthetic two-population recording with known latent structure (neuralmi demo).",
        identifier=str(uuid.UUID(bytes=np.random.default_rng([data.seed, 7]).bytes(16), version=4)),
        session_start_time=start,
        session_id=session_id,
        experimenter=["Doe, Jane"],
        lab="neuralmi",
        institution="neuralmi synthetic data",
        keywords=["synthetic", "mutual information", "latent dimensionality"],
        experiment_description=f"Generated by neuralmi_core.synth {__version__} with seed {data.seed}.",
        subject=Subject(
            subject_id=subject_id,
            species="Mus musculus",
            sex="U",
            age="P90D",
            description="synthetic subject",
        ),
    )
    device = nwb.create_device(name="probe", description="synthetic probe")
    groups = {}
    for reg, loc in REGION_LOCATIONS.items():
        groups[reg] = nwb.create_electrode_group(
            name=f"shank{reg}", description=f"electrodes of region {reg}", location=loc, device=device
        )
    for reg in data.region:
        nwb.add_electrode(group=groups[str(reg)], location=REGION_LOCATIONS[str(reg)])

    n = len(data.spike_times)
    ends = np.cumsum([len(t) for t in data.spike_times]).astype(np.int64)
    flat = np.concatenate(data.spike_times) if n else np.zeros(0)
    obs_flat = np.concatenate(data.obs_intervals)
    obs_ends = np.cumsum([len(o) for o in data.obs_intervals]).astype(np.int64)
    st = VectorData(name="spike_times", data=flat, description="spike times (s)")
    sti = VectorIndex(name="spike_times_index", data=ends, target=st)
    ob = VectorData(name="obs_intervals", data=obs_flat, description="observation intervals (s)")
    obi = VectorIndex(name="obs_intervals_index", data=obs_ends, target=ob)
    el = DynamicTableRegion(
        name="electrodes", data=np.arange(n), table=nwb.electrodes, description="electrode of each unit"
    )
    eli = VectorIndex(name="electrodes_index", data=np.arange(1, n + 1), target=el)
    reg = VectorData(name="region", data=[str(r) for r in data.region], description="population: A or B")
    qual = VectorData(name="quality", data=[str(q) for q in data.quality], description="curation label")
    nwb.units = Units(
        name="units",
        id=np.arange(n),
        columns=[st, sti, ob, obi, el, eli, reg, qual],
        colnames=["spike_times", "obs_intervals", "electrodes", "region", "quality"],
        resolution=p.resolution,
        description="simulated Poisson units",
    )

    behavior = nwb.create_processing_module(name="behavior", description="simulated position")
    pos = Position(name="Position")
    pos.create_spatial_series(
        name="position",
        data=data.behavior_xy,
        timestamps=data.behavior_t,
        reference_frame="arena corner (0, 0)",
        unit="meters",
        description="2-d position driven by the shared latents (NaN: tracking loss)",
    )
    behavior.add(pos)

    nwb.add_trial_column(name="condition", description="trial condition label")
    for i, (a, b) in enumerate(data.trials):
        nwb.add_trial(start_time=float(a), stop_time=float(b), condition="left" if i % 2 else "right")

    meta = {
        "generator": "neuralmi_core.synth",
        "version": __version__,
        "seed": data.seed,
        "params": _params_json(p),
        "truth": data.truth,
    }
    nwb.add_scratch(
        json.dumps(meta),
        name="neuralmi_synth_params",
        description="JSON: generating parameters and ground truth of this synthetic session",
    )
    return nwb


def _params_json(p: SynthParams) -> dict[str, Any]:
    d = asdict(p)
    d["trial_s"], d["iti_s"] = list(p.trial_s), list(p.iti_s)
    return d


def write_nwb(nwb, path: str | os.PathLike) -> Path:
    """Write ``nwb`` to ``path`` atomically (temporary file in the same folder, then rename)."""
    from pynwb import NWBHDF5IO

    path = Path(path)
    with atomic_path(path, suffix=".tmp.nwb") as tmp, NWBHDF5IO(str(tmp), "w") as io:
        io.write(nwb)
    return path


def generate_session(
    path: str | os.PathLike,
    seed: int = 0,
    subject_id: str = "01",
    session_id: str = "01",
    sidecar: bool = True,
    **sizes: Any,
) -> Path:
    """Simulate one session and write it as NWB (plus a ``.truth.json`` sidecar) at ``path``.

    Parameters
    ----------
    path : path of the ``.nwb`` file to write (atomically).
    seed : random seed; the same seed gives the same content (not the same bytes).
    subject_id, session_id : DANDI subject and session labels.
    sidecar : also write ``<stem>.truth.json`` with the ground truth.
    **sizes : any field of :class:`SynthParams` (``duration_s``, ``n_units_a``, ``n_shared``, ...).

    Examples
    --------
    >>> generate_session("s.nwb", seed=1, duration_s=60, n_units_a=10, n_units_b=10)  # doctest: +SKIP
    PosixPath('s.nwb')
    """
    params = _make_params(sizes)
    data = simulate_session(params, seed)
    nwb = build_nwbfile(data, subject_id=subject_id, session_id=session_id)
    out = write_nwb(nwb, path)
    if sidecar:
        write_json(
            sidecar_path(out),
            {
                "nwb_file": out.name,
                "subject_id": subject_id,
                "session_id": session_id,
                "seed": seed,
                "generator": f"neuralmi_core.synth {__version__}",
                "params": _params_json(params),
                **data.truth,
            },
        )
    return out


def sidecar_path(nwb_path: str | os.PathLike) -> Path:
    """``sub-01_ses-01_ecephys.nwb`` -> ``sub-01_ses-01_ecephys.truth.json`` (same folder)."""
    p = Path(nwb_path)
    return p.with_name(p.stem + ".truth.json")


def _make_params(sizes: dict[str, Any]) -> SynthParams:
    known = set(SynthParams.__dataclass_fields__)
    bad = sorted(set(sizes) - known)
    if bad:
        raise NeuralMIError(
            f"unknown synthetic-session parameter(s) {bad}; expected some of {sorted(known)}."
        )
    return SynthParams(**sizes).check()


def generate_archive(
    out_dir: str | os.PathLike,
    n_sessions: int = 2,
    seed: int = 0,
    sessions_per_subject: int = 2,
    **sizes: Any,
) -> list[Path]:
    """Write ``n_sessions`` synthetic sessions in DANDI layout ``sub-XX/sub-XX_ses-YY_ecephys.nwb``.

    Each file gets a ``.truth.json`` sidecar; session ``k`` uses a seed spawned from ``seed``. The defaults
    (40 units per region, 10 minutes, 3 shared + 2 private latent dims per region) keep the whole
    workflow demo within minutes on 2 CPU cores.

    Parameters
    ----------
    out_dir : archive root (created).
    n_sessions : number of sessions (>= 1).
    seed : archive seed.
    sessions_per_subject : sessions grouped under one ``sub-XX`` folder.
    **sizes : fields of :class:`SynthParams`.

    Returns
    -------
    list of the written NWB paths, in session order.

    Examples
    --------
    >>> generate_archive("demo", n_sessions=1, seed=0, duration_s=60)   # doctest: +SKIP
    [PosixPath('demo/sub-01/sub-01_ses-01_ecephys.nwb')]
    """
    n_sessions = check_int("n_sessions", n_sessions, 1)
    sessions_per_subject = check_int("sessions_per_subject", sessions_per_subject, 1)
    check_int("seed", seed, 0)
    _make_params(sizes)
    seeds = np.random.SeedSequence(seed).generate_state(n_sessions, dtype=np.uint32)
    out = []
    for k in range(n_sessions):
        sub = f"{k // sessions_per_subject + 1:02d}"
        ses = f"{k % sessions_per_subject + 1:02d}"
        path = Path(out_dir) / f"sub-{sub}" / f"sub-{sub}_ses-{ses}_ecephys.nwb"
        out.append(generate_session(path, seed=int(seeds[k]), subject_id=sub, session_id=ses, **sizes))
    return out


__all__ = [
    "SynthParams",
    "SessionData",
    "generate_archive",
    "generate_session",
    "ground_truth",
    "latent_mi_nats",
    "sidecar_path",
    "simulate_session",
    "build_nwbfile",
    "write_nwb",
]
