"""Multi-region sessions with planted structure: a network of coupled region pairs, a condition, two genotypes.

The study archive of the demo and of ``benchmarks/`` (issue 22): it checks ``pairs:``, ``conditions:`` and
``study:`` against known answers. It reuses the pieces of :mod:`.model` (smooth latents, Poisson units with
log-linear tuning, the exact latent-MI computation) and the NWB writing of :mod:`.nwb`.

Generative model (one session, time step ``dt_gen``):

* every **coupled pair** ``(i, j)`` has its own ``dims_per_pair`` smooth latents ``s_ij(t)`` (unit variance,
  Gaussian autocorrelation of width ``timescale_s``); region ``i`` sees each of them through its own fast
  noise, ``c_i = (s_ij + sigma_ij(t) eta_i) / sqrt(1 + sigma_ij(t)^2)`` (unit variance whatever ``sigma``),
  and region ``j`` likewise with an independent ``eta_j``;
* every region also has ``n_private`` private smooth latents;
* region ``R``'s latent state ``z_R`` stacks the coordinates ``c_R`` of every coupled pair it belongs to and
  its private latents; unit ``k`` of ``R`` fires as a Poisson process with rate
  ``r_k exp(gain w_k . z_R - gain^2 / 2)`` (``w_k`` a random unit vector, ``r_k`` lognormal around
  ``mean_rate_hz``): the same tuning as :mod:`.model`;
* **uncoupled pairs** share no latent: their units are independent, and the MI between them is exactly 0.

Planted effects, all set through the MI of the latent drives at the reference bin width ``reference_bin_s``
(``m = reference_bin_s / dt_gen`` steps): the noise ``sigma`` of a pair is solved so that its latent MI
``I(c_i(bin); c_j(bin))`` (:func:`.model.latent_mi_nats`) equals the target

    target = I_0(pair) * exp(jitter_sd * N(0, 1)) * [group_mi_factor if pair == group_pair and genotype == ko]
                        * [condition_mi_factor if pair == condition_pair and the bin is in the condition]

with ``I_0`` the latent MI at ``shared_noise`` (the wild type outside the condition, without jitter). The
condition is an NWB intervals table (``intervals/running``; its complement ``intervals/rest``) of blocks of
whole seconds, alternating, about ``condition_fraction`` of the session. The genotype is set on the NWB
``Subject``. The jitter is one draw per session and coupled pair (session-to-session spread of the coupling;
its sd is that of the log of the latent MI).

Ground truth (the ``.truth.json`` sidecar and ``scratch/neuralmi_synth_params``), per region pair ``"A-B"``:
the exact latent MI of the session in each condition by bin width (``mi_counts_upper_bound_*``): by the data
processing inequality an upper bound on the MI of the binned spike counts of the two regions, for bins that
lie wholly inside one condition; 0 for an uncoupled pair. Also the nominal values per genotype (no jitter),
the session's jitter factors, the noise levels and the intervals.
"""

from __future__ import annotations

import itertools
import math
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .._version import __version__
from ..validation import NeuralMIError, check_float, check_int
from .model import (
    TRUTH_BIN_WIDTHS,
    SynthParams,
    behavior_truth,
    draw_behavior,
    draw_trials,
    latent_mi_nats,
    poisson_spike_ticks,
    smooth_noise,
)

#: genotypes of the study archive: subjects alternate wt, ko, wt, ...
GENOTYPES = ("wt", "ko")


def _pair_key(pair: tuple[str, str]) -> str:
    return f"{pair[0]}-{pair[1]}"


def parse_pairs(text: str | None, what: str) -> tuple[tuple[str, str], ...]:
    """``"A-B,B-C"`` -> ``(("A", "B"), ("B", "C"))``; empty or None -> ``()``.

    Raises
    ------
    NeuralMIError
        an item that is not ``X-Y``.
    """
    out = []
    for item in (text or "").split(","):
        item = item.strip()
        if not item:
            continue
        parts = [p.strip() for p in item.split("-")]
        if len(parts) != 2 or not all(parts):
            raise NeuralMIError(f"{what}: pair {item!r} is not of the form X-Y (two region names joined by '-')")
        out.append((parts[0], parts[1]))
    return tuple(out)


