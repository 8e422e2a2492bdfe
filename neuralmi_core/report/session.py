"""Per-session report: ``report.html`` (self-contained, figures embedded), ``summary.json`` and figures.

The summary is the machine-readable twin of the page::

    {"session": ..., "subject": ..., "genotype": ..., "unit": "bits", "data": {...}, "analyses": [row, ...],
     "selections": {analysis: record}, "truth": {...} | null, "warnings": [...],
     "session_warnings": [...], "provenance": {...}}

``warnings`` holds every warning of the page (the session's own, then each analysis's, prefixed with
``analysis (mode):``); ``session_warnings`` only the session's own (no spikes in the session).

where each row is the mode's row of :data:`~.records.ROWS` (:func:`~.records.rigorous_row`, ...) and each
selection record is what :func:`neuralmi_core.analysis.preflight.preflight` wrote for the analysis.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import re
import shlex
from collections.abc import Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from .._version import __version__
from ..analysis.preflight import is_skipped, merge_selections
from ..io.atomic import atomic_write_bytes, atomic_write_text
from ..io.session import file_sha256
from ..validation import NeuralMIError
from .figures import result_png, skipped_png
from .network import network_matrices, network_png
from .records import NO_SIGNAL, ROWS, check_unit, finite, load_result, skipped_row
from .session_html import render_session_html

_SUBJECT = re.compile(r"(?:^|[_/])sub-([A-Za-z0-9]+)")


def _versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {"neuralmi_core": __version__, "python": platform.python_version()}
    for dist in ("numpy", "torch", "xarray", "pynwb", "scipy", "statsmodels", "matplotlib", "snakemake"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = None
    return out


def _attr(attrs: Mapping[str, Any], *keys: str) -> Any:
    for k in keys:
        if k in attrs:
            v = attrs[k]
            return v.item() if hasattr(v, "item") else v
    return None


def subject_of(session: str, data: Mapping[str, Any] | None = None) -> str | None:
    """The subject of a session: the NWB file's subject id, else ``X`` of a DANDI-style ``sub-X`` name."""
    sid = ((data or {}).get("attrs") or {}).get("nwb_subject_id")
    if sid:
        return str(sid)
    m = _SUBJECT.search(session)
    return m.group(1) if m else None


def genotype_of(data: Mapping[str, Any] | None = None) -> str | None:
    """The subject's genotype from the NWB file (``Subject.genotype``, binned attr ``nwb_subject_genotype``)."""
    g = ((data or {}).get("attrs") or {}).get("nwb_subject_genotype")
    return str(g) if g else None


def data_summary(binned: str | os.PathLike | None) -> dict[str, Any]:
    """Sizes of the binned session file (units, duration, bins, variables, units without spikes) without
    loading its arrays."""
    if binned is None:
        return {}
    path = Path(binned)
    if not path.exists():
        raise NeuralMIError(f"binned file not found: {path}")
    import xarray as xr

    with xr.open_dataset(path) as ds:
        attrs = dict(ds.attrs)
        bw = _attr(attrs, "bin_width_s", "bin_width")
        n_bins = int(ds.sizes["time"]) if "time" in ds.sizes else None
        out: dict[str, Any] = {
            "file": str(path),
            "n_bins": n_bins,
            "bin_width_s": float(bw) if bw is not None else None,
            "duration_s": float(n_bins * float(bw)) if n_bins is not None and bw is not None else None,
            "n_units": int(ds.sizes["unit"]) if "unit" in ds.sizes else None,
            "dims": {str(k): int(v) for k, v in ds.sizes.items()},
            "variables": {str(k): {"dims": list(map(str, v.dims)), "dtype": str(v.dtype)}
                          for k, v in ds.data_vars.items()},
        }
        for coord in ("region", "location", "quality"):
            if coord in ds.coords and "unit" in ds[coord].dims:
                values = [str(v) for v in ds[coord].values.tolist()]
                out[f"units_by_{coord}"] = {v: values.count(v) for v in sorted(set(values))}
        if "n_spikes" in ds.coords and "unit" in ds["n_spikes"].dims:
            spikes = ds["n_spikes"].values
            out["n_spikes"] = int(spikes.sum())
            out["n_units_without_spikes"] = int((spikes == 0).sum())
        out["attrs"] = {str(k): (v.item() if hasattr(v, "item") else v if isinstance(v, (str, int, float)) else str(v))
                        for k, v in attrs.items()}
    return out


def session_warnings(data: Mapping[str, Any]) -> list[str]:
    """Session-level warnings from the binned data: no spikes at all, units without spikes."""
    n_units, silent = data.get("n_units"), data.get("n_units_without_spikes")
    if not n_units or silent is None:
        return []
    if silent == n_units:
        return [f"{NO_SIGNAL}: none of the {n_units} units of this session has a spike in the binned span: every "
                f"MI and dimensionality below is training noise, not a measurement"]
    if silent:
        ids = (data.get("attrs") or {}).get("zero_spike_units", "")
        return [f"{silent} of {n_units} units have no spike in the binned span (ids {ids}); they carry no "
                f"information and are kept in the selections"]
    return []


