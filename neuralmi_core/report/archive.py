"""Archive-wide summary: one row per (session, analysis, mode) from the sessions' ``summary.json``.

``summary.csv`` columns (``<u>`` is the unit, bits or nats): session, analysis, mode, estimator, critic,
mi_<u>, ci_low_<u>, ci_high_<u>, pi_low_<u>, pi_high_<u>, naive_mi_<u>, confidence, reliable,
gammas_used, saturation_dim_s0.1, saturation_dim_s1, saturation_dim_s15, mi_max_<u>, n_samples,
n_members, n_warnings, warnings, config_hash, config_version, neuralmi_core_version, source_sha256,
subject (the NWB subject id, else X of a sub-X file name), no_signal (true when X or Y, or the whole
session, has no signal: its numbers are noise), peak_lag_s and peak_mi_<u> (lag sweeps: the lag of the
largest corrected MI, seconds, and that MI), p_value and observed_mi_<u> (shuffle significance), top_groups
(contributions: the groups of the largest drop-one contributions, space-separated) and full_mi_<u> (the
whole population's MI); for transfer entropy mi/ci_low/ci_high are TE(X -> Y) at the peak delay and for
conditional MI they are I(X; Y | Z), then peak_range_low_s/peak_range_high_s (lag sweeps: the peak lag's confidence
range) and p_floor (significance: 1/(n_surrogates + 1), the smallest p its surrogates can give), source_file (the NWB file's own name), status (``ok``; ``failed`` for a session of the
config whose job failed, ``unfinished`` for one the run did not reach, e.g. after an interrupt: their other
columns are empty; ``skipped`` for an analysis with ``required: false`` whose signal the session lacks), error
(why it failed: the step and the line of its log) and skipped (why the analysis was skipped in that session:
the session, the selector and what its binned file holds; empty otherwise), genotype (the NWB subject's
genotype, empty when the file does not say: ``study: {group_by: genotype}`` groups by it). Text cells that begin with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return get a
leading ``'`` so that a spreadsheet shows them as text instead of running them as a formula (OWASP CSV
injection guidance); numbers are written as numbers. ``saturation_dim_s<s>``
is the saturation dim at strictness s (the library's ``saturation[s]``); s = 1 is the headline.

``summary.html`` is one self-contained file (inline CSS, JS and PNG figures; it works offline): the
results that need attention first, per analysis a forest plot of the corrected MI of every session with
its CI and a plot of the saturation dims, grouped by subject, then sortable, filterable tables (one per
mode) linking each session's report.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from markupsafe import Markup

from ..io.atomic import atomic_write_text
from ..validation import NeuralMIError
from . import html as H
from .archive_figures import forest_png, ordered, saturation_png
from .records import check_unit, group_warnings
from .study_page import load_study, study_section

MAX_LISTED = 20  # warnings listed at the top of summary.html; the table filter shows all

def columns(unit: str) -> list[str]:
    u = unit
    # new columns go at the end, so that scripts reading columns by position keep working
    return ["session", "analysis", "mode", "estimator", "critic", f"mi_{u}", f"ci_low_{u}", f"ci_high_{u}",
            f"pi_low_{u}", f"pi_high_{u}", f"naive_mi_{u}", "confidence", "reliable", "gammas_used",
            "saturation_dim_s0.1", "saturation_dim_s1", "saturation_dim_s15", f"mi_max_{u}", "n_samples",
            "n_members", "n_warnings", "warnings", "config_hash", "config_version", "neuralmi_core_version",
            "source_sha256", "subject", "no_signal", "peak_lag_s", f"peak_mi_{u}", "p_value", f"observed_mi_{u}",
            "top_groups", f"full_mi_{u}", "source_file", "status", "error", "peak_range_low_s", "peak_range_high_s",
            "p_floor", "skipped", "genotype"]


#: First characters a spreadsheet reads as the start of a formula (OWASP: CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """A value as written to summary.csv: None empty, text that a spreadsheet would run as a formula
    prefixed with ``'``, numbers and booleans unchanged."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _file_name(source: Any) -> str | None:
    return None if not source else str(source).replace("\\", "/").rsplit("/", 1)[-1]