@dataclass(frozen=True)
class NetworkParams:
    """Parameters of one multi-region study session (model: module docstring)."""

    regions: tuple[str, ...] = ("A", "B", "C")
    coupled: tuple[tuple[str, str], ...] = (("A", "B"), ("B", "C"))
    n_units: int = 30
    dims_per_pair: int = 2
    n_private: int = 2
    shared_noise: float = 1.0
    condition: str = "running"
    baseline_condition: str = "rest"
    condition_pair: tuple[str, str] | None = ("A", "B")
    condition_mi_factor: float = 2.0
    condition_fraction: float = 0.5
    block_s: tuple[float, float] = (20.0, 40.0)
    group_pair: tuple[str, str] | None = ("B", "C")
    group_mi_factor: float = 0.5
    jitter_sd: float = 0.1
    reference_bin_s: float = 0.05
    duration_s: float = 300.0
    timescale_s: float = 0.3
    gain: float = 1.2
    mean_rate_hz: float = 10.0
    dt_gen: float = 0.005
    resolution: float = 1e-4
    extra: dict[str, Any] = field(default_factory=dict)

    def check(self) -> NetworkParams:
        """Validate; raise :class:`NeuralMIError` naming the offending item."""
        regions = list(self.regions)
        if len(regions) < 2:
            raise NeuralMIError(f"`regions` needs at least two regions; got {regions}")
        for r in regions:
            if not isinstance(r, str) or not r or any(c in r for c in "-,[]=|@ /"):
                raise NeuralMIError(f"`regions`: region name {r!r} must be a non-empty name without "
                                    "'-', ',', spaces or selector syntax")
        if len(set(regions)) != len(regions):
            raise NeuralMIError(f"`regions` lists a region twice: {regions}")
        seen = set()
        for key, pairs in (("coupled", self.coupled), ("condition_pair", [self.condition_pair]),
                           ("group_pair", [self.group_pair])):
            for pair in pairs:
                if pair is None:
                    continue
                if len(pair) != 2:
                    raise NeuralMIError(f"`{key}`: {pair!r} is not a pair of two regions")
                a, b = pair
                for r in (a, b):
                    if r not in regions:
                        raise NeuralMIError(f"`{key}`: pair {a}-{b} names region {r!r}, which is not one of "
                                            f"the regions {regions}")
                if a == b:
                    raise NeuralMIError(f"`{key}`: pair {a}-{b} couples a region with itself; expected two "
                                        "different regions")
                if key == "coupled":
                    if frozenset(pair) in seen:
                        raise NeuralMIError(f"`coupled`: pair {a}-{b} is listed twice")
                    seen.add(frozenset(pair))
                elif frozenset(pair) not in seen:
                    raise NeuralMIError(f"`{key}`: pair {a}-{b} is not one of the coupled pairs "
                                        f"{[_pair_key(p) for p in self.coupled]}")
        check_int("n_units", self.n_units, 1)
        check_int("dims_per_pair", self.dims_per_pair, 1)
        check_int("n_private", self.n_private, 0)
        for r in regions:
            if self.n_private == 0 and not any(r in p for p in self.coupled):
                raise NeuralMIError(f"`regions`: region {r!r} is in no coupled pair and `n_private` is 0: its "
                                    "units would have no latent")
        check_float("shared_noise", self.shared_noise, 0.0, None, low_open=True)
        check_float("condition_mi_factor", self.condition_mi_factor, 0.0, None, low_open=True)
        check_float("condition_fraction", self.condition_fraction, 0.0, 1.0, low_open=True, high_open=True)
        check_float("group_mi_factor", self.group_mi_factor, 0.0, None, low_open=True)
        check_float("jitter_sd", self.jitter_sd, 0.0, None)
        lo, hi = self.block_s
        check_float("block_s[0]", lo, 1.0, None)
        check_float("block_s[1]", hi, lo, None)
        for key in ("condition", "baseline_condition"):
            name = getattr(self, key)
            if not isinstance(name, str) or not name.isidentifier():
                raise NeuralMIError(f"`{key}` must be an identifier (an NWB intervals table name); got {name!r}")
        if self.condition == self.baseline_condition:
            raise NeuralMIError(f"`condition` and `baseline_condition` are both {self.condition!r}")
        check_float("duration_s", self.duration_s, 2 * lo, None)  # room for a block of each
        check_float("timescale_s", self.timescale_s, 0.0, None, low_open=True)
        check_float("gain", self.gain, 0.0, None)
        check_float("mean_rate_hz", self.mean_rate_hz, 0.0, None, low_open=True)
        check_float("dt_gen", self.dt_gen, 0.0, 1.0, low_open=True)
        check_float("resolution", self.resolution, 0.0, self.dt_gen, low_open=True)
        for name, num, den, what in (("reference_bin_s", self.reference_bin_s, self.dt_gen, "`dt_gen`"),
                                     ("dt_gen", self.dt_gen, self.resolution, "`resolution`")):
            steps = num / den
            if abs(steps - round(steps)) > 1e-6 or round(steps) < 1:
                raise NeuralMIError(f"`{name}` ({num}) must be a whole number of {what} steps ({den})")
        return self

    @property
    def pairs(self) -> list[tuple[str, str]]:
        """Every unordered pair of regions, in the order of ``regions``."""
        return list(itertools.combinations(self.regions, 2))

    def is_coupled(self, pair: tuple[str, str]) -> bool:
        return frozenset(pair) in {frozenset(p) for p in self.coupled}

    def same(self, a: tuple[str, str] | None, b: tuple[str, str]) -> bool:
        return a is not None and frozenset(a) == frozenset(b)


