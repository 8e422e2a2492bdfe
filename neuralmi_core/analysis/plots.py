"""Figures of the analysis results: the one drawing code behind ``RigorousResult.plot()``,
``DimensionalityResult.plot()`` and the workflow's reports (matplotlib; works under the Agg backend).

Each function draws on ``ax`` when given, else on a new plain :class:`matplotlib.figure.Figure`
(constrained layout, legend outside the axes so it covers no data), and returns the Figure.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from ..results import member_mi
from .saturation import HEADLINE_STRICTNESS

if TYPE_CHECKING:  # pragma: no cover
    from .contributions import ContributionsResult
    from .dimensionality import DimensionalityResult
    from .lag import LagSweepResult
    from .rigorous import RigorousResult
    from .significance import SignificanceResult

FIGSIZE = (8.0, 5.2)  # inches; 880 px wide at the reports' 110 dpi


def _axes(ax: Any) -> tuple[Any, Any]:
    if ax is not None:
        return ax.figure, ax
    import matplotlib.figure

    fig = matplotlib.figure.Figure(figsize=FIGSIZE, layout="constrained")
    return fig, fig.add_subplot()


def _converter(unit: str):
    if unit not in ("bits", "nats"):
        from ..validation import NeuralMIError

        raise NeuralMIError(f"`unit` must be 'bits' or 'nats'. Got {unit!r}.")
    return (lambda v: np.asarray(v, dtype=float) / math.log(2)) if unit == "bits" else (
        lambda v: np.asarray(v, dtype=float))


def _legend(ax: Any, first: tuple[str, ...] = (), below: float = 0.2) -> None:
    """Legend below the axes (it covers no data); entries starting with ``first`` come first."""
    handles, labels = ax.get_legend_handles_labels()
    rank = [next((i for i, p in enumerate(first) if lab.startswith(p)), len(first)) for lab in labels]
    order = sorted(range(len(labels)), key=lambda i: (rank[i], i))
    ax.legend([handles[i] for i in order], [labels[i] for i in order], loc="upper center",
              bbox_to_anchor=(0.5, -below), ncol=2, fontsize=8, frameon=False)


def _short_count(n: float) -> str:
    if n >= 10_000:
        return f"{n / 1000:.0f}k"
    if n >= 1000:
        return f"{n / 1000:.1f}k"
    return f"{n:.0f}"


def plot_rigorous(res: RigorousResult, ax: Any = None, unit: str = "bits") -> Any:
    """MI of every member against gamma, the 1/N fit, the quoted CI and the fit-only CI (see module doc).

    The x axis is gamma, the number of chunks the data were split into: each chunk holds N = n / gamma
    samples, so the position is proportional to 1/N and gamma = 0 is infinite data, where the fit's
    intercept is the corrected MI. The top axis gives N.
    """
    from scipy import stats

    fig, ax = _axes(ax)
    conv = _converter(unit)
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
        z = float(stats.norm.ppf(0.5 + res.confidence / 2))
        half_fit = (hi - lo) / 2
        half = np.sqrt(half_fit**2 + t**2 * max(fit.scale_nats2, 0.0)) + z * res.systematic_nats
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
    top.set_xticks(ticks, ["", *[_short_count(n / v) for v in res.gammas]])
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
    _legend(ax, first=("corrected", "naive", "weighted", "mean"))
    return fig


def plot_dimensionality(res: DimensionalityResult, ax: Any = None, unit: str = "bits") -> Any:
    """MI against embedding dim: members, mean ± sd, and the saturation dim of every strictness (or why
    there is none)."""
    fig, ax = _axes(ax)
    conv = _converter(unit)
    dims = [r["embedding_dim"] for r in res.curve]
    what = ("MI between two random halves of X's channels" if res.target == "internal"
            else "MI between X and Y")
    ax.scatter([m.embedding_dim for m in res.members], conv([m.mi_test_nats for m in res.members]), s=12,
               alpha=0.4, color="C0", linewidths=0, label="one network (held-out MI)")
    ax.errorbar(dims, conv([r["mean_nats"] for r in res.curve]),
                yerr=conv([r["std_nats"] if math.isfinite(r["std_nats"]) else 0.0 for r in res.curve]),
                fmt="o-", ms=5, color="C0", capsize=3, label="mean ± sd over halvings and seeds")
    styles = ["--", "-.", ":", (0, (5, 1, 1, 1))]
    by_dim: dict[int, list[str]] = {}
    for s, d in res.saturation.items():
        if d is None:
            ax.plot([], [], " ", label=f"saturation dim, s = {s}: none (MI still rising at dim "
                                       f"{dims[-1] if dims else '?'})")
        else:
            by_dim.setdefault(int(d), []).append(s)
    for i, (d, keys) in enumerate(sorted(by_dim.items())):
        headline = HEADLINE_STRICTNESS in keys
        ax.axvline(d, color=f"C{i + 1}", ls=styles[i % len(styles)], lw=2.2 if headline else 1.2,
                   label=f"saturation dim, s = {', '.join(keys)}" + (" (headline s = 1)" if headline else "") + f": {d}")
    if dims:
        ax.set_xscale("log", base=2)
        ax.set_xticks(dims, [str(d) for d in dims])
        ax.minorticks_off()
        ax.set_xlim(dims[0] / 1.25, dims[-1] * 1.25)
    ax.set_xlabel("embedding dim of the separable critic (log scale)")
    ax.set_ylabel(f"MI ({unit})")
    ax.set_title(f"{what} ({res.settings.get('estimator', '?')})", fontsize=10)
    _legend(ax, first=("mean", "saturation"), below=0.13)
    return fig


__all__ = ["plot_dimensionality", "plot_rigorous"]


def plot_lag_sweep(res: LagSweepResult, ax: Any = None, unit: str = "bits") -> Any:
    """Corrected MI against lag with its CI band, the naive MI, the peak lag and its confidence range."""
    fig, ax = _axes(ax)
    conv = _converter(unit)
    seconds = res.bin_width_s is not None
    lag = np.array(res.lags_s if seconds else res.lags_bins, dtype=float)
    mi = conv([r["mi_nats"] for r in res.curve])
    conf = res.fit_settings.get("confidence", 0.68)
    ax.fill_between(lag, conv([r["ci_low_nats"] for r in res.curve]), conv([r["ci_high_nats"] for r in res.curve]),
                    color="C0", alpha=0.25, label=f"{conf:.0%} CI of the corrected MI")
    ax.plot(lag, mi, "o-", color="C0", ms=4, label="corrected MI")
    ax.plot(lag, conv([r["naive_mi_nats"] for r in res.curve]), "x", color="C7", ms=5, label="naive (held-out)")
    if res.peak_lag_bins is not None:
        r = res.peak_range_s if seconds else res.peak_range_bins
        half = 0.5 * float(np.min(np.diff(lag))) if lag.size > 1 else 0.5  # shade whole lag steps
        ax.axvspan(r[0] - half, r[1] + half, color="C3", alpha=0.1, label="peak confidence range")
        ax.axvline(res.peak_lag_s if seconds else res.peak_lag_bins, color="C3", ls="--", lw=1, label="peak lag")
    ax.axhline(0, color="k", lw=0.5)
    ax.set_xlabel(f"lag ({'s' if seconds else 'bins'}): X at t, Y at t + lag; negative: Y leads")
    ax.set_ylabel(f"MI ({unit})")
    ax.set_title(f"corrected MI against lag ({res.settings.get('estimator', '?')}, {len(res.members)} networks)",
                 fontsize=10)
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=3, frameon=False)
    return fig


def plot_significance(res: SignificanceResult, ax: Any = None, unit: str = "bits") -> Any:
    """Histogram of the surrogates' MI with its 95th percentile and the observed MI marked."""
    fig, ax = _axes(ax)
    conv = _converter(unit)
    null = conv([v for v in res.null_nats if math.isfinite(v)])
    if null.size:
        ax.hist(null, bins=min(30, max(5, null.size // 4)), color="C7", alpha=0.7,
                label=f"null: {res.n_surrogates} {res.method} surrogates")
        ax.axvline(float(conv(res.null_quantiles_nats.get("0.95", float("nan")))), color="C7", ls=":",
                   label="null 95th percentile")
    if math.isfinite(res.observed_mi_nats):
        obs = float(conv(res.observed_mi_nats))
        ax.axvline(obs, color="C3", lw=2, label=f"observed {obs:.3f} {unit} (p = {res.p_value:.3g})")
    ax.set_xlabel(f"held-out MI ({unit})")
    ax.set_ylabel("surrogates")
    ax.set_title(f"observed MI against surrogates that keep each signal's autocorrelation "
                 f"({res.settings.get('estimator', '?')})", fontsize=10)
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=3, frameon=False)
    return fig


def plot_contributions(res: ContributionsResult, ax: Any = None, unit: str = "bits", max_groups: int = 30) -> Any:
    """Sorted horizontal bars: MI lost without each group (± sd over seeds), and each group's MI alone."""
    rows = [r for r in res.groups if math.isfinite(r["drop_nats"])][:max_groups]
    if ax is None:
        import matplotlib.figure

        fig = matplotlib.figure.Figure(figsize=(FIGSIZE[0], max(3.0, 0.3 * len(rows) + 1.8)), layout="constrained")
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    conv = _converter(unit)
    pos = np.arange(len(rows))[::-1]
    sd = [r["drop_sd_nats"] if math.isfinite(r["drop_sd_nats"]) else 0.0 for r in rows]
    ax.barh(pos + 0.2, conv([r["drop_nats"] for r in rows]), height=0.4, color="C0", xerr=conv(sd),
            label="MI lost without the group (full - without), ± sd over seeds")
    ax.barh(pos - 0.2, conv([r["alone_mi_nats"] for r in rows]), height=0.4, color="C1", alpha=0.7,
            label="MI of the group alone")
    ax.set_yticks(pos, [r["group"] for r in rows], fontsize=8)
    ax.axvline(0, color="k", lw=0.5)
    ax.set_xlabel(f"MI ({unit}); the full population carries {float(conv(res.full_mi_nats)):.3f} {unit}")
    shown = f"the {len(rows)} largest of {len(res.groups)} groups" if len(rows) < len(res.groups) else "every group"
    ax.set_title(f"contributions by {res.group_by}, {shown} (not additive: redundancy and synergy)", fontsize=10)
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, frameon=False)
    return fig
