"""The result of rigorous mode: its member table, the corrected MI with its error bars, and the fit.

:func:`summarize_rigorous` is the pure second half of :func:`~neuralmi_core.analysis.rigorous.rigorous`
(and of its gather): the 1/N extrapolation of a member table (:mod:`.extrapolation`), the headline
interval, the warnings. :class:`RigorousResult` states every number with its unit and draws itself
(:func:`~.plots.plot_rigorous`).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ...collapse import collapse_warning
from ...flags import density_config_flags, density_fit_warnings, warning_text
from ...results import (
    Member,
    _jsonable,
    infonce_ceiling_nats,
    infonce_k_biased,
    member_mi,
    nats_to_bits,
    near_ceiling,
)
from ...validation import NeuralMIError, check_choice, check_float, check_int, emit_warnings
from ..extrapolation import (
    FLAG_DISAGREE,
    FLAG_FAR,
    FLAG_K_BIAS,
    FLAG_MISSED,
    FLAG_SAMPLE_LIMITED,
    UNRELIABLE,
    ExtrapolationFit,
    fit_extrapolation,
    headline_interval,
    per_gamma_summary,
    training_mi_trend,
)

EXTRAPOLATE = ("average", "train", "test")


SYSTEMATIC_WARN = 0.2  # warn when the systematic error exceeds this fraction of the corrected MI ...
# ... or of this floor when the MI is smaller: 0.02 nats, ten times the systematic part on independent data in the
# accuracy suite (<= 0.002). The floor was 0.25 nats (0.05 nats absolute), which let a strong spiral's corrected
# MI of 0.18 nats with a train / held-out disagreement of 0.048 nats (27 % of it; truth 1.02) pass unflagged.
SYSTEMATIC_FLOOR_NATS = 0.1
# sample_limited: over the gammas of the fit, the training-subset MI falls with gamma (t below -TREND_T: one-sided,
# resolved) by more than TREND_DROP x max(|MI|, SYSTEMATIC_FLOOR_NATS) from the smallest to the largest gamma used: the
# smaller chunks find less of the dependence even on their own training data, so the 1/N model does not hold. Chosen
# on the accuracy suite with the recording-shaped families (benchmarks/DIAGNOSIS.md section 12; 0.5 before, from
# section 10): 2-d place cells and mixed-selectivity cells, 19-28 % low with a CI that missed, fall by 24-27 % of the
# MI; spirals by 71-99 %; a fifth flags those and, of the 44 rows with MI > 0 whose CI covered, 5 (Student-t df 2 at
# N = 5000, an X-mixture set 11 % high, a spiral at N = 20000; benchmarks/diagnosis/p1_reflag.log).
TREND_T = 3.0
TREND_DROP = 0.2
# far_extrapolation: the members at the largest gamma of the fit find, on held-out data, less than FAR_SHARE of the
# corrected MI (when that exceeds SYSTEMATIC_FLOOR_NATS): the intercept lies far beyond its members, where the 1/N
# line's higher-order terms can move it either way. Chosen on the whole trust table (benchmarks/DIAGNOSIS.md section
# 34): of its 168 rows with MI > 0, the 21 below a third hold 14 of the 15 rows more than 10 % off (the 147 others:
# 1, flagged sample_limited) and 10 of the 35 misses; at a third it adds 4 flagged rows (an X-mixture set 10 % high
# whose CI missed, and 3 covered rows: flags on 12.0 % of covered rows, 9.8 % before), none of the 12 rows with MI = 0.
# Held out (N = 5000, data sets 3-4, run after the choice; section 35): it fired on 11 of 56 rows, 8 of them more than
# 10 % off, among them an X-mixture set 13 % high that no other flag caught.
FAR_SHARE = 1 / 3


def smallest_chunks_share(members: Sequence[RigorousMember], gamma: int, mi_nats: float) -> float:
    """The mean held-out MI of the members at ``gamma`` (the largest of the fit) as a share of the corrected MI
    ``mi_nats``: ``far_extrapolation`` fires under :data:`FAR_SHARE`. ``inf`` (never flagged) when the corrected MI is
    at or under :data:`SYSTEMATIC_FLOOR_NATS` or no member at ``gamma`` has a finite MI."""
    held = [m.mi_test_nats for m in members if m.gamma == gamma and math.isfinite(m.mi_test_nats)]
    if not held or not mi_nats > SYSTEMATIC_FLOOR_NATS:
        return math.inf
    return float(np.mean(held)) / mi_nats


@dataclass(frozen=True)
class RigorousMember(Member):
    """One member of a rigorous run: chunk ``chunk`` (0-based) of ``gamma`` chunks, trained with ``seed``."""

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



@dataclass(frozen=True)
class RigorousResult:
    """Bias-corrected MI with error bars (see :func:`rigorous`; all ``*_nats`` also as ``*_bits``).

    Attributes
    ----------
    mi_nats : float
        Corrected MI: the intercept at gamma = 0 of the WLS fit of the ``extrapolate`` MI on gamma. NaN
        (with ``fit_reason``) when the run holds fewer than ``min_gammas`` gammas (a partial run).
    ci_low_nats, ci_high_nats : float
        Confidence interval of the corrected MI at level ``confidence``: the fit's statistical error,
        the data-set noise every member shares (``shared_se_nats``) and the systematic error
        (``systematic_nats``) combined (:func:`~.extrapolation.headline_interval`). The interval to quote.
    pi_low_nats, pi_high_nats : float
        Prediction interval for one new full-data member (the CI widened by one member's noise).
    fit_ci_low_nats, fit_ci_high_nats : float
        The textbook t-interval of the WLS intercept, which treats members as independent (too narrow
        on real training: ``benchmarks/rigorous.py``); kept for comparison.
    shared_se_nats : float
        Standard deviation of one full-data member about the fit: bounds the sampling noise of the data
        set that all members share.
    systematic_nats : float
        Largest distance from ``mi_nats`` to the intercepts extrapolated from the training-subset and the
        held-out member MI (the model error of the 1/N extrapolation).
    se_nats, slope_nats : float
        Standard error of the intercept (of the fit, members independent); slope of MI in gamma (nats
        per unit gamma).
    naive_mi_nats : float
        The uncorrected full-data estimate: mean held-out MI of the gamma = 1 members.
    bracket_low_nats, bracket_high_nats : float
        The range spanned by the extrapolations of every member MI (training-subset, held-out, their
        average), each widened by its fit's t-interval. All extrapolate to the true MI when the bias
        is purely a/N; a wide bracket shows bias the fit does not model (``systematic_nats``).
    reliable, flags, fit_reason
        Reliability verdict, flags (see :data:`neuralmi_core.flags.FLAGS`), and why there is no fit.
    members : tuple of RigorousMember
        The per-member table (gamma, chunk, seed, sizes, held-out and training MI, best epoch).
    per_gamma : tuple of dict
        Per gamma: member count, mean and std of the extrapolated MI.
    fits : dict
        The extrapolation fit of each member MI (``train`` and ``test``); the headline numbers are
        ``fits[extrapolate]``.
    """

    mi_nats: float
    ci_low_nats: float
    ci_high_nats: float
    pi_low_nats: float
    pi_high_nats: float
    se_nats: float
    slope_nats: float
    naive_mi_nats: float
    bracket_low_nats: float
    bracket_high_nats: float
    fit_ci_low_nats: float
    fit_ci_high_nats: float
    shared_se_nats: float
    systematic_nats: float
    confidence: float
    extrapolate: str
    reliable: bool
    flags: tuple[str, ...]
    fit_reason: str
    gammas: tuple[int, ...]
    seeds: tuple[int, ...]
    gammas_used: tuple[int, ...]
    gammas_dropped: tuple[int, ...]
    members: tuple[RigorousMember, ...]
    per_gamma: tuple[dict[str, Any], ...]
    fits: dict[str, ExtrapolationFit]
    settings: dict[str, Any]
    fit_settings: dict[str, Any]
    data: dict[str, Any]
    seconds: float = 0.0
    cells: tuple[dict[str, Any], ...] = field(default=(), compare=False)
    warnings: tuple[str, ...] = ()

    @property
    def mi_bits(self) -> float:
        return nats_to_bits(self.mi_nats)

    @property
    def fit(self) -> ExtrapolationFit:
        return self.fits[self.extrapolate]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            out[f.name] = _jsonable(value)
            if f.name.endswith("_nats"):
                out[f.name[:-5] + "_bits"] = _jsonable(nats_to_bits(value))
        out["unit_note"] = "*_nats in nats (natural log); *_bits = *_nats / ln 2"
        return out

    def summary_line(self) -> str:
        """One line for the command line: corrected MI with its CI, or why there is no fit."""
        if not self.fit.fitted:
            return f"{len(self.members)} members, no fit ({self.fit_reason})"
        return (f"{self.mi_nats:.4f} nats [{self.ci_low_nats:.4f}, {self.ci_high_nats:.4f}] ({self.confidence:.0%} "
                f"CI), {self.mi_bits:.4f} bits; naive {self.naive_mi_nats:.4f} nats")

    def __repr__(self) -> str:
        return (f"RigorousResult({self.settings.get('estimator')}: {self.mi_nats:.4f} nats "
                f"[{self.ci_low_nats:.4f}, {self.ci_high_nats:.4f}] ({self.confidence:.0%} CI), naive "
                f"{self.naive_mi_nats:.4f}, gammas {list(self.gammas_used)}, reliable={self.reliable})")

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RigorousResult:
        """Rebuild a result from :meth:`to_dict` output or its JSON (``*_bits`` twins and extra keys ignored)."""
        kw: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            if f.name not in d:
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                    raise NeuralMIError(f"not a rigorous result: field {f.name!r} is missing")
                continue
            kw[f.name] = d[f.name]
        for name in kw:
            if name.endswith("_nats") or name in ("confidence", "seconds"):
                kw[name] = _float(kw[name])
        for name in ("flags", "gammas", "seeds", "gammas_used", "gammas_dropped", "cells", "warnings"):
            if name in kw:
                kw[name] = tuple(kw[name] or ())
        kw["members"] = tuple(RigorousMember.from_dict(m) for m in kw["members"] or ())
        kw["per_gamma"] = tuple({k: _float(v) if k.endswith("_nats") else v for k, v in r.items()}
                                for r in kw["per_gamma"] or ())
        kw["fits"] = {k: ExtrapolationFit.from_dict(v) for k, v in (kw["fits"] or {}).items()}
        kw["reliable"] = bool(kw["reliable"])
        return cls(**kw)

    def plot(self, ax: Any = None, unit: str = "bits") -> Any:
        """MI against gamma (position proportional to 1/N, N = samples per chunk) with the members, per-gamma
        means, the fit, the quoted CI as a band and the fit-only CI as dotted lines; returns the Figure.

        The figure is a plain matplotlib Figure (not managed by pyplot): save it with
        ``fig.savefig("rigorous.png")``, or pass ``ax`` from ``plt.subplots()`` and call ``plt.show()``.
        """
        from .plot import plot_rigorous

        return plot_rigorous(self, ax=ax, unit=unit)


def _float(value: Any) -> float:
    return float("nan") if value is None else float(value)


def summarize_rigorous(
    members: Sequence[RigorousMember],
    settings: dict[str, Any],
    data: dict[str, Any],
    *,
    confidence: float = 0.68,
    extrapolate: str = "average",
    delta: float = 0.1,
    min_gammas: int = 5,
    min_chunk: int = 1000,
    seconds: float = 0.0,
    cells: Sequence[dict[str, Any]] = (),
    extra_warnings: Sequence[str] = (),
) -> RigorousResult:
    """Fit the extrapolation on a member table; the pure second half of :func:`rigorous` (and of gather)."""
    extrapolate = check_choice("extrapolate", extrapolate, EXTRAPOLATE)
    confidence = check_float("confidence", confidence, 0.0, 1.0, low_open=True, high_open=True)
    min_chunk = check_int("min_chunk", min_chunk, 1)
    rows = tuple(sorted(members, key=lambda m: (m.gamma, m.seed, m.chunk)))
    keys = [(m.gamma, m.seed, m.chunk) for m in rows]
    if len(set(keys)) != len(keys):
        dup = sorted({k for k in keys if keys.count(k) > 1})
        raise NeuralMIError(f"the member table holds duplicate (gamma, seed, chunk) rows {dup[:5]}; each cell may "
                            f"appear once (were the same parts given twice?).")
    g = np.array([m.gamma for m in rows], dtype=float)
    fits = {}
    for kind in EXTRAPOLATE:
        mi = np.array([member_mi(m, kind) for m in rows], dtype=float)
        fits[kind] = fit_extrapolation(g, mi, confidence=confidence, delta=delta, min_gammas=min_gammas)
    fit = fits[extrapolate]
    chosen = np.array([member_mi(m, extrapolate) for m in rows], dtype=float)
    gammas = tuple(sorted({m.gamma for m in rows}))
    seeds = tuple(sorted({m.seed for m in rows}))
    ones = [m.mi_test_nats for m in rows if m.gamma == 1]
    naive = float(np.mean(ones)) if ones else float("nan")
    warnings = list(extra_warnings)
    collapsed = collapse_warning(cells, len(rows))
    if collapsed:
        warnings.append(collapsed)
    fit_infos = [c.get("timing", {}) for c in cells]  # each cell's fit record: the density-based fits' data checks
    warnings.extend(density_fit_warnings(str(settings.get("estimator", "")), *fit_infos))
    if not ones:
        warnings.append(warning_text("no_gamma1"))
    n = int(data["n_samples"])
    small = [gm for gm in gammas if n // gm < min_chunk]
    if small:
        warnings.append(warning_text("small_chunks", min_chunk=min_chunk, gammas=small, n_samples=n,
                                     smallest=n // max(small)))
    if settings.get("estimator") == "infonce":
        near = sorted({m.gamma for m in rows if near_ceiling(m.mi_test_nats, infonce_ceiling_nats(m.n_eval))})
        if near:
            warnings.append(warning_text("members_near_ceiling", gammas=near))
    head = headline_interval(fit, [fits[k] for k in ("train", "test") if k != extrapolate], confidence)
    flags = list(fit.flags)
    if fit.fitted and head.systematic_nats > SYSTEMATIC_WARN * max(abs(fit.intercept_nats), SYSTEMATIC_FLOOR_NATS):
        flags.append(FLAG_DISAGREE)
        warnings.append(warning_text("train_test_disagree", systematic=head.systematic_nats))
    if fit.fitted:
        lo, hi = fit.gammas_used[0], fit.gammas_used[-1]
        used = [m for m in rows if lo <= m.gamma <= hi]
        slope, t = training_mi_trend([m.gamma for m in used], [m.mi_train_nats for m in used])
        drop = -slope * (hi - lo)
        if t < -TREND_T and drop > TREND_DROP * max(abs(fit.intercept_nats), SYSTEMATIC_FLOOR_NATS):
            flags.append(FLAG_SAMPLE_LIMITED)
            warnings.append(warning_text("sample_limited", drop=drop, lo=lo, hi=hi, t=t))
        share = smallest_chunks_share(rows, hi, fit.intercept_nats)
        if share < FAR_SHARE:
            flags.append(FLAG_FAR)
            warnings.append(warning_text("far_extrapolation", held=share * fit.intercept_nats, gamma=hi,
                                         mi=fit.intercept_nats, share=share))
    witnesses = [float(c["witness_ksg_nats"]) for c in cells if c.get("witness_ksg_nats") is not None]
    if fit.fitted and witnesses:
        from ...estimation import misses_witness

        ksg = float(np.mean(witnesses))
        if misses_witness(fit.intercept_nats, ksg):
            flags.append(FLAG_MISSED)
            warnings.append(warning_text("fit_missed_dependence", estimator=str(settings.get("estimator", "")),
                                         mi=fit.intercept_nats, ksg=ksg))
    if fit.fitted:  # no_density, empirical_reference, conditional_flow: warned by density_fit_warnings above
        flags.extend(density_config_flags(*fit_infos))
    small_k = min((m.n_eval for m in rows), default=0)
    if (fit.fitted and settings.get("estimator") == "infonce"
            and infonce_k_biased(fit.intercept_nats, small_k)):
        flags.append(FLAG_K_BIAS)
        warnings.append(warning_text("infonce_k_bias", mi=fit.intercept_nats, log_n_eval=math.log(small_k)))
    if not fit.fitted:
        warnings.append(warning_text("no_fit", reason=fit.reason))
    elif not fit.reliable:
        warnings.append(warning_text("unreliable_fit", flags="; ".join(f for f in fit.flags if f in UNRELIABLE)))
    emit_warnings(warnings)
    return RigorousResult(
        mi_nats=fit.intercept_nats,
        ci_low_nats=head.ci_low_nats,
        ci_high_nats=head.ci_high_nats,
        pi_low_nats=head.pi_low_nats,
        pi_high_nats=head.pi_high_nats,
        se_nats=fit.se_nats,
        slope_nats=fit.slope_nats,
        naive_mi_nats=naive,
        bracket_low_nats=min(f.ci_low_nats for f in fits.values()) if all(f.fitted for f in fits.values())
        else float("nan"),
        bracket_high_nats=max(f.ci_high_nats for f in fits.values()) if all(f.fitted for f in fits.values())
        else float("nan"),
        fit_ci_low_nats=fit.ci_low_nats,
        fit_ci_high_nats=fit.ci_high_nats,
        shared_se_nats=head.shared_se_nats,
        systematic_nats=head.systematic_nats,
        confidence=confidence,
        extrapolate=extrapolate,
        reliable=fit.reliable,
        flags=tuple(flags),
        fit_reason=fit.reason,
        gammas=gammas,
        seeds=seeds,
        gammas_used=fit.gammas_used if fit.fitted else (),
        gammas_dropped=fit.gammas_dropped,
        members=rows,
        per_gamma=tuple(per_gamma_summary(g, chosen)),
        fits=fits,
        settings=dict(settings),
        fit_settings={"confidence": confidence, "extrapolate": extrapolate, "delta": delta,
                      "min_gammas": min_gammas, "min_chunk": min_chunk},
        data=dict(data),
        seconds=seconds,
        cells=tuple(sorted(cells, key=lambda c: (c["gamma"], c["seed"]))),
        warnings=tuple(warnings),
    )