def _steps(p: NetworkParams, width_s: float) -> int | None:
    m = width_s / p.dt_gen
    return int(round(m)) if abs(m - round(m)) < 1e-9 and round(m) >= 1 else None


def pair_mi_nats(p: NetworkParams, noise: float, steps: int) -> float:
    """Exact latent MI (nats) of one coupled pair over ``steps`` generation steps at noise sd ``noise``."""
    return latent_mi_nats(SynthParams(n_shared=p.dims_per_pair, shared_noise=noise, timescale_s=p.timescale_s,
                                      dt_gen=p.dt_gen), steps)


def noise_for_mi(p: NetworkParams, target_nats: float, steps: int) -> float:
    """The noise sd ``sigma`` at which a coupled pair's latent MI over ``steps`` steps is ``target_nats``."""
    from scipy.optimize import brentq

    def f(log_s: float) -> float:
        return pair_mi_nats(p, math.exp(log_s), steps) - target_nats

    return math.exp(brentq(f, -12.0, 12.0, xtol=1e-12))


def draw_blocks(rng: np.random.Generator, p: NetworkParams) -> tuple[np.ndarray, np.ndarray]:
    """Alternating blocks of whole seconds: ``(condition, baseline)`` arrays of (start, stop) rows.

    Block lengths are uniform on ``block_s`` scaled so that the condition's blocks hold about
    ``condition_fraction`` of the time; the first block is the baseline.
    """
    lo, hi = p.block_s
    scale = {True: p.condition_fraction / 0.5, False: (1 - p.condition_fraction) / 0.5}
    rows: dict[bool, list[tuple[float, float]]] = {True: [], False: []}
    t, state = 0.0, False
    end = math.floor(p.duration_s)
    while t < end:
        dur = max(1.0, float(round(rng.uniform(lo, hi) * scale[state])))
        stop = min(end, t + dur)
        rows[state].append((t, stop))
        t, state = stop, not state
    return (np.array(rows[True], dtype=np.float64).reshape(-1, 2),
            np.array(rows[False], dtype=np.float64).reshape(-1, 2))


