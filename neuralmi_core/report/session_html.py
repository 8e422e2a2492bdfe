"""The HTML page of a session report (from the summary dict :func:`~.session.build_session_report` makes).

Order on the page: warnings first (red when a signal is missing), the results at a glance with what each
one measured, one section per analysis (what was measured, figure with a "how to read this" line, the
numbers with their meaning, the settings), the data, the ground truth of a synthetic session, the
glossary, and the provenance last.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from markupsafe import Markup

from ..flags import FLAG
from . import html as H
from .network import network_sections
from .records import NO_SIGNAL, finite, group_warnings
from .text import DROP_REASONS, GLOSSARY, HOW_TO_READ, TARGET
from .trust import trust_html

# Row fields shown as "the numbers" of each mode, with the glossary term that explains them.
RIGOROUS_NUMBERS = [("mi", "corrected MI (mi)"), ("ci_low", "CI (ci_low, ci_high)"), ("ci_high", "CI (ci_low, ci_high)"),
                    ("pi_low", "PI (pi_low, pi_high)"), ("pi_high", "PI (pi_low, pi_high)"),
                    ("fit_ci_low", "fit CI (fit_ci_low, fit_ci_high)"), ("fit_ci_high", "fit CI (fit_ci_low, fit_ci_high)"),
                    ("se", "se"), ("shared_se", "shared_se"), ("systematic", "systematic"),
                    ("naive_mi", "naive MI")]
_TERMS = dict(GLOSSARY)


_anchor = H.anchor


def _term(label: str, term: str) -> Markup:
    """``label`` linked to the glossary entry of ``term`` (its text as the tooltip)."""
    return Markup("<a href='#g-{}' title='{}'>{}</a>").format(_anchor(term), _TERMS.get(term, ""), label)


def _units_text(side: Mapping[str, Any]) -> str:
    units = side.get("units") or side.get(side.get("feature_dim", ""), {}) or {}
    parts = []
    for coord in ("region", "location", "quality"):
        counts = units.get(coord)
        if counts:
            parts.append(f"{coord} " + ", ".join(f"{k} ({v})" for k, v in counts.items()))
    n = side.get("n_features")
    what = "units" if side.get("feature_dim") == "unit" else "features"
    head = f"{n} {what}" if n is not None else ""
    silent = side.get("n_constant_features")
    extra = f"; {silent} constant over the bins used" if silent else ""
    signal = side.get("signal") or {}
    if signal.get("preprocessing"):  # ophys, lfp, events, intervals: what the signal is and how it was binned
        extra += f"; {signal.get('signal_kind', 'signal')}: {signal['preprocessing']}"
    return f"{head}" + (f": {'; '.join(parts)}" if parts else "") + extra


def _seconds(bins: Any, bw: Any) -> str:
    if bins is None:
        return "–"
    return f"{bins} bin{'s' if bins != 1 else ''}" + (f" ({bins * bw:g} s)" if finite(bw) else "")


def measured(row: Mapping[str, Any], sel: Mapping[str, Any] | None, data: Mapping[str, Any]) -> dict[str, Any]:
    """The data of the "what was measured" block of one analysis: selections, window, lag, bins used and
    dropped (the ``measured`` macro of macros.html shows it)."""
    if not sel:
        return {"no_selection": True, "n_samples": row.get("n_samples")}
    bw = sel.get("bin_width_s")
    x, y = sel.get("x") or {}, sel.get("y") or {}
    shown = [{"label": "X", "selector": x.get("selector"), "text": _units_text(x)}]
    if row.get("y") and y:
        shown.append({"label": "Y", "selector": y.get("selector"), "text": _units_text(y)})
    n_bins, dropped = sel.get("n_bins"), row.get("dropped_bins")
    used = None if n_bins is None or dropped is None else n_bins - dropped
    sides = (("X", x),) + ((("Y", y),) if row.get("y") else ())
    by_reason: dict[str, list[str]] = {}
    for label, side in sides:
        for reason, count in (side.get("invalid_bins_by_reason") or {}).items():
            if count:
                by_reason.setdefault(reason, []).append(f"{count} in {label}")
    reasons = [f"{DROP_REASONS.get(k, k)}: {' and '.join(v)}" for k, v in by_reason.items()]
    edge = (sel.get("window_bins") or 1) - 1 + abs(sel.get("lag_bins") or 0)
    if edge:
        reasons.append(f"{edge} at the session edges for the window and lag")
    why = "; ".join(reasons) or "none"
    if len(sides) == 2 and reasons:
        why += " (a bin dropped for X is dropped for Y too, so that the pairs stay aligned)"
    return {"no_selection": False, "sides": shown,
            "target": TARGET.get(row.get("target"), "") if row["mode"] == "dimensionality" else None,
            "bin_width": f"{bw:g}" if finite(bw) else "–", "window": _seconds(sel.get("window_bins"), bw),
            "lag": _seconds(sel.get("lag_bins"), bw), "used": H.count(used), "n_bins": H.count(n_bins),
            "dropped": H.count(dropped), "why": why}


def measured_html(row: Mapping[str, Any], sel: Mapping[str, Any] | None, data: Mapping[str, Any]) -> Markup:
    """The "what was measured" block of one analysis (HTML)."""
    return H.macro("measured")(measured(row, sel, data))


def _seconds_or_bins(r: Mapping[str, Any], key: str) -> str:
    s, b = r.get(f"{key}_s"), r.get(f"{key}_bins")
    if isinstance(s, (list, tuple)):
        return f"{s[0]:g} to {s[1]:g} s" if all(finite(v) for v in s) else f"{b[0]} to {b[1]} bins"
    return f"{s:g} s" if finite(s) else f"{b} bins"


def _result_text(r: Mapping[str, Any], unit: str) -> tuple[str, str, str]:
    """(result, interval, status) cells of the at-a-glance table."""
    mode = r["mode"]
    if mode in EXTRA_MODES:
        value, ci, ok, caution = EXTRA_MODES[mode](r, unit)
        status = ("<span class='bad'>no signal</span>" if r.get("no_signal") else
                  f"<span class='caution'>{caution}</span>" if not ok else
                  "<span class='caution'>check warnings</span>" if r["warnings"] else "<span class='ok'>ok</span>")
        return value, ci, status
    if r["mode"] == "rigorous":
        conf = r.get("confidence")
        value = f"{H.fmt(r.get(f'mi_{unit}'))} {unit}"
        ci = (f"[{H.fmt(r.get(f'ci_low_{unit}'))}, {H.fmt(r.get(f'ci_high_{unit}'))}]"
              + (f" ({conf:.0%} CI)" if finite(conf) else ""))
        ok = r.get("reliable")
    elif r.get("no_signal"):  # dimensionality: a curve indistinguishable from zero
        value, ci, ok = "no shared information (no dimension)", f"largest MI {H.fmt(r.get(f'mi_max_{unit}'))} {unit}", True
    else:
        d = r.get("saturation_dim")
        value = (f"saturation dim {d}" if d is not None else
                 f"no saturation up to dim {max(r.get('embedding_dims') or [0])}") + " (s = 1)"
        top = max(r.get("embedding_dims") or [0])
        others = [f"s = {k[len('saturation_dim_s'):]}: "
                  + (H.fmt(v) if v is not None else f"none (MI still rising at dim {top})")
                  for k, v in r.items() if k.startswith("saturation_dim_s") and k != "saturation_dim_s1"]
        ci = "; ".join(others)
        ok = d is not None
    if r.get("no_signal"):
        status = "<span class='bad'>no signal</span>"
    elif not ok:
        status = "<span class='bad'>unreliable</span>" if r["mode"] == "rigorous" else \
            "<span class='caution'>not saturated</span>"
    elif r["warnings"]:
        status = "<span class='caution'>check warnings</span>"
    else:
        status = "<span class='ok'>ok</span>"
    return value, ci, status


def _lag_text(r: Mapping[str, Any], unit: str) -> tuple[str, str, bool, str]:
    if r.get("peak_lag_bins") is None:
        return "no fit at any lag", "", False, "no fit"
    value = f"peak at lag {_seconds_or_bins(r, 'peak_lag')}: {H.fmt(r.get(f'peak_mi_{unit}'))} {unit}"
    ci = (f"peak range {_seconds_or_bins(r, 'peak_range')}; [{H.fmt(r.get(f'peak_ci_low_{unit}'))}, "
          f"{H.fmt(r.get(f'peak_ci_high_{unit}'))}] ({r.get('confidence', 0.68):.0%} CI)")
    return value, ci, bool(r.get("reliable")), "unreliable at some lags"


def _significance_text(r: Mapping[str, Any], unit: str) -> tuple[str, str, bool, str]:
    value = f"{r.get('p_text') or 'p = ' + H.fmt(r.get('p_value'))}; {r.get('surrogate')} surrogates"
    ci = (f"observed {H.fmt(r.get(f'observed_mi_{unit}'))} {unit}; null 95th percentile "
          f"{H.fmt(r.get(f'null_q0.95_{unit}'))} {unit}")
    return value, ci, True, ""


def _contributions_text(r: Mapping[str, Any], unit: str) -> tuple[str, str, bool, str]:
    top = ", ".join(r.get("top_groups") or []) or "none"
    return (f"largest contributions: {top}", f"full population {H.fmt(r.get(f'full_mi_{unit}'))} {unit} "
            f"(drop-one contributions are not additive)", True, "")


def _te_text(r: Mapping[str, Any], unit: str) -> tuple[str, str, bool, str]:
    if not finite(r.get(f"mi_{unit}")):
        return "no fit at any delay", "", False, "no fit"
    delay = r.get("peak_delay_bins")
    secs = r.get("peak_delay_s")
    value = (f"TE(X→Y) {H.fmt(r.get(f'mi_{unit}'))} {unit} at delay {delay} bins"
             + (f" ({H.fmt(secs)} s)" if finite(secs) else ""))
    ci = (f"[{H.fmt(r.get(f'ci_low_{unit}'))}, {H.fmt(r.get(f'ci_high_{unit}'))}] ({r.get('confidence', 0.68):.0%} "
          f"CI); delays {r.get('peak_delay_range_bins')} not told apart from the peak")
    if r.get("bidirectional"):
        ci += (f"; TE(X→Y) − TE(Y→X) {H.fmt(r.get(f'difference_{unit}'))} [{H.fmt(r.get(f'difference_ci_low_{unit}'))}, "
               f"{H.fmt(r.get(f'difference_ci_high_{unit}'))}]")
    return value, ci, bool(r.get("reliable")), "check the fit flags"


def _cmi_text(r: Mapping[str, Any], unit: str) -> tuple[str, str, bool, str]:
    value = f"I(X;Y|Z) {H.fmt(r.get(f'mi_{unit}'))} {unit}"
    ci = (f"[{H.fmt(r.get(f'ci_low_{unit}'))}, {H.fmt(r.get(f'ci_high_{unit}'))}] ({r.get('confidence', 0.68):.0%} "
          f"CI); I(XZ;Y) {H.fmt(r.get(f'mi_full_{unit}'))}, I(Z;Y) {H.fmt(r.get(f'mi_reduced_{unit}'))} {unit}")
    return value, ci, bool(r.get("reliable")), "check the fit flags"


#: The at-a-glance cells of the analyses beyond rigorous and dimensionality: (result, interval, ok, caution).
EXTRA_MODES = {"lag_sweep": _lag_text, "significance": _significance_text, "contributions": _contributions_text,
               "transfer_entropy": _te_text, "conditional_mi": _cmi_text}


def short_reason(reason: str, limit: int = 110) -> str:
    """The gist of a skip reason for a table cell: without the "session S, analysis A: " prefix the report's
    own heading already says, up to the first "; " or " (" (the rest is detail the section below shows).

    >>> short_reason("session s1, analysis a: X: f.nc has no variable 'ophys'; it holds ['spikes'] (binning ...)")
    "X: f.nc has no variable 'ophys'"
    """
    text = re.sub(r"^session [^,]+, analysis [^:]+: ", "", str(reason))
    cut = min((i for i in (text.find("; "), text.find(" (")) if i > 0), default=len(text))
    text = text[:cut]
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def glance(rows: Sequence[Mapping[str, Any]], unit: str) -> list[dict[str, Any]]:
    """The rows of the at-a-glance table (analysis links and status are Markup)."""
    out = []
    for r in rows:
        link = Markup("<a href='#{}'>{}</a>").format(_anchor(r["analysis"] + "-" + r["mode"]), r["analysis"])
        if r.get("skipped"):
            out.append({"analysis": link, "mode": r["mode"], "measured": r.get("x") or "X", "samples": "",
                        "result": "skipped", "interval": "",
                        "status": Markup("<span class='muted' title='{}'>skipped: {} (the reason in full: below)</span>")
                        .format(r["skipped"], short_reason(r["skipped"])),
                        "_class": "skipped"})
            continue
        value, ci, status = _result_text(r, unit)
        xy = r.get("x") or "X"
        measured = (f"I({xy}; {r['y']})" if r.get("y") else
                    f"I(half 1; half 2) of {xy}" if r["mode"] == "dimensionality" else xy)
        n_bins, dropped = r.get("n_bins"), r.get("dropped_bins")
        used = (f"{H.count(n_bins - dropped)} of {H.count(n_bins)} bins" if n_bins is not None and dropped is not None
                else H.fmt(r.get("n_samples")))
        out.append({"analysis": link, "mode": r["mode"], "measured": measured, "samples": used, "result": value,
                    "interval": ci, "status": Markup(status),  # built from fixed words in _result_text
                    "_class": "nosignal" if r.get("no_signal") else ("flag" if r["warnings"] else "")})
    return out


def _glance_class(r: Mapping[str, Any]) -> str:
    return r["_class"]


def glance_html(rows: Sequence[Mapping[str, Any]], unit: str) -> Markup:
    """The at-a-glance table (HTML)."""
    return H.macro("table")(glance(rows, unit), ["analysis", "mode", "measured", "samples", "result", "interval",
                                                 "status"], raw=("analysis", "status"), row_class=_glance_class)


def _numbers(r: Mapping[str, Any], unit: str) -> tuple[list[tuple[Any, Any]], dict[str, Any] | None]:
    """"The numbers" of one analysis: (label, value) pairs (labels linked to the glossary are Markup) and the
    table below them (title, rows, columns), if any."""
    u = unit
    if r["mode"] == "lag_sweep":
        items = [(_term("peak lag", "peak lag"), _seconds_or_bins(r, "peak_lag")),
                 (_term("peak confidence range", "peak lag"), _seconds_or_bins(r, "peak_range")),
                 (f"MI at the peak ({u})", f"{H.fmt(r.get(f'peak_mi_{u}'))} [{H.fmt(r.get(f'peak_ci_low_{u}'))}, "
                                           f"{H.fmt(r.get(f'peak_ci_high_{u}'))}]"),
                 ("pairs per lag", H.count(r.get("n_pairs"))), ("networks", H.fmt(r.get("n_members")))]
        return items, {"title": "Corrected MI per lag", "rows": r["curve"],
                       "columns": ["lag_bins", "lag_s", f"mi_{u}", f"ci_low_{u}", f"ci_high_{u}", "reliable"]}
    if r["mode"] == "significance":
        items = [(_term("p-value", "p-value"), r.get("p_text") or H.fmt(r.get("p_value"))),
                 ("significant at alpha", f"{r.get('significant')} (alpha {H.fmt(r.get('alpha'))})"),
                 (f"observed held-out MI ({u})", H.fmt(r.get(f"observed_mi_{u}"))),
                 (f"null mean ({u})", H.fmt(r.get(f"null_mean_{u}"))),
                 *[(f"null quantile {q} ({u})", H.fmt(r.get(f"null_q{q}_{u}"))) for q in ("0.5", "0.95", "0.99")],
                 (_term("surrogates", "surrogates"), f"{r.get('n_surrogates')} {r.get('surrogate')}"),
                 ("min circular shift / block (bins)", f"{r.get('min_shift_bins')} / {r.get('block_length_bins')}"),
                 ("decorrelation time X / Y (bins)",
                  " / ".join(str(v) for v in (r.get("decorrelation_bins") or {}).values()))]
        return items, None
    if r["mode"] == "contributions":
        head = [(f"full population MI ({u})", f"{H.fmt(r.get(f'full_mi_{u}'))} ± {H.fmt(r.get(f'full_sd_{u}'))}"),
                ("groups by", str(r.get("group_by"))), (_term("not additive", "drop-one contribution"), str(r.get("note")))]
        return head, {"title": "Groups, largest contribution first", "rows": r["groups"],
                      "columns": ["rank", "group", "n_columns", f"drop_{u}", f"drop_sd_{u}", f"alone_{u}"]}
    if r["mode"] in ("transfer_entropy", "conditional_mi"):
        value, ci, _ = _result_text(r, unit)
        items = [("result", value), ("interval", ci), ("fit flags", ", ".join(r.get("flags") or []) or "none"),
                 ("networks", H.fmt(r.get("n_members")))]
        if r["mode"] == "conditional_mi":
            return items, None
        cols = ["delay_bins", "delay_s", f"te_{u}", f"ci_low_{u}", f"ci_high_{u}"]
        if r.get("bidirectional"):
            cols += [f"reverse_te_{u}", f"reverse_ci_low_{u}", f"reverse_ci_high_{u}"]
        return items, {"title": "Transfer entropy per delay", "rows": r["curve"], "columns": cols}
    if r["mode"] == "rigorous":
        items = [(_term(f"{k} ({unit})", term), H.fmt(r.get(f"{k}_{unit}"))) for k, term in RIGOROUS_NUMBERS]
        flags = (Markup(" — ") + Markup(", ").join(_term(f, f) if f in FLAG else f for f in r["flags"])
                 if r.get("flags") else "")
        items += [(_term("slope (per gamma)", "slope"), H.fmt(r.get(f"slope_{unit}_per_gamma"))),
                  ("confidence level", H.fmt(r.get("confidence"))),
                  (_term("gammas used", "gammas used"), f"{H.fmt(r.get('gammas_used'))} of {H.fmt(r.get('gammas'))}"),
                  (_term("reliable / flags", "reliable / flags"), Markup.escape(H.fmt(r.get("reliable"))) + flags),
                  ("member MI extrapolated", H.fmt(r.get("extrapolate"))),
                  ("networks", H.fmt(r.get("n_members")))]
        return items, None
    sat = [(_term("saturation dim (headline, s = 1)", "saturation dim"),
            H.fmt(r.get("saturation_dim")) if r.get("saturation_dim") is not None else
            "none: still rising at the largest dim")]
    for k, v in r.items():
        if k.startswith("saturation_dim_s"):
            s = k[len("saturation_dim_s"):]
            sat.append((_term(f"saturation dim at s = {s}", "strictness s"),
                        H.fmt(v) if v is not None else "none: still rising at the largest dim"))
    sat += [(f"largest mean MI ({unit})", H.fmt(r.get(f"mi_max_{unit}"))),
            ("halvings / replicates per dim", H.fmt(r.get("n_splits"))),
            ("networks", H.fmt(r.get("n_members")))]
    return sat, {"title": "MI per embedding dim", "rows": r["curve"],
                 "columns": ["embedding_dim", f"mean_{unit}", f"std_{unit}", "n_members"]}


SETTINGS_SHOWN = ("estimator", "critic", "embedding_dim", "hidden", "n_layers", "activation", "variational", "beta",
                  "tau", "options", "epochs", "batch_size", "lr", "weight_decay", "patience", "min_epochs",
                  "smooth_window", "split", "test_fraction", "gap", "eval_size",
                  "preprocess", "chunking", "n_splits", "lags_bins", "surrogate", "n_surrogates", "group_by",
                  "delays", "k_source", "k_target", "horizon", "bidirectional", "conditioned")


def analysis(r: Mapping[str, Any], fig: bytes | None, sel: Mapping[str, Any] | None,
             data: Mapping[str, Any], unit: str) -> dict[str, Any]:
    """The data of one analysis section (the ``analysis`` macro of macros.html shows it)."""
    out: dict[str, Any] = {"anchor": _anchor(f"{r['analysis']}-{r['mode']}"), "analysis": r["analysis"],
                           "mode": r["mode"], "skipped": r.get("skipped") or None}
    if r.get("skipped"):  # required: false and the session lacks the signal: neither a failure nor a number
        return out
    numbers, curve = _numbers(r, unit)
    settings = r.get("settings") or {}
    # the settings recorded in the result (what the networks trained with), then what the cells ran with
    shown = [(k, settings[k]) for k in SETTINGS_SHOWN if k in settings and settings[k] not in (None, {})
             and not (k == "beta" and not settings.get("variational"))]
    effective = r.get("effective") or {}
    if "batch_size" in effective:
        shown = [(k, v) for k, v in shown if k != "batch_size"]
        auto = settings.get("batch_size") is None
        shown.append(("batch_size", f"{effective['batch_size']}{' (automatic)' if auto else ''}"))
    shown += [(label, effective[k]) for k, label in (("threads", "CPU threads"), ("device", "device"))
              if k in effective]
    # settings as given, not rounded to the 3 decimals of the numbers (lr 0.0005 showed as 0.001)
    shown = [(k, f"{v:g}" if isinstance(v, float) else v) for k, v in shown]
    t = r.get("training") or {}
    out.update(severe=[w for w in r["warnings"] if w.startswith(NO_SIGNAL)],
               rest=[w for w in r["warnings"] if not w.startswith(NO_SIGNAL)], measured=measured(r, sel, data),
               figure=fig, how_to_read=HOW_TO_READ[r["mode"]] if fig is not None else None, numbers=numbers,
               curve=curve, settings=shown,
               training={"n_members": t.get("n_members"), "best": H.fmt(t.get("median_best_epoch"), 0),
                         "run": H.fmt(t.get("median_epochs_run"), 0), "max": H.fmt(t.get("max_epochs"))})
    return out


def analysis_html(r: Mapping[str, Any], fig: bytes | None, sel: Mapping[str, Any] | None,
                  data: Mapping[str, Any], unit: str) -> Markup:
    """One analysis section (HTML)."""
    return H.macro("analysis")(analysis(r, fig, sel, data, unit))


def _absent_signals(attr: Any) -> dict[str, str]:
    """The binned file's ``absent_signals`` attr (JSON: kind or variable -> why), {} when none or unreadable."""
    try:
        out = json.loads(attr) if attr else {}
    except (TypeError, ValueError):
        return {}
    return {str(k): str(v) for k, v in out.items()} if isinstance(out, dict) else {}


