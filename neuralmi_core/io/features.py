"""What the feature columns of a selected netCDF variable are: a summary per dim (sizes, ids, units per
region/location/quality), every column's coordinates, and a ``coord=value`` label per column.

Used by :mod:`.select` to record the provenance of a selection (the unit behind every feature column).
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: Coordinates along a selected dim that :func:`feature_info` counts (e.g. units per region).
DESCRIBED_COORDS = ("region", "location", "quality", "electrode_group")
#: Also counted along an imaging ``roi`` dim (found as ``roi_<name>`` too, see :mod:`.session`).
ROI_DESCRIBED = ("plane", "is_cell")
#: Also counted along an LFP ``channel`` dim (found as ``channel_<name>`` too).
CHANNEL_DESCRIBED = ("group",)
#: Also counted along an intervals variable's ``<name>_feature`` dim (stored as ``<name>_feature_<coord>``):
#: features per source column and per kind (one-hot or numeric).
INTERVAL_DESCRIBED = ("column", "kind")
_EXTRA = {"roi": ROI_DESCRIBED, "channel": CHANNEL_DESCRIBED}


def _extra(dim: str) -> tuple[str, ...]:
    return _EXTRA.get(dim, INTERVAL_DESCRIBED if dim.endswith("_feature") else ())


def signal_info(da: Any) -> dict[str, Any]:
    """What kind of signal a variable is and how it was made, from its attrs (``signal_kind``,
    ``preprocessing``, ``source_path`` / ``source_table``); empty for variables without ``signal_kind``
    (spike counts, behaviour)."""
    keys = ("signal_kind", "preprocessing", "source_path", "source_table")
    return {k: str(da.attrs[k]) for k in keys if k in da.attrs} if "signal_kind" in da.attrs else {}


def feature_info(da: Any) -> dict[str, Any]:
    """What the feature columns of a selected netCDF variable are: per non-time dim its size and ids, and
    the counts of the :data:`DESCRIBED_COORDS` values along it (e.g. ``{"region": {"A": 40}}``)."""
    out: dict[str, Any] = {}
    for dim in da.dims:
        if dim == "time":
            continue
        entry: dict[str, Any] = {"size": int(da.sizes[dim])}
        if dim in da.coords:
            entry["ids"] = np.asarray(da[dim].values).tolist()
        extra = _extra(str(dim))
        for name in DESCRIBED_COORDS + extra:
            stored = name if name in da.coords else f"{dim}_{name}" if extra else name
            if stored in da.coords and da[stored].dims == (dim,):
                values = np.asarray(da[stored].values).astype(str).tolist()
                entry[name] = {v: values.count(v) for v in sorted(set(values))}
        out[str(dim)] = entry
    return out


def feature_coords(da: Any) -> list[dict[str, str]]:
    """Per feature column of ``da`` (time first, C order): every 1-d coordinate along its dims, as text
    (for spike counts: ``unit``, ``region``, ``location``, ``quality``, ...)."""
    dims = list(da.dims[1:])
    per_dim = []
    for dim in dims:
        names = [str(c) for c in da.coords if da[c].dims == (dim,)]
        values = {c: np.asarray(da[c].values).astype(str) for c in names}
        per_dim.append([{c: str(values[c][i]) for c in names} for i in range(da.sizes[dim])])
    out: list[dict[str, str]] = [{}]
    for entries in per_dim:
        out = [{**a, **b} for a in out for b in entries]
    return out


def feature_labels(da: Any) -> list[str]:
    """``coord=value`` labels of the feature columns of ``da`` (time first, other dims flattened, C order).

    A dim with a coordinate of its own name is labelled by it (``unit=17``: the unit id of the units
    table); one without is labelled by position (``unit[3]``).
    """
    parts = []
    for dim in da.dims[1:]:
        if dim in da.coords:
            parts.append([f"{dim}={v}" for v in np.asarray(da[dim].values).astype(str)])
        else:
            parts.append([f"{dim}[{i}]" for i in range(da.sizes[dim])])
    labels = [""]
    for p in parts:
        labels = [f"{a},{b}" if a else b for a in labels for b in p]
    return labels