def build_session_report(
    session: str,
    results: Sequence[tuple[str, str, Any]],
    *,
    unit: str = "bits",
    data: Mapping[str, Any] | None = None,
    truth: Mapping[str, Any] | None = None,
    provenance: Mapping[str, Any] | None = None,
    selections: Mapping[str, Mapping[str, Any]] | None = None,
    contrasts: Sequence[tuple[str, str, str]] = (),
    shared_bins: Mapping[tuple[str, str, str], int] | None = None,
    networks: Mapping[str, Mapping[str, Any]] | None = None,
) -> tuple[dict[str, Any], str, dict[str, bytes]]:
    """Build a session's summary dict, HTML page and figures from gathered results.

    Parameters
    ----------
    session : session id.
    results : (analysis name, mode, result) triples; mode is ``rigorous`` or ``dimensionality`` and the
        result a RigorousResult / DimensionalityResult or its ``to_dict()`` (the gathered JSON).
    unit : ``bits`` (default) or ``nats``; every MI field name states it.
    data : :func:`data_summary` of the binned file.
    truth : ground truth of a synthetic session (the generator's sidecar), shown and kept in the summary.
    provenance : config hashes, config version, source file and checksum, command (versions are added).
    selections : analysis name -> selection record (what was measured, dropped bins, no-signal check).
    contrasts : (declaration, condition a, condition b) triples of the config's ``conditions:``; each gives an
        entry of the summary's ``contrasts`` (:func:`neuralmi_core.study.conditions.session_contrasts`) and a
        row of the page's contrasts table. Without them the summary has no ``contrasts`` key.
    shared_bins : the bins each pair of conditions shares (keys as ``contrasts``), see :func:`condition_overlaps`.
    networks : analysis name -> ``{"network": declaration, "x": value, "y": value}`` for the pairs of a
        ``pairs:`` declaration: they are shown as one matrix per declaration and mode
        (:func:`~.network.network_matrices`, kept in the summary as ``networks``) and their rows carry
        ``network``.

    Returns
    -------
    (summary, html, figures) with figures keyed ``"{analysis}_{mode}"`` (PNG bytes), and
    ``"network_{declaration}_{mode}"`` for each network matrix.
    """
    check_unit(unit)
    selections = dict(selections or {})
    rows: list[dict[str, Any]] = []
    figures: dict[str, bytes] = {}
    for name, mode, record in results:
        if isinstance(record, Mapping) and is_skipped(record):  # required: false, the session lacks its signal
            rows.append(skipped_row(name, mode, record))
            figures[f"{name}_{mode}"] = skipped_png(name, mode, str(record["skipped"]))
            continue
        res = load_result(name, mode, record)
        rows.append(ROWS[mode](name, res, unit, selections.get(name)))
        figures[f"{name}_{mode}"] = result_png(res, unit)
    networks = {str(k): dict(v) for k, v in (networks or {}).items()}
    for r in rows:
        if r["analysis"] in networks:
            r["network"] = networks[r["analysis"]]
    matrices = network_matrices(rows, networks, unit)
    for m in matrices:
        figures[f"network_{m['network']}_{m['mode']}"] = network_png(m, unit)
    data = dict(data or {})
    own = session_warnings(data)
    top = own + [f"{r['analysis']} ({r['mode']}): {w}" for r in rows for w in r["warnings"]]
    prov = {**(provenance or {}), "versions": _versions(),
            "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")}
    summary = {"session": session, "subject": subject_of(session, data), "genotype": genotype_of(data), "unit": unit, "data": data,
               "analyses": rows, "networks": matrices, "selections": selections, "truth": dict(truth) if truth else None,
               "warnings": top, "session_warnings": own, "provenance": prov}
    if contrasts:
        from ..study.conditions import session_contrasts

        summary["contrasts"] = session_contrasts(rows, list(contrasts), unit, shared_bins)
    return summary, render_session_html(summary, figures), figures


def _json_default(obj: Any) -> Any:
    if hasattr(obj, "tolist"):
        return obj.tolist()
    return str(obj)


def _clean(value: Any) -> Any:
    """NaN/inf become None so that the JSON is strict."""
    if isinstance(value, float) and not finite(value):
        return None
    if isinstance(value, Mapping):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def _read_json(path: str | os.PathLike, what: str) -> Any:
    try:
        with open(path) as fh:
            return json.load(fh)
    except (OSError, json.JSONDecodeError) as exc:
        raise NeuralMIError(f"{what}: cannot read {path}: {exc}") from exc