def warning_lines(summary: Mapping[str, Any]) -> list[str]:
    """The warnings box of the session page, no-signal warnings aside: the session's own warnings, then the
    analyses' grouped by kind (:func:`~.records.group_warnings`). ``summary["warnings"]`` (summary.json) keeps
    every warning in full."""
    if "session_warnings" not in summary:  # a summary.json written before the field: its list as it is
        return [w for w in summary["warnings"] if NO_SIGNAL not in w]
    own = [w for w in summary["session_warnings"] if NO_SIGNAL not in w]
    return own + group_warnings((f"{r['analysis']} ({r['mode']})", w) for r in summary["analyses"]
                                for w in r["warnings"] if NO_SIGNAL not in w)


def render_session_html(summary: Mapping[str, Any], figures: Mapping[str, bytes]) -> str:
    """The session page (the ``session.html`` template) of a summary dict and its figures (PNG bytes by
    ``<analysis>_<mode>``)."""
    unit, s = summary["unit"], summary["session"]
    prov, data = summary["provenance"], summary.get("data") or {}
    selections = summary.get("selections") or {}
    src = prov.get("source")
    items: list[tuple[str, Any]] = []
    if data:
        counts = {k: None if data.get(k) is None else H.count(data[k])
                  for k in ("n_units", "n_units_without_spikes", "n_spikes", "n_bins")}
        items = [("binned file", data.get("file")), ("units", counts["n_units"]),
                 ("units without spikes", counts["n_units_without_spikes"]), ("spikes", counts["n_spikes"]),
                 ("bins", counts["n_bins"]), ("bin width (s)", data.get("bin_width_s")),
                 ("duration (s)", data.get("duration_s"))]
        items += [(k.replace("_", " "), v) for k, v in data.items() if k.startswith("units_by_")]
        absent = _absent_signals((data.get("attrs") or {}).get("absent_signals"))
        if absent:  # kinds the spec asks for with required: false that this file lacks
            items.append(("signals absent from the file", "; ".join(f"{k}: {v}" for k, v in absent.items())))
    t = summary.get("truth") or {}
    in_net = {a for m in summary.get("networks") or [] for a in m["analyses"]}
    sections = {id(r): analysis(r, figures.get(f"{r['analysis']}_{r['mode']}"), selections.get(r["analysis"]),
                                data, unit) for r in summary["analyses"]}
    nets = network_sections(summary.get("networks") or [], summary["analyses"], sections, figures, unit)
    return H.render(
        "session.html", script="", session=s, subject=summary.get("subject"),
        source_name=str(src).rsplit("/", 1)[-1] if src else None, unit=unit, created=prov.get("created"),
        warnings=warning_lines(summary), n_warnings=len(summary["warnings"]),
        severe=[w for w in summary["warnings"] if NO_SIGNAL in w],
        contrasts=summary.get("contrasts") or [],
        glance=glance([r for r in summary["analyses"] if r["analysis"] not in in_net], unit)
        + [n["glance"] for n in nets], glance_class=_glance_class,
        analyses=[sections[id(r)] for r in summary["analyses"] if r["analysis"] not in in_net], networks=nets,
        data=items, variables=[{"variable": k, "dims": v["dims"], "dtype": v["dtype"]}
                               for k, v in (data.get("variables") or {}).items()],
        truth=[(k, v) for k, v in t.items() if k not in ("params", "notes")], has_truth=bool(t), truth_notes=t.get("notes"),
        trust=Markup(trust_html(summary["analyses"], selections)), glossary=GLOSSARY,
        provenance=provenance(prov))