@dataclass
class NetworkSession:
    """Everything generated for one study session, before it is written as NWB."""

    params: NetworkParams
    seed: int
    genotype: str
    spike_times: list[np.ndarray]
    region: np.ndarray
    condition: np.ndarray  # (n, 2) start/stop of the condition's blocks
    baseline: np.ndarray  # (n, 2) the complement
    truth: dict[str, Any]
    behavior_t: np.ndarray
    behavior_xy: np.ndarray
    trials: np.ndarray
    #: per region: the units' tuning vectors ``w`` (units x latent dims) and mean rates (Hz)
    unit_weights: dict[str, np.ndarray] = field(default_factory=dict)
    unit_rates: dict[str, np.ndarray] = field(default_factory=dict)
    #: the session's jitter factor per coupled pair (as in ``truth["jitter"]["factors"]``)
    jitter: dict[str, float] = field(default_factory=dict)


def _targets(p: NetworkParams, genotype: str, jitter: dict[str, float]) -> dict[str, dict[str, float]]:
    """Target latent MI (nats, reference bin) per coupled pair and condition."""
    m = _steps(p, p.reference_bin_s)
    base = pair_mi_nats(p, p.shared_noise, m)
    out = {}
    for pair in p.coupled:
        k = _pair_key(pair)
        g = p.group_mi_factor if (genotype == "ko" and p.same(p.group_pair, pair)) else 1.0
        outside = base * jitter.get(k, 1.0) * g
        inside = outside * (p.condition_mi_factor if p.same(p.condition_pair, pair) else 1.0)
        out[k] = {p.baseline_condition: outside, p.condition: inside}
    return out


def _bounds(p: NetworkParams, noise: float | None) -> dict[str, float]:
    """Exact latent MI (nats) by truth bin width at noise ``noise`` (None: an uncoupled pair, 0)."""
    out = {}
    for bw in TRUTH_BIN_WIDTHS:
        m = _steps(p, bw)
        if m is not None:
            out[f"{bw:g}"] = 0.0 if noise is None else pair_mi_nats(p, noise, m)
    return out


def network_truth(p: NetworkParams, genotype: str, jitter: dict[str, float],
                  noise: dict[str, dict[str, float]]) -> dict[str, Any]:
    """The sidecar's truth for one session (JSON-ready); ``noise[pair][condition]`` is the solved sigma."""
    conds = (p.baseline_condition, p.condition)
    pairs = {}
    for pair in p.pairs:
        k = _pair_key(pair)
        coupled = p.is_coupled(pair)
        ck = next((_pair_key(c) for c in p.coupled if frozenset(c) == frozenset(pair)), k)
        nats = {c: _bounds(p, noise[ck][c] if coupled else None) for c in conds}
        pairs[k] = {
            "coupled": coupled,
            "shared_dims": p.dims_per_pair if coupled else 0,
            "shared_noise": {c: noise[ck][c] for c in conds} if coupled else None,
            "jitter_factor": jitter.get(ck) if coupled else None,
            "mi_counts_upper_bound_nats_by_bin_width": nats,
            "mi_counts_upper_bound_bits_by_bin_width": {c: {w: v / math.log(2) for w, v in d.items()}
                                                        for c, d in nats.items()},
        }
    nominal = {}
    for g in GENOTYPES:
        tg = _targets(p, g, {})
        nominal[g] = {}
        for k, t in tg.items():
            nominal[g][k] = {c: _bounds(p, noise_for_mi(p, t[c], _steps(p, p.reference_bin_s))) for c in conds}
    return {
        "kind": "network",
        "regions": list(p.regions),
        "n_units": {r: p.n_units for r in p.regions},
        "latent_dims": {r: p.n_private + p.dims_per_pair * sum(r in c for c in p.coupled) for r in p.regions},
        "coupled_pairs": [_pair_key(c) for c in p.coupled],
        "uncoupled_pairs": [_pair_key(c) for c in p.pairs if not p.is_coupled(c)],
        "genotype": genotype,
        "conditions": {"condition": p.condition, "baseline": p.baseline_condition,
                       "pair": _pair_key(p.condition_pair) if p.condition_pair else None,
                       "mi_factor": p.condition_mi_factor,
                       "intervals": {p.condition: f"intervals/{p.condition}",
                                     p.baseline_condition: f"intervals/{p.baseline_condition}"}},
        "groups": {"by": "genotype", "genotypes": list(GENOTYPES),
                   "pair": _pair_key(p.group_pair) if p.group_pair else None,
                   "mi_factor_ko_over_wt": p.group_mi_factor},
        "jitter": {"sd_log_mi": p.jitter_sd, "reference_bin_s": p.reference_bin_s,
                   "factors": {k: v for k, v in jitter.items()}},
        "pairs": pairs,
        "nominal_mi_counts_upper_bound_nats_by_genotype": nominal,
        "notes": (
            "pairs[X-Y].mi_counts_upper_bound_*_by_bin_width[condition][w]: exact I(z_X(bin); z_Y(bin)) of the "
            "latent drives of regions X and Y over one bin of width w (s, bins aligned to multiples of w, window 1, "
            "lag 0) lying wholly inside that condition's intervals; by the data processing inequality an upper "
            "bound on I(spike counts of X; spike counts of Y); exactly 0 for an uncoupled pair (independent "
            "units). The coupling of each coupled pair is set through its latent MI at reference_bin_s: "
            "nominal (shared_noise) x jitter factor (exp(sd_log_mi * N(0,1)), one draw per session and pair) "
            "x mi_factor_ko_over_wt (groups.pair in a ko subject) x conditions.mi_factor (conditions.pair inside "
            "the condition). nominal_mi_counts_upper_bound_nats_by_genotype: the same bounds without jitter "
            "(the group's centre: the median of the sessions' reference-bin MI)."
        ),
    }


