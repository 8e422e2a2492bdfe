"""The study section of the archive page (summary.html), from ``study.nc`` (:mod:`neuralmi_core.study.dataset`).

Three parts, each drawn from the Dataset only (the page shows what a scientist loading study.nc would get):

- per analysis a forest plot: each session's MI with its CI (grouped by group, then subject), and for each
  group a diamond spanning the pooled CI with its centre at the pooled estimate (random effects, sessions
  within subject);
- the network matrices pooled across sessions: the pooled MI of each pair of a ``pairs:`` declaration per group
  (which analysis is which pair comes from the session summaries' ``network`` field), ``*`` where the pooled
  test's q-value is at most the study's alpha;
- the contrasts table: difference, its CI, p, q, and the correction family with its size (``attrs``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from .figures import png_bytes
from .html import anchor
from .network import network_png, network_sections

GROUP_COLORS = ("#1f5fa8", "#c2410c", "#15803d", "#7e22ce", "#a16207", "#0e7490")


def _f(v: Any) -> float:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return float("nan")
    return f


def study_forest_png(ds: Any, analysis: str) -> bytes:
    """Forest plot of one analysis of a study Dataset: a row per session with a finite MI (square and CI bar,
    coloured by group), then a diamond per group for the pooled estimate and its CI."""
    import matplotlib.figure

    a = ds.sel(analysis=analysis)
    groups = [str(g) for g in ds["group"].values]
    colors = {g: GROUP_COLORS[i % len(GROUP_COLORS)] for i, g in enumerate(groups)}
    sessions = [(str(s), str(a["session_group"].sel(session=s).item()), str(a["subject"].sel(session=s).item()))
                for s in ds["session"].values if math.isfinite(_f(a["mi"].sel(session=s)))]
    sessions.sort(key=lambda t: (groups.index(t[1]) if t[1] in groups else len(groups), t[2], t[0]))
    pooled = [g for g in groups if int(a["k_sessions"].sel(group=g)) > 0]
    n = len(sessions) + len(pooled)
    fig = matplotlib.figure.Figure(figsize=(8.0, 1.4 + 0.28 * max(n, 1)), layout="constrained")
    ax = fig.add_subplot()
    labels = []
    for i, (s, g, subj) in enumerate(sessions):
        mi, lo, hi = (_f(a[k].sel(session=s)) for k in ("mi", "ci_low", "ci_high"))
        ax.errorbar([mi], [i], xerr=[[mi - lo], [hi - mi]], fmt="s", ms=4, capsize=2, lw=1.2,
                    color=colors.get(g, "0.4"))
        labels.append(f"{s} ({subj})")
    for j, g in enumerate(pooled):
        y = len(sessions) + j
        mu, lo, hi = (_f(a[k].sel(group=g)) for k in ("pooled_mi", "pooled_ci_low", "pooled_ci_high"))
        if math.isfinite(mu) and math.isfinite(lo) and math.isfinite(hi):
            ax.fill([lo, mu, hi, mu], [y, y + 0.3, y, y - 0.3], color=colors[g], alpha=0.85)
        k, ks = int(a["k_subjects"].sel(group=g)), int(a["k_sessions"].sel(group=g))
        labels.append(f"pooled {g} ({k} subj., {ks} sess.)")
    if sessions and pooled:
        ax.axhline(len(sessions) - 0.5, color="0.7", lw=0.8)
    ax.set_yticks(range(n), labels, fontsize=7)
    ax.invert_yaxis()
    ax.axvline(0.0, color="0.6", lw=0.8)
    unit, conf = ds.attrs.get("unit", ""), _f(ds.attrs.get("confidence"))
    ax.set_xlabel(f"MI ({unit}); session bars: each session's CI; diamonds: pooled "
                  f"{conf:.0%} CI" if math.isfinite(conf) else f"MI ({unit})")
    ax.set_title(f"{analysis}: sessions and the pooled estimate per group", fontsize=9)
    ax.grid(axis="x", color="0.92")
    return png_bytes(fig)


def pooled_matrices(ds: Any, networks: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The network matrices of the study: per (declaration, mode, group) the pooled MI of each pair, in the
    layout of :func:`~.network.network_matrices` (``network`` is ``"<declaration> · <group>"``); a cell's
    ``significant`` is ``q_value <= alpha`` of the pooled test (MI > 0), ``p_text`` states p and q."""
    alpha = _f(ds.attrs.get("alpha", 0.05))
    out: dict[tuple[str, str, str], dict[str, Any]] = {}
    modes = {str(a): str(m) for a, m in zip(ds["analysis"].values, ds["mode"].values, strict=True)}
    for lab, mode in modes.items():
        name = lab.split("/", 1)[0]  # "<analysis>/<mode>" when an analysis has several modes
        info = networks.get(name)
        if info is None or mode not in ("rigorous", "transfer_entropy", "conditional_mi"):
            continue
        for g in ds["group"].values:
            r = ds.sel(analysis=lab, group=g)
            if int(r["k_sessions"]) == 0:
                continue
            key = (str(info["network"]), mode, str(g))
            m = out.setdefault(key, {"network": f"{key[0]} · {key[2]}", "mode": mode,
                                     "directed": mode == "transfer_entropy", "nodes": [], "cells": {},
                                     "has_significance": True, "analyses": [], "missing_reverse": False})
            a, b = str(info["x"]), str(info["y"])
            for v in (a, b):
                if v not in m["nodes"]:
                    m["nodes"].append(v)
            m["analyses"].append(lab)
            q, p = _f(r["q_value"]), _f(r["p"])
            cell = {"analysis": lab, "anchor": anchor(f"study-{lab}"), "skipped": None, "mi": _f(r["pooled_mi"]),
                    "ci_low": _f(r["pooled_ci_low"]), "ci_high": _f(r["pooled_ci_high"]), "flags": [],
                    "significant": math.isfinite(q) and q <= alpha,
                    "p_text": f"p = {p:.3g}, q = {q:.3g} ({int(r['k_subjects'])} subjects)"}
            m["cells"].setdefault(a, {})[b] = cell
            if a != b and not m["directed"]:
                m["cells"].setdefault(b, {})[a] = cell
            elif a != b:
                m["missing_reverse"] = True
    order = list(dict.fromkeys(str(v) for info in networks.values() for v in (info["x"], info["y"])))
    for m in out.values():  # the declaration's order (A, B, C), not the order the study lists the pairs in
        m["nodes"].sort(key=order.index)
    return list(out.values())


