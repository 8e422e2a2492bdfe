"""The contrast between two conditions of one analysis in one session: difference of MI, its CI and a test.

Each condition of an analysis (the workflow's ``conditions:``) is estimated on its own bins, and the
conditions' bins are disjoint sets of the session's time bins. The two rigorous (bias-corrected) estimates
are therefore independent given the data, and

.. math::

    d = \\widehat{MI}_a - \\widehat{MI}_b, \\qquad
    s_d = \\sqrt{s_a^2 + s_b^2}, \\qquad
    z = d / s_d, \\qquad p = 2\\,(1 - \\Phi(|z|)),

with each condition's standard error read from its confidence interval as
:mod:`neuralmi_core.study.effects` does (:math:`s = (\\mathrm{hi} - \\mathrm{lo}) / (2 z_{(1+c)/2})`), and
the contrast's interval :math:`d \\pm z_{(1+c)/2}\\, s_d` at the confidence ``c`` of the two estimates.

**The conditions differ in their number of bins.** A naive MI estimate is biased, and its bias depends on
the number of samples N (it shrinks like 1/N), so two naive estimates from conditions of unequal length
differ even when the dependence is the same. The contrast is therefore defined only on the bias-corrected
MI of the rigorous mode (the 1/N extrapolation to N -> infinity), never on naive estimates; rows of other
modes (no interval) give no contrast. The record keeps each condition's number of samples (``n_a``, ``n_b``)
so that a reader sees how unequal they were. With very unequal conditions the extrapolation of the shorter
one is the less certain one: its wider interval enters ``s_d``; an equal-N check (subsampling the longer
condition and re-estimating) is not run by the workflow.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from scipy import stats

from ..validation import NeuralMIError


@dataclass(frozen=True)
class Contrast:
    """MI of condition ``a`` minus MI of condition ``b`` (both bias-corrected, in :attr:`unit`), with its
    standard error, a ``confidence`` interval, z and two-sided p. ``reason`` is None when computed, else
    why not (then the numbers are NaN)."""

    analysis: str
    a: str
    b: str
    mi_a: float
    mi_b: float
    n_a: int | None
    n_b: int | None
    difference: float
    se: float
    ci_low: float
    ci_high: float
    z: float
    p: float
    confidence: float
    unit: str
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def se_from_ci(ci_low: float, ci_high: float, confidence: float) -> float:
    """Standard error of a normal interval ``estimate ± z_{(1+c)/2} · se``: ``(hi - lo) / (2 z)``.

    >>> round(se_from_ci(0.0, 2 * 1.959963984540054, 0.95), 12)
    1.0
    """
    if not 0 < confidence < 1:
        raise NeuralMIError(f"confidence must be in (0, 1); got {confidence!r}.")
    return (ci_high - ci_low) / (2 * stats.norm.ppf((1 + confidence) / 2))


def contrast(
    mi_a: float, lo_a: float, hi_a: float, mi_b: float, lo_b: float, hi_b: float, confidence: float = 0.95
) -> tuple[float, float, float, float, float, float]:
    """Difference ``a - b`` of two independent estimates given with their ``confidence`` intervals.

    Returns ``(difference, se, ci_low, ci_high, z, p)`` (see the module docstring for the formulas).

    Examples
    --------
    >>> z = 1.959963984540054
    >>> d, se, lo, hi, zz, p = contrast(1.0, 1.0 - 0.3 * z, 1.0 + 0.3 * z, 0.5, 0.5 - 0.4 * z, 0.5 + 0.4 * z)
    >>> round(d, 9), round(se, 9), round(zz, 9)
    (0.5, 0.5, 1.0)
    """
    sa, sb = se_from_ci(lo_a, hi_a, confidence), se_from_ci(lo_b, hi_b, confidence)
    d = mi_a - mi_b
    se = math.hypot(sa, sb)
    q = stats.norm.ppf((1 + confidence) / 2)
    if not se > 0:
        raise NeuralMIError(
            f"contrast: both intervals have zero width (se_a={sa}, se_b={sb}); expected a "
            "positive standard error."
        )
    z = d / se
    return d, se, d - q * se, d + q * se, z, float(2 * stats.norm.sf(abs(z)))


def _num(v: Any) -> float:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return math.nan
    return f


def condition_contrast(
    analysis: str,
    a: str,
    b: str,
    row_a: Mapping[str, Any] | None,
    row_b: Mapping[str, Any] | None,
    unit: str = "bits",
) -> Contrast:
    """The contrast of two conditions from their rigorous report rows (:func:`~neuralmi_core.report.records.
    rigorous_row`: ``mi_<unit>``, ``ci_low_<unit>``, ``ci_high_<unit>``, ``confidence``, ``n_samples``).

    A condition without a usable row (skipped in the session, not rigorous, no finite interval, an
    unreliable fit, different confidence levels) gives a contrast with NaN numbers and ``reason`` saying why.
    """
    nan = math.nan

    def why(row: Mapping[str, Any] | None, name: str) -> str | None:
        if row is None:
            return f"condition {name!r} has no rigorous result in this session"
        if row.get("skipped"):
            return f"condition {name!r} was skipped: {row.get('skipped')}"
        if row.get("mode") != "rigorous":
            return f"condition {name!r}: mode {row.get('mode')!r} has no bias-corrected interval"
        vals = [_num(row.get(k)) for k in (f"mi_{unit}", f"ci_low_{unit}", f"ci_high_{unit}", "confidence")]
        if not all(math.isfinite(v) for v in vals):
            return f"condition {name!r}: no finite MI and interval"
        if vals[2] <= vals[1]:
            return f"condition {name!r}: its interval has zero width"
        if row.get("reliable") is False:
            return f"condition {name!r}: the 1/N fit is marked unreliable"
        return None

    reason = why(row_a, a) or why(row_b, b)
    conf = _num((row_a or {}).get("confidence"))
    if reason is None and _num(row_b.get("confidence")) != conf:  # type: ignore[union-attr]
        reason = f"conditions {a!r} and {b!r} have different confidence levels"

    def n(row: Mapping[str, Any] | None) -> int | None:
        v = (row or {}).get("n_samples")
        return int(v) if isinstance(v, (int, float)) and math.isfinite(v) else None

    if reason is not None:
        return Contrast(
            analysis,
            a,
            b,
            _num((row_a or {}).get(f"mi_{unit}")),
            _num((row_b or {}).get(f"mi_{unit}")),
            n(row_a),
            n(row_b),
            nan,
            nan,
            nan,
            nan,
            nan,
            nan,
            conf,
            unit,
            reason,
        )
    ma, mb = _num(row_a[f"mi_{unit}"]), _num(row_b[f"mi_{unit}"])  # type: ignore[index]
    d, se, lo, hi, z, p = contrast(
        ma,
        _num(row_a[f"ci_low_{unit}"]),
        _num(row_a[f"ci_high_{unit}"]),  # type: ignore[index]
        mb,
        _num(row_b[f"ci_low_{unit}"]),
        _num(row_b[f"ci_high_{unit}"]),
        conf,
    )  # type: ignore[index]
    return Contrast(analysis, a, b, ma, mb, n(row_a), n(row_b), d, se, lo, hi, z, p, conf, unit)


def session_contrasts(
    rows: list[Mapping[str, Any]],
    pairs: list[tuple[str, str, str]],
    unit: str = "bits",
    shared_bins: Mapping[tuple[str, str, str], int] | None = None,
) -> list[dict[str, Any]]:
    """The contrasts of one session's report: for each ``(declaration, condition a, condition b)`` of ``pairs``
    the :class:`Contrast` of the rigorous rows of analyses ``<declaration>__<a>`` and ``<declaration>__<b>``
    (as dicts). ``shared_bins`` (same keys) counts the bins the two conditions share: when positive the
    estimates are not independent, and the contrast is given without numbers, with that reason."""
    by_name = {r["analysis"]: r for r in rows if r.get("mode") == "rigorous"}
    out = []
    for of, a, b in pairs:
        c = condition_contrast(of, a, b, by_name.get(f"{of}__{a}"), by_name.get(f"{of}__{b}"), unit).as_dict()
        shared = (shared_bins or {}).get((of, a, b))
        c["shared_bins"] = shared
        if shared and c["reason"] is None:
            nan = math.nan
            c.update(
                difference=nan,
                se=nan,
                ci_low=nan,
                ci_high=nan,
                z=nan,
                p=nan,
                reason=f"conditions {a!r} and {b!r} share {shared} bins: the estimates are not independent",
            )
        out.append(c)
    return out


__all__ = ["Contrast", "condition_contrast", "contrast", "se_from_ci", "session_contrasts"]