def simulate_network_session(params: NetworkParams, seed: int, genotype: str = "wt",
                             tuning_of: NetworkSession | None = None) -> NetworkSession:
    """Draw one study session (pure: arrays only, no file).

    ``tuning_of``: reuse that session's units (tuning vectors and rates) and jitter factors instead of drawing
    them; everything else (latents, noise, blocks, spikes) is drawn from ``seed``. With a longer
    ``duration_s`` this gives a *twin* of the session whose binned count MI per condition is the same as the
    session's (same units, same couplings), for a reference estimate of a session's own truth from many more
    bins. ``params`` must have the template's regions, units and couplings, and ``genotype`` its genotype.
    """
    p = params.check()
    if genotype not in GENOTYPES:
        raise NeuralMIError(f"genotype {genotype!r}: expected one of {list(GENOTYPES)}")
    if tuning_of is not None:
        t = tuning_of.params
        same = (t.regions, t.n_units, t.coupled, t.n_private, t.dims_per_pair) == (
            p.regions, p.n_units, p.coupled, p.n_private, p.dims_per_pair)
        if not same or tuning_of.genotype != genotype or not tuning_of.unit_weights:
            raise NeuralMIError("tuning_of: expected a session with the same regions, units, couplings and "
                                f"latent dims and genotype {genotype!r}")
    rng = np.random.default_rng(seed)
    n_steps = int(round(p.duration_s / p.dt_gen))
    cond, base = draw_blocks(rng, p)
    t_mid = (np.arange(n_steps) + 0.5) * p.dt_gen
    inside = np.zeros(n_steps, bool)
    for a, b in cond:
        inside |= (t_mid >= a) & (t_mid < b)
    jitter = {_pair_key(c): float(np.exp(p.jitter_sd * rng.standard_normal())) for c in p.coupled}
    if tuning_of is not None:
        jitter = dict(tuning_of.jitter)
    m = _steps(p, p.reference_bin_s)
    targets = _targets(p, genotype, jitter)
    noise = {k: {c: noise_for_mi(p, v, m) for c, v in t.items()} for k, t in targets.items()}
    shared = {_pair_key(c): smooth_noise(rng, n_steps, p.dims_per_pair, p.timescale_s, p.dt_gen) for c in p.coupled}

    tps = int(round(p.dt_gen / p.resolution))
    spikes: list[np.ndarray] = []
    region: list[str] = []
    weights: dict[str, np.ndarray] = {}
    unit_rates: dict[str, np.ndarray] = {}
    for r in p.regions:
        parts = []
        for c in p.coupled:
            if r not in c:
                continue
            k = _pair_key(c)
            sigma = np.where(inside, noise[k][p.condition], noise[k][p.baseline_condition])[:, None]
            eta = rng.standard_normal((n_steps, p.dims_per_pair))
            parts.append((shared[k] + sigma * eta) / np.sqrt(1 + sigma**2))
        parts.append(smooth_noise(rng, n_steps, p.n_private, p.timescale_s, p.dt_gen))
        z = np.hstack(parts)
        if tuning_of is None:
            w = rng.standard_normal((p.n_units, z.shape[1]))
            w /= np.linalg.norm(w, axis=1, keepdims=True)
            rates = p.mean_rate_hz * rng.lognormal(0.0, 0.5, p.n_units) / np.exp(0.125)
        else:
            w, rates = tuning_of.unit_weights[r], tuning_of.unit_rates[r]
        weights[r], unit_rates[r] = w, rates
        lin = np.log(rates * p.dt_gen) - 0.5 * p.gain**2  # every coordinate of z has variance 1, |w| = 1

        def log_rate(a: int, b: int, z=z, w=w, lin=lin) -> np.ndarray:
            return lin[None, :] + p.gain * (z[a:b] @ w.T)

        for ticks in poisson_spike_ticks(rng, log_rate, p.n_units, n_steps, tps):
            spikes.append(ticks * p.resolution)
            region.append(r)
    # position and trials as in the two-region sessions (drawn last: the spikes do not depend on them)
    sp = SynthParams(duration_s=p.duration_s, n_shared=p.dims_per_pair if p.coupled else 0, dt_gen=p.dt_gen,
                     resolution=p.resolution)
    first = shared[_pair_key(p.coupled[0])] if p.coupled else np.zeros((n_steps, 0))
    bt, xy, readout = draw_behavior(rng, sp, first)
    trials = draw_trials(rng, sp)
    truth = network_truth(p, genotype, jitter, noise)
    truth["behavior"] = {**behavior_truth(sp, readout),
                         "note": f"position = 0.5 + readout @ s(t) + noise, s: the shared latents of the first "
                                 f"coupled pair ({_pair_key(p.coupled[0]) if p.coupled else 'none'}); NaN samples "
                                 "and missing stretches: tracking loss"}
    return NetworkSession(p, seed, genotype, spikes, np.array(region), cond, base, truth, bt, xy, trials,
                          weights, unit_rates, jitter)


