"""The figure of rigorous mode: members against gamma with the 1/N fit and its intervals (behind ``.plot()`` and the reports)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from ...results import member_mi
from ..extrapolation import quoted_half_width
from ..plotting import axes, legend_below, short_count, unit_converter

if TYPE_CHECKING:  # pragma: no cover
    from .result import RigorousResult


def plot_rigorous(res: RigorousResult, ax: Any = None, unit: str = "bits") -> Any:
    """MI of every member against gamma, the 1/N fit, the quoted CI and the fit-only CI (see module doc).

    The x axis is gamma, the number of chunks the data were split into: each chunk holds N = n / gamma
    samples, so the position is proportional to 1/N and gamma = 0 is infinite data, where the fit's
    intercept is the corrected MI. The top axis gives N.
    """
    from scipy import stats

    fig, ax = axes(ax)
    conv = unit_converter(unit)
    n = float(res.data.get("n_samples") or 1)
    fit = res.fit
    used = set(res.gammas_used)
    g = np.array([m.gamma for m in res.members], dtype=float)
    jitter = (np.array([m.chunk for m in res.members], dtype=float) % 7 - 3) * 0.025
    inside = np.array([m.gamma in used or not used for m in res.members])
    mi = conv([member_mi(m, res.extrapolate) for m in res.members])
    what = {"average": "mean of training-subset and held-out MI", "train": "training-subset MI",
            "test": "held-out MI"}[res.extrapolate]
    ax.scatter(g[inside] + jitter[inside], mi[inside], s=12, alpha=0.45, color="C0", linewidths=0,
               label=f"one network per chunk ({what})")
    if (~inside).any():
        ax.scatter(g[~inside] + jitter[~inside], mi[~inside], s=14, facecolors="none", edgecolors="0.5",
                   label="outside the linear region (not fitted)")
    if res.extrapolate != "test":
        ax.scatter(g + jitter, conv([m.mi_test_nats for m in res.members]), s=10, alpha=0.35, color="0.45",
                   marker="x", linewidths=0.8, label="held-out MI of each network")
    pg = [r for r in res.per_gamma if math.isfinite(r["mean_nats"])]
    if pg:
        ax.errorbar([r["gamma"] for r in pg], conv([r["mean_nats"] for r in pg]),
                    yerr=conv([r["std_nats"] if math.isfinite(r["std_nats"]) else 0.0 for r in pg]),
                    fmt="o", ms=5, color="C0", capsize=3, label="mean ± sd at each gamma")
    if fit.fitted:
        grid = np.linspace(0.0, float(max(fit.gammas_used)), 60)
        line, lo, hi = fit.band(grid, "ci")
        # the quoted interval along the line: the fit's band widened by the shared data-set noise and the
        # systematic error exactly as the headline interval at gamma = 0 (extrapolation.headline_interval)
        t = float(stats.t.ppf(0.5 + res.confidence / 2, fit.df)) if fit.df > 0 else float("nan")
        half_fit = (hi - lo) / 2
        half = quoted_half_width(np.sqrt(half_fit**2 + t**2 * max(fit.scale_nats2, 0.0)), res.systematic_nats,
                                 res.confidence)
        ax.fill_between(grid, conv(line - half), conv(line + half), color="C3", alpha=0.15, linewidth=0,
                        label=f"{res.confidence:.0%} CI, quoted (fit + shared noise + systematic)")
        ax.plot(grid, conv(lo), color="C3", ls=":", lw=1, label=f"{res.confidence:.0%} CI of the fit alone "
                "(too narrow)")
        ax.plot(grid, conv(hi), color="C3", ls=":", lw=1)
        ax.plot(grid, conv(line), color="C3", lw=1.5, label="weighted linear fit in 1/N")
        mi0 = float(conv(res.mi_nats))
        err = [[mi0 - float(conv(res.ci_low_nats))], [float(conv(res.ci_high_nats)) - mi0]]
        ax.errorbar([0.0], [mi0], yerr=err, fmt="s", ms=7, color="C3", capsize=5, lw=2, zorder=6,
                    label=f"corrected MI {mi0:.3f} {unit} [{float(conv(res.ci_low_nats)):.3f}, "
                          f"{float(conv(res.ci_high_nats)):.3f}]")
    if math.isfinite(res.naive_mi_nats):
        naive = float(conv(res.naive_mi_nats))
        ax.scatter([1.0], [naive], marker="D", s=40, color="k", zorder=7,
                   label=f"naive full-data estimate {naive:.3f} {unit}")
    ticks = [0, *res.gammas]
    ax.set_xticks(ticks, ["0\n(∞ data)", *[str(v) for v in res.gammas]])
    ax.set_xlim(-0.4, max(res.gammas or (1,)) + 0.4)
    ax.set_xlabel("gamma: the data split into gamma chunks (position ∝ 1/N)")
    top = ax.secondary_xaxis("top")
    top.set_xticks(ticks, ["", *[short_count(n / v) for v in res.gammas]])
    top.tick_params(labelsize=8, length=2)
    top.set_xlabel("N = samples per chunk", fontsize=8)
    ax.set_ylabel(f"MI ({unit})")
    lo_y, hi_y = ax.get_ylim()
    if lo_y < 0.0 < hi_y:
        ax.axhline(0.0, color="0.75", lw=0.8, zorder=0)
    title = f"bias-corrected MI ({res.settings.get('estimator', '?')}, {len(res.members)} networks)"
    if not res.reliable:
        title += "\nfit unreliable: " + (", ".join(res.flags) or res.fit_reason)
    ax.set_title(title, fontsize=10)
    legend_below(ax, first=("corrected", "naive", "weighted", "mean"))
    return fig