def contrast_rows(ds: Any) -> list[dict[str, Any]]:
    """The contrasts table: one row per (analysis, contrast) with a finite difference."""
    rows = []
    for lab in ds["analysis"].values:
        for c in ds["contrast"].values:
            r = ds.sel(analysis=lab, contrast=c)
            if not math.isfinite(_f(r["diff"])):
                continue
            rows.append({"analysis": str(lab), "contrast": str(c), "difference": _f(r["diff"]),
                         "CI low": _f(r["diff_ci_low"]), "CI high": _f(r["diff_ci_high"]), "p": _f(r["diff_p"]),
                         "q": _f(r["diff_q"]), "df": _f(r["diff_df"])})
    return rows


def study_section(ds: Any, networks: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The data of the study section of summary.html (the ``study`` macro of study.html)."""
    unit = str(ds.attrs.get("unit", ""))
    figures = [{"png": study_forest_png(ds, str(a)), "alt": f"{a} study forest plot", "anchor": f"study-{a}",
                "how_to_read": "one row per session (square: its MI, bar: its CI, colour: its group); below the line "
                "one diamond per group, centred on the pooled estimate and spanning its CI. The pooled estimate "
                "weights subjects (sessions of one animal are pooled first), so many sessions of one animal do not "
                "narrow it like many animals."} for a in ds["analysis"].values]
    mats = pooled_matrices(ds, networks)
    figs = {f"network_{m['network']}_{m['mode']}": network_png(m, unit) for m in mats}
    nets = network_sections(mats, [], {}, figs, unit)
    for n in nets:
        n["pooled"] = True
    settings = [("model", ds.attrs.get("model")), ("tau² estimator / CI", f"{ds.attrs.get('method')} / "
                                                                          f"{ds.attrs.get('ci')}"),
                ("confidence", ds.attrs.get("confidence")), ("grouped by", ds.attrs.get("group_by") or "(one group)"),
                ("correction", ds.attrs.get("correction")), ("family (pooled MI > 0)", ds.attrs.get("family_pooled")),
                ("family (contrasts)", ds.attrs.get("family_contrasts")), ("notes", ds.attrs.get("notes") or "none"),
                ("warnings", ds.attrs.get("warnings") or "none"), ("config hash", ds.attrs.get("config_hash"))]
    return {"unit": unit, "figures": figures, "networks": nets, "contrasts": contrast_rows(ds),
            "family_contrasts": ds.attrs.get("family_contrasts"), "settings": settings}


def load_study(path: Any) -> Any:
    """study.nc, loaded into memory (the file is closed)."""
    import xarray as xr

    from ..validation import NeuralMIError

    try:
        with xr.open_dataset(path) as ds:
            return ds.load()
    except (OSError, ValueError) as exc:
        raise NeuralMIError(f"cannot read the study {path}: {exc}; expected the study.nc of `neuralmi study`") from exc


__all__ = ["contrast_rows", "load_study", "pooled_matrices", "study_forest_png", "study_section"]
