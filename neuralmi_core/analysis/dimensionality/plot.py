"""The figure of dimensionality mode: MI against embedding dim with the saturation dims (behind ``.plot()`` and the reports)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from ..plotting import axes, legend_below, unit_converter
from ..saturation import HEADLINE_STRICTNESS

if TYPE_CHECKING:  # pragma: no cover
    from .result import DimensionalityResult


def plot_dimensionality(res: DimensionalityResult, ax: Any = None, unit: str = "bits") -> Any:
    """MI against embedding dim: members, mean ± sd, and the saturation dim of every strictness (or why
    there is none)."""
    fig, ax = axes(ax)
    conv = unit_converter(unit)
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
    legend_below(ax, first=("mean", "saturation"), below=0.13)
    return fig

