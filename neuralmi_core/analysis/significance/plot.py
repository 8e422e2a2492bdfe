"""The figure of shuffle significance: the null histogram with the observed MI (behind ``.plot()`` and the reports)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from ..plotting import axes, unit_converter

if TYPE_CHECKING:  # pragma: no cover
    from .result import SignificanceResult


def plot_significance(res: SignificanceResult, ax: Any = None, unit: str = "bits") -> Any:
    """Histogram of the surrogates' MI with its 95th percentile and the observed MI marked."""
    fig, ax = axes(ax)
    conv = unit_converter(unit)
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

