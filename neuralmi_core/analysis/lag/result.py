"""The result of a lag sweep: its member table, the corrected MI with its CI at every lag, and the peak lag.

:func:`summarize_lag_sweep` fits rigorous mode's 1/N extrapolation at every lag
(:func:`~neuralmi_core.analysis.rigorous.result.summarize_rigorous`) and finds the peak and its confidence range.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ...collapse import collapse_warning
from ...flags import warning_text
from ...results import Member, _jsonable, nats_to_bits
from ..rigorous.result import RigorousMember, summarize_rigorous


@dataclass(frozen=True)
class LagMember(Member):
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

    def rigorous(self) -> RigorousMember:
        """The same member as a rigorous-mode row (for the per-lag 1/N fit)."""
        return RigorousMember(**{f.name: getattr(self, f.name) for f in dataclasses.fields(RigorousMember)})



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
    def peak_at_edge(self) -> bool:
        """The peak is the first or last lag swept: the MI may peak outside the sweep."""
        return self.peak_lag_bins is not None and len(self.lags_bins) > 1 and self.peak_lag_bins in (
            self.lags_bins[0], self.lags_bins[-1])

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
        out.update(peak_lag_s=self.peak_lag_s, peak_range_s=_jsonable(self.peak_range_s), peak_at_edge=self.peak_at_edge,
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
        """Corrected MI against lag with its CI band, the naive MI, and the peak with its confidence range
        (:func:`~.plots.plot_lag_sweep`); a plain matplotlib Figure: save it with ``fig.savefig(...)``."""
        from .plot import plot_lag_sweep

        return plot_lag_sweep(self, ax=ax, unit=unit)


def rounded_lags(requested: Sequence[float], bin_width: float) -> list[tuple[float, float]]:
    """(requested, run) pairs of the lags in seconds that are not whole bins of ``bin_width``."""
    out = []
    for v in requested:
        bins = round(v / bin_width)
        if abs(v / bin_width - bins) > 1e-6:
            out.append((v, bins * bin_width))
    return out


def _lag_warnings(settings: Mapping[str, Any], bin_width: float | None, lags: Sequence[int], p: int | None,
                  rng: tuple[int, int] | None) -> list[str]:
    """Lags moved to the bin grid; a peak at the edge of the sweep, or one the data do not locate."""
    out = []
    requested = settings.get("lags_requested")
    if requested and settings.get("time_unit", "s") == "s" and bin_width:
        moved = rounded_lags(requested, bin_width)
        if moved:
            out.append(warning_text("lags_rounded", bin_width=bin_width,
                                    moved=", ".join(f"{a:g} s -> {b:g} s" for a, b in moved)))
    if p is not None and len(lags) > 1:
        if rng is not None and rng[0] == 0 and rng[1] == len(lags) - 1:
            out.append(warning_text("peak_unlocated", first=_lag_text(lags[0], bin_width),
                                    last=_lag_text(lags[-1], bin_width)))
        elif p in (0, len(lags) - 1):
            out.append(warning_text("peak_at_edge", lag=_lag_text(lags[p], bin_width)))
    return out


def _lag_text(bins: int, bin_width: float | None) -> str:
    return f"{bins} bins" if not bin_width else f"{bins * bin_width:g} s"


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
    collapsed = collapse_warning(cells, len(rows))
    if collapsed:
        warnings.append(collapsed)
    unreliable = [r["lag_bins"] for r in curve if not r["reliable"]]
    if unreliable:
        warnings.append(warning_text("lag_unreliable", lags=unreliable))
    p, rng = _peak(curve)
    warnings += _lag_warnings(settings, bin_width, lags, p, rng)
    nan = float("nan")
    return LagSweepResult(
        curve=tuple(curve), lags_bins=lags, bin_width_s=bin_width,
        peak_lag_bins=None if p is None else lags[p], peak_mi_nats=nan if p is None else curve[p]["mi_nats"],
        peak_ci_low_nats=nan if p is None else curve[p]["ci_low_nats"],
        peak_ci_high_nats=nan if p is None else curve[p]["ci_high_nats"],
        peak_range_bins=None if rng is None else (lags[rng[0]], lags[rng[1]]), n_pairs=int(data["n_pairs"]),
        members=rows, settings=dict(settings), fit_settings=fit, data=dict(data), seconds=seconds,
        cells=tuple(sorted(cells, key=lambda c: (c["gamma"], c["seed"]))), warnings=tuple(dict.fromkeys(warnings)))