def _params_json(p: NetworkParams) -> dict[str, Any]:
    d = asdict(p)
    d["regions"] = list(p.regions)
    d["coupled"] = [_pair_key(c) for c in p.coupled]
    d["condition_pair"] = _pair_key(p.condition_pair) if p.condition_pair else None
    d["group_pair"] = _pair_key(p.group_pair) if p.group_pair else None
    d["block_s"] = list(p.block_s)
    return d


def build_network_nwbfile(data: NetworkSession, subject_id: str, session_id: str):
    """A DANDI-conformant ``NWBFile`` of one study session (nothing is written).

    Units table with ``region`` (one electrode group per region, location = the region name), intervals tables
    ``intervals/<condition>`` and ``intervals/<baseline_condition>``, ``Subject.genotype``, a position and a
    trials table as in the two-region sessions, and the generator's JSON in ``scratch/neuralmi_synth_params``.
    """
    from hdmf.common import DynamicTableRegion, VectorData, VectorIndex
    from pynwb.epoch import TimeIntervals
    from pynwb.misc import Units

    from .nwb import _add_behavior_trials_scratch, _new_nwbfile

    p = data.params
    nwb = _new_nwbfile(data.seed, subject_id, session_id,
                       f"Synthetic {len(p.regions)}-region recording with planted coupled pairs, a "
                       f"'{p.condition}' condition and genotype {data.genotype} (neuralmi study demo).",
                       ["synthetic", "mutual information", "network", "study"], salt=9)
    nwb.subject.genotype = data.genotype
    device = nwb.create_device(name="probe", description="synthetic probe")
    groups = {r: nwb.create_electrode_group(name=f"shank{r}", description=f"electrodes of region {r}",
                                            location=r, device=device) for r in p.regions}
    for r in data.region:
        nwb.add_electrode(group=groups[str(r)], location=str(r))
    n = len(data.spike_times)
    ends = np.cumsum([len(t) for t in data.spike_times]).astype(np.int64)
    st = VectorData(name="spike_times", data=np.concatenate(data.spike_times), description="spike times (s)")
    sti = VectorIndex(name="spike_times_index", data=ends, target=st)
    el = DynamicTableRegion(name="electrodes", data=np.arange(n), table=nwb.electrodes,
                            description="electrode of each unit")
    eli = VectorIndex(name="electrodes_index", data=np.arange(1, n + 1), target=el)
    reg = VectorData(name="region", data=[str(r) for r in data.region], description="region of the unit")
    nwb.units = Units(name="units", id=np.arange(n), columns=[st, sti, el, eli, reg],
                      colnames=["spike_times", "electrodes", "region"], resolution=p.resolution,
                      description="simulated Poisson units")
    for name, rows, what in ((p.condition, data.condition, "blocks of the condition"),
                             (p.baseline_condition, data.baseline, f"the complement of {p.condition}")):
        table = TimeIntervals(name=name, description=f"{what} (synthetic)")
        for a, b in rows:
            table.add_interval(start_time=float(a), stop_time=float(b))
        nwb.add_time_intervals(table)
    meta = {"generator": "neuralmi_core.synth.network", "version": __version__, "seed": data.seed,
            "kind": "network", "params": _params_json(p), "truth": data.truth}
    _add_behavior_trials_scratch(nwb, data, meta)
    return nwb


