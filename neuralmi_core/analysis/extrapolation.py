"""The 1/N extrapolation of rigorous mode: a pure weighted-least-squares fit of MI on gamma.

For finite samples a neural MI estimate is biased by roughly a/N (seed ``000_*``; Holmes & Nemenman
2019). Splitting N samples into gamma disjoint chunks gives members trained on N/gamma samples each, so

.. math::

    \\hat I_{\\gamma, c} = I_\\infty + b\\,\\gamma + \\varepsilon_{\\gamma, c},
    \\qquad \\operatorname{Var}\\varepsilon_{\\gamma, c} \\propto 1/N_{\\text{chunk}} \\propto \\gamma,

and the intercept at gamma = 0 (an infinite data set) is the bias-corrected MI. The fit is a weighted
least-squares regression over every member with weights 1/gamma (statsmodels ``WLS``). Its linear
region is found by fitting the quadratic :math:`a_0 + a_1\\gamma + a_2\\gamma^2` and dropping the largest
gamma while :math:`|a_2/a_1| \\ge \\delta` and :math:`a_2` is resolved (its t-test rejects zero at 95 %),
keeping at least ``min_gammas`` gammas.

References
----------
Holmes, C. M. & Nemenman, I. (2019). Estimation of mutual information for real-valued data with error
bars and controlled bias. Phys. Rev. E 100, 022404.
Abdelaleem, E., Martini, K. M. & Nemenman, I. (2025). Accurate estimation of mutual information in high
dimensional data. arXiv:2506.00330.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..flags import FLAGS as FLAG_TABLE
from ..flags import flag_names
from ..results import _jsonable
from ..validation import NeuralMIError, check_float, check_int

# Reliability flags (names are part of the JSON interface; each is described once in neuralmi_core.flags).
FLAG_FEW_GAMMAS = "too_few_gammas"  # fewer distinct gammas than min_gammas: no fit at all
FLAG_CURVED = "too_few_gammas_left"  # pruning stopped at min_gammas while the data were still curved
FLAG_GAMMA1 = "unstable_without_gamma1"  # intercept moves > shift_tolerance when gamma = 1 is left out
FLAG_OUTLIERS = "residual_outliers"  # a Pearson residual beyond the Bonferroni 5 % normal threshold
FLAG_NONFINITE = "nonfinite_members"  # members without a finite MI (diverged) were left out
FLAGS = flag_names("fit")
# Flags of the headline interval (set by rigorous mode's summary, not by the fit): the CI is likely to miss.
FLAG_DISAGREE = "train_test_disagree"  # the training-subset and held-out intercepts disagree (systematic error)
FLAG_K_BIAS = "infonce_k_bias"  # InfoNCE's own finite-K bias at this MI: curved in 1/N, not extrapolated away
FLAG_SAMPLE_LIMITED = "sample_limited"  # the training-subset MI rises with the chunk size: dependence still being found
FLAG_FAR = "far_extrapolation"  # the smallest chunks' held-out MI is a small share of the corrected MI
FLAG_MISSED = "missed_dependence"  # MI-NEE / MIENF: the corrected MI is far below a k-NN witness of the full data
FLAG_NO_DENSITY = "no_density"  # MIENF flowed both sides and neither has a density: measured far low
FLAG_EMPIRICAL = "empirical_reference"  # MI-NEE: a side without a density is its own reference: often far off
FLAG_CONDITIONAL = "conditional_flow"  # MIENF: a side without a density is a flow's context: often far low
#: Meaning of every flag of a rigorous fit (from :data:`neuralmi_core.flags.FLAGS`).
FLAG_HELP = {f.name: f.meaning for f in FLAG_TABLE if f.scope in ("fit", "interval")}
# Flags that make a fit unreliable (outliers and dropped members are warnings only).
UNRELIABLE = flag_names(unreliable=True)


@dataclass(frozen=True)
class ExtrapolationFit:
    """Result of :func:`fit_extrapolation` (all MI values in nats; slope in nats per unit gamma).

    Attributes
    ----------
    intercept_nats : float
        MI extrapolated to gamma = 0 (infinite data): the bias-corrected MI. NaN when no fit was made.
    slope_nats : float
        d MI / d gamma of the linear fit (the finite-sample bias of the full data set is ``slope_nats``).
    se_nats : float
        Standard error of the intercept (WLS).
    ci_low_nats, ci_high_nats : float
        t-based confidence interval of the intercept at level ``confidence`` (df = n_points - 2).
    pi_low_nats, pi_high_nats : float
        t-based prediction interval at gamma = 0 for one new observation with the variance of a
        full-data (gamma = 1, weight 1) member: ``intercept ± t * sqrt(se**2 + scale)``. It includes the
        member-level noise that every gamma shares through the data set, so it is the conservative
        error bar; it is never narrower than the CI.
    scale_nats2 : float
        Residual variance of a weight-1 (gamma = 1) member, in nats².
    gammas_used, gammas_dropped : tuple of int
        Distinct gammas inside / outside the linear region.
    curvature_ratio : float
        ``|a2 / a1|`` of the quadratic fit on the gammas used (NaN when it could not be fitted).
    intercept_without_gamma1_nats : float
        The intercept refitted without gamma = 1 (the stability check).
    shift_se_nats : float
        Standard error of the move ``intercept_without_gamma1_nats - intercept_nats`` under the linear model
        (Hausman: Var(a_without) - Var(a), with the residual variance of the fit without gamma = 1).
    flags : tuple of str
        Reliability flags (see :data:`FLAG_HELP`); ``reliable`` is False when any of :data:`UNRELIABLE`
        is raised.
    reason : str
        Why there is no fit (empty when there is one).
    """

    intercept_nats: float
    slope_nats: float
    se_nats: float
    ci_low_nats: float
    ci_high_nats: float
    pi_low_nats: float
    pi_high_nats: float
    scale_nats2: float
    confidence: float
    df: int
    n_points: int
    gammas_used: tuple[int, ...]
    gammas_dropped: tuple[int, ...]
    curvature_ratio: float
    intercept_without_gamma1_nats: float
    max_abs_residual: float
    cov_params: tuple[tuple[float, float], tuple[float, float]]
    flags: tuple[str, ...]
    reliable: bool
    reason: str = ""
    delta: float = 0.1
    min_gammas: int = 5
    shift_se_nats: float = float("nan")

    @property
    def fitted(self) -> bool:
        return math.isfinite(self.intercept_nats)

    def band(self, gamma: np.ndarray, kind: str = "ci") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Fitted line and its ``kind`` band (``ci``: the mean line; ``pi``: one weight-1 member) at ``gamma``.

        Computed from the stored parameter covariance, so a fit loaded from JSON can be drawn.
        """
        g = np.asarray(gamma, dtype=float)
        line = self.intercept_nats + self.slope_nats * g
        if not self.fitted:
            nan = np.full_like(g, np.nan)
            return line, nan, nan
        c = np.asarray(self.cov_params, dtype=float)
        var = c[0, 0] + 2 * c[0, 1] * g + c[1, 1] * g**2
        if kind == "pi":
            var = var + self.scale_nats2
        from scipy import stats  # on use: scipy.stats costs a second of every CLI start

        t = stats.t.ppf(0.5 + self.confidence / 2, self.df) if self.df > 0 else np.nan
        half = t * np.sqrt(np.maximum(var, 0.0))
        return line, line - half, line + half

    def to_dict(self) -> dict[str, Any]:
        return {f.name: _jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ExtrapolationFit:
        kw = {}
        for f in dataclasses.fields(cls):
            v = d.get(f.name)
            if f.name in ("gammas_used", "gammas_dropped", "flags"):
                v = tuple(v or ())
            elif f.name == "cov_params":
                v = tuple(tuple(float("nan") if e is None else e for e in row) for row in (v or ((None,) * 2,) * 2))
            elif v is None and f.type in ("float",):
                v = float("nan")
            kw[f.name] = v
        return cls(**kw)


def _wls(gamma: np.ndarray, mi: np.ndarray, degree: int):
    # imported on first fit (declarations stay light for workflow planning), and only the regression module:
    # statsmodels.api (the same WLS class) also loads its datasets, graphics and distributions, 2 s more of
    # every rigorous run's start on a busy 2-core machine (issue 23 item 4)
    from statsmodels.regression.linear_model import WLS

    exog = np.column_stack([gamma**p for p in range(degree + 1)])  # (n, degree + 1): 1, gamma, gamma^2
    return WLS(mi, exog, weights=1.0 / gamma).fit()


def _intercept_var(gamma: np.ndarray) -> float:
    """[(X' W X)^-1]_00 for the line's design (1, gamma) with weights 1/gamma: the WLS intercept's variance per
    unit residual variance."""
    x = np.column_stack([np.ones_like(gamma), gamma])
    return float(np.linalg.inv(x.T @ (x / gamma[:, None]))[0, 0])


def _no_fit(reason: str, flags: tuple[str, ...], confidence: float, gammas: tuple[int, ...], n: int,
            delta: float, min_gammas: int) -> ExtrapolationFit:
    nan = float("nan")
    return ExtrapolationFit(nan, nan, nan, nan, nan, nan, nan, nan, confidence, 0, n, gammas, (), nan, nan, nan,
                            ((nan, nan), (nan, nan)), flags, False, reason, delta, min_gammas)


def training_mi_trend(gamma: Any, mi_train_nats: Any) -> tuple[float, float]:
    """``(slope, t)`` of the WLS line (weights 1/gamma) of the training-subset MI on gamma; NaNs when unfittable.

    Over-fitting makes a network's MI on its own training data *rise* as its chunk shrinks (slope >= 0). A
    resolved negative slope says the opposite: smaller chunks find less of the dependence even in the data they
    were fitted to, so the networks are still discovering it at the full sample (``sample_limited``).

    >>> g = np.repeat(np.arange(1, 7), np.arange(1, 7)).astype(float)
    >>> slope, t = training_mi_trend(g, 1.0 - 0.05 * g + 0.001 * np.cos(7 * np.arange(g.size)))
    >>> round(slope, 2), t < -10
    (-0.05, True)
    """
    g = np.asarray(gamma, dtype=float).ravel()
    y = np.asarray(mi_train_nats, dtype=float).ravel()
    ok = np.isfinite(y)
    g, y = g[ok], y[ok]
    if np.unique(g).size < 3 or g.size < 4:
        return float("nan"), float("nan")
    res = _wls(g, y, 1)
    slope, se = float(res.params[1]), float(res.bse[1])
    if not np.isfinite(se) or se <= 0.0:
        return slope, float("-inf") if slope < 0 else float("inf") if slope > 0 else 0.0
    return slope, slope / se


def curvature(gamma: np.ndarray, mi: np.ndarray, level: float = 0.95) -> tuple[float, bool]:
    """``(|a2 / a1|, whether a2 is resolved)`` for the WLS quadratic ``a0 + a1 gamma + a2 gamma^2`` of MI on
    gamma (weights 1/gamma); the ratio is NaN when unfittable.

    ``a2`` is resolved when its two-sided t-test rejects a2 = 0 at ``level`` (always, for noiseless
    data with a2 != 0). The ratio alone is noise over noise when the slope is near zero (as for the
    average of the training-subset and held-out MI, whose slopes cancel), so the linear-region search
    prunes only curvature that is both large relative to the slope and resolved.
    """
    if np.unique(gamma).size < 3:
        return float("nan"), False
    if np.ptp(mi) <= 1e-12 * max(1.0, float(np.max(np.abs(mi)))):
        return 0.0, False  # constant data: no curvature (and no slope to compare it with)
    res = _wls(gamma, mi, 2)
    a = res.params
    ratio = float(abs(a[2] / a[1])) if a[1] != 0 else float("inf")
    se2 = float(res.bse[2]) if res.df_resid > 0 else 0.0
    if not np.isfinite(se2) or se2 <= 1e-12 * max(abs(float(a[2])), 1e-300):
        return ratio, bool(a[2] != 0)
    from scipy import stats  # on use: scipy.stats costs a second of every CLI start

    t_crit = float(stats.t.ppf(0.5 + level / 2, res.df_resid))
    return ratio, bool(abs(a[2]) / se2 > t_crit)


def fit_extrapolation(
    gamma: Any,
    mi_nats: Any,
    *,
    confidence: float = 0.68,
    delta: float = 0.1,
    min_gammas: int = 5,
    shift_tolerance: float = 0.2,
    shift_floor_nats: float = 0.05,
    shift_alpha: float = 0.05,
) -> ExtrapolationFit:
    """Fit MI = a + b * gamma by WLS (weights 1/gamma) on the linear region; the intercept is the corrected MI.

    Parameters
    ----------
    gamma : array-like of int, shape (n_members,)
        Each member's gamma (the data were split into gamma chunks; the member saw ~N/gamma samples).
    mi_nats : array-like of float, shape (n_members,)
        Each member's MI in nats. Non-finite values are left out (flag ``nonfinite_members``).
    confidence : float
        Level of the t-based confidence and prediction intervals, in (0, 1) (default 0.68 ≈ ±1 s.e.).
    delta : float
        Linear-region threshold: while ``|a2/a1| >= delta`` for the quadratic WLS fit on the gammas kept,
        a2 is resolved (its t-test rejects a2 = 0 at 95 %; see :func:`curvature`) and more than
        ``min_gammas`` gammas remain, the largest gamma is dropped.
    min_gammas : int
        Fewest distinct gammas to keep (>= 3); with fewer in the input there is no fit (reason given).
    shift_tolerance, shift_floor_nats, shift_alpha : float
        Flag ``unstable_without_gamma1`` when refitting without gamma = 1 moves the intercept by more than
        ``shift_tolerance * max(|intercept|, shift_floor_nats)`` (the floor keeps near-zero MI from
        tripping a relative test) *and* the move is significant at level ``shift_alpha`` (two-sided t test
        of the move over its standard error, df of the fit without gamma = 1): a move the members' own
        scatter explains is not instability. Under the line both intercepts are unbiased and the
        full fit is the efficient one, so Var(move) = Var(a_without) - Var(a) (Hausman), computed with the
        residual variance of the fit without gamma = 1 (the members under test do not inflate the noise they
        are tested against). Measured on the trust table (``benchmarks/gamma1_rule.py``, DIAGNOSIS section 17).

    Returns
    -------
    ExtrapolationFit
        Intercept (corrected MI), slope, CI and PI, the gammas used and dropped, and reliability flags.

    Notes
    -----
    The CI is the textbook t interval of a WLS intercept; it assumes independent member errors with
    variance proportional to gamma. Members of different gammas are cut from the same data set, so
    their errors share a component this interval does not see; the prediction interval adds one
    full-data member's variance and bounds that shared component.

    Examples
    --------
    >>> g = np.repeat(np.arange(1, 7), np.arange(1, 7))
    >>> fit = fit_extrapolation(g, 2.0 + 0.1 * g)
    >>> round(fit.intercept_nats, 6), round(fit.slope_nats, 6)
    (2.0, 0.1)
    """
    confidence = check_float("confidence", confidence, 0.0, 1.0, low_open=True, high_open=True)
    delta = check_float("delta", delta, 0.0, low_open=True)
    min_gammas = check_int("min_gammas", min_gammas, 3)
    check_float("shift_tolerance", shift_tolerance, 0.0, low_open=True)
    check_float("shift_alpha", shift_alpha, 0.0, 1.0, low_open=True, high_open=True)
    g_all = np.asarray(gamma, dtype=float).ravel()
    y_all = np.asarray(mi_nats, dtype=float).ravel()
    if g_all.shape != y_all.shape:
        raise NeuralMIError(f"`gamma` and `mi_nats` must have the same length. Got {g_all.size} and {y_all.size}.")
    if g_all.size and (np.any(g_all < 1) or np.any(g_all != np.round(g_all))):
        raise NeuralMIError(f"`gamma` must hold integers >= 1. Got {sorted(set(g_all.tolist()))}.")
    flags: list[str] = []
    ok = np.isfinite(y_all)
    if not ok.all():
        flags.append(FLAG_NONFINITE)
    g, y = g_all[ok], y_all[ok]
    distinct = tuple(int(v) for v in np.unique(g))
    if len(distinct) < min_gammas:
        return _no_fit(
            f"{len(distinct)} distinct gamma(s) {list(distinct)} with finite MI; the fit needs at least "
            f"min_gammas={min_gammas}", (FLAG_FEW_GAMMAS, *flags), confidence, distinct, int(g.size), delta,
            min_gammas)

    used = list(distinct)
    ratio, resolved = curvature(g, y)
    while len(used) > min_gammas and not ratio < delta and resolved:
        used.pop()
        keep = g <= used[-1]
        ratio, resolved = curvature(g[keep], y[keep])
    if not ratio < delta and resolved:
        flags.append(FLAG_CURVED)
    keep = g <= used[-1]
    gk, yk = g[keep], y[keep]
    n = int(gk.size)
    if n < 3:
        return _no_fit(f"only {n} members in the linear region; the fit needs at least 3", (*flags,), confidence,
                       distinct, n, delta, min_gammas)
    res = _wls(gk, yk, 1)
    alpha = 1.0 - confidence
    a, b = (float(v) for v in res.params)
    ci = res.conf_int(alpha=alpha)[0]
    pred = res.get_prediction(np.array([[1.0, 0.0]]), weights=np.array([1.0])).summary_frame(alpha=alpha)
    pi = (float(pred["obs_ci_lower"].iloc[0]), float(pred["obs_ci_upper"].iloc[0]))
    cov = np.asarray(res.cov_params(), dtype=float)

    from scipy import stats  # on use: scipy.stats costs a second of every CLI start

    # Stability: the intercept without gamma = 1.
    a_wo = shift_se = float("nan")
    rest = gk != 1
    if 1 in used and np.unique(gk[rest]).size >= 2 and rest.sum() >= 3:
        res_wo = _wls(gk[rest], yk[rest], 1)
        a_wo = float(res_wo.params[0])
        shift_se = math.sqrt(max(float(res_wo.scale) * (_intercept_var(gk[rest]) - _intercept_var(gk)), 0.0))
        shift = abs(a_wo - a)
        t_crit = float(stats.t.isf(shift_alpha / 2, res_wo.df_resid))
        if shift > shift_tolerance * max(abs(a), shift_floor_nats) and not shift <= t_crit * shift_se:
            flags.append(FLAG_GAMMA1)
    # Outliers: Pearson residuals beyond a Bonferroni-corrected two-sided 5 % normal threshold.
    with warnings.catch_warnings():  # noiseless data: statsmodels warns that all residuals are 0
        warnings.simplefilter("ignore", RuntimeWarning)
        resid = np.nan_to_num(np.asarray(res.resid_pearson, dtype=float))
    max_resid = float(np.max(np.abs(resid))) if n else float("nan")
    if max_resid > stats.norm.isf(0.05 / (2 * n)):
        flags.append(FLAG_OUTLIERS)
    return ExtrapolationFit(
        intercept_nats=a,
        slope_nats=b,
        se_nats=float(res.bse[0]),
        ci_low_nats=float(ci[0]),
        ci_high_nats=float(ci[1]),
        pi_low_nats=pi[0],
        pi_high_nats=pi[1],
        scale_nats2=float(res.scale),
        confidence=confidence,
        df=int(res.df_resid),
        n_points=n,
        gammas_used=tuple(used),
        gammas_dropped=tuple(d for d in distinct if d not in used),
        curvature_ratio=float(ratio),
        intercept_without_gamma1_nats=a_wo,
        max_abs_residual=max_resid,
        cov_params=((float(cov[0, 0]), float(cov[0, 1])), (float(cov[1, 0]), float(cov[1, 1]))),
        flags=tuple(flags),
        reliable=not any(f in UNRELIABLE for f in flags),
        delta=delta,
        min_gammas=min_gammas,
        shift_se_nats=shift_se,
    )


def per_gamma_summary(gamma: Any, mi_nats: Any) -> list[dict[str, float]]:
    """Per distinct gamma: member count, mean and standard deviation (ddof 1; NaN for one member) of the MI."""
    g = np.asarray(gamma, dtype=float)
    y = np.asarray(mi_nats, dtype=float)
    out = []
    for v in np.unique(g):
        sel = y[(g == v) & np.isfinite(y)]
        out.append({"gamma": int(v), "n_members": int(sel.size),
                    "mean_nats": float(sel.mean()) if sel.size else float("nan"),
                    "std_nats": float(sel.std(ddof=1)) if sel.size > 1 else float("nan")})
    return out


def quoted_half_width(statistical_nats: Any, systematic_nats: float, confidence: float) -> Any:
    """The quoted interval's half-width from its statistical half-width (already at ``confidence``: a t quantile
    times a standard error; a float or an array, as along the rigorous figure's band) and the systematic error,
    which enters in quadrature as one more standard error scaled by the normal quantile z at ``confidence``:
    ``sqrt(statistical**2 + (z systematic)**2)``. The one place that form lives (:func:`headline_interval`, the
    rigorous figure)."""
    from scipy import stats  # on use: scipy.stats costs a second of every CLI start

    z = float(stats.norm.ppf(0.5 + confidence / 2))
    if np.ndim(statistical_nats) == 0:  # the quoted numbers: math.hypot, as they were computed before this helper
        return math.hypot(float(statistical_nats), z * systematic_nats)
    return np.hypot(statistical_nats, z * systematic_nats)


@dataclass(frozen=True)
class HeadlineInterval:
    """The error bars quoted for a corrected MI (see :func:`headline_interval`; all in nats)."""

    ci_low_nats: float
    ci_high_nats: float
    pi_low_nats: float
    pi_high_nats: float
    shared_se_nats: float
    systematic_nats: float


def headline_interval(fit: ExtrapolationFit, alternatives: Any = (), confidence: float | None = None
                      ) -> HeadlineInterval:
    """Confidence and prediction intervals of ``fit``'s intercept that own up to shared and model error.

    The textbook t-interval of a WLS intercept (``fit.ci_*``) assumes independent members. In rigorous
    mode they are not: the chunks of every gamma partition one data set, so the mean over a gamma's
    members carries that data set's own sampling error, the same at every gamma, and it passes into the
    intercept unseen by the residuals. Its variance is at most that of one full-data member, which the fit
    measures (``scale_nats2``: residual variance of a weight-1 member, data and training noise together).
    And when the 1/N model is incomplete, intercepts fitted to different member MIs (training-subset
    and held-out) disagree. So, with t the Student quantile (df of the fit) and z the normal one at
    ``confidence``:

    - statistical variance ``se**2 + scale`` (``shared_se_nats = sqrt(scale)``);
    - systematic error ``systematic_nats``: the largest distance from the intercept to the intercepts
      of ``alternatives`` (fits of the other member MIs; those without a fit are skipped), taken as one
      more standard error and scaled by z so that it grows with the confidence level;
    - CI half-width ``sqrt((t sqrt(se**2 + scale))**2 + (z systematic)**2)`` (in quadrature);
    - PI (one new full-data member) half-width ``sqrt((t sqrt(se**2 + 2 scale))**2 + (z systematic)**2)``,
      never narrower than the CI.

    History: before issue 13 the systematic part was added in quadrature. On the accuracy suite at N = 5000
    of that time it covered 64 % of (task, data set) pairs and missed five times with no flag fired, so it
    was added linearly instead (72 %). With the flags and defaults of issue 20, the linear form covered 83 %
    of the 168 rows with MI > 0 of the whole accuracy table (the goal for a 68 % interval: 62-80 %), with the
    bulk of the rows at a third of their half-width; in quadrature it covers 79 %, and every row more than
    10 % off that a flag caught is still caught (``benchmarks/DIAGNOSIS.md`` sections 16 and 33). On N = 5000
    data sets 3 and 4, run after the choice (56 rows with MI > 0), it covered 82 %; on all 224 rows, 80 %
    (section 35).

    All NaN when ``fit`` has no fit.

    Examples
    --------
    >>> g = np.repeat(np.arange(1, 7), np.arange(1, 7)).astype(float)
    >>> noise = np.tile([0.01, -0.01], 11)[: g.size]
    >>> fit = fit_extrapolation(g, 1.0 + 0.02 * g + noise)
    >>> other = fit_extrapolation(g, 0.9 + 0.02 * g + noise)
    >>> h = headline_interval(fit, [other])
    >>> round(h.systematic_nats, 6), h.ci_high_nats - h.ci_low_nats > 0.19, h.pi_high_nats > h.ci_high_nats
    (0.1, True, True)
    """
    conf = fit.confidence if confidence is None else check_float("confidence", confidence, 0.0, 1.0,
                                                                   low_open=True, high_open=True)
    nan = float("nan")
    if not fit.fitted or fit.df < 1:
        return HeadlineInterval(nan, nan, nan, nan, nan, nan)
    others = [f.intercept_nats for f in alternatives if f.fitted]
    syst = max((abs(fit.intercept_nats - v) for v in others), default=0.0)
    from scipy import stats  # on use: scipy.stats costs a second of every CLI start

    t = float(stats.t.ppf(0.5 + conf / 2, fit.df))
    scale = max(fit.scale_nats2, 0.0)
    ci = quoted_half_width(t * math.sqrt(fit.se_nats**2 + scale), syst, conf)
    pi = quoted_half_width(t * math.sqrt(fit.se_nats**2 + 2 * scale), syst, conf)
    a = fit.intercept_nats
    return HeadlineInterval(a - ci, a + ci, a - pi, a + pi, math.sqrt(scale), syst)
