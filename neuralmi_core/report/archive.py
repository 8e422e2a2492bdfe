"""Archive-wide summary: one row per (session, analysis, mode) from the sessions' ``summary.json``.

``summary.csv`` columns (``<u>`` is the unit, bits or nats): session, analysis, mode, estimator, critic,
mi_<u>, ci_low_<u>, ci_high_<u>, pi_low_<u>, pi_high_<u>, naive_mi_<u>, confidence, reliable,
gammas_used, saturation_dim_s0.1, saturation_dim_s1, saturation_dim_s15, mi_max_<u>, n_samples,
n_members, n_warnings, warnings, config_hash, config_version, neuralmi_core_version, source_sha256.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..io.atomic import atomic_write_text
from ..validation import NeuralMIError
from . import html as H
from .records import check_unit


def columns(unit: str) -> list[str]:
    u = unit
    return ["session", "analysis", "mode", "estimator", "critic", f"mi_{u}", f"ci_low_{u}", f"ci_high_{u}",
            f"pi_low_{u}", f"pi_high_{u}", f"naive_mi_{u}", "confidence", "reliable", "gammas_used",
            "saturation_dim_s0.1", "saturation_dim_s1", "saturation_dim_s15", f"mi_max_{u}", "n_samples",
            "n_members", "n_warnings", "warnings", "config_hash", "config_version", "neuralmi_core_version",
            "source_sha256"]


def archive_rows(summaries: Sequence[Mapping[str, Any]], unit: str = "bits") -> list[dict[str, Any]]:
    """Flatten session summaries into archive rows (see module docstring); refuses mixed units."""
    check_unit(unit)
    rows = []
    for s in summaries:
        if s.get("unit") != unit:
            raise NeuralMIError(f"session {s.get('session')!r}: summary is in {s.get('unit')!r}, expected {unit!r} "
                                "(re-run its report with the same unit)")
        prov = s.get("provenance") or {}
        for a in s.get("analyses", []):
            row = {c: a.get(c) for c in columns(unit)}
            row.update(session=s["session"], n_warnings=len(a.get("warnings", [])),
                       warnings=" | ".join(a.get("warnings", [])),
                       gammas_used=" ".join(map(str, a.get("gammas_used") or [])) or None,
                       config_hash=prov.get("config_hash"), config_version=prov.get("config_version"),
                       neuralmi_core_version=(prov.get("versions") or {}).get("neuralmi_core"),
                       source_sha256=prov.get("source_sha256"))
            rows.append(row)
    return rows


def render_csv(rows: Sequence[Mapping[str, Any]], unit: str) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns(unit), lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: ("" if v is None else v) for k, v in r.items()})
    return buf.getvalue()


def render_html(rows: Sequence[Mapping[str, Any]], unit: str, report_links: Mapping[str, str]) -> str:
    sessions = sorted({r["session"] for r in rows})
    n_warn = sum(1 for r in rows if r["n_warnings"])
    links = "".join(f"<li><a href='{H.esc(report_links[s])}'>{H.esc(s)}</a></li>" for s in sessions
                    if s in report_links)
    cols = [c for c in columns(unit) if c not in ("warnings", "source_sha256", "neuralmi_core_version")]
    body = (f"<h1>neuralmi archive summary</h1><p>{len(sessions)} session(s), {len(rows)} result(s), MI in {unit}; "
            f"{n_warn} result(s) with warnings.</p>" + H.table(rows, cols)
            + "<h2>Warnings</h2>" + H.table([{"session": r["session"], "analysis": r["analysis"], "mode": r["mode"],
                                                "warnings": r["warnings"]} for r in rows if r["n_warnings"]])
            + (f"<h2>Session reports</h2><ul>{links}</ul>" if links else ""))
    return H.page("neuralmi archive summary", body)


def write_archive_summary(summary_paths: Sequence[str | os.PathLike], *, csv_out: str | os.PathLike,
                          html_out: str | os.PathLike, unit: str = "bits") -> list[dict[str, Any]]:
    """Read session ``summary.json`` files and write ``summary.csv`` and ``summary.html`` (atomically).

    The HTML links each session's ``report.html`` (next to its summary.json) relative to ``html_out``.
    """
    summaries = []
    links = {}
    for p in summary_paths:
        try:
            with open(p) as fh:
                s = json.load(fh)
        except (OSError, json.JSONDecodeError) as exc:
            raise NeuralMIError(f"cannot read session summary {p}: {exc}") from exc
        summaries.append(s)
        report = Path(p).with_name("report.html")
        links[s["session"]] = os.path.relpath(os.path.abspath(report), os.path.abspath(Path(html_out).parent))
    rows = archive_rows(summaries, unit)
    atomic_write_text(csv_out, render_csv(rows, unit))
    atomic_write_text(html_out, render_html(rows, unit, links))
    return rows
