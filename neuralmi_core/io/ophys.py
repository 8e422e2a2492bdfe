"""Calcium imaging (``processing/ophys``): one RoiResponseSeries with its ROI table, frames averaged into bins.

What is read
------------
* The series: the spec's ``ophys.series`` path, or by discovery (``series: auto``): the first
  RoiResponseSeries (by name) of a ``DfOverF`` container under ``processing/ophys``, else of a
  ``Fluorescence`` container (the one named ``Fluorescence`` first; containers named like ``Neuropil`` or
  ``Deconvolved``, as suite2p writes them, only when nothing else is there), else a bare RoiResponseSeries
  in the module. When the file has no ``ophys`` module the other processing modules are searched the same
  way. ``signal: dff`` / ``fluorescence`` restricts discovery to that container type.
* Frame times: ``timestamps`` when present, else ``starting_time + arange(n) / rate``; values
  ``data * conversion + offset``. Data stored as (rois, frames) -- which pynwb warns about as "may be
  transposed" -- is read transposed when only that reading fits the ROI count, and flagged in the attrs.
* ROI coordinates from the PlaneSegmentation the series' ``rois`` region points at: ``roi`` (the table's
  ids of the region's rows), ``plane`` (the imaging plane's name), ``location`` (the imaging plane's
  ``location``, or the table's own per-ROI ``location`` column when it has one; an empty one, or
  ``unknown``/``n/a``/``none``, is stored as ``unknown`` and flagged),
  ``is_cell`` (uint8) where the table has an ``iscell`` or ``is_cell`` column (suite2p's two-column
  ``iscell`` also gives ``cell_probability``), and the table's other 1-d scalar columns.

Resampling rule
---------------
A bin's value is the mean of the frames whose timestamp falls in the bin (half-open bins of the session
grid, :mod:`neuralmi_core.io.binning`; a frame within 1e-6 frame periods below an edge counts as on the
edge, so ``k / rate`` computed in floating point never slips into the previous bin); ``ophys_n_frames``
counts them per bin. Bins without a frame
(outside the imaging span, or a dropped frame) are NaN, which selectors drop as invalid bins.

Bins shorter than the frame period are refused (error naming the file, the series, the frame period and
the bin width). Holding or interpolating a frame across several bins would fake independent samples: the
MI estimators and their bias corrections treat every bin as a new observation, so repeated frames would
shrink the confidence intervals without adding information. The check allows 1 % of timestamp jitter
(``bin_width >= 0.99 * frame period``, the period being the median frame interval).

NaN frame values (``on_nan``): ``drop`` (default) leaves a NaN value out of its bin's mean (the bin is NaN
when none of its frames is finite for that ROI) and counts them in ``n_nan_frames(roi)`` and the attrs;
``error`` refuses the file. An ROI with no finite value at all is refused either way (filter it out by
``roi``).

Examples
--------
>>> from neuralmi_core.io.session import bin_session
>>> ds = bin_session("imaging.nwb", {"spikes": False, "ophys": {"filters": {"is_cell": 1}}}, 0.1)  # doctest: +SKIP
>>> ds.ophys.dims, ds.ophys.attrs["preprocessing"]                                                 # doctest: +SKIP
(('time', 'roi'), 'dF/F, 30 Hz frames averaged into 100 ms bins')
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..validation import NeuralMIError, SignalAbsent
from .binning import BinGrid
from .nwb import _children, _src, get_object, sample_times, series_timestamps
from .units import narrow

#: Tolerated timestamp jitter when comparing the bin width with the frame period.
JITTER = 0.01
_CHUNK = 1 << 16  # frames per block when averaging
_KINDS = {"DfOverF": "dF/F", "Fluorescence": "fluorescence"}
_NO_LOCATION = ("", "unknown", "n/a", "na", "none", "unspecified")


@dataclass
class OphysData:
    """One RoiResponseSeries in memory: frame times, values as stored (n_frames, n_rois), ROI coordinates."""

    path: str
    source: str
    kind: str  # "dF/F", "fluorescence", "deconvolved", "neuropil fluorescence", "ROI response"
    timestamps: np.ndarray
    values: np.ndarray
    conversion: float
    offset: float
    unit: str
    ids: np.ndarray
    columns: dict[str, np.ndarray] = field(default_factory=dict)
    table: str = ""
    transposed: bool = False
    location_missing: list[str] = field(default_factory=list)

    @property
    def n_rois(self) -> int:
        return int(self.ids.shape[0])

    @property
    def frame_period(self) -> float:
        """Median interval between frames (s); NaN for a single frame."""
        dt = np.diff(self.timestamps)
        dt = dt[dt > 0]
        return float(np.median(dt)) if dt.size else float("nan")

    def subset(self, keep: np.ndarray) -> OphysData:
        rows = np.flatnonzero(keep)
        return OphysData(self.path, self.source, self.kind, self.timestamps, self.values[:, rows], self.conversion,
                         self.offset, self.unit, self.ids[rows], {k: v[rows] for k, v in self.columns.items()},
                         self.table, self.transposed, self.location_missing)


def _kind(container_type: str, name: str) -> str:
    low = name.lower()
    if container_type == "Fluorescence" and "deconv" in low:
        return "deconvolved"
    if container_type == "Fluorescence" and "neuropil" in low:
        return "neuropil fluorescence"
    return _KINDS.get(container_type, "ROI response")


def find_roi_series(nwb: Any) -> list[tuple[str, str, str]]:
    """``(path, container type, kind)`` of every RoiResponseSeries in the processing modules, ``ophys``
    first, in discovery order (see the module docstring)."""
    from pynwb.ophys import DfOverF, Fluorescence, RoiResponseSeries

    modules = sorted(nwb.processing, key=lambda m: (m != "ophys", m))
    found: list[tuple[int, str, str, str]] = []
    for m in modules:
        for name, obj in sorted(_children(nwb.processing[m]).items()):
            if isinstance(obj, DfOverF | Fluorescence):
                ctype = type(obj).__name__
                for sname in sorted(obj.roi_response_series):
                    kind = _kind(ctype, name)
                    kind = _kind(ctype, sname) if kind == "fluorescence" else kind
                    rank = 0 if ctype == "DfOverF" else 3 if kind != "fluorescence" else 1 if name == "Fluorescence" else 2
                    found.append((rank, f"processing/{m}/{name}/{sname}", ctype, kind))
            elif isinstance(obj, RoiResponseSeries):
                found.append((4, f"processing/{m}/{name}", "RoiResponseSeries", "ROI response"))
        if found:  # the first module holding any series wins
            break
    found.sort(key=lambda f: f[0])
    return [f[1:] for f in found]


def choose_series(nwb: Any, series: str = "auto", signal: str = "auto") -> tuple[str, str]:
    """``(path, kind)`` of the series the spec names, or the discovered one.

    Raises
    ------
    NeuralMIError
        no RoiResponseSeries in the file (lists the processing modules), none of the asked ``signal``.
    """
    src = _src(nwb)
    if series != "auto":
        parts = series.strip("/").split("/")
        ctype = ""
        if len(parts) >= 3:
            try:
                ctype = type(get_object(nwb, "/".join(parts[:-1]))).__name__
            except NeuralMIError:  # the series read itself names the missing segment
                pass
        if ctype not in _KINDS:
            return series.strip("/"), "ROI response"
        kind = _kind(ctype, parts[-2])
        return series.strip("/"), _kind(ctype, parts[-1]) if kind == "fluorescence" else kind
    found = find_roi_series(nwb)
    if signal != "auto":
        want = "DfOverF" if signal == "dff" else "Fluorescence"
        found = [f for f in found if f[1] == want]
    if not found:
        what = {"auto": "RoiResponseSeries", "dff": "DfOverF RoiResponseSeries",
                "fluorescence": "Fluorescence RoiResponseSeries"}[signal]
        mods = sorted(nwb.processing)
        where = "has no processing/ophys module" if "ophys" not in nwb.processing else \
            f"processing/ophys holds {sorted(_children(nwb.processing['ophys']))}"
        raise SignalAbsent(
            f"{src}: `ophys` asks for imaging data but the file {where} and no {what} under processing "
            f"(modules present: {mods}); expected e.g. processing/ophys/DfOverF/RoiResponseSeries."
        )
    return found[0][0], found[0][2]


def _roi_columns(table: Any, rows: np.ndarray) -> tuple[dict[str, np.ndarray], list[str]]:
    """Coordinates of the region's rows: plane, location, is_cell (+ cell_probability), scalar columns."""
    from .units import _scalar_columns

    n = len(rows)
    cols: dict[str, np.ndarray] = {}
    missing: list[str] = []
    plane = getattr(table, "imaging_plane", None)
    pname = str(getattr(plane, "name", "") or "unknown")
    loc = str(getattr(plane, "location", "") or "").strip()
    if loc.lower() in _NO_LOCATION:  # converters write "unknown" when the lab gave none (neuroconv does)
        missing.append(pname)
        loc = "unknown"
    cols["plane"] = np.array([pname] * n, dtype=str)
    cols["location"] = np.array([loc] * n, dtype=str)
    scalar = _scalar_columns(table, len(table))
    per_roi = scalar.pop("location", None)  # a per-ROI location column is more specific than the plane's
    if per_roi is not None and per_roi.dtype.kind in "US":
        vals = np.array([str(v).strip() for v in per_roi[rows]], dtype=object)
        empty = np.array([v.lower() in _NO_LOCATION for v in vals])
        if not empty.all():
            missing = [] if not empty.any() else [f"{pname} (table column location, {int(empty.sum())} ROIs)"]
            cols["location"] = np.where(empty, "unknown", vals).astype(str)
    for name in ("iscell", "is_cell"):
        if name in table.colnames:
            arr = np.asarray(table[name].data[:])
            arr = arr.reshape(arr.shape[0], -1) if arr.ndim else arr.reshape(1, 1)
            if arr.dtype.kind in "biuf" and arr.shape[0] == len(table):
                cols["is_cell"] = (np.rint(arr[rows, 0]) != 0).astype(np.uint8)
                if arr.shape[1] > 1:
                    cols["cell_probability"] = arr[rows, 1].astype(np.float64)
            break
    for name, vals in scalar.items():
        if name not in ("iscell", "is_cell") and name not in cols:
            cols[name] = vals[rows]
    return cols, missing


