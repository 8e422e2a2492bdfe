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
        values = [float(null.min()), float(null.max())]
        if math.isfinite(res.observed_mi_nats):
            values.append(float(conv(res.observed_mi_nats)))
        lo, hi = min(values), max(values)
        degenerate = float(null.max() - null.min()) < 1e-9
        if hi - lo < 1e-9:  # a degenerate null (every surrogate, and the observed MI, at one value)
            pad = max(1e-3, 0.1 * abs(hi))
            lo, hi = lo - pad, hi + pad
        else:
            pad = 0.05 * (hi - lo)
            lo, hi = lo - pad, hi + pad
        ax.hist(null, bins=min(30, max(5, null.size // 4)), range=(lo, hi) if degenerate else None,
                color="C7", alpha=0.7, label=f"null: {res.n_surrogates} {res.method} surrogates")
        if degenerate:
            ax.annotate(f"all {null.size} surrogates at {float(null[0]):.3g} {unit}", xy=(float(null[0]), null.size),
                        xytext=(0, 4), textcoords="offset points", ha="center", fontsize=8, color="0.3")
        ax.set_xlim(lo, hi)
        ax.axvline(float(conv(res.null_quantiles_nats.get("0.95", float("nan")))), color="C7", ls=":",
                   label="null 95th percentile")
    if math.isfinite(res.observed_mi_nats):
        obs = float(conv(res.observed_mi_nats))
        ax.axvline(obs, color="C3", lw=2, label=f"observed {obs:.3f} {unit} ({res.p_text})")
    ax.set_xlabel(f"held-out MI ({unit})")
    ax.set_ylabel("surrogates")
    ax.set_title(f"observed MI against surrogates that keep each signal's autocorrelation "
                 f"({res.settings.get('estimator', '?')})", fontsize=10)
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=3, frameon=False)
    return fig