def make_network_params(options: dict[str, Any] | None = None) -> NetworkParams:
    """:class:`NetworkParams` from a mapping (pairs as ``"A-B"`` strings or tuples); unknown keys refused."""
    options = dict(options or {})
    known = set(NetworkParams.__dataclass_fields__)
    bad = sorted(set(options) - known)
    if bad:
        raise NeuralMIError(f"unknown study-session parameter(s) {bad}; expected some of {sorted(known)}.")
    if isinstance(options.get("regions"), str):
        options["regions"] = tuple(r.strip() for r in options["regions"].split(",") if r.strip())
    elif "regions" in options:
        options["regions"] = tuple(options["regions"])
    if isinstance(options.get("coupled"), str):
        options["coupled"] = parse_pairs(options["coupled"], "coupled")
    elif "coupled" in options:
        options["coupled"] = tuple(tuple(c) for c in options["coupled"])
    for key in ("condition_pair", "group_pair"):
        v = options.get(key)
        if isinstance(v, str):
            pairs = parse_pairs(v, key)
            if len(pairs) > 1:
                raise NeuralMIError(f"`{key}`: expected one pair X-Y; got {v!r}")
            options[key] = pairs[0] if pairs else None
        elif v is not None:
            options[key] = tuple(v)
    if "block_s" in options:
        options["block_s"] = tuple(options["block_s"])
    return NetworkParams(**options).check()


def generate_network_session(path: str | os.PathLike, seed: int = 0, subject_id: str = "01",
                             session_id: str = "01", genotype: str = "wt", sidecar: bool = True,
                             **options: Any) -> Path:
    """Simulate one study session and write it as NWB (plus a ``.truth.json`` sidecar, ``"kind": "network"``).

    Parameters
    ----------
    path : the ``.nwb`` file to write (atomically).
    seed : random seed; the same seed and options give the same content.
    subject_id, session_id : DANDI labels.
    genotype : ``wt`` or ``ko`` (the NWB ``Subject.genotype``).
    sidecar : also write ``<stem>.truth.json``.
    **options : fields of :class:`NetworkParams` (``regions``, ``coupled="A-B,B-C"``, ``duration_s``, ...).

    Examples
    --------
    >>> generate_network_session("s.nwb", seed=1, genotype="ko", duration_s=60)   # doctest: +SKIP
    PosixPath('s.nwb')
    """
    from .nwb import _write_sidecar, write_nwb

    params = make_network_params(options)
    data = simulate_network_session(params, seed, genotype)
    out = write_nwb(build_network_nwbfile(data, subject_id, session_id), path)
    if sidecar:
        truth = {k: v for k, v in data.truth.items() if k != "kind"}
        _write_sidecar(out, subject_id, session_id, seed, "network", {"params": _params_json(params)}, truth)
    return out