def archive_rows(summaries: Sequence[Mapping[str, Any]], unit: str = "bits") -> list[dict[str, Any]]:
    """Flatten session summaries into archive rows (see module docstring); refuses mixed units.

    Session-level warnings (no spikes in the session) are added to each of its rows.
    """
    check_unit(unit)
    rows = []
    for s in summaries:
        if s.get("unit") != unit:
            raise NeuralMIError(f"session {s.get('session')!r}: summary is in {s.get('unit')!r}, expected {unit!r} "
                                "(re-run its report with the same unit)")
        prov = s.get("provenance") or {}
        session_level = list(s.get("session_warnings") or [])
        for a in s.get("analyses", []):
            warnings = session_level + list(a.get("warnings", []))
            row = {c: a.get(c) for c in columns(unit)}
            row.update({k: v for k, v in a.items() if k.startswith("saturation_dim") or k == "embedding_dims"})
            row.update(session=s["session"], subject=s.get("subject"), genotype=s.get("genotype"), n_warnings=len(warnings),
                       warnings=" | ".join(warnings),
                       no_signal=not a.get("skipped") and (bool(a.get("no_signal"))
                                                           or any("NO SIGNAL" in w for w in session_level)),
                       gammas_used=" ".join(map(str, a.get("gammas_used") or [])) or None,
                       top_groups=" ".join(a.get("top_groups") or []) or None,
                       config_hash=prov.get("config_hash"), config_version=prov.get("config_version"),
                       neuralmi_core_version=(prov.get("versions") or {}).get("neuralmi_core"),
                       source_sha256=prov.get("source_sha256"), source_file=_file_name(prov.get("source")),
                       status="skipped" if a.get("skipped") else "ok", error=None, skipped=a.get("skipped"))
            peak_range = a.get("peak_range_s") or [None, None]
            row.update(peak_range_low_s=peak_range[0], peak_range_high_s=peak_range[1], p_text=a.get("p_text"))
            rows.append(row)
    return rows


