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


__all__ = ["DPI", "png_bytes", "result_png"]
