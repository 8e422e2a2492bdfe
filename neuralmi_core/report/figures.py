"""Report figures: the result types' own ``plot()`` on a figure sized for the page, as PNG bytes.

There is one drawing code path (each analysis's `plot` module, e.g. :mod:`neuralmi_core.analysis.rigorous.plot`): a figure in a report is the figure
``result.plot()`` gives in a notebook.
"""

from __future__ import annotations

import io
from typing import Any

DPI = 110


def png_bytes(fig: Any, dpi: int = DPI) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def result_png(result: Any, unit: str = "bits") -> bytes:
    """``result.plot(unit=unit)`` rendered as PNG (a RigorousResult or DimensionalityResult)."""
    return png_bytes(result.plot(unit=unit))


def skipped_png(name: str, mode: str, reason: str) -> bytes:
    """A small figure saying that the analysis was skipped in this session, and why (the workflow names a
    figure per analysis and mode in every session, so a skipped one gets this instead of a plot)."""
    import textwrap

    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(6.4, 1.6))
    text = "\n".join(textwrap.wrap(f"{name} ({mode}) skipped: {reason}", 90)[:6])
    fig.text(0.02, 0.5, text, ha="left", va="center", fontsize=8, color="#3d444d")
    try:
        return png_bytes(fig)
    finally:
        plt.close(fig)


__all__ = ["DPI", "png_bytes", "result_png", "skipped_png"]
