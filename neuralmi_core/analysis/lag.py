"""Lag sweep: bias-corrected I(X_t; Y_{t+lag}) with its confidence interval at every lag, and the peak lag.

For each lag in ``lags`` X at time bin t is paired with Y at bin t + lag (negative lags: Y leads X), on
the same set of X bins at every lag (those whose partner bin exists at every lag), so that lags differ
only in the pairing. At each lag the corrected MI comes from rigorous mode's 1/N extrapolation
(:mod:`.rigorous`): the samples are cut into gamma chunks for gamma in ``gammas`` and one member is
trained per chunk. A (gamma, seed) *cell* trains the chunks of every lag as one batched ensemble
(lags x gamma members), so the sweep costs what one rigorous run per gamma costs on a larger ensemble,
and cells are independent workflow jobs gathered by :func:`gather_lag_sweep`.

The peak lag is the lag of the largest corrected MI; its confidence range is the run of neighbouring
lags whose CI reaches the peak's lower CI bound (lags the data cannot tell apart from the peak).
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..results import _jsonable, nats_to_bits
from ..settings import (
    CRITICS,
    TIMING,
    TRAINED_ESTIMATORS,
    Constraint,
    Setting,
    Settings,
    api,
)
from ..validation import NeuralMIError, as_2d_samples, check_paired
from .base import Analysis, check_split, mismatched, seeds_of
from .plan import chunk_indices, derive_seed, fingerprint, resolve_chunking
from .rigorous import ANALYSIS as RIGOROUS
from .rigorous import RigorousMember, check_chunk_sizes, summarize_rigorous


@dataclass(frozen=True)
class Lags(Constraint):
    """Lags as a list of numbers, ``{start, stop, step}`` (stop included) or the string ``start:stop:step``."""

    metavar = "LAGS"

    def check(self, name, value, where=""):
        pre = f"{where}: " if where else ""
        try:
            if isinstance(value, str):
                if ":" in value:
                    start, stop, step = (float(v) for v in value.split(":"))
                    value = {"start": start, "stop": stop, "step": step}
                else:
                    value = [float(v) for v in value.split(",") if v.strip()]
            if isinstance(value, Mapping):
                if set(value) != {"start", "stop", "step"}:
                    raise ValueError
                start, stop, step = (float(value[k]) for k in ("start", "stop", "step"))
                if not (step > 0 and stop >= start):
                    raise ValueError
                n = int(math.floor((stop - start) / step + 1e-9)) + 1
                value = [start + i * step for i in range(n)]
            out = tuple(sorted({round(float(v), 12) for v in value}))
        except (TypeError, ValueError):
            raise NeuralMIError(f"{pre}`{name}` must be a list of lags, {{start, stop, step}} with step > 0 and "
                                f"stop >= start, or 'start:stop:step'. Got {value!r}.") from None
        if not out or not all(math.isfinite(v) for v in out):
            raise NeuralMIError(f"{pre}`{name}` must hold at least one finite lag. Got {value!r}.")
        return out

    def describe(self) -> str:
        return "a list of lags, {start, stop, step} or 'start:stop:step'"


RIG_FIT = RIGOROUS.stage("fit")

CLI_HELP = """Lag sweep: bias-corrected I(X_t; Y_{t+lag}) with a confidence interval at every lag, and the peak lag.

X at bin t is paired with Y at bin t + lag; negative lags mean Y leads. --lags is in seconds by default
(--lag-unit s; the bin width comes from the binned file, or --bin-width for plain arrays) or in bins
(--lag-unit bins); lags in seconds are rounded to whole bins. At every lag the MI is corrected by rigorous
mode's 1/N extrapolation over --gammas (see `neuralmi rigorous --help`); a (gamma, seed) cell trains the
chunks of all lags as one ensemble. The peak lag is the lag of the largest corrected MI; its confidence
range spans the neighbouring lags whose CI reaches the peak's lower CI bound.