def generate_study_archive(out_dir: str | os.PathLike, n_sessions: int = 4, seed: int = 0,
                           sessions_per_subject: int = 1, imaging_sessions: int = 0,
                           imaging: dict[str, Any] | None = None, **options: Any) -> list[Path]:
    """A study archive: ``n_sessions`` multi-region sessions ``sub-XX/sub-XX_ses-YY_ecephys.nwb`` of subjects
    alternating genotype (sub-01 wt, sub-02 ko, ...), then ``imaging_sessions`` imaging sessions as in
    :func:`.nwb.generate_archive` (own subjects, no genotype).

    Session ``k`` uses seed ``k`` of ``SeedSequence(seed, spawn_key=(2,))``; imaging sessions the same seeds as
    in :func:`.nwb.generate_archive`. Needs at least two subjects (both genotypes).

    Parameters
    ----------
    out_dir : archive root (created).
    n_sessions : number of study sessions.
    seed : archive seed.
    sessions_per_subject : sessions of one subject (``ses-01``, ``ses-02``, ...).
    imaging_sessions, imaging : imaging sessions after the study ones (:func:`.nwb.generate_imaging_session`);
        they take ``duration_s``, ``timescale_s`` and ``mean_rate_hz`` of ``options``.
    **options : fields of :class:`NetworkParams`.

    Returns
    -------
    list of the written NWB paths.
    """
    from .nwb import _check_imaging, _write_imaging_sessions

    n_sessions = check_int("n_sessions", n_sessions, 1)
    sessions_per_subject = check_int("sessions_per_subject", sessions_per_subject, 1)
    imaging_sessions = check_int("imaging_sessions", imaging_sessions, 0)
    check_int("seed", seed, 0)
    n_subjects = -(-n_sessions // sessions_per_subject)
    if n_subjects < 2:
        raise NeuralMIError(f"a study archive needs at least two subjects (one per genotype); {n_sessions} "
                            f"session(s) at {sessions_per_subject} per subject make {n_subjects}")
    params = make_network_params(options)
    sizes = {"duration_s": params.duration_s, "timescale_s": params.timescale_s,
             "mean_rate_hz": params.mean_rate_hz}
    _check_imaging(imaging_sessions, imaging, params.duration_s)
    seeds = np.random.SeedSequence(seed, spawn_key=(2,)).generate_state(n_sessions, dtype=np.uint32)
    out = []
    for k in range(n_sessions):
        s = k // sessions_per_subject
        sub, ses = f"{s + 1:02d}", f"{k % sessions_per_subject + 1:02d}"
        path = Path(out_dir) / f"sub-{sub}" / f"sub-{sub}_ses-{ses}_ecephys.nwb"
        out.append(generate_network_session(path, seed=int(seeds[k]), subject_id=sub, session_id=ses,
                                            genotype=GENOTYPES[s % 2], **options))
    return out + _write_imaging_sessions(out_dir, seed, n_subjects, imaging_sessions, sessions_per_subject,
                                         imaging, **sizes)


__all__ = [
    "GENOTYPES",
    "NetworkParams",
    "NetworkSession",
    "build_network_nwbfile",
    "draw_blocks",
    "generate_network_session",
    "generate_study_archive",
    "make_network_params",
    "network_truth",
    "noise_for_mi",
    "pair_mi_nats",
    "parse_pairs",
    "simulate_network_session",
]
