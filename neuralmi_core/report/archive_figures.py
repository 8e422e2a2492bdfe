"""Archive-level figures: a forest plot of every session's corrected MI with its CI, and the saturation
dim of every session, per analysis, grouped by subject (matplotlib, PNG bytes).

Rows flagged with warnings are drawn in orange, rows without signal in red, so a lab sees at a glance
which sessions to trust. Row heights shrink for large archives (the page's table holds every number).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .figures import png_bytes
from .records import finite

OK, FLAGGED, NO_SIGNAL = "#1f5fa8", "#e07b00", "#c62828"
MAX_HEIGHT_IN = 40.0


def ordered(rows: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Rows grouped by subject (sessions without one last), then by session id."""
    return sorted(rows, key=lambda r: (r.get("subject") is None, str(r.get("subject") or ""), str(r["session"])))


def _color(r: Mapping[str, Any]) -> str:
    return NO_SIGNAL if r.get("no_signal") else (FLAGGED if r.get("n_warnings") else OK)


def _frame(n: int) -> tuple[Any, Any, float]:
    import matplotlib.figure

    row_in = min(0.3, max(0.06, (MAX_HEIGHT_IN - 1.6) / max(n, 1)))
    fig = matplotlib.figure.Figure(figsize=(8.0, 1.6 + row_in * n), layout="constrained")
    return fig, fig.add_subplot(), row_in


def _labels(ax: Any, rows: Sequence[Mapping[str, Any]], row_in: float) -> None:
    ys = list(range(len(rows)))
    if row_in >= 0.12:
        ax.set_yticks(ys, [str(r["session"]) for r in rows], fontsize=max(5.0, min(9.0, row_in * 32)))
        for tick, r in zip(ax.get_yticklabels(), rows, strict=True):
            tick.set_color(_color(r) if _color(r) != OK else "black")
            tick.set_parse_math(False)
    else:
        ax.set_yticks([])
        ax.set_ylabel(f"{len(rows)} sessions (see the table below)")
    ax.set_ylim(len(rows) - 0.5, -0.5)
    # subject groups: a thin line between subjects and the subject's name at the right edge
    start = 0
    for i in range(1, len(rows) + 1):
        if i == len(rows) or rows[i].get("subject") != rows[start].get("subject"):
            if i < len(rows):
                ax.axhline(i - 0.5, color="0.8", lw=0.8)
            subject = rows[start].get("subject")
            if subject is not None and row_in * (i - start) >= 0.12:
                ax.annotate(f"sub-{subject}", xy=(1.0, (start + i - 1) / 2), xycoords=("axes fraction", "data"),
                            xytext=(4, 0), textcoords="offset points", va="center", fontsize=8, color="0.35",
                            parse_math=False)  # text from the NWB file: never mathtext
            start = i


def forest_png(rows: Sequence[Mapping[str, Any]], unit: str, analysis: str) -> bytes:
    """Corrected MI ± its quoted CI per session (rigorous rows of one analysis); naive estimate hollow."""
    rows = ordered(rows)
    fig, ax, row_in = _frame(len(rows))
    for i, r in enumerate(rows):
        mi, lo, hi = (r.get(f"{k}_{unit}") for k in ("mi", "ci_low", "ci_high"))
        color = _color(r)
        if finite(mi):
            err = [[mi - lo], [hi - mi]] if finite(lo) and finite(hi) else None
            ax.errorbar([mi], [i], xerr=err, fmt="s", ms=max(2.5, min(6.0, row_in * 20)), color=color, capsize=2,
                        lw=1.4)
        else:
            ax.annotate("no fit", xy=(0, i), va="center", fontsize=7, color=color)
        naive = r.get(f"naive_mi_{unit}")
        if finite(naive):
            ax.plot([naive], [i], "D", mfc="none", mec="0.45", ms=max(2.0, min(5.0, row_in * 16)))
    ax.axvline(0.0, color="0.6", lw=0.8)
    conf = next((r.get("confidence") for r in rows if finite(r.get("confidence"))), None)
    ax.set_xlabel(f"corrected MI ({unit}); bars: {conf:.0%} CI" if conf else f"corrected MI ({unit})")
    ax.set_title(f"{analysis}: corrected MI per session (◇ naive estimate; orange: warnings; red: no signal)",
                 fontsize=9)
    _labels(ax, rows, row_in)
    ax.grid(axis="x", color="0.92")
    return png_bytes(fig)


def saturation_png(rows: Sequence[Mapping[str, Any]], analysis: str) -> bytes:
    """Headline saturation dim (s = 1) per session, with the s = 0.1 .. 15 range; ▷ when never saturated."""
    rows = ordered(rows)
    fig, ax, row_in = _frame(len(rows))
    top = max([max(r.get("embedding_dims") or [1]) for r in rows] or [1])
    for i, r in enumerate(rows):
        color = _color(r)
        dims = [v for k, v in r.items() if k.startswith("saturation_dim_s")]
        found = [v for v in dims if v is not None]
        right = max(found) if len(found) == len(dims) else max(r.get("embedding_dims") or [top])
        if dims:
            ax.plot([min(found or [right]), right], [i, i], color=color, lw=1.2, alpha=0.6,
                    ls="-" if len(found) == len(dims) else (0, (4, 2)))
        d = r.get("saturation_dim")
        ms = max(2.5, min(6.0, row_in * 20))
        if d is not None:
            ax.plot([d], [i], "o", color=color, ms=ms)
        else:
            ax.plot([max(r.get("embedding_dims") or [top])], [i], ">", color=color, ms=ms)
    ax.set_xscale("log", base=2)
    ticks = sorted({d for r in rows for d in (r.get("embedding_dims") or [])})
    if ticks:
        ax.set_xticks(ticks, [str(t) for t in ticks])
        ax.minorticks_off()
        ax.set_xlim(ticks[0] / 1.3, ticks[-1] * 1.3)
    ax.set_xlabel("saturation dim (log scale): ● at s = 1, line from s = 15 to s = 0.1")
    ax.set_title(f"{analysis}: latent dimensionality per session (orange: warnings; red: no signal)", fontsize=9)
    _labels(ax, rows, row_in)
    ax.grid(axis="x", color="0.92")
    return png_bytes(fig)


__all__ = ["forest_png", "ordered", "saturation_png"]
