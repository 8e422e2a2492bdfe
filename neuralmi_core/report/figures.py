"""Report figures drawn from gathered records (matplotlib, Agg; returned as PNG bytes)."""

from __future__ import annotations

import io
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..results import member_mi
from .records import finite, to_unit


def _figure(width: float = 6.0, height: float = 4.0):
    import matplotlib.figure

    fig = matplotlib.figure.Figure(figsize=(width, height), layout="constrained")
    return fig, fig.add_subplot()


def png_bytes(fig: Any, dpi: int = 100) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def _band(fit: Mapping[str, Any], grid: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Fit line and confidence band (nats) at ``grid`` from a stored fit's parameter covariance."""
    from scipy import stats

    a, b, df, conf = (fit.get(k) for k in ("intercept_nats", "slope_nats", "df", "confidence"))
    cov = fit.get("cov_params")
    if not (finite(a) and finite(b) and finite(df) and df > 0 and finite(conf) and cov):
        return None
    c = np.asarray([[np.nan if v is None else v for v in row] for row in cov], dtype=float)
    line = a + b * grid
    var = c[0, 0] + 2 * c[0, 1] * grid + c[1, 1] * grid**2
    half = stats.t.ppf(0.5 + conf / 2, df) * np.sqrt(np.maximum(var, 0.0))
    return line, line - half, line + half


def rigorous_figure(record: Mapping[str, Any], unit: str = "bits", title: str = "") -> Any:
    """MI against 1/N (N: samples per chunk, ``gamma / n_samples``): members, per-gamma means, fit, CI."""
    fig, ax = _figure()
    n = float((record.get("data") or {}).get("n_samples") or 1)
    extrapolate = record.get("extrapolate") or "train"
    members = record.get("members") or []
    g = np.array([m["gamma"] for m in members], dtype=float)
    if members:
        ax.scatter(g / n, [to_unit(member_mi(m, extrapolate), unit) for m in members], s=12, alpha=0.5,
                   color="C0", label=f"members ({extrapolate} MI)")
        if extrapolate != "test":
            ax.scatter(g / n, [to_unit(m.get("mi_test_nats"), unit) for m in members], s=10, alpha=0.4,
                       color="C7", marker="x", label="members (held-out MI)")
    pg = record.get("per_gamma") or []
    if pg:
        ax.errorbar([r["gamma"] / n for r in pg], [to_unit(r.get("mean_nats"), unit) for r in pg],
                    yerr=[to_unit(r.get("std_nats"), unit) if finite(r.get("std_nats")) else 0 for r in pg],
                    fmt="o", color="C0", capsize=3, label="per-gamma mean ± sd")
    fit = (record.get("fits") or {}).get(extrapolate) or {}
    used = fit.get("gammas_used") or record.get("gammas_used") or []
    if used:
        grid = np.linspace(0.0, float(max(used)), 50)
        band = _band(fit, grid)
        if band is not None:
            line, lo, hi = band
            conv = (lambda v: v / math.log(2)) if unit == "bits" else (lambda v: v)
            ax.plot(grid / n, conv(line), color="C3", label="WLS fit")
            conf = record.get("confidence") or fit.get("confidence")
            ax.fill_between(grid / n, conv(lo), conv(hi), color="C3", alpha=0.2, label=f"{conf:.0%} CI of the fit")
    mi = to_unit(record.get("mi_nats"), unit)
    if finite(mi):
        lo, hi = to_unit(record.get("ci_low_nats"), unit), to_unit(record.get("ci_high_nats"), unit)
        yerr = [[mi - lo], [hi - mi]] if finite(lo) and finite(hi) else None
        ax.errorbar([0], [mi], yerr=yerr, fmt="s", color="C3", capsize=4, label=f"corrected {mi:.3f} {unit}")
    naive = to_unit(record.get("naive_mi_nats"), unit)
    if finite(naive):
        ax.scatter([1 / n], [naive], marker="D", color="k", zorder=5, label=f"naive {naive:.3f} {unit}")
    ax.set_xlabel("1 / N   (gamma / total samples)")
    ax.set_ylabel(f"MI ({unit})")
    reliable = record.get("reliable", False)
    ax.set_title((title + ": " if title else "") + "bias-corrected MI"
                 + ("" if reliable else " (fit unreliable)"), fontsize=9)
    ax.legend(fontsize=7)
    return fig


def dimensionality_figure(row: Mapping[str, Any], unit: str = "bits", title: str = "") -> Any:
    """Mean ± sd MI against embedding dim, with the saturation dims marked (from a dimensionality row)."""
    fig, ax = _figure()
    curve = row["curve"]
    d = [r["embedding_dim"] for r in curve]
    m = [r[f"mean_{unit}"] for r in curve]
    s = [r[f"std_{unit}"] if finite(r[f"std_{unit}"]) else 0.0 for r in curve]
    ax.errorbar(d, m, yerr=s, fmt="o-", color="C0", capsize=3, label=f"{row.get('of', '')} mean ± sd")
    styles = {"saturation_dim_s0.1": ("C2", ":"), "saturation_dim_s1": ("C3", "--"), "saturation_dim_s15": ("C1", "-.")}
    for key, (color, ls) in styles.items():
        v = row.get(key)
        if v is not None:
            ax.axvline(v, color=color, ls=ls, label=f"saturation (s={key.rsplit('_s', 1)[1]}): {v}")
    ax.set_xlabel("embedding dim")
    ax.set_ylabel(f"MI ({unit})")
    ax.set_title((title + ": " if title else "") + "dimensionality", fontsize=9)
    ax.legend(fontsize=7)
    return fig
