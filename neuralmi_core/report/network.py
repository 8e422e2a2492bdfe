"""Network matrices of the session report: the pairs of one ``pairs:`` declaration as one regions x regions matrix.

The workflow expands ``pairs: {by: region, values: [A, B, C]}`` into one ordinary analysis per pair
(``<name>__A__B``, X the units of A, Y those of B; ``within: true`` adds ``<name>__A__A``, two halves of A's
units); the report is told which analyses are pairs of which declaration (``networks``: analysis name ->
``{"network": declaration, "x": A, "y": B}``) and shows one matrix per (declaration, mode) instead of one row
per pair. A cell holds the pair's MI with its CI in the report's unit, a significance mark when the
declaration also ran the ``significance`` mode (its p-value against the mode's ``alpha``), and a flag mark
when the pair's row carries warnings or fit flags.

MI is symmetric: the matrix of ``rigorous`` (and ``conditional_mi``) fills both triangles with the pair's
one value. Transfer entropy is directed: row = source (X), column = target (Y); the pair ``A, B`` fills
``A -> B``, and ``B -> A`` only when the analysis ran with ``bidirectional: true`` (its reverse direction,
taken at its own peak delay); otherwise that cell is empty and says why.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .records import finite

#: Modes whose result is one MI (or TE) value with a CI: each gets a matrix.
MATRIX_MODES = ("rigorous", "transfer_entropy", "conditional_mi")
#: Directed modes: the matrix is not symmetric (row = source, column = target).
DIRECTED = ("transfer_entropy",)


def _nan() -> float:
    return float("nan")


def _cell(row: Mapping[str, Any], unit: str, sig: Mapping[str, Any] | None, reverse: bool = False) -> dict[str, Any]:
    """One cell from a pair's row (``reverse``: the Y -> X direction of a bidirectional TE row)."""
    from .html import anchor

    out: dict[str, Any] = {"analysis": row["analysis"], "anchor": anchor(f"{row['analysis']}-{row['mode']}"),
                           "skipped": row.get("skipped") or None, "mi": _nan(), "ci_low": _nan(), "ci_high": _nan(),
                           "flags": [], "significant": None, "p_text": None}
    if out["skipped"]:
        return out
    if reverse:
        curve = [c for c in row.get("curve") or [] if finite(c.get(f"reverse_te_{unit}"))]
        if curve:
            best = max(curve, key=lambda c: c[f"reverse_te_{unit}"])
            out.update(mi=best[f"reverse_te_{unit}"], ci_low=best.get(f"reverse_ci_low_{unit}", _nan()),
                       ci_high=best.get(f"reverse_ci_high_{unit}", _nan()))
    else:
        out.update(mi=row.get(f"mi_{unit}", _nan()), ci_low=row.get(f"ci_low_{unit}", _nan()),
                   ci_high=row.get(f"ci_high_{unit}", _nan()))
    out["flags"] = list(dict.fromkeys([*(row.get("flags") or []), *(row.get("warnings") or [])]))
    if row.get("no_signal"):
        out["flags"].insert(0, "no signal")
    if sig is not None and not sig.get("skipped") and not reverse:
        out["significant"] = bool(sig.get("significant"))
        out["p_text"] = sig.get("p_text") or f"p = {sig.get('p_value')}"
    return out


