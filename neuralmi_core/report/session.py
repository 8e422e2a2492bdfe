"""Per-session report: ``report.html`` (self-contained, figures embedded), ``summary.json`` and figures.

The summary is the machine-readable twin of the page::

    {"session": ..., "unit": "bits", "data": {...}, "analyses": [row, ...], "truth": {...} | null,
     "warnings": [...], "provenance": {...}}

where each row is :func:`~.records.rigorous_row` or :func:`~.records.dimensionality_row`.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import platform
from collections.abc import Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from .._version import __version__
from ..io.atomic import atomic_write_bytes, atomic_write_text
from ..validation import NeuralMIError
from . import html as H
from .figures import dimensionality_figure, png_bytes, rigorous_figure
from .records import check_unit, dimensionality_row, finite, rigorous_row

MODES = ("rigorous", "dimensionality")


def _versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {"neuralmi_core": __version__, "python": platform.python_version()}
    for dist in ("numpy", "torch", "xarray", "pynwb", "scipy", "statsmodels", "snakemake"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = None
    return out


def sha256_file(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def _attr(attrs: Mapping[str, Any], *keys: str) -> Any:
    for k in keys:
        if k in attrs:
            v = attrs[k]
            return v.item() if hasattr(v, "item") else v
    return None


def data_summary(binned: str | os.PathLike | None) -> dict[str, Any]:
    """Sizes of the binned session file (units, duration, bins, variables) without loading its arrays."""
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
                vals, counts = _value_counts(ds[coord].values)
                out[f"units_by_{coord}"] = dict(zip(vals, counts, strict=True))
        out["attrs"] = {str(k): (v.item() if hasattr(v, "item") else v if isinstance(v, (str, int, float)) else str(v))
                        for k, v in attrs.items()}
    return out


def _value_counts(values: Any) -> tuple[list[str], list[int]]:
    counts: dict[str, int] = {}
    for v in values.tolist():
        counts[str(v)] = counts.get(str(v), 0) + 1
    keys = sorted(counts)
    return keys, [counts[k] for k in keys]


def build_session_report(
    session: str,
    results: Sequence[tuple[str, str, Mapping[str, Any]]],
    *,
    unit: str = "bits",
    data: Mapping[str, Any] | None = None,
    truth: Mapping[str, Any] | None = None,
    provenance: Mapping[str, Any] | None = None,
) -> tuple[dict[str, Any], str, dict[str, bytes]]:
    """Build a session's summary dict, HTML page and figures from gathered records.

    Parameters
    ----------
    session : session id.
    results : (analysis name, mode, record) triples; mode is ``rigorous`` or ``dimensionality`` and the
        record the gathered JSON of that mode.
    unit : ``bits`` (default) or ``nats``; every MI field name states it.
    data : :func:`data_summary` of the binned file.
    truth : ground truth of a synthetic session (the generator's sidecar), shown and kept in the summary.
    provenance : config hash, config version, source file and checksum, ... (versions are added).

    Returns
    -------
    (summary, html, figures) with figures keyed ``"{analysis}_{mode}"`` (PNG bytes).
    """
    check_unit(unit)
    rows: list[dict[str, Any]] = []
    figures: dict[str, bytes] = {}
    for name, mode, record in results:
        if mode == "rigorous":
            row = rigorous_row(name, record, unit)
            fig = rigorous_figure(record, unit, title=name)
        elif mode == "dimensionality":
            row = dimensionality_row(name, record, unit)
            fig = dimensionality_figure(row, unit, title=name)
        else:
            raise NeuralMIError(f"analysis {name!r}: unknown mode {mode!r}; expected one of {list(MODES)}")
        rows.append(row)
        figures[f"{name}_{mode}"] = png_bytes(fig)
    warnings = [f"{r['analysis']} ({r['mode']}): {w}" for r in rows for w in r["warnings"]]
    prov = {**(provenance or {}), "versions": _versions(),
            "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")}
    summary = {"session": session, "unit": unit, "data": dict(data or {}), "analyses": rows,
               "truth": dict(truth) if truth else None, "warnings": warnings, "provenance": prov}
    return summary, render_session_html(summary, figures), figures


def _result_table(rows: Sequence[Mapping[str, Any]], unit: str) -> str:
    out = []
    for r in rows:
        if r["mode"] == "rigorous":
            conf = r.get("confidence")
            lo, hi = r.get(f"ci_low_{unit}"), r.get(f"ci_high_{unit}")
            ci = f"[{H.fmt(lo)}, {H.fmt(hi)}]" + (f" ({conf:.0%})" if finite(conf) else "")
            value = f"{H.fmt(r.get(f'mi_{unit}'))} {unit}"
            extra = f"naive {H.fmt(r.get(f'naive_mi_{unit}'))}; gammas used {H.fmt(r.get('gammas_used'))}"
            ok = r.get("reliable")
        else:
            ci = "–"
            value = (f"saturation dim {H.fmt(r.get('saturation_dim_s1'))} (s=1); "
                     f"{H.fmt(r.get('saturation_dim_s0.1'))} (s=0.1), {H.fmt(r.get('saturation_dim_s15'))} (s=15)")
            extra = f"{r.get('of', '')}; max MI {H.fmt(r.get(f'mi_max_{unit}'))} {unit}"
            ok = r.get("saturation_dim_s1") is not None
        out.append({"analysis": r["analysis"], "mode": r["mode"], "estimator": r.get("estimator"),
                    "result": value, "interval": ci, "details": extra,
                    "status": "ok" if ok and not r["warnings"] else ("check warnings" if ok else "unreliable")})
    return H.table(out, ["analysis", "mode", "estimator", "result", "interval", "details", "status"])


def render_session_html(summary: Mapping[str, Any], figures: Mapping[str, bytes]) -> str:
    unit = summary["unit"]
    s = summary["session"]
    parts = [f"<h1>neuralmi report — session <code>{H.esc(s)}</code></h1>",
             f"<p class='muted'>MI in {unit}; created {H.esc(summary['provenance'].get('created'))}; config "
             f"{H.esc(summary['provenance'].get('config_hash'))}; neuralmi_core "
             f"{H.esc(summary['provenance']['versions'].get('neuralmi_core'))}</p>",
             H.warnings_box(summary["warnings"]),
             "<h2>Results</h2>", _result_table(summary["analyses"], unit)]
    d = summary.get("data") or {}
    if d:
        parts.append("<h2>Data</h2>")
        items = [("binned file", d.get("file")), ("units", d.get("n_units")), ("bins", d.get("n_bins")),
                 ("bin width (s)", d.get("bin_width_s")), ("duration (s)", d.get("duration_s"))]
        items += [(k.replace("_", " "), v) for k, v in d.items() if k.startswith("units_by_")]
        items += [("dims", d.get("dims"))]
        parts.append(H.kv_table(items))
        if d.get("variables"):
            parts.append(H.table([{"variable": k, "dims": v["dims"], "dtype": v["dtype"]}
                                  for k, v in d["variables"].items()]))
    for r in summary["analyses"]:
        key = f"{r['analysis']}_{r['mode']}"
        parts.append(f"<h2>{H.esc(r['analysis'])} — {H.esc(r['mode'])}</h2>")
        if key in figures:
            parts.append(H.img(figures[key], key))
        if r["mode"] == "rigorous":
            items = [(k, v) for k, v in r.items() if k not in ("analysis", "mode", "training", "warnings")]
        else:
            items = [(k, v) for k, v in r.items() if k not in ("analysis", "mode", "training", "warnings", "curve")]
            parts.append(H.table(r["curve"]))
        parts.append(H.kv_table(items))
        parts.append("<h3>Training</h3>" + H.kv_table(r["training"].items()))
        if r["warnings"]:
            parts.append(H.warnings_box(r["warnings"]))
    if summary.get("truth"):
        t = summary["truth"]
        parts.append("<h2>Ground truth (synthetic session)</h2>")
        parts.append(H.kv_table((k, v) for k, v in t.items() if k not in ("params", "notes")))
        if t.get("notes"):
            parts.append(f"<p class='muted'>{H.esc(t['notes'])}</p>")
    prov = summary["provenance"]
    parts.append("<h2>Provenance</h2>")
    parts.append(H.kv_table([(k, v) for k, v in prov.items() if k != "versions"]))
    parts.append(H.kv_table(prov["versions"].items()))
    return H.page(f"neuralmi report: {s}", "\n".join(parts))


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
) -> dict[str, Any]:
    """Read the gathered records, build the report and write html, json and figures (atomically).

    ``figures_out`` paths must end in ``{analysis}_{mode}.png``; each gets that figure.
    """
    records = []
    for name, mode, path in results:
        try:
            with open(path) as fh:
                records.append((name, mode, json.load(fh)))
        except (OSError, json.JSONDecodeError) as exc:
            raise NeuralMIError(f"analysis {name!r} ({mode}): cannot read {path}: {exc}") from exc
    data = data_summary(binned) if binned else {}
    truth_rec = None
    if truth:
        with open(truth) as fh:
            truth_rec = json.load(fh)
    attrs = data.get("attrs", {})
    prov: dict[str, Any] = {"session": session, "config_hash": config_hash, "config_version": config_version,
                            "source": str(source) if source else None,
                            "source_sha256": _attr(attrs, "source_sha256", "sha256")}
    if source and not prov["source_sha256"] and os.path.exists(source):
        prov["source_sha256"] = sha256_file(source)
    prov["binned"] = str(binned) if binned else None
    prov["results"] = [str(p) for _, _, p in results]
    summary, page, figures = build_session_report(session, records, unit=unit, data=data, truth=truth_rec,
                                                  provenance=prov)
    wanted = {Path(p).stem: p for p in figures_out}
    missing = sorted(set(wanted) - set(figures))
    if missing:
        raise NeuralMIError(f"no figure for {missing}; figures made: {sorted(figures)}")
    for key, path in wanted.items():
        atomic_write_bytes(path, figures[key])
    atomic_write_text(json_out, json.dumps(_clean(summary), indent=2, default=_json_default, allow_nan=False) + "\n")
    atomic_write_text(html_out, page)
    return summary