def read_ophys(nwb: Any, series: str = "auto", signal: str = "auto") -> OphysData:
    """Read the RoiResponseSeries the spec names (or discovers) with its frame times and ROI table.

    Raises
    ------
    NeuralMIError
        no series found, not a RoiResponseSeries, no ``rois`` region, data shape not matching the ROIs,
        timestamps of the wrong length, NaN or decreasing timestamps (each names the file and the path).
    """
    from pynwb.ophys import RoiResponseSeries

    src = _src(nwb)
    path, kind = choose_series(nwb, series, signal)
    obj = get_object(nwb, path)
    if not isinstance(obj, RoiResponseSeries):
        kids = sorted(_children(obj))
        raise NeuralMIError(
            f"{src}: {path!r} is a {type(obj).__name__}, not a RoiResponseSeries; expected the path of one"
            + (f" (it holds {kids})." if kids else ".")
        )
    where = f"{src}: {path!r}"
    region = obj.rois
    if region is None or getattr(region, "table", None) is None:
        raise NeuralMIError(f"{where} has no `rois` region; expected a link to its PlaneSegmentation rows.")
    table = region.table
    rows = np.asarray(region.data[:], dtype=np.int64).reshape(-1)
    if rows.size == 0 or rows.min() < 0 or rows.max() >= len(table):
        raise NeuralMIError(
            f"{where}: `rois` region rows {rows.min() if rows.size else 'none'}..{rows.max() if rows.size else ''} "
            f"do not fit its table {table.name!r} of {len(table)} rows."
        )
    ids = np.asarray(table.id.data[:], dtype=np.int64)[rows]
    data = np.asarray(obj.data[:])
    if data.ndim == 1:
        data = data[:, None]
    if data.ndim != 2:
        raise NeuralMIError(f"{where}: data has shape {data.shape}; expected (frames, rois).")
    n_rois = rows.size
    t = series_timestamps(obj)
    transposed = False
    if data.shape[1] != n_rois:
        fits_t = t is None or t.shape[0] == data.shape[1]
        if data.shape[0] == n_rois and fits_t:
            data, transposed = data.T, True
        else:
            raise NeuralMIError(
                f"{where}: data has shape {data.shape} for {n_rois} ROIs in its `rois` region; expected "
                "(frames, rois)."
            )
    n = data.shape[0]
    if n == 0:
        raise NeuralMIError(f"{where} has no frames; expected imaging data.")
    t = sample_times(obj, n, where, "frames", t)
    columns, missing = _roi_columns(table, rows)
    return OphysData(
        path=path, source=src, kind=kind, timestamps=t, values=data,
        conversion=float(obj.conversion if obj.conversion is not None else 1.0),
        offset=float(getattr(obj, "offset", 0.0) or 0.0), unit=str(obj.unit), ids=ids, columns=columns,
        table=str(table.name), transposed=transposed, location_missing=missing,
    )