def network_matrices(rows: Sequence[Mapping[str, Any]], networks: Mapping[str, Mapping[str, Any]],
                     unit: str) -> list[dict[str, Any]]:
    """The matrices of a session's networks, one per (declaration, mode in :data:`MATRIX_MODES`).

    Parameters
    ----------
    rows : the report rows (``records.*_row``; skipped rows carry ``skipped``).
    networks : analysis name -> ``{"network": declaration name, "x": first value, "y": second value}``; an
        analysis not named here is not part of a network.
    unit : the MI unit of the rows' field names (``bits`` or ``nats``).

    Returns
    -------
    list of dicts: ``network``, ``mode``, ``directed``, ``nodes`` (the values, in declaration order),
    ``cells`` (``{source: {target: cell}}``; a cell has ``mi``, ``ci_low``, ``ci_high``, ``significant``
    (None when no significance mode ran), ``p_text``, ``flags``, ``skipped``, ``analysis`` and ``anchor``;
    a pair not measured has no cell), ``has_significance``, ``analyses`` (the pair analyses, declaration
    order) and ``missing_reverse`` (a directed matrix whose pairs ran one direction only).
    """
    sig_rows = {r["analysis"]: r for r in rows if r["mode"] == "significance"}
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for r in rows:
        info = networks.get(r["analysis"])
        if info is None or r["mode"] not in MATRIX_MODES:
            continue
        key = (str(info["network"]), r["mode"])
        m = out.setdefault(key, {"network": key[0], "mode": key[1], "directed": key[1] in DIRECTED, "nodes": [],
                                 "cells": {}, "has_significance": False, "analyses": [], "missing_reverse": False})
        a, b = str(info["x"]), str(info["y"])
        for v in (a, b):
            if v not in m["nodes"]:
                m["nodes"].append(v)
        m["analyses"].append(r["analysis"])
        sig = sig_rows.get(r["analysis"])
        m["has_significance"] |= sig is not None and not sig.get("skipped")
        m["cells"].setdefault(a, {})[b] = _cell(r, unit, sig)
        if a == b:
            continue
        if not m["directed"]:
            m["cells"].setdefault(b, {})[a] = m["cells"][a][b]
        elif r.get("bidirectional") or r.get("skipped"):
            m["cells"].setdefault(b, {})[a] = _cell(r, unit, None, reverse=not r.get("skipped"))
        else:
            m["missing_reverse"] = True
    return list(out.values())


def cell_text(c: Mapping[str, Any] | None) -> tuple[str, str]:
    """(value with CI, marks) of a matrix cell as text: ``"0.123 [0.100, 0.150]"`` and ``"*"`` (significant),
    ``"!"`` (flags or warnings)."""
    from .html import fmt

    if c is None:
        return "", ""
    if c.get("skipped"):
        return "skipped", ""
    marks = ("*" if c.get("significant") else "") + ("!" if c.get("flags") else "")
    return f"{fmt(c['mi'])} [{fmt(c['ci_low'])}, {fmt(c['ci_high'])}]", marks


def network_png(m: Mapping[str, Any], unit: str) -> bytes:
    """The heatmap of one matrix (PNG): MI per cell (grey: not measured or skipped), the value and its marks
    written in each cell; rows are sources and columns targets for a directed matrix."""
    import matplotlib.pyplot as plt
    import numpy as np

    from .figures import png_bytes

    nodes = list(m["nodes"])
    n = len(nodes)
    vals = np.full((n, n), np.nan)
    for i, a in enumerate(nodes):
        for j, b in enumerate(nodes):
            c = m["cells"].get(a, {}).get(b)
            if c is not None and not c.get("skipped") and finite(c.get("mi")):
                vals[i, j] = c["mi"]
    size = 1.6 + 0.9 * n
    fig, ax = plt.subplots(figsize=(size + 1.4, size))
    try:
        cmap = plt.get_cmap("viridis").with_extremes(bad="#d0d7de")
        hi = np.nanmax(vals) if np.isfinite(vals).any() else 1.0
        im = ax.imshow(np.ma.masked_invalid(vals), cmap=cmap, vmin=min(0.0, float(np.nanmin(vals)) if
                                                                        np.isfinite(vals).any() else 0.0),
                       vmax=max(float(hi), 1e-9))
        label = "TE" if m["directed"] else "MI"
        fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04, label=f"{label} ({unit})")
        ax.set_xticks(range(n), [str(v) for v in nodes], rotation=45, ha="right")
        ax.set_yticks(range(n), [str(v) for v in nodes])
        ax.set_xlabel("target (Y)" if m["directed"] else "region (Y)")
        ax.set_ylabel("source (X)" if m["directed"] else "region (X)")
        for i, a in enumerate(nodes):
            for j, b in enumerate(nodes):
                text, marks = cell_text(m["cells"].get(a, {}).get(b))
                if not text:
                    continue
                short = text.split(" [")[0] + marks
                dark = np.isfinite(vals[i, j]) and vals[i, j] < 0.6 * hi
                ax.text(j, i, short, ha="center", va="center", fontsize=8, color="white" if dark else "black")
        ax.set_title(f"{m['network']} ({m['mode']})", fontsize=10)
        fig.tight_layout()
        return png_bytes(fig)
    finally:
        plt.close(fig)


