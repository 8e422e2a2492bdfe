"""Reports of the workflow: a self-contained HTML page and a ``summary.json`` per session, and an
archive-wide ``summary.csv`` + ``summary.html``.

Pure Python on top of the gathered result records (the JSON written by ``neuralmi gather``); no
Snakemake import. MI is reported in the unit asked for (``bits`` by default, or ``nats``) and every
field name states it (``mi_bits``, ``ci_low_bits``, ...).
"""

from .archive import archive_rows, write_archive_summary
from .records import dimensionality_row, rigorous_row, to_unit
from .session import build_session_report, write_session_report

__all__ = [
    "archive_rows",
    "build_session_report",
    "dimensionality_row",
    "rigorous_row",
    "to_unit",
    "write_archive_summary",
    "write_session_report",
]