def filter_rois(data: OphysData, filters: Mapping[str, Any] | None) -> tuple[OphysData, dict[str, int]]:
    """Keep the ROIs passing every filter (rules as for units: scalar, list, ``{min, max}``; ``roi``
    filters by id); return them and how many each filter removed.

    Raises
    ------
    NeuralMIError
        unknown column (lists the available ones), a filter on ``location`` when the imaging plane has none,
        a bad range, or no ROI left (each names the file and the series).
    """
    where = f"{data.source}: {data.path!r}"
    cols = {"roi": data.ids, **data.columns}
    keep = np.ones(data.n_rois, bool)
    removed: dict[str, int] = {}
    for col, rule in (filters or {}).items():
        if col not in cols:
            raise NeuralMIError(f"{where}: ROIs have no column {col!r} to filter on; available: {sorted(cols)}.")
        if col == "location" and data.location_missing and (cols["location"] == "unknown").all():
            raise NeuralMIError(
                f"{where}: filter on `location` but imaging plane(s) {data.location_missing} of table "
                f"{data.table!r} state no location; expected ImagingPlane.location (e.g. VISp)."
            )
        removed[col] = narrow(keep, cols[col], col, rule, where, "ROI")
    return (data if keep.all() else data.subset(keep)), removed


def check_bin_width(data: OphysData, bin_width: float) -> float:
    """The frame period; raise when ``bin_width`` is shorter (see the module docstring for why)."""
    period = data.frame_period
    if np.isfinite(period) and bin_width < (1.0 - JITTER) * period:
        raise NeuralMIError(
            f"{data.source}: {data.path!r}: bins of {bin_width * 1e3:.6g} ms are shorter than the frame period "
            f"{period * 1e3:.6g} ms ({1.0 / period:.4g} Hz); use bin_width >= {period:.6g} s (frames are "
            "averaged into bins, never repeated)."
        )
    return period


