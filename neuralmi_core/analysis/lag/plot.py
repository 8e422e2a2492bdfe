"""The figure of a lag sweep: corrected MI against lag with its CI band and the peak (behind ``.plot()`` and the reports)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..plotting import axes, unit_converter

if TYPE_CHECKING:  # pragma: no cover
    from .result import LagSweepResult


def plot_lag_sweep(res: LagSweepResult, ax: Any = None, unit: str = "bits") -> Any:
    """Corrected MI against lag with its CI band, the naive MI, the peak lag and its confidence range."""
    fig, ax = axes(ax)
    conv = unit_converter(unit)
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