JSON fields (every *_nats field also has a *_bits twin):
  curve              per lag: lag_bins, lag_s, mi_nats, ci_low_nats, ci_high_nats, naive_mi_nats,
                     reliable, flags (the rigorous fit of that lag)
  peak_lag_bins, peak_lag_s, peak_mi_nats, peak_ci_low_nats, peak_ci_high_nats
  peak_range_bins, peak_range_s   [first, last] lag of the confidence range around the peak
  lags_bins, lags_s, bin_width_s, n_pairs (samples per lag), members (lag_bins, gamma, chunk, seed,
  sizes, held-out and training MI), settings, fit_settings, data, cells, seconds, warnings, selection

Example:
  neuralmi lag-sweep 'binned.nc:spikes[region=A]' 'binned.nc:position' --lags=-0.5:0.5:0.05 --json lag.json
"""


class LagSweepAnalysis(Analysis):
    name = "lag_sweep"
    help = "bias-corrected MI at every lag between X and Y, with the peak lag and its confidence range"
    description = CLI_HELP
    y = "required"
    estimators = TRAINED_ESTIMATORS
    critics = CRITICS
    why_estimators = " (trained estimators: the baselines have no members to extrapolate)"
    cell_keys = (("gamma", "g"), ("seed", "s"))
    run = "neuralmi_core.analysis.lag:lag_sweep"
    gather = "neuralmi_core.analysis.lag:gather_lag_sweep"
    result = "neuralmi_core.analysis.lag:LagSweepResult"
    own = Settings([
        Setting("lags", Lags().check("lags", {"start": -0.5, "stop": 0.5, "step": 0.05}), Lags(),
                "lags of Y after X (negative: Y leads), in time_unit: a list, {start, stop, step} or "
                "'start:stop:step' (default -0.5 to 0.5 s in steps of 0.05 s)"),
        *TIMING,
        RIGOROUS.own["gammas"].with_default((1, 2, 3, 4, 5)),
        *(RIGOROUS.own[k] for k in ("seeds", "n_seeds", "seed", "chunking")),
        RIG_FIT["confidence"], RIG_FIT["extrapolate"], RIG_FIT["delta"], RIG_FIT["min_gammas"].with_default(4),
        RIG_FIT["min_chunk"],
    ])

    def cells(self, values: Mapping[str, Any]) -> list[dict[str, int]]:
        return [{"gamma": g, "seed": s} for g in values["gammas"] for s in seeds_of(values)]

    def cell_settings(self, cell: Mapping[str, int]) -> dict[str, Any]:
        return {"gammas": (cell["gamma"],), "seeds": (cell["seed"],)}

    def check_more(self, values: Mapping[str, Any], has_y: bool, pre: str) -> None:
        seeds_of(values)
        if values["time_unit"] == "bins" and any(v != round(v) for v in values["lags"]):
            raise NeuralMIError(f"{pre}`lags` in bins must be whole numbers. Got {values['lags']}.")

    data_settings = ("lags", "time_unit", "gammas", "split", "test_fraction", "gap")

    def check_data(self, n_samples: int, values: Mapping[str, Any], info: Mapping[str, Any]) -> dict[str, Any]:
        lags = lags_in_bins({**values, "bin_width": values.get("bin_width") or info.get("bin_width_s")})
        span = max(lags) - min(lags)
        n_pairs = n_samples - span  # at most: gaps in the bins drop more
        if n_pairs < 20:
            raise NeuralMIError(f"`lags` span {span} bins but the selection holds {n_samples} samples; expected at "
                                f"least 20 pairs at every lag. Use a shorter lag range.")
        check_chunk_sizes(n_pairs, values["gammas"])
        for g in values["gammas"]:
            check_split(n_pairs // g, values, f"at gamma {g} each chunk holds {n_pairs // g} samples: ")
        return {"lags_bins": list(lags), "n_pairs": n_pairs}

    def check_config(self, values: Mapping[str, Any]) -> None:
        if len(values["gammas"]) < values["min_gammas"]:
            raise NeuralMIError(f"`gammas` holds {len(values['gammas'])} gamma(s) but `min_gammas` is "
                                f"{values['min_gammas']}; the fit needs at least min_gammas gammas")

    def selection_inputs(self, selection: Any) -> dict[str, Any]:
        return {"time_index": selection.bins, "bin_width": selection.bin_width_s}


ANALYSIS = LagSweepAnalysis()


def lags_in_bins(values: Mapping[str, Any]) -> tuple[int, ...]:
    """The lags of a run in whole bins (seconds rounded to the nearest bin)."""
    if values["time_unit"] == "bins":
        return tuple(sorted({int(round(v)) for v in values["lags"]}))
    width = values.get("bin_width")
    if width is None:
        raise NeuralMIError("`lags` are in seconds (time_unit 's') but no `bin_width` is known; give bin_width "
                            "(seconds per sample) or lags in bins (time_unit 'bins').")
    return tuple(sorted({int(round(v / width)) for v in values["lags"]}))


def lag_pairs(n: int, time_index: np.ndarray | None, lags: Sequence[int], min_pairs: int = 20
              ) -> tuple[np.ndarray, np.ndarray]:
    """Rows ``(ix, iy)`` (each (n_lags, n_pairs)) pairing X at bin t with Y at bin t + lag, on the bins t whose
    partner exists at every lag (bins missing from ``time_index`` are gaps)."""
    t = np.arange(n) if time_index is None else np.asarray(time_index, dtype=np.int64)
    if t.shape != (n,) or np.any(np.diff(t) <= 0):
        raise NeuralMIError(f"`time_index` must hold one strictly increasing bin index per sample ({n}); got shape "
                            f"{t.shape}.")
    partner = np.empty((len(lags), n), dtype=np.int64)
    keep = np.ones(n, dtype=bool)
    for i, lag in enumerate(lags):
        pos = np.minimum(np.searchsorted(t, t + lag), n - 1)
        keep &= t[pos] == t + lag
        partner[i] = pos
    if keep.sum() < min_pairs:
        span = (max(lags) - min(lags)) if lags else 0
        raise NeuralMIError(f"`lags` span {span} bins but only {int(keep.sum())} samples have a partner at every "
                            f"lag (n_samples={n}); expected at least {min_pairs}. Use a shorter lag range.")
    rows = np.flatnonzero(keep)
    return np.tile(rows, (len(lags), 1)), partner[:, rows]


@dataclass(frozen=True)
class LagMember:
    """One member: chunk ``chunk`` of ``gamma`` chunks at lag ``lag_bins``, trained with ``seed``."""

    lag_bins: int
    gamma: int
    chunk: int
    seed: int
    n_train: int
    n_test: int
    n_eval: int
    mi_test_nats: float
    mi_train_nats: float
    best_epoch: int
    epochs_run: int

    def to_dict(self) -> dict[str, Any]:
        return {f.name: _jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> LagMember:
        kw = {f.name: d[f.name] for f in dataclasses.fields(cls)}
        for k in ("mi_test_nats", "mi_train_nats"):
            kw[k] = float("nan") if kw[k] is None else float(kw[k])
        return cls(**kw)

    def rigorous(self) -> RigorousMember:
        kw = {f.name: getattr(self, f.name) for f in dataclasses.fields(RigorousMember)}
        return RigorousMember(**kw)


def train_cell(x: np.ndarray, y: np.ndarray, ix: np.ndarray, iy: np.ndarray, lags: Sequence[int], gamma: int,
               seed: int, spec: Any, config: Any, *, split: str, test_fraction: float, gap: int, chunking: str,
               preprocess: str) -> tuple[list[LagMember], dict]:
    """One (gamma, seed) cell: gamma chunks at every lag, one ensemble of ``len(lags) * gamma`` members.

    The chunks and the split inside a chunk are the same at every lag (seeded by (seed, gamma, c)), so
    lags differ only in the pairing.
    """
    from ..estimators import fit_ensemble
    from ..training import split_member

    n = ix.shape[1]
    chunks = chunk_indices(n, gamma, chunking, seed)
    members, keys = [], []
    for i, lag in enumerate(lags):
        for c, idx in enumerate(chunks):
            xs, ys = x[ix[i, idx]], y[iy[i, idx]]
            members.append(split_member(xs, ys, split, test_fraction, gap=gap, seed=derive_seed(seed, gamma, c)))
            keys.append((lag, c))
    cfg = dataclasses.replace(config, seed=derive_seed(seed, gamma))
    t0 = time.perf_counter()
    fit = fit_ensemble(members, spec, cfg, desc=f"lags gamma={gamma} seed={seed}", preprocessing=preprocess)
    rows = [LagMember(lag_bins=lag, gamma=gamma, chunk=c, seed=seed, n_train=m.n_train, n_test=m.n_test,
                      n_eval=m.n_eval, mi_test_nats=m.mi_test_nats, mi_train_nats=m.mi_train_nats,
                      best_epoch=m.best_epoch, epochs_run=m.epochs_run)
            for (lag, c), m in zip(keys, fit.members, strict=True)]
    return rows, {"gamma": gamma, "seed": seed, "seconds": time.perf_counter() - t0, "device": fit.device}


def _group_warnings(lags: Sequence[int], per_lag: Sequence[Sequence[str]]) -> list[str]:
    """One line per kind of warning with the lags it concerns (its numbers shown for the first of them)."""
    import re

    groups: dict[str, tuple[list[str], list[int]]] = {}
    for lag, ws in zip(lags, per_lag, strict=True):
        for w in ws:
            texts, where = groups.setdefault(re.sub(r"[-+]?\d+(\.\d+)?", "#", w), ([], []))
            texts.append(w)
            where.append(lag)
    out = []
    for texts, where in groups.values():
        same = len(set(texts)) == 1
        if len(where) == len(lags):
            out.append(texts[0] if same else f"at every lag (numbers of lag {where[0]}): {texts[0]}")
        else:
            label = f"at lags {where} (bins)" if len(where) > 1 else f"at lag {where[0]} (bins)"
            out.append(f"{label}{'' if same else f' (numbers of lag {where[0]})'}: {texts[0]}")
    return out


def _peak(curve: Sequence[Mapping[str, Any]]) -> tuple[int | None, tuple[int, int] | None]:
    """Index of the largest corrected MI and the (first, last) index of its confidence range."""
    ok = [i for i, r in enumerate(curve) if math.isfinite(r["mi_nats"])]
    if not ok:
        return None, None
    p = max(ok, key=lambda i: curve[i]["mi_nats"])
    floor = curve[p]["ci_low_nats"]

    def reaches(i: int) -> bool:
        return math.isfinite(curve[i]["ci_high_nats"]) and curve[i]["ci_high_nats"] >= floor

    lo = p
    while lo > 0 and reaches(lo - 1):
        lo -= 1
    hi = p
    while hi < len(curve) - 1 and reaches(hi + 1):
        hi += 1
    return p, (lo, hi)


@dataclass(frozen=True)
class LagSweepResult:
    """Corrected MI per lag with CIs, and the peak lag (see :func:`lag_sweep`; ``*_nats`` also as ``*_bits``).

    Attributes
    ----------
    curve : tuple of dict
        Per lag: ``lag_bins``, ``lag_s``, ``mi_nats`` (corrected), ``ci_low_nats``, ``ci_high_nats``,
        ``naive_mi_nats``, ``reliable``, ``flags``.
    peak_lag_bins, peak_lag_s : int, float
        The lag of the largest corrected MI (None without any fit); positive: Y follows X.
    peak_range_bins, peak_range_s : tuple
        First and last lag of the run of neighbouring lags whose CI reaches the peak's lower CI bound.
    members : tuple of LagMember
        The per-member table.
    """

    curve: tuple[dict[str, Any], ...]
    lags_bins: tuple[int, ...]
    bin_width_s: float | None
    peak_lag_bins: int | None
    peak_mi_nats: float
    peak_ci_low_nats: float
    peak_ci_high_nats: float
    peak_range_bins: tuple[int, int] | None
    n_pairs: int
    members: tuple[LagMember, ...]
    settings: dict[str, Any]
    fit_settings: dict[str, Any]
    data: dict[str, Any]
    seconds: float = 0.0
    cells: tuple[dict[str, Any], ...] = field(default=(), compare=False)
    warnings: tuple[str, ...] = ()

    def _seconds(self, bins: int | None) -> float | None:
        return None if bins is None or self.bin_width_s is None else bins * self.bin_width_s

    @property
    def peak_lag_s(self) -> float | None:
        return self._seconds(self.peak_lag_bins)

    @property
    def peak_range_s(self) -> tuple[float | None, float | None] | None:
        r = self.peak_range_bins
        return None if r is None else (self._seconds(r[0]), self._seconds(r[1]))

    @property
    def lags_s(self) -> tuple[float | None, ...]:
        return tuple(self._seconds(b) for b in self.lags_bins)

    def to_dict(self) -> dict[str, Any]:
        out = {f.name: _jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)}
        for row in out["curve"]:
            for k in ("mi", "ci_low", "ci_high", "naive_mi"):
                v = row[f"{k}_nats"]
                row[f"{k}_bits"] = None if v is None else nats_to_bits(v)
        for k in ("peak_mi", "peak_ci_low", "peak_ci_high"):
            v = out[f"{k}_nats"]
            out[f"{k}_bits"] = None if v is None else nats_to_bits(v)
        out.update(peak_lag_s=self.peak_lag_s, peak_range_s=_jsonable(self.peak_range_s),
                   lags_s=_jsonable(self.lags_s))
        out["unit_note"] = "*_nats in nats (natural log); *_bits = *_nats / ln 2; lags: X at t, Y at t + lag"
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> LagSweepResult:
        nan = float("nan")
        kw: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            v = d.get(f.name)
            if f.name == "members":
                v = tuple(LagMember.from_dict(m) for m in v or ())
            elif f.name == "curve":
                v = tuple({k: (nan if val is None and k.endswith("_nats") else val) for k, val in r.items()
                           if not k.endswith("_bits")} for r in v or ())
            elif f.name in ("lags_bins", "cells", "warnings"):
                v = tuple(v or ())
            elif f.name == "peak_range_bins":
                v = None if v is None else tuple(v)
            elif f.name.endswith("_nats"):
                v = nan if v is None else float(v)
            elif f.name in ("settings", "fit_settings", "data"):
                v = dict(v or {})
            if v is None and f.name == "seconds":
                v = 0.0
            kw[f.name] = v
        return cls(**kw)

    def summary_line(self) -> str:
        if self.peak_lag_bins is None:
            return f"{len(self.members)} members, no fit at any lag"
        unit = "s" if self.bin_width_s else "bins"
        lag = self.peak_lag_s if self.bin_width_s else self.peak_lag_bins
        rng = self.peak_range_s if self.bin_width_s else self.peak_range_bins
        return (f"peak at lag {lag:g} {unit} (range {rng[0]:g} to {rng[1]:g} {unit}): {self.peak_mi_nats:.4f} nats "
                f"[{self.peak_ci_low_nats:.4f}, {self.peak_ci_high_nats:.4f}]")

    def plot(self, ax: Any = None, unit: str = "bits") -> Any:
        """Corrected MI against lag with its CI band, the naive MI, and the peak with its confidence range."""
        if ax is None:
            import matplotlib.figure

            fig = matplotlib.figure.Figure(figsize=(7, 4), layout="constrained")
            ax = fig.add_subplot()
        else:
            fig = ax.figure
        conv = nats_to_bits if unit == "bits" else float
        seconds = self.bin_width_s is not None
        lag = np.array(self.lags_s if seconds else self.lags_bins, dtype=float)
        mi = np.array([conv(r["mi_nats"]) for r in self.curve])
        lo = np.array([conv(r["ci_low_nats"]) for r in self.curve])
        hi = np.array([conv(r["ci_high_nats"]) for r in self.curve])
        ax.fill_between(lag, lo, hi, color="C0", alpha=0.25, label=f"{self.fit_settings.get('confidence', 0.68):.0%} CI")
        ax.plot(lag, mi, "o-", color="C0", ms=3, label="corrected MI")
        ax.plot(lag, [conv(r["naive_mi_nats"]) for r in self.curve], "x", color="C7", ms=4, label="naive (held-out)")
        if self.peak_lag_bins is not None:
            r = self.peak_range_s if seconds else self.peak_range_bins
            half = 0.5 * float(np.min(np.diff(lag))) if lag.size > 1 else 0.5  # shade whole lag steps
            ax.axvspan(r[0] - half, r[1] + half, color="C3", alpha=0.1, label="peak confidence range")
            ax.axvline(self.peak_lag_s if seconds else self.peak_lag_bins, color="C3", ls="--", lw=1,
                       label="peak lag")
        ax.axhline(0, color="k", lw=0.5)
        ax.set_xlabel(f"lag ({'s' if seconds else 'bins'}): X at t, Y at t + lag; negative: Y leads")
        ax.set_ylabel(f"MI ({unit})")
        ax.legend(fontsize=7)
        return fig


def summarize_lag_sweep(members: Sequence[LagMember], settings: Mapping[str, Any], data: Mapping[str, Any], *,
                        bin_width: float | None, confidence: float, extrapolate: str, delta: float,
                        min_gammas: int, min_chunk: int, seconds: float = 0.0,
                        cells: Sequence[dict[str, Any]] = ()) -> LagSweepResult:
    """Fit the 1/N extrapolation at every lag (:func:`~.rigorous.summarize_rigorous`) and find the peak."""
    rows = tuple(sorted(members, key=lambda m: (m.lag_bins, m.gamma, m.seed, m.chunk)))
    lags = tuple(sorted({m.lag_bins for m in rows}))
    fit = {"confidence": confidence, "extrapolate": extrapolate, "delta": delta, "min_gammas": min_gammas,
           "min_chunk": min_chunk}
    curve, per_lag = [], []
    for lag in lags:
        res = summarize_rigorous([m.rigorous() for m in rows if m.lag_bins == lag], dict(settings), dict(data),
                                      **fit)
        curve.append({"lag_bins": lag, "lag_s": None if bin_width is None else lag * bin_width,
                      "mi_nats": res.mi_nats, "ci_low_nats": res.ci_low_nats, "ci_high_nats": res.ci_high_nats,
                      "naive_mi_nats": res.naive_mi_nats, "reliable": res.reliable, "flags": list(res.flags)})
        per_lag.append(res.warnings)
    warnings = _group_warnings(lags, per_lag)
    unreliable = [r["lag_bins"] for r in curve if not r["reliable"]]
    if unreliable:
        warnings.append(f"the extrapolation is unreliable at lags {unreliable} (bins): see each lag's flags")
    p, rng = _peak(curve)
    nan = float("nan")
    return LagSweepResult(
        curve=tuple(curve), lags_bins=lags, bin_width_s=bin_width,
        peak_lag_bins=None if p is None else lags[p], peak_mi_nats=nan if p is None else curve[p]["mi_nats"],
        peak_ci_low_nats=nan if p is None else curve[p]["ci_low_nats"],
        peak_ci_high_nats=nan if p is None else curve[p]["ci_high_nats"],
        peak_range_bins=None if rng is None else (lags[rng[0]], lags[rng[1]]), n_pairs=int(data["n_pairs"]),
        members=rows, settings=dict(settings), fit_settings=fit, data=dict(data), seconds=seconds,
        cells=tuple(sorted(cells, key=lambda c: (c["gamma"], c["seed"]))), warnings=tuple(dict.fromkeys(warnings)))


@api(ANALYSIS.settings)
def lag_sweep(x: Any, y: Any, estimator: str = "infonce", critic: str = "separable", *,
              time_index: Any = None, **settings: Any) -> LagSweepResult:
    """Bias-corrected I(X_t; Y_{t+lag}) with a confidence interval at every lag, and the peak lag.

    Parameters
    ----------
    x, y : array-like, shape (n_samples, ...)
        Time series on one bin grid (sample i of X and of Y are the same bin).
    estimator, critic : str
        As in :func:`neuralmi_core.rigorous` (trained estimators).
    time_index : array of int, optional
        The bin index of each sample (strictly increasing; gaps where bins were dropped). Default:
        consecutive bins. The CLI passes the selection's bins.
    {settings}

    Returns
    -------
    LagSweepResult
        The corrected MI and CI per lag, the peak lag (seconds and bins) with its confidence range,
        per-member table; ``.plot()`` draws the MI-vs-lag curve with its band.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal((6000, 2)); y = np.roll(x, 3, axis=0) + rng.standard_normal((6000, 2))
    >>> res = lag_sweep(x, y, lags=[-5, 0, 3, 5], time_unit="bins")   # doctest: +SKIP
    >>> res.peak_lag_bins                                            # doctest: +SKIP
    3
    """
    from ..estimators.neural import setup_training

    t0 = time.perf_counter()
    values = ANALYSIS.check({"estimator": estimator, "critic": critic, **settings}, has_y=True)
    x_arr, y_arr = as_2d_samples("x", x), as_2d_samples("y", y)
    check_paired(x_arr, y_arr)
    lags = lags_in_bins(values)
    ix, iy = lag_pairs(x_arr.shape[0], time_index, lags)
    n = ix.shape[1]
    check_chunk_sizes(n, values["gammas"])
    spec, cfg, record = setup_training(values)
    record["chunking"] = resolve_chunking(values["chunking"], values["split"])
    record["lags_bins"] = list(lags)
    data = {"n_samples": x_arr.shape[0], "n_pairs": n, "dim_x": x_arr.shape[1], "dim_y": y_arr.shape[1],
            "sha256": fingerprint(x_arr, y_arr)}
    rows, cells = [], []
    for cell in ANALYSIS.cells(values):
        r, c = train_cell(x_arr, y_arr, ix, iy, lags, cell["gamma"], cell["seed"], spec, cfg, split=values["split"],
                          test_fraction=values["test_fraction"], gap=values["gap"], chunking=record["chunking"],
                          preprocess=values["preprocess"])
        rows += r
        cells.append(c)
    fit = {s.name: values[s.name] for s in ANALYSIS.stage("fit")}
    return summarize_lag_sweep(rows, record, data, bin_width=values["bin_width"], **fit,
                               seconds=time.perf_counter() - t0, cells=cells)


def gather_lag_sweep(parts: Sequence[Mapping[str, Any]], *, sources: Sequence[str] | None = None,
                     **fit: Any) -> LagSweepResult:
    """Combine partial lag sweeps (their JSON) and fit as one call with all cells would (see
    :func:`~.rigorous.gather_rigorous` for the rules)."""
    given = {k: ANALYSIS.stage("fit")[k].check(v) for k, v in fit.items() if v is not None}
    if not parts:
        raise NeuralMIError("gather lag_sweep needs at least one part; got none.")
    names = list(sources) if sources is not None else [f"part {i}" for i in range(len(parts))]
    for name, p in zip(names, parts, strict=True):
        if not isinstance(p, Mapping) or "members" not in p or "lags_bins" not in p:
            raise NeuralMIError(f"{name}: not a lag-sweep result (expected the JSON written by `neuralmi lag-sweep`).")
    settings = [p["settings"] for p in parts]
    data = [p["data"] for p in parts]
    fs = [p["fit_settings"] for p in parts]
    bad = mismatched(settings, sorted(set().union(*settings))) + mismatched(data, sorted(set().union(*data)))
    bad += mismatched(fs, [k for k in ANALYSIS.stage("fit").names if k not in given])
    bad += mismatched([{"bin_width_s": p.get("bin_width_s")} for p in parts], ["bin_width_s"])
    if bad:
        raise NeuralMIError(f"the parts do not belong to one lag sweep; they differ in {bad} ({', '.join(names)}).")
    seen: dict[tuple[int, int], str] = {}
    members, cells = [], []
    for name, p in zip(names, parts, strict=True):
        for c in p.get("cells", ()):
            key = (c["gamma"], c["seed"])
            if key in seen:
                raise NeuralMIError(f"cell gamma={key[0]} seed={key[1]} appears in both {seen[key]} and {name}.")
            seen[key] = name
            cells.append(c)
        members += [LagMember.from_dict(m) for m in p["members"]]
    values = {k: given.get(k, fs[0].get(k)) for k in ANALYSIS.stage("fit").names}
    return summarize_lag_sweep(members, settings[0], data[0], bin_width=parts[0].get("bin_width_s"), **values,
                               seconds=float(sum(p.get("seconds", 0) for p in parts)), cells=cells)
