"""The study as one labelled xarray Dataset (``study.nc``): sessions, pooled groups, contrasts.

Dimensions and variables (MI in ``attrs["unit"]``):

- ``(analysis, session)``: ``mi``, ``ci_low``, ``ci_high``, ``se`` (:mod:`.effects`), ``flags`` and
  ``excluded`` (why a row was left out; empty when used) as text; NaN where a session has no row.
  Coordinates ``subject(session)`` and ``group(session)``.
- ``(analysis, group)``: ``pooled_mi``, ``pooled_se``, ``pooled_ci_low``, ``pooled_ci_high``, ``tau2``
  (between subjects), ``i2``, ``q``, ``q_pvalue``, ``k_subjects``, ``k_sessions``, ``df``, ``p`` (one-sided,
  pooled MI > 0) and ``q_value`` (``p`` corrected over every (analysis, group) of the study).
- ``(analysis, contrast)``: ``diff``, ``diff_se``, ``diff_ci_low``, ``diff_ci_high``, ``diff_p`` (two-sided),
  ``diff_q`` (corrected over every (analysis, contrast)) and ``diff_df``.

``attrs`` hold the settings (method, ci, confidence, group_by, correction), the two corrected families
with their sizes, the config hash(es) of the rows, the unit, the package version, ``notes`` (fallbacks,
e.g. a group of one subject) and ``warnings`` (rows from several configs; a contrast whose groups share
animals, which the independent-groups contrast does not model).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from .._version import __version__
from ..io.netcdf import write_netcdf
from ..validation import NeuralMIError, emit_warnings
from .effects import SessionEffect, session_effects
from .pooling import Contrast, Pooled, contrast, correct, pool_by_subject

ALL = "all"  # the one group when no grouping column is given


def _label(e: SessionEffect, multi_mode: set[str]) -> str:
    return f"{e.analysis}/{e.mode}" if e.analysis in multi_mode else e.analysis


def parse_contrast(spec: str, groups: Sequence[str]) -> tuple[str, str]:
    """``"A-B"`` as the pair (A, B) of group names (names may contain ``-``: the split that names two
    groups is used)."""
    splits = [(spec[:i], spec[i + 1:]) for i, ch in enumerate(spec) if ch == "-"]
    found = [(a, b) for a, b in splits if a in groups and b in groups and a != b]
    if len(found) != 1:
        raise NeuralMIError(f"contrast {spec!r}: expected GROUP_A-GROUP_B with two different groups of "
                            f"{list(groups)}" + (" (ambiguous split)" if found else ""))
    return found[0]


def group_of(e: SessionEffect, group_by: str | None) -> str:
    if group_by is None:
        return ALL
    v = e.meta.get(group_by)
    if v is None or v == "":
        return "(none)"
    return str(v)


def study_dataset(rows: Iterable[Mapping[str, Any]], *, group_by: str | None = None,
                  contrasts: Sequence[str] = (), correction: str = "fdr_bh", unit: str | None = None,
                  method: str = "dl", ci: str = "hksj", confidence: float = 0.95, alpha: float = 0.05,
                  where: str = "rows") -> xr.Dataset:
    """Pool archive rows per (analysis, group) and build the study Dataset (layout: module docstring).

    Parameters
    ----------
    rows
        Archive rows (``archive_rows`` dicts or :func:`~neuralmi_core.study.effects.read_summary_csv`).
    group_by
        A column of the rows whose value names each session's group (e.g. ``genotype``, a session tag);
        None pools all sessions as one group ``"all"``. Rows without a value are the group ``"(none)"``.
    contrasts
        ``"A-B"`` specifications between groups, each computed for every analysis that has both groups.
    correction
        statsmodels ``multipletests`` method applied separately to the family of pooled tests (MI > 0 per
        analysis and group) and to the family of contrasts (per analysis and contrast).
    unit, method, ci, confidence
        MI unit of the output (default: the rows'), :math:`\\tau^2` estimator, CI kind and level (see
        :mod:`.pooling`).
    alpha
        Level at which ``reject`` is decided by the correction (q ≤ alpha).
    where
        Names the source in error messages.
    """
    effects = session_effects(rows, unit=unit, where=where)
    if group_by is not None and not any(group_by in e.meta for e in effects):
        cols = sorted({k for e in effects for k in e.meta})
        raise NeuralMIError(f"{where}: unknown group column {group_by!r}; expected one of {cols}")
    used = [e for e in effects if e.used]
    if not used:
        reasons = sorted({e.reason or "" for e in effects})
        raise NeuralMIError(f"{where}: no row can be pooled (none has a finite CI); reasons: {reasons}")
    seen: set[tuple[str, str, str]] = set()
    for e in used:
        key = (e.analysis, e.mode, e.session)
        if key in seen:
            raise NeuralMIError(f"{where}: session {e.session!r} has two rows for analysis {e.analysis!r} "
                                f"({e.mode}); expected one row per (session, analysis, mode)")
        seen.add(key)
    modes: dict[str, set[str]] = {}
    for e in used:
        modes.setdefault(e.analysis, set()).add(e.mode)
    multi = {a for a, m in modes.items() if len(m) > 1}
    labels = list(dict.fromkeys(_label(e, multi) for e in used))
    sessions = list(dict.fromkeys(e.session for e in effects))
    group_names = list(dict.fromkeys(group_of(e, group_by) for e in used))
    pairs = [parse_contrast(c, group_names) for c in contrasts]

    shape = (len(labels), len(sessions))
    per = {k: np.full(shape, np.nan) for k in ("mi", "ci_low", "ci_high", "se")}
    flags = np.full(shape, "", dtype=object)
    excluded = np.full(shape, "", dtype=object)
    subject_of: dict[str, str] = {}
    sgroup: dict[str, str] = {}
    for e in effects:
        subject_of.setdefault(e.session, e.subject)
        if e.used:
            sgroup.setdefault(e.session, group_of(e, group_by))
        lab = _label(e, multi)
        if lab not in labels:  # an analysis with no usable row at all: recorded in attrs
            continue
        i, j = labels.index(lab), sessions.index(e.session)
        if e.used:
            for k, v in (("mi", e.y), ("ci_low", e.ci_low), ("ci_high", e.ci_high), ("se", e.se)):
                per[k][i, j] = v
        elif not excluded[i, j]:
            excluded[i, j] = e.reason
        flags[i, j] = e.flags

    pooled: dict[tuple[str, str], Pooled] = {}
    for lab in labels:
        for g in group_names:
            sel = [e for e in used if _label(e, multi) == lab and group_of(e, group_by) == g]
            if sel:
                pooled[lab, g] = pool_by_subject([e.y for e in sel], [e.se for e in sel], [e.subject for e in sel],
                                                 method=method, ci=ci, confidence=confidence)
    gshape = (len(labels), len(group_names))
    gvars = {k: np.full(gshape, np.nan) for k in ("pooled_mi", "pooled_se", "pooled_ci_low", "pooled_ci_high",
                                                  "tau2", "i2", "q", "q_pvalue", "df", "p")}
    kvars = {k: np.zeros(gshape, dtype=np.int64) for k in ("k_subjects", "k_sessions")}
    notes = []
    for (lab, g), p in pooled.items():
        i, j = labels.index(lab), group_names.index(g)
        for k, v in (("pooled_mi", p.estimate), ("pooled_se", p.se), ("pooled_ci_low", p.ci_low),
                     ("pooled_ci_high", p.ci_high), ("tau2", p.tau2), ("i2", p.i2), ("q", p.q),
                     ("q_pvalue", p.q_pvalue), ("df", p.df), ("p", p.p_greater())):
            gvars[k][i, j] = v
        kvars["k_subjects"][i, j], kvars["k_sessions"][i, j] = p.k, p.k_sessions
        if p.note:
            notes.append(f"{lab} / {g}: {p.note}")
    fam_pool = correct(gvars["p"].ravel(), correction, family="pooled MI > 0 (one-sided) per analysis and group",
                       alpha=alpha)
    gvars["q_value"] = fam_pool.qvalues.reshape(gshape)

    cautions = []
    for a, b in pairs:
        shared = sorted({e.subject for e in used if group_of(e, group_by) == a}
                        & {e.subject for e in used if group_of(e, group_by) == b})
        if shared:
            cautions.append(f"contrast {a}-{b}: subject(s) {shared} are in both groups; the contrast treats the "
                            "groups as independent animals (a paired design needs a paired analysis)")
    emit_warnings(cautions)
    cnames = [f"{a}-{b}" for a, b in pairs]
    cshape = (len(labels), len(cnames))
    cvars = {k: np.full(cshape, np.nan) for k in ("diff", "diff_se", "diff_ci_low", "diff_ci_high", "diff_p",
                                                  "diff_df")}
    for j, (a, b) in enumerate(pairs):
        for i, lab in enumerate(labels):
            if (lab, a) in pooled and (lab, b) in pooled:
                c: Contrast = contrast(pooled[lab, a], pooled[lab, b], (a, b))
                for k, v in (("diff", c.diff), ("diff_se", c.se), ("diff_ci_low", c.ci_low),
                             ("diff_ci_high", c.ci_high), ("diff_p", c.p), ("diff_df", c.df)):
                    cvars[k][i, j] = v
    fam_con = correct(cvars["diff_p"].ravel(), correction, family="contrasts (two-sided) per analysis and contrast",
                      alpha=alpha)
    cvars["diff_q"] = fam_con.qvalues.reshape(cshape)

    out_unit = used[0].unit
    ds = xr.Dataset(coords={"analysis": labels, "session": sessions, "group": group_names, "contrast": cnames,
                            "subject": ("session", [subject_of[s] for s in sessions]),
                            "session_group": ("session", [sgroup.get(s, "") for s in sessions])})
    mode_of = {_label(e, multi): e.mode for e in used}
    ds = ds.assign_coords(mode=("analysis", [mode_of[lab] for lab in labels]))
    for k, v in per.items():
        ds[k] = (("analysis", "session"), v, {"units": out_unit})
    ds["flags"] = (("analysis", "session"), flags.astype(str))
    ds["excluded"] = (("analysis", "session"), excluded.astype(str))
    for k, v in {**gvars, **kvars}.items():
        ds[k] = (("analysis", "group"), v)
    for k, v in cvars.items():
        ds[k] = (("analysis", "contrast"), v)
    for k in ("mi", "ci_low", "ci_high", "se", "pooled_mi", "pooled_se", "pooled_ci_low", "pooled_ci_high", "diff",
              "diff_se", "diff_ci_low", "diff_ci_high"):
        ds[k].attrs["units"] = out_unit
    ds["tau2"].attrs["units"] = f"{out_unit}^2"
    hashes = sorted({str(e.meta.get("config_hash")) for e in effects if e.meta.get("config_hash")})
    dropped = sorted({e.analysis for e in effects} - {e.analysis for e in used})
    ds.attrs = {
        "title": "neuralmi study: per-session MI, pooled per group (sessions within subjects), contrasts",
        "unit": out_unit, "method": method, "ci": ci, "confidence": confidence, "group_by": group_by or "",
        "correction": correction, "alpha": alpha, "family_pooled": fam_pool.describe(),
        "family_contrasts": fam_con.describe(), "config_hash": " ".join(hashes), "n_rows": len(effects),
        "n_rows_used": len(used), "analyses_without_usable_rows": " ".join(dropped), "notes": " | ".join(notes),
        "model": "two-stage random effects: sessions within subject, subjects within group (neuralmi_core.study)",
        "neuralmi_core_version": __version__,
    }
    if len(hashes) > 1:
        cautions.append(f"rows come from {len(hashes)} different configs: {' '.join(hashes)}")
        emit_warnings(cautions[-1:])
    ds.attrs["warnings"] = " | ".join(cautions)
    return ds


def write_study(ds: xr.Dataset, path: str | os.PathLike) -> Path:
    """Write the study Dataset as netCDF atomically (:func:`~neuralmi_core.io.netcdf.write_netcdf`)."""
    return write_netcdf(ds, path)


def pooled_table(ds: xr.Dataset) -> list[dict[str, Any]]:
    """One dict per (analysis, group) with a pooled estimate (for the CLI's table and JSON)."""
    out = []
    for lab in ds["analysis"].values:
        for g in ds["group"].values:
            r = ds.sel(analysis=lab, group=g)
            if int(r["k_sessions"]) == 0:
                continue
            out.append({"analysis": str(lab), "mode": str(r["mode"].item()), "group": str(g),
                        **{k: _num(r[k]) for k in ("pooled_mi", "pooled_se", "pooled_ci_low", "pooled_ci_high",
                                                    "tau2", "i2", "q", "q_pvalue", "df", "p", "q_value")},
                        "k_subjects": int(r["k_subjects"]), "k_sessions": int(r["k_sessions"])})
    return out


def contrast_table(ds: xr.Dataset) -> list[dict[str, Any]]:
    out = []
    for lab in ds["analysis"].values:
        for c in ds["contrast"].values:
            r = ds.sel(analysis=lab, contrast=c)
            if math.isnan(float(r["diff"])):
                continue
            out.append({"analysis": str(lab), "contrast": str(c),
                        **{k: _num(r[k]) for k in ("diff", "diff_se", "diff_ci_low", "diff_ci_high", "diff_p",
                                                    "diff_q", "diff_df")}})
    return out


def _num(v: Any) -> float | None:
    f = float(v)
    return f if math.isfinite(f) else None


__all__ = ["ALL", "contrast_table", "parse_contrast", "pooled_table", "study_dataset", "write_study"]
