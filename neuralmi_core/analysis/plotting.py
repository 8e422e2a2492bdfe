"""What every analysis's figure shares: the figure size, a new figure or the caller's axes, the unit
conversion and a legend that covers no data. Each analysis draws its own figure in its package's
``plot`` module, behind ``Result.plot()`` and the workflow's reports (matplotlib; works under Agg).

Each plot function draws on ``ax`` when given, else on a new plain :class:`matplotlib.figure.Figure`
(constrained layout, legend outside the axes so it covers no data), and returns the Figure.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

FIGSIZE = (8.0, 5.2)  # inches; 880 px wide at the reports' 110 dpi


def axes(ax: Any) -> tuple[Any, Any]:
    if ax is not None:
        return ax.figure, ax
    import matplotlib.figure

    fig = matplotlib.figure.Figure(figsize=FIGSIZE, layout="constrained")
    return fig, fig.add_subplot()


def unit_converter(unit: str):
    if unit not in ("bits", "nats"):
        from ..validation import NeuralMIError

        raise NeuralMIError(f"`unit` must be 'bits' or 'nats'. Got {unit!r}.")
    return (lambda v: np.asarray(v, dtype=float) / math.log(2)) if unit == "bits" else (
        lambda v: np.asarray(v, dtype=float))


def legend_below(ax: Any, first: tuple[str, ...] = (), below: float = 0.2) -> None:
    """Legend below the axes (it covers no data); entries starting with ``first`` come first."""
    handles, labels = ax.get_legend_handles_labels()
    rank = [next((i for i, p in enumerate(first) if lab.startswith(p)), len(first)) for lab in labels]
    order = sorted(range(len(labels)), key=lambda i: (rank[i], i))
    ax.legend([handles[i] for i in order], [labels[i] for i in order], loc="upper center",
              bbox_to_anchor=(0.5, -below), ncol=2, fontsize=8, frameon=False)


def short_count(n: float) -> str:
    if n >= 10_000:
        return f"{n / 1000:.0f}k"
    if n >= 1000:
        return f"{n / 1000:.1f}k"
    return f"{n:.0f}"