_HASHES = {"source_sha256", "config_hash", "binning_config_hash", "command"}
_PROVENANCE_LABELS = {
    "source": "NWB file", "source_sha256": "NWB file sha256", "nwb_identifier": "NWB identifier",
    "nwb_version": "NWB version",
    "config_hash": "workflow config hash (whole config: changes with any config edit)",
    "binning_config_hash": "binning config hash (signals and bin_width only, stored in binned.nc, so "
                           "that editing the analyses does not re-bin the sessions)",
    "config_version": "config_version", "binned": "binned file", "results": "result files",
    "command": "command that wrote this report", "created": "created (UTC)", "session": "session",
}


def provenance(prov: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """The provenance table: (label, value) pairs, hashes as Markup in a ``hash`` span."""
    items: list[tuple[str, Any]] = []
    for k, v in prov.items():
        if k == "versions":
            continue
        items.append((_PROVENANCE_LABELS.get(k, k),
                      Markup("<span class='hash'>{}</span>").format(H.fmt(v)) if k in _HASHES else H.fmt(v)))
    items.append(("package versions", ", ".join(f"{k} {v}" for k, v in (prov.get("versions") or {}).items() if v)))
    return items


def provenance_html(prov: Mapping[str, Any]) -> Markup:
    """The provenance section (HTML)."""
    return Markup("<h2 id='provenance'>Provenance</h2>") + H.macro("kv_table")(provenance(prov))
