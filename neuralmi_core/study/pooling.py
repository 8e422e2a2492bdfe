"""Random-effects pooling, hierarchical pooling (sessions within subjects), contrasts, corrections.

The models and the corrections are statsmodels' (``combine_effects``, ``multipletests``); this module
chooses, truncates and labels.

Model
-----
Effects :math:`y_i` with known standard errors :math:`s_i` (:mod:`.effects`) follow

.. math:: y_i = \\mu + u_i + e_i, \\quad u_i \\sim N(0, \\tau^2), \\quad e_i \\sim N(0, s_i^2).

:math:`\\tau^2` is estimated by DerSimonian-Laird (``method="dl"``, the moment estimator
:math:`\\hat\\tau^2 = \\max(0, (Q - (k-1)) / (W_1 - W_2 / W_1))` with :math:`w_i = 1/s_i^2`,
:math:`W_r = \\sum w_i^r`, :math:`Q = \\sum w_i (y_i - \\bar y_w)^2`) or Paule-Mandel (``method="pm"``);
then :math:`\\hat\\mu = \\sum w^*_i y_i / \\sum w^*_i` with :math:`w^*_i = 1/(s_i^2 + \\hat\\tau^2)`.
:math:`I^2 = \\max(0, (Q - (k-1))/Q)` (Higgins & Thompson 2002) and the homogeneity test
:math:`Q \\sim \\chi^2_{k-1}`. statsmodels does not truncate the DL estimate at zero; here a negative
estimate is set to 0, where the random-effects model equals the fixed-effect one. REML is not offered
(statsmodels' ``combine_effects`` has DL and PM only).

The CI of :math:`\\hat\\mu` is, with ``ci="hksj"`` (default), Hartung-Knapp-Sidik-Jonkman:
:math:`\\hat\\mu \\pm t_{k-1} \\sqrt{\\max(1, q_{HK}) / \\sum w^*_i}` with the weighted residual scale
:math:`q_{HK} = \\sum w^*_i (y_i - \\hat\\mu)^2 / (k-1)` (the ``max(1, .)`` is the modification of
Knapp & Hartung 2003 / Röver et al. 2015 that never makes the interval narrower than the normal one);
with ``ci="z"`` the classical :math:`\\hat\\mu \\pm z \\sqrt{1/\\sum w^*_i}`. We default to HKSJ because
studies pool few animals (k of 3-15), where the z interval of DL is known to cover well below its nominal
rate (IntHout et al. 2014); ``benchmarks/study_calibration.py`` measures both.

References
----------
DerSimonian R, Laird N (1986). Meta-analysis in clinical trials. Control Clin Trials 7:177-188.
Paule RC, Mandel J (1982). Consensus values and weighting factors. J Res Natl Bur Stand 87:377-385.
Higgins JPT, Thompson SG (2002). Quantifying heterogeneity in a meta-analysis. Stat Med 21:1539-1558.
Knapp G, Hartung J (2003). Improved tests for a random effects meta-regression with a single covariate.
Stat Med 22:2693-2710.
IntHout J, Ioannidis JPA, Borm GF (2014). The Hartung-Knapp-Sidik-Jonkman method for random effects
meta-analysis is straightforward and considerably outperforms the standard DerSimonian-Laird method.
BMC Med Res Methodol 14:25.
Benjamini Y, Hochberg Y (1995). Controlling the false discovery rate. J R Stat Soc B 57:289-300.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import stats
from statsmodels.stats.meta_analysis import combine_effects
from statsmodels.stats.multitest import multipletests

from ..validation import NeuralMIError

METHODS = ("dl", "pm")
CI_METHODS = ("hksj", "z")
CORRECTIONS = ("fdr_bh", "fdr_by", "holm", "bonferroni", "hommel", "sidak", "holm-sidak", "none")


@dataclass(frozen=True)
class Pooled:
    """A pooled estimate. ``k`` counts the units pooled at the top level (subjects in
    :func:`pool_by_subject`), ``k_sessions`` the sessions underneath; ``df`` the degrees of freedom of
    its CI (``inf`` for a z interval); ``note`` says when a fallback was used."""

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    tau2: float
    i2: float
    q: float
    q_pvalue: float
    k: int
    k_sessions: int
    df: float
    method: str
    ci: str
    confidence: float
    note: str = ""

    def p_greater(self) -> float:
        """One-sided p-value of :math:`H_0: \\mu \\le 0` against :math:`\\mu > 0` (t with ``df``, or z)."""
        if not self.se > 0:
            return math.nan
        z = self.estimate / self.se
        return float(stats.norm.sf(z) if math.isinf(self.df) else stats.t.sf(z, self.df))


def _check(y: Sequence[float], se: Sequence[float], method: str, ci: str, confidence: float):
    if method not in METHODS:
        raise NeuralMIError(f"`method` must be one of {list(METHODS)} (statsmodels combine_effects; REML is not "
                            f"offered). Got {method!r}.")
    if ci not in CI_METHODS:
        raise NeuralMIError(f"`ci` must be one of {list(CI_METHODS)}. Got {ci!r}.")
    if not 0 < confidence < 1:
        raise NeuralMIError(f"`confidence` must be in (0, 1). Got {confidence!r}.")
    y = np.asarray(y, dtype=float)
    se = np.asarray(se, dtype=float)
    if y.ndim != 1 or y.shape != se.shape:
        raise NeuralMIError(f"`y` and `se` must be 1-d of one length. Got shapes {y.shape} and {se.shape}.")
    if y.size == 0:
        raise NeuralMIError("nothing to pool: `y` is empty (every row left out? see the effects' reasons)")
    if not (np.all(np.isfinite(y)) and np.all(np.isfinite(se)) and np.all(se > 0)):
        raise NeuralMIError(f"`y` must be finite and `se` finite and > 0. Got y={y.tolist()}, se={se.tolist()}.")
    return y, se


def pool(y: Sequence[float], se: Sequence[float], method: str = "dl", groups: Sequence[str] | None = None,
         ci: str = "hksj", confidence: float = 0.95) -> Pooled:
    """Random-effects pooled estimate of effects ``y`` with standard errors ``se`` (model: module docstring).

    Parameters
    ----------
    y, se
        Effects and their standard errors (same length, se > 0).
    method
        ``"dl"`` (DerSimonian-Laird) or ``"pm"`` (Paule-Mandel) for :math:`\\tau^2`.
    groups
        Cluster labels (the subject of each effect): when given, :func:`pool_by_subject` is used so
        that ``k`` counts clusters, not effects.
    ci
        ``"hksj"`` (t with k-1 df, modified HKSJ scale) or ``"z"``.
    confidence
        Level of the CI.

    Returns
    -------
    Pooled
        With one effect (k = 1) the effect itself is returned (a fixed effect, z interval; tau², I², Q
        are NaN: heterogeneity cannot be estimated from one study), with a ``note`` saying so.

    Examples
    --------
    >>> p = pool([1.0, 1.0, 1.0], [0.1, 0.2, 0.1])
    >>> round(p.estimate, 6), p.tau2, p.k
    (1.0, 0.0, 3)
    """
    if groups is not None:
        return pool_by_subject(y, se, groups, method=method, ci=ci, confidence=confidence)
    y, se = _check(y, se, method, ci, confidence)
    k = y.size
    zcrit = stats.norm.isf((1 - confidence) / 2)
    if k == 1:
        return Pooled(float(y[0]), float(se[0]), float(y[0] - zcrit * se[0]), float(y[0] + zcrit * se[0]),
                      math.nan, math.nan, math.nan, math.nan, 1, 1, math.inf, method, "z", confidence,
                      note="one study: fixed effect (the study itself); heterogeneity not estimable")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # I² of statsmodels divides by Q (0 when all agree)
        res = combine_effects(y, se**2, method_re="chi2" if method == "dl" else "iterated")
    tau2 = max(0.0, float(res.tau2))
    w = 1.0 / (se**2 + tau2)
    if tau2 == 0.0:  # the RE model is the FE one: statsmodels' FE numbers (its RE ones used the raw DL value)
        mu, var = float(res.mean_effect_fe), float(res.var_eff_w_fe)
    else:
        mu, var = float(res.mean_effect_re), float(res.var_eff_w_re)
    q = float(res.q)
    i2 = max(0.0, (q - (k - 1)) / q) if q > 0 else 0.0
    q_p = float(res.test_homogeneity().pvalue)
    if ci == "hksj":
        scale = float(np.sum(w * (y - mu) ** 2) / (k - 1))
        var = var * max(1.0, scale)
        df = float(k - 1)
        crit = stats.t.isf((1 - confidence) / 2, df)
    else:
        df, crit = math.inf, zcrit
    s = math.sqrt(var)
    return Pooled(mu, s, float(mu - crit * s), float(mu + crit * s), tau2, i2, q, q_p, k, k, df, method, ci, confidence)


def pool_by_subject(y: Sequence[float], se: Sequence[float], subjects: Sequence[str], method: str = "dl",
                    ci: str = "hksj", confidence: float = 0.95) -> Pooled:
    """Two-stage pooling: sessions within each subject, then subjects, so that ``k`` counts animals.

    Model: session j of subject a gives :math:`y_{aj} = \\mu + u_a + v_{aj} + e_{aj}` with
    :math:`u_a \\sim N(0, \\tau^2)` (between subjects), :math:`v_{aj} \\sim N(0, \\tau_a^2)` (between the
    sessions of subject a) and :math:`e_{aj} \\sim N(0, s_{aj}^2)`. Stage 1 pools each subject's sessions
    with :func:`pool` (random effects, z standard error :math:`1/\\sqrt{\\sum_j w^*_{aj}}`; a subject with one
    session keeps that session's estimate and SE: a fixed effect). Stage 2 pools the subjects'
    estimates :math:`(\\hat y_a, \\hat s_a)` with :func:`pool` (random effects, ``method``, ``ci``). The
    returned ``tau2``, ``i2``, ``q`` are those of stage 2 (between subjects); ``k`` is the number of
    subjects and ``k_sessions`` of sessions. Adding sessions of an animal can only shrink that animal's
    :math:`\\hat s_a`, never add an animal: the CI cannot shrink as if they were new animals.
    """
    y, se = _check(y, se, method, ci, confidence)
    subjects = [str(s) for s in subjects]
    if len(subjects) != y.size:
        raise NeuralMIError(f"`subjects` must label every effect: got {len(subjects)} labels for {y.size} effects")
    ys, ss = [], []
    for subj in dict.fromkeys(subjects):
        idx = [i for i, s in enumerate(subjects) if s == subj]
        p = pool(y[idx], se[idx], method=method, ci="z", confidence=confidence)
        ys.append(p.estimate)
        ss.append(p.se)
    top = pool(ys, ss, method=method, ci=ci, confidence=confidence)
    note = top.note.replace("one study", "one subject") if top.note else ""
    return Pooled(**{**top.__dict__, "k_sessions": int(y.size), "note": note})


@dataclass(frozen=True)
class Contrast:
    """``a - b`` of two pooled estimates: difference, SE, CI, two-sided p and the df used."""

    a: str
    b: str
    diff: float
    se: float
    ci_low: float
    ci_high: float
    p: float
    df: float
    confidence: float


def contrast(a: Pooled, b: Pooled, names: tuple[str, str] = ("a", "b")) -> Contrast:
    """Difference of two independent pooled estimates (disjoint sets of animals).

    :math:`d = \\hat\\mu_a - \\hat\\mu_b`, :math:`SE_d = \\sqrt{SE_a^2 + SE_b^2}`. When both estimates
    carry a t interval (HKSJ), :math:`d/SE_d` is referred to a t distribution with the Welch-Satterthwaite
    degrees of freedom :math:`(SE_a^2 + SE_b^2)^2 / (SE_a^4/\\nu_a + SE_b^4/\\nu_b)` (each side's
    :math:`\\nu = k - 1`); when either is a z interval, to the normal (its df is infinite). The p-value
    is two-sided and the CI has the estimates' confidence level.
    """
    if a.confidence != b.confidence:
        raise NeuralMIError(f"contrast {names[0]} - {names[1]}: the estimates have different confidence levels "
                            f"({a.confidence} and {b.confidence})")
    diff = a.estimate - b.estimate
    va, vb = a.se**2, b.se**2
    se = math.sqrt(va + vb)
    if math.isinf(a.df) or math.isinf(b.df):
        df = math.inf
        crit = stats.norm.isf((1 - a.confidence) / 2)
        p = 2 * stats.norm.sf(abs(diff) / se) if se > 0 else math.nan
    else:
        df = (va + vb) ** 2 / (va**2 / a.df + vb**2 / b.df)
        crit = stats.t.isf((1 - a.confidence) / 2, df)
        p = 2 * stats.t.sf(abs(diff) / se, df) if se > 0 else math.nan
    return Contrast(names[0], names[1], diff, se, float(diff - crit * se), float(diff + crit * se), float(p), float(df),
                    a.confidence)


@dataclass(frozen=True)
class Correction:
    """Multiple-comparison correction of one family: q (adjusted p) and rejections at ``alpha``.

    ``n_tests`` counts the finite p-values (NaN ones are outside the family and keep q = NaN)."""

    family: str
    method: str
    alpha: float
    n_tests: int
    qvalues: np.ndarray = field(repr=False)
    reject: np.ndarray = field(repr=False)

    def describe(self) -> str:
        return f"{self.family}: {self.method} over {self.n_tests} test(s) at alpha {self.alpha:g}"


def correct(pvalues: Sequence[float], method: str = "fdr_bh", family: str = "tests",
            alpha: float = 0.05) -> Correction:
    """Adjust ``pvalues`` for multiple comparisons with statsmodels ``multipletests``.

    ``fdr_bh`` (Benjamini-Hochberg, default) controls the false discovery rate: the adjusted value of
    the i-th smallest of m p-values is :math:`q_{(i)} = \\min_{j \\ge i} \\min(1, m p_{(j)} / j)`;
    ``holm`` controls the family-wise error rate; ``none`` leaves them as they are. ``family`` names what
    the set of tests is (e.g. "pooled MI > 0 per analysis and group"); the result states it with its size.
    """
    if method not in CORRECTIONS:
        raise NeuralMIError(f"`correction` must be one of {list(CORRECTIONS)}. Got {method!r}.")
    p = np.asarray(pvalues, dtype=float).reshape(-1)
    q = np.full(p.shape, np.nan)
    reject = np.zeros(p.shape, dtype=bool)
    ok = np.isfinite(p)
    if np.any((p[ok] < 0) | (p[ok] > 1)):
        raise NeuralMIError(f"p-values must lie in [0, 1]. Got {p[ok].tolist()}.")
    if ok.any():
        if method == "none":
            q[ok], reject[ok] = p[ok], p[ok] <= alpha
        else:
            r, qv, _, _ = multipletests(p[ok], alpha=alpha, method=method)
            q[ok], reject[ok] = qv, r
    return Correction(family, method, alpha, int(ok.sum()), q, reject)


__all__ = ["CI_METHODS", "CORRECTIONS", "METHODS", "Contrast", "Correction", "Pooled", "contrast", "correct",
           "pool", "pool_by_subject"]