def failure_rows(failures: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One row per session of the config that did not finish (see :func:`write_archive_summary`)."""
    rows = []
    for f in failures:
        where = " ".join(str(x) for x in (f.get("step"), f.get("analysis"), f.get("mode")) if x)
        rows.append({"session": f["session"], "analysis": f.get("analysis"), "mode": f.get("mode"),
                     "source_file": _file_name(f.get("source")), "status": f.get("status") or "failed",
                     "error": f"{where}: {f.get('reason')}" if where else f.get("reason"), "step": f.get("step"),
                     "log": f.get("log"), "source": f.get("source"), "reason": f.get("reason")})
    return rows


def render_csv(rows: Sequence[Mapping[str, Any]], unit: str) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns(unit), lineterminator="\n", extrasaction="ignore")
    w.writeheader()
    for r in rows:
        w.writerow({k: csv_cell(v) for k, v in r.items()})
    return buf.getvalue()


def _row_class(r: Mapping[str, Any]) -> str:
    return "nosignal" if r.get("no_signal") else ("flag" if r.get("n_warnings") else "")


def _link(r: Mapping[str, Any], links: Mapping[str, str]) -> Markup:
    """The session id, linked to its report; the NWB file's own name below it when the id differs from the
    file's stem (a name made safe for paths). Markup: the values are escaped here, once."""
    href = links.get(r["session"])
    out = Markup("<a href='{}'>{}</a>").format(href, r["session"]) if href else Markup.escape(r["session"])
    name = r.get("source_file")
    if name and Path(name).stem != r["session"]:
        out += Markup("<br><span class='muted'>{}</span>").format(name)
    return out


def _flags(r: Mapping[str, Any]) -> Markup:
    """Short tags of a row (no signal, unreliable fit, not saturated, n warnings); the full warnings are in the
    cell too (hidden, but found by the filter and shown as a tooltip)."""
    tags = []
    if r.get("no_signal"):
        tags.append("<span class='bad'>no signal</span>")
    if r["mode"] == "rigorous" and r.get("reliable") is False:
        tags.append("<span class='bad'>unreliable fit</span>")
    if r["mode"] == "dimensionality" and r.get("saturation_dim") is None and not r.get("no_signal"):
        tags.append("<span class='caution'>not saturated</span>")
    if r["mode"] == "significance" and r.get("p_value") is not None and r.get("p_value") <= 0.05:
        tags.append("<span class='ok'>p &le; 0.05</span>")
    n = r.get("n_warnings") or 0
    if n:
        tags.append(f"<span class='caution'>{n} warning{'s' if n != 1 else ''}</span>")
    return Markup("<span title='{0}'>{1}</span><span hidden>{0}</span>").format(
        r.get("warnings") or "", Markup(", ".join(tags) or "<span class=ok>ok</span>"))


def _tables(rows: Sequence[Mapping[str, Any]], unit: str,
            links: Mapping[str, str]) -> list[tuple[str, list[dict[str, Any]], list[str]]]:
    """The tables of summary.html, one per mode that has rows: (title, rows, columns)."""
    u = unit
    rig, dim = [], []
    extra: dict[str, list[dict[str, Any]]] = {"lag_sweep": [], "significance": [], "contributions": [],
                                              "directed": []}
    for r in ordered(rows):
        base = {"session": _link(r, links), "_sort_session": r["session"], "subject": r.get("subject"),
                "analysis": r["analysis"], "flags": _flags(r), "_sort_flags": r.get("n_warnings") or 0,
                "no_signal": r.get("no_signal"), "n_warnings": r["n_warnings"]}
        if r["mode"] == "rigorous":
            rig.append({**base, f"MI ({u})": r.get(f"mi_{u}"), "CI low": r.get(f"ci_low_{u}"),
                        "CI high": r.get(f"ci_high_{u}"), f"naive ({u})": r.get(f"naive_mi_{u}"),
                        "reliable": r.get("reliable")})
        elif r["mode"] == "lag_sweep":
            rng = (r.get("peak_range_low_s"), r.get("peak_range_high_s"))
            extra["lag_sweep"].append({**base, "peak lag (s)": r.get("peak_lag_s"),
                                       "peak range (s)": None if rng[0] is None else f"{rng[0]:g} to {rng[1]:g}",
                                       f"peak MI ({u})": r.get(f"peak_mi_{u}")})
        elif r["mode"] in ("transfer_entropy", "conditional_mi"):
            extra["directed"].append({**base, "mode": r["mode"], f"value ({u})": r.get(f"mi_{u}"),
                                      "CI low": r.get(f"ci_low_{u}"), "CI high": r.get(f"ci_high_{u}")})
        elif r["mode"] == "significance":
            extra["significance"].append({**base, "p": r.get("p_text") or r.get("p_value"),
                                          "_sort_p": r.get("p_value"), f"observed ({u})": r.get(f"observed_mi_{u}")})
        elif r["mode"] == "contributions":
            extra["contributions"].append({**base, "top groups": r.get("top_groups"),
                                           f"full MI ({u})": r.get(f"full_mi_{u}")})
        elif r["mode"] == "dimensionality":
            top = max(r.get("embedding_dims") or [0])
            sat: dict[str, Any] = {}
            for k, v in r.items():
                if k.startswith("saturation_dim"):
                    col = "sat. dim (s=1)" if k == "saturation_dim" else f"sat. dim s={k[len('saturation_dim_s'):]}"
                    sat[col] = v if v is not None else f"> {top}"  # not saturated by the largest dim swept
                    sat["_sort_" + col] = v
            dim.append({**base, **sat, f"max MI ({u})": r.get(f"mi_max_{u}")})
    return [(title, table_rows, cols) for title, table_rows, cols in (
            ("Rigorous MI", rig, ["session", "subject", "analysis", f"MI ({u})", "CI low", "CI high", f"naive ({u})",
                                  "flags"]),
            ("Dimensionality", dim, ["session", "subject", "analysis", "sat. dim (s=1)",
                                     *sorted({k for r in dim for k in r if k.startswith("sat. dim s=")} -
                                             {"sat. dim s=1"}), f"max MI ({u})", "flags"]),
            ("Lag sweeps (peak lag: X at t, Y at t + lag)", extra["lag_sweep"],
             ["session", "subject", "analysis", "peak lag (s)", "peak range (s)", f"peak MI ({u})", "flags"]),
            ("Shuffle significance", extra["significance"],
             ["session", "subject", "analysis", "p", f"observed ({u})", "flags"]),
            ("Transfer entropy (at the peak delay) and conditional MI", extra["directed"],
             ["session", "subject", "analysis", "mode", f"value ({u})", "CI low", "CI high", "flags"]),
            ("Contributions (not additive)", extra["contributions"],
             ["session", "subject", "analysis", "top groups", f"full MI ({u})", "flags"])) if table_rows]


def _failed_rows(failed: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The table of the sessions that did not finish (listed first on summary.html)."""
    return [{"session": f["session"], "NWB file": f.get("source_file"), "status": f.get("status"),
             "step": f.get("step") or "", "analysis": " ".join(x for x in (f.get("analysis"), f.get("mode")) if x),
             "why (last error line of its log)": f.get("reason") or f.get("error"), "log": f.get("log") or ""}
            for f in failed]


def warning_groups(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """The lines of summary.html's warnings box (:func:`~.records.group_warnings` over the rows' warnings, each
    result named ``session · analysis (mode)``); a row's ``warnings`` is its " | "-joined text."""
    return group_warnings((f"{r['session']} · {r['analysis']} ({r['mode']})", w)
                          for r in rows for w in str(r.get("warnings") or "").split(" | "))


def no_signal_reason(r: Mapping[str, Any]) -> str:
    """Why a row is marked without signal, as measured: its constant-input or no-shared-information warning
    (the analysis's own words), never a guess about the whole session."""
    for w in str(r.get("warnings") or "").split(" | "):
        if "NO SIGNAL" in w or w.startswith("no shared information"):
            return w
    return "no signal"


def _skipped(skipped: Sequence[Mapping[str, Any]], rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Analyses skipped in sessions that lack their signal (``required: false``): the (session, analysis)
    pairs for a neutral box, and the analyses skipped in every session (likely a typo in the selector, or a
    signal the spec never bins) with the reason of the first, for an alert."""
    done = {(r["analysis"], r["mode"]) for r in rows if not r.get("skipped")}
    everywhere = sorted({(r["analysis"], r["mode"]) for r in skipped} - done)
    pairs = ordered(skipped)
    listed = [f"{r['session']} · {r['analysis']} ({r['mode']}): {r['skipped']}" for r in pairs[:MAX_LISTED]]
    listed += [f"… and {len(pairs) - MAX_LISTED} more (status 'skipped' in summary.csv)"] \
        if len(pairs) > MAX_LISTED else []
    return {"everywhere": [(a, m, next(r["skipped"] for r in skipped if (r["analysis"], r["mode"]) == (a, m)))
                           for a, m in everywhere], "skipped_listed": listed}


def render_html(rows: Sequence[Mapping[str, Any]], unit: str, report_links: Mapping[str, str],
                failed: Sequence[Mapping[str, Any]] = (), study: Any = None,
                networks: Mapping[str, Mapping[str, Any]] | None = None) -> str:
    """summary.html (the ``summary.html`` template) of the archive rows, linking each session's report; with
    ``study`` (the study.nc Dataset) a study section (:func:`~.study_page.study_section`; ``networks``: analysis
    name -> its ``pairs:`` declaration and values, from the session summaries)."""
    skipped = [r for r in rows if r.get("skipped")]
    all_rows, rows = rows, [r for r in rows if not r.get("skipped")]
    subjects = sorted({str(r["subject"]) for r in rows if r.get("subject") is not None})
    flagged = [r for r in rows if r["n_warnings"]]
    silent = [r for r in ordered(rows) if r.get("no_signal")]
    silent_listed = [f"{r['session']} · {r['analysis']} ({r['mode']}): {no_signal_reason(r)}"
                     for r in silent[:MAX_LISTED]]
    silent_listed += [f"… and {len(silent) - MAX_LISTED} more (red rows below)"] if len(silent) > MAX_LISTED else []
    items = [r for r in ordered(flagged) if not r.get("no_signal")]
    groups = warning_groups(items)
    flagged_listed = groups[:MAX_LISTED] + ([f"… and {len(groups) - MAX_LISTED} more kinds: tick 'only rows with "
                                             "warnings' below"] if len(groups) > MAX_LISTED else [])
    figures = []
    for analysis in sorted({r["analysis"] for r in rows}):
        rig = [r for r in rows if r["analysis"] == analysis and r["mode"] == "rigorous"]
        dim = [r for r in rows if r["analysis"] == analysis and r["mode"] == "dimensionality"]
        if rig:
            figures.append({"png": forest_png(rig, unit, analysis), "alt": f"{analysis} forest plot",
                            "how_to_read": "one row per session, grouped by subject; the square is the bias-corrected "
                            "MI and the bar its confidence interval (the interval to quote), the hollow diamond the "
                            "naive estimate of one network on all the data. Sessions whose bars overlap are not "
                            "distinguishable at this level."})
        if dim:
            figures.append({"png": saturation_png(dim, analysis), "alt": f"{analysis} dimensionality",
                            "how_to_read": "one row per session; the dot is the saturation dim at strictness 1 (the "
                            "headline estimate of the number of shared latent dimensions), the line spans the dims "
                            "called at strictness 15 (strict, early) to 0.1 (lenient, late); a dashed line runs to the "
                            "largest dim swept when a strictness never saw the MI level off, and a triangle means "
                            "that the MI still rose there at s = 1."})
    return H.render("summary.html", title="neuralmi archive summary", script=Markup(H.TABLE_JS), unit=unit,
                    n_sessions=len({r["session"] for r in all_rows}), n_subjects=len(subjects), n_results=len(rows),
                    failed=_failed_rows(failed), skipped=skipped, **_skipped(skipped, all_rows),
                    silent=silent, silent_listed=silent_listed, flagged=flagged, flagged_items=items,
                    flagged_listed=flagged_listed, figures=figures, tables=_tables(rows, unit, report_links),
                    row_class=_row_class,
                    study=None if study is None else study_section(study, networks or {}))


def write_archive_summary(summary_paths: Sequence[str | os.PathLike], *, csv_out: str | os.PathLike | None,
                          html_out: str | os.PathLike | None, unit: str = "bits",
                          failures: Sequence[Mapping[str, Any]] = (),
                          study: str | os.PathLike | None = None) -> list[dict[str, Any]]:
    """Read session ``summary.json`` files and write ``summary.csv`` and ``summary.html`` (atomically; either may
    be None, not both: the workflow writes the page after ``study.nc``, which is made from the CSV).

    ``study`` (a ``study.nc`` of ``neuralmi study``) adds the study section to the page: pooled forest plots,
    the pooled network matrices (pairs named by the summaries' ``network`` field) and the contrasts.

    The HTML links each session's ``report.html`` (next to its summary.json) relative to ``html_out``.
    ``failures`` lists the sessions of the run that did not finish (dicts with session, source, step,
    analysis, mode, log, reason; the workflow's ``onerror`` handler passes them): each gets a
    ``status`` row (``failed`` or ``unfinished``) in the CSV with its reason in ``error``, and the HTML lists them first.
    """
    if csv_out is None and html_out is None:
        raise NeuralMIError("write_archive_summary: give csv_out, html_out or both; got neither")
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
        links[s["session"]] = os.path.relpath(os.path.abspath(report), os.path.abspath(Path(html_out or csv_out).parent))
    rows = archive_rows(summaries, unit)
    failed = failure_rows(failures)
    networks = {a["analysis"]: a["network"] for s in summaries for a in s.get("analyses", []) if a.get("network")}
    ds = load_study(study) if study is not None else None
    if csv_out is not None:
        atomic_write_text(csv_out, render_csv(rows + failed, unit))
    if html_out is not None:
        atomic_write_text(html_out, render_html(rows, unit, links, failed, study=ds, networks=networks))
    return rows
