"""The figure of contributions: per group, the MI lost without it and its MI alone (behind ``.plot()`` and the reports)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from ..plotting import FIGSIZE, unit_converter

if TYPE_CHECKING:  # pragma: no cover
    from .result import ContributionsResult


def plot_contributions(res: ContributionsResult, ax: Any = None, unit: str = "bits", max_groups: int = 30) -> Any:
    """Sorted horizontal bars: MI lost without each group (± sd over seeds), and each group's MI alone."""
    rows = [r for r in res.groups if math.isfinite(r["drop_nats"])][:max_groups]
    if ax is None:
        import matplotlib.figure

        fig = matplotlib.figure.Figure(figsize=(FIGSIZE[0], max(3.0, 0.3 * len(rows) + 1.8)), layout="constrained")
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    conv = unit_converter(unit)
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
