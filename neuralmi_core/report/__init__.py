"""Reports of the workflow: a self-contained HTML page and a ``summary.json`` per session, and an
archive-wide ``summary.csv`` + ``summary.html``.

Rendered from the library's result types (gathered JSON is read back with ``from_dict``; figures are the
results' own ``plot()``); no Snakemake import. MI is reported in the unit asked for (``bits`` by default, or ``nats``) and every
field name states it (``mi_bits``, ``ci_low_bits``, ...).
"""

from .archive import archive_rows, write_archive_summary
from .records import dimensionality_row, load_result, rigorous_row, to_unit
from .session import build_session_report, write_session_report

__all__ = [
    "archive_rows",
    "build_session_report",
    "dimensionality_row",
    "load_result",
    "rigorous_row",
    "to_unit",
    "write_archive_summary",
    "write_session_report",
]