def condition_overlaps(binned: str | os.PathLike, rows: Sequence[Mapping[str, Any]],
                       contrasts: Sequence[tuple[str, str, str]]) -> dict[tuple[str, str, str], int]:
    """For each contrast, the number of bins that both conditions hold (from the ``@`` part of each condition's
    X selector and the binned file); contrasts whose selectors are unknown (a skipped condition) are left out."""
    import xarray as xr

    from ..io.select import condition_bins, split_condition

    conds: dict[str, str] = {}
    for r in rows:
        x = r.get("x") or ""
        cond = split_condition(x.rsplit(".nc:", 1)[-1])[1]
        if cond:
            conds[r["analysis"]] = cond
    out: dict[tuple[str, str, str], int] = {}
    with xr.open_dataset(binned) as ds:
        for of, a, b in contrasts:
            ca, cb = conds.get(f"{of}__{a}"), conds.get(f"{of}__{b}")
            if ca and cb:
                where = f"{binned}: contrast {of} {a} - {b}"
                out[(of, a, b)] = int((condition_bins(ds, ca, where) & condition_bins(ds, cb, where)).sum())
    return out


def write_session_report(
    session: str,
    results: Sequence[tuple[str, str, str | os.PathLike]],
    *,
    html_out: str | os.PathLike,
    json_out: str | os.PathLike,
    figures_out: Sequence[str | os.PathLike] = (),
    unit: str = "bits",
    binned: str | os.PathLike | None = None,
    source: str | os.PathLike | None = None,
    truth: str | os.PathLike | None = None,
    config_hash: str | None = None,
    config_version: Any = None,
    selections: Sequence[tuple[str, str | os.PathLike]] = (),
    command: Sequence[str] | None = None,
    contrasts: Sequence[tuple[str, str, str]] = (),
    pairs: Sequence[tuple[str, str, str, str]] = (),
) -> dict[str, Any]:
    """Read the gathered records, build the report and write html, json and figures (atomically).

    ``figures_out`` paths must end in ``{analysis}_{mode}.png``; each gets that figure. ``selections``
    are (analysis, selection record path) pairs, several per analysis when each mode has its own (merged
    by :func:`~neuralmi_core.analysis.preflight.merge_selections`); ``contrasts`` the (declaration, condition a,
    condition b) triples whose contrasts the summary and page show (shared bins counted in ``binned``);
    ``command`` the ``neuralmi`` arguments recorded in the provenance (the CLI passes its own); ``pairs``
    (analysis, declaration, x value, y value) quadruples name the analyses that are pairs of a ``pairs:``
    network (shown as its matrix).
    """
    records = [(name, mode, _read_json(path, f"analysis {name!r} ({mode})")) for name, mode, path in results]
    by_name: dict[str, list[dict[str, Any]]] = {}
    for name, path in selections:  # one record per mode (the workflow checks each mode on its own)
        by_name.setdefault(name, []).append(_read_json(path, f"analysis {name!r} (selection)"))
    # an analysis skipped in this session has only skipped records: its row carries the reason instead
    sel = {name: merge_selections(recs) for name, recs in by_name.items() if not all(map(is_skipped, recs))}
    data = data_summary(binned) if binned else {}
    truth_rec = _read_json(truth, "ground truth") if truth else None
    attrs = data.get("attrs", {})
    prov: dict[str, Any] = {
        "session": session, "source": str(source) if source else None,
        "source_sha256": _attr(attrs, "source_sha256", "sha256"),
        "nwb_identifier": _attr(attrs, "nwb_identifier"), "nwb_version": _attr(attrs, "nwb_version"),
        "config_hash": config_hash, "binning_config_hash": _attr(attrs, "config_hash"),
        "config_version": config_version,
    }
    if source and not prov["source_sha256"] and os.path.exists(source):
        prov["source_sha256"] = file_sha256(source)
    prov["binned"] = str(binned) if binned else None
    prov["results"] = [str(p) for _, _, p in results]
    prov["command"] = None if command is None else shlex.join(["neuralmi", *command])
    shared = None
    if contrasts and binned:
        from .records import _selection_fields

        shared = condition_overlaps(binned, [{"analysis": n, **_selection_fields(r)} for n, r in sel.items()],
                                    contrasts)
    summary, page, figures = build_session_report(session, records, unit=unit, data=data, truth=truth_rec,
                                                  provenance=prov, selections=sel, contrasts=contrasts,
                                                  shared_bins=shared,
                                                  networks={n: {"network": net, "x": a, "y": b} for n, net, a, b in pairs})
    wanted = {Path(p).stem: p for p in figures_out}
    missing = sorted(set(wanted) - set(figures))
    if missing:
        raise NeuralMIError(f"no figure for {missing}; figures made: {sorted(figures)}")
    for key, path in wanted.items():
        atomic_write_bytes(path, figures[key])
    atomic_write_text(json_out, json.dumps(_clean(summary), indent=2, default=_json_default, allow_nan=False) + "\n")
    atomic_write_text(html_out, page)
    return summary