def bin_frames(data: OphysData, grid: BinGrid, on_nan: str = "drop") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean of the frames in each bin: ``(means (n_bins, n_rois) float32, frames per bin (n_bins,),
    non-finite values per ROI (n_rois,))``; see the module docstring for the NaN rules.

    Examples
    --------
    >>> from neuralmi_core.io.binning import make_grid
    >>> d = OphysData("s", "f.nwb", "dF/F", np.arange(6) * 0.1, np.arange(6.0)[:, None], 1.0, 0.0, "n.a.",
    ...               np.array([0]))
    >>> means, n, nan = bin_frames(d, make_grid(0.0, 0.6, 0.2))
    >>> means[:, 0].tolist(), n.tolist()
    ([0.5, 2.5, 4.5], [2, 2, 2])
    """
    where = f"{data.source}: {data.path!r}"
    n_bins, n_rois = grid.n_bins, data.n_rois
    sums = np.zeros((n_bins, n_rois))
    bad_n: np.ndarray | None = None  # (n_bins, n_rois) NaN values per bin, allocated at the first NaN
    frames = np.zeros(n_bins, dtype=np.int64)
    nan = np.zeros(n_rois, dtype=np.int64)
    period = data.frame_period
    nudge = 1e-6 * period if np.isfinite(period) else 0.0  # a frame on a bin edge (k / rate) opens the bin
    idx_all = grid.bin_index(data.timestamps + nudge)
    for a in range(0, data.timestamps.shape[0], _CHUNK):
        idx = idx_all[a : a + _CHUNK]
        v = np.asarray(data.values[a : a + _CHUNK], dtype=np.float64) * data.conversion + data.offset
        bad = ~np.isfinite(v)
        any_bad = bool(bad.any())
        if any_bad:
            if on_nan == "error":
                f, r = (int(i[0]) for i in np.nonzero(bad))
                raise NeuralMIError(
                    f"{where}: {int(bad.sum())}+ frame values are NaN/inf (first at frame {a + f}, ROI id "
                    f"{data.ids[r]}); expected finite values (or set ophys.on_nan: drop)."
                )
            nan += bad.sum(axis=0)
            v[bad] = 0.0
        inside = (idx >= 0) & (idx < n_bins)
        if not inside.any():
            continue
        idx, v, bad = idx[inside], v[inside], bad[inside]
        starts = np.concatenate([[0], np.flatnonzero(np.diff(idx)) + 1])
        bins = idx[starts]
        sums[bins] += np.add.reduceat(v, starts, axis=0)
        frames[bins] += np.diff(np.append(starts, idx.size))
        if any_bad and bad.any():
            if bad_n is None:
                bad_n = np.zeros((n_bins, n_rois), dtype=np.int32)
            bad_n[bins] += np.add.reduceat(bad.astype(np.int32), starts, axis=0)
    dead = nan >= data.timestamps.shape[0]
    if dead.any():
        raise NeuralMIError(
            f"{where}: ROI id(s) {data.ids[dead].tolist()[:10]} have no finite value; expected imaging data "
            "(leave them out with an ophys filter on `roi`)."
        )
    good = frames[:, None] if bad_n is None else frames[:, None] - bad_n
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(good > 0, sums / np.maximum(good, 1), np.nan).astype(np.float32)
    return means, frames, nan


def preprocessing_text(data: OphysData, bin_width: float) -> str:
    """E.g. ``"dF/F, 30 Hz frames averaged into 100 ms bins"``."""
    period = data.frame_period
    rate = f"{1.0 / period:.4g} Hz" if np.isfinite(period) else "single"
    return f"{data.kind}, {rate} frames averaged into {bin_width * 1e3:.4g} ms bins"


__all__ = ["OphysData", "bin_frames", "check_bin_width", "choose_series", "filter_rois", "find_roi_series",
           "preprocessing_text", "read_ophys"]