def _table(m: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The rows of a matrix's HTML table: one per node (source), a cell per node (target)."""
    out = []
    for a in m["nodes"]:
        cells = []
        for b in m["nodes"]:
            c = m["cells"].get(a, {}).get(b)
            text, marks = cell_text(c)
            if c is None:
                why = ("not measured: the pairs ran one direction (set bidirectional: true)" if m["directed"]
                       and a != b else "not measured")
                cells.append({"text": "–", "title": why, "href": None, "marks": "", "cls": "muted"})
                continue
            notes = [c["p_text"]] if c.get("p_text") else []
            notes += list(c.get("flags") or [])
            if c.get("skipped"):
                notes = [f"skipped: {c['skipped']}"]
            cells.append({"text": text, "marks": marks, "href": c["anchor"], "title": "; ".join(notes),
                          "cls": "skipped" if c.get("skipped") else ("flag" if c.get("flags") else "")})
        out.append({"node": a, "cells": cells})
    return out


def network_sections(matrices: Sequence[Mapping[str, Any]], rows: Sequence[Mapping[str, Any]],
                     sections: Mapping[int, Mapping[str, Any]], figures: Mapping[str, bytes],
                     unit: str) -> list[dict[str, Any]]:
    """The data of the network sections of the session page (the ``network`` macro of network.html): per
    matrix its heatmap, table, the at-a-glance row and the per-pair sections (``sections``: id(row) -> the
    ``analysis`` section data of session_html); a pair's modes without a matrix of their own (significance,
    ...) are listed under the first matrix of its declaration."""
    from markupsafe import Markup

    from .html import anchor

    placed: set[int] = set()
    out = []
    for m in matrices:
        key = f"network_{m['network']}_{m['mode']}"
        names = set(m["analyses"])
        mine = [r for r in rows if r["analysis"] in names and id(r) not in placed
                and (r["mode"] == m["mode"] or r["mode"] not in MATRIX_MODES)]
        placed.update(id(r) for r in mine)
        cells = [c for src in m["cells"].values() for c in src.values()]
        measured = [c for c in cells if not c.get("skipped")]
        n_pairs = len(m["analyses"])
        n_skipped = sum(1 for a in m["analyses"] if any(r["analysis"] == a and r.get("skipped") for r in rows
                                                         if r["mode"] == m["mode"]))
        n_sig = len({c["analysis"] for c in measured if c.get("significant")})
        flagged = len({c["analysis"] for c in measured if c.get("flags")})
        link = Markup("<a href='#{}'>{}</a>").format(anchor(key), m["network"])
        result = f"{n_pairs - n_skipped} of {n_pairs} pairs measured"
        if m["has_significance"]:
            result += f"; {n_sig} significant"
        status = (Markup("<span class='caution'>{} pair(s) with warnings</span>").format(flagged) if flagged
                  else Markup("<span class='ok'>ok</span>"))
        what = "TE(source → target)" if m["directed"] else "I(X; Y)"
        out.append({
            "anchor": anchor(key), "network": m["network"], "mode": m["mode"], "directed": m["directed"],
            "figure": figures.get(key), "unit": unit, "rows": _table(m), "nodes": m["nodes"],
            "has_significance": m["has_significance"], "missing_reverse": m["missing_reverse"], "pooled": False,
            "pairs": [sections[id(r)] for r in mine],
            "glance": {"analysis": link, "mode": m["mode"], "measured": f"network of {len(m['nodes'])}: {what}",
                       "samples": "", "result": result, "interval": "per pair: see the matrix", "status": status,
                       "_class": "flag" if flagged else ""},
        })
    return out


__all__ = ["DIRECTED", "MATRIX_MODES", "cell_text", "network_matrices", "network_png", "network_sections"]
