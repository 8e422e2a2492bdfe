"""Read NWB recordings lazily: spike trains in bulk, unit metadata and filters, TimeSeries by path, intervals.

The only module of ``neuralmi_core`` that imports ``pynwb``. Files are opened read-only with HDF5 file
locking off (``h5py.File(path, "r", locking=False)``) so that many jobs can read one file on a shared
filesystem while another process holds it; datasets stay on disk until sliced.

Every error is a :class:`~neuralmi_core.validation.NeuralMIError` naming the file, the item inside it and
what was expected.

Examples
--------
>>> from neuralmi_core.io import nwb as nwbio
>>> with nwbio.open_nwb("sub-01_ses-01_ecephys.nwb") as f:            # doctest: +SKIP
...     units = nwbio.read_units(f)
...     pos = nwbio.read_timeseries(f, "processing/behavior/Position/position")
>>> units.n_units, pos.values.shape                                    # doctest: +SKIP
(80, (17400, 2))
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..validation import NeuralMIError

#: units-table columns that are not per-unit scalar metadata
_SKIP_COLUMNS = {"spike_times", "obs_intervals", "electrodes", "waveform_mean", "waveform_sd", "waveforms"}


# ----------------------------------------------------------------------------------------------- opening
@contextmanager
def open_nwb(path: str | os.PathLike) -> Iterator[Any]:
    """Open an NWB file read-only (lazy, HDF5 locking off) and yield the ``NWBFile``; close on exit.

    The file path is attached to the returned object as ``nwb_source`` (used in error messages), and the
    file's NWB schema version as ``nwb_file_version``.

    Raises
    ------
    NeuralMIError
        file missing, not HDF5, truncated/corrupt, or HDF5 but not readable as NWB.
    """
    import h5py

    path = Path(path)
    if not path.exists():
        raise NeuralMIError(f"{path}: NWB file not found.")
    if path.is_dir():
        raise NeuralMIError(f"{path}: expected an NWB file, got a folder.")
    try:
        h5 = h5py.File(path, "r", locking=False)
    except OSError as exc:
        msg = str(exc)
        if "truncated" in msg.lower():
            raise NeuralMIError(
                f"{path}: HDF5 file is truncated ({msg}); expected a complete NWB file. "
                "Was it still being written or copied?"
            ) from exc
        what = "not an HDF5 file" if "signature" in msg.lower() else "could not open as HDF5"
        raise NeuralMIError(f"{path}: {what} ({msg}); expected an NWB (HDF5) file.") from exc
    try:
        version = h5.attrs.get("nwb_version")
        if version is None:
            raise NeuralMIError(f"{path}: HDF5 file has no 'nwb_version' attribute; expected an NWB file.")
        version = version.decode() if isinstance(version, bytes) else str(version)
        from pynwb import NWBHDF5IO

        io = NWBHDF5IO(file=h5, mode="r")
        try:
            try:
                nwb = io.read()
            except Exception as exc:  # noqa: BLE001 - any failure to build the NWBFile
                raise NeuralMIError(
                    f"{path}: could not read as NWB {version} ({type(exc).__name__}: {exc})."
                ) from exc
            nwb.nwb_source = str(path)
            nwb.nwb_file_version = version
            yield nwb
        finally:
            io.close()
    finally:
        h5.close()


def _src(nwb: Any) -> str:
    return getattr(nwb, "nwb_source", None) or "NWB file"


def session_info(nwb: Any) -> dict[str, str]:
    """Identifier, session start (ISO 8601), session/subject ids and NWB version of an open file."""
    subject = getattr(nwb, "subject", None)
    return {
        "nwb_identifier": str(nwb.identifier),
        "session_start_time": nwb.session_start_time.isoformat() if nwb.session_start_time else "",
        "nwb_session_id": str(nwb.session_id or ""),
        "nwb_subject_id": str(getattr(subject, "subject_id", "") or ""),
        "nwb_version": str(getattr(nwb, "nwb_file_version", "")),
        "session_description": str(nwb.session_description or ""),
    }


# ----------------------------------------------------------------------------------------------- units
@dataclass
class UnitsData:
    """All spike trains of a units table, in memory as one flat array plus cumulative end indices.

    Attributes
    ----------
    ids : (n_units,) unit ids of the table.
    spike_times : (n_spikes,) float64, all trains concatenated (seconds).
    ends : (n_units,) int64, ``spike_times[ends[i-1]:ends[i]]`` is unit ``i``'s train.
    columns : per-unit scalar metadata (units-table columns, plus electrode-table columns of each
        unit's first electrode when the units table lacks them, e.g. ``location``).
    obs_intervals : per unit an (k, 2) array of observed intervals, or None when the table has none.
    resolution : spike-time resolution in seconds, or None when the file does not state it.
    source : file the data came from (for messages).
    """

    ids: np.ndarray
    spike_times: np.ndarray
    ends: np.ndarray
    columns: dict[str, np.ndarray] = field(default_factory=dict)
    obs_intervals: list[np.ndarray] | None = None
    resolution: float | None = None
    source: str = ""

    @property
    def n_units(self) -> int:
        return int(self.ids.shape[0])

    @property
    def starts(self) -> np.ndarray:
        return np.concatenate([[0], self.ends[:-1]]).astype(np.int64)

    @property
    def n_spikes(self) -> np.ndarray:
        return np.diff(np.concatenate([[0], self.ends])).astype(np.int64)

    def times(self, i: int) -> np.ndarray:
        """Spike times of the unit at row ``i``."""
        a = 0 if i == 0 else int(self.ends[i - 1])
        return self.spike_times[a : int(self.ends[i])]

    def subset(self, keep: np.ndarray) -> UnitsData:
        """A new UnitsData with the rows where boolean ``keep`` is true (spike arrays rebuilt compactly)."""
        rows = np.flatnonzero(keep)
        trains = [self.times(int(i)) for i in rows]
        flat = np.concatenate(trains) if trains else np.zeros(0)
        ends = np.cumsum([len(t) for t in trains]).astype(np.int64)
        return UnitsData(
            ids=self.ids[rows],
            spike_times=flat,
            ends=ends,
            columns={k: v[rows] for k, v in self.columns.items()},
            obs_intervals=None if self.obs_intervals is None else [self.obs_intervals[i] for i in rows],
            resolution=self.resolution,
            source=self.source,
        )


def _as_text_or_number(values: np.ndarray) -> np.ndarray:
    arr = np.asarray(values)
    if arr.dtype.kind in "SO":
        arr = np.array([v.decode() if isinstance(v, bytes) else str(v) for v in arr.tolist()], dtype=str)
    return arr


def _scalar_columns(table: Any, n: int) -> dict[str, np.ndarray]:
    """1-d, non-ragged, non-reference columns of a DynamicTable as arrays of length ``n``."""
    from hdmf.common import DynamicTableRegion, VectorIndex

    out: dict[str, np.ndarray] = {}
    for name in table.colnames:
        if name in _SKIP_COLUMNS:
            continue
        col = table[name]
        if isinstance(col, VectorIndex | DynamicTableRegion):
            continue
        try:
            data = col.data[:]
        except Exception:  # noqa: BLE001 - unreadable or object column: not metadata we can use
            continue
        arr = np.asarray(data)
        if arr.ndim != 1 or arr.shape[0] != n or arr.dtype.kind not in "biufSUO":
            continue
        if arr.dtype.kind == "O" and not all(isinstance(v, str | bytes) for v in arr[: min(n, 5)]):
            continue
        out[name] = _as_text_or_number(arr)
    return out


def read_units(nwb: Any, table: str = "units") -> UnitsData:
    """Read every spike train of the units table in two bulk reads, plus metadata and ``obs_intervals``.

    Parameters
    ----------
    nwb : an open ``NWBFile`` (from :func:`open_nwb`).
    table : ``"units"`` (``nwb.units``) or the path of another Units table, e.g.
        ``processing/ecephys/units``.

    Raises
    ------
    NeuralMIError
        no such table, no ``spike_times`` column, NaN spike times.
    """
    src = _src(nwb)
    units = nwb.units if table == "units" else get_object(nwb, table)
    if units is None:
        raise NeuralMIError(f"{src}: has no 'units' table; expected sorted spike trains in /units.")
    if "spike_times" not in getattr(units, "colnames", ()):
        raise NeuralMIError(
            f"{src}: table {table!r} has no 'spike_times' column; it has {list(units.colnames)}."
        )
    ids = np.asarray(units.id.data[:], dtype=np.int64)
    n = ids.shape[0]
    flat = np.asarray(units.spike_times.data[:], dtype=np.float64)
    ends = np.asarray(units.spike_times_index.data[:], dtype=np.int64)
    if ends.shape[0] != n or (n and ends[-1] != flat.shape[0]):
        raise NeuralMIError(
            f"{src}: {table}/spike_times_index has {ends.shape[0]} entries ending at "
            f"{ends[-1] if n else 0}; expected {n} units ending at {flat.shape[0]}."
        )
    if np.isnan(flat).any():
        bad = int(np.searchsorted(ends, int(np.flatnonzero(np.isnan(flat))[0]), side="right"))
        raise NeuralMIError(
            f"{src}: {table}/spike_times holds NaN (first in unit id {ids[bad]}); "
            "expected finite spike times in seconds."
        )
    columns = _scalar_columns(units, n)
    if "electrodes" in units.colnames and n:
        try:  # metadata of each unit's first electrode (e.g. location), when the units table lacks it
            rows_flat = np.asarray(units.electrodes.data[:], dtype=np.int64)
            index = getattr(units, "electrodes_index", None)
            if index is not None:
                el_ends = np.asarray(index.data[:], dtype=np.int64)
                el_starts = np.concatenate([[0], el_ends[:-1]])
                complete = bool(np.all(el_ends > el_starts))
            else:
                el_starts, complete = np.arange(n), rows_flat.shape[0] == n
            if complete:
                rows = rows_flat[el_starts]
                eltab = units.electrodes.table
                for name, vals in _scalar_columns(eltab, len(eltab)).items():
                    columns.setdefault(name, vals[rows])
        except Exception:  # noqa: BLE001 - electrode metadata is a convenience, never fatal
            pass
    obs = None
    if "obs_intervals" in units.colnames:
        data = np.asarray(units.obs_intervals.data[:], dtype=np.float64).reshape(-1, 2)
        oend = np.asarray(units.obs_intervals_index.data[:], dtype=np.int64)
        ostart = np.concatenate([[0], oend[:-1]])
        obs = [data[a:b] for a, b in zip(ostart, oend, strict=True)]
    res = getattr(units, "resolution", None)
    res = float(res) if res is not None and np.isfinite(res) and res > 0 else None
    return UnitsData(
        ids=ids, spike_times=flat, ends=ends, columns=columns, obs_intervals=obs, resolution=res, source=src
    )


def filter_units(
    units: UnitsData,
    filters: Mapping[str, Any] | None = None,
    min_rate_hz: float = 0.0,
    duration_s: float | None = None,
) -> tuple[UnitsData, dict[str, int]]:
    """Keep the units that pass every filter; return them and how many each filter removed.

    Parameters
    ----------
    filters : ``{column: rule}``; rule is a scalar (column equals it), a list (column in the set) or a
        mapping ``{"min": a, "max": b}`` (numeric range, inclusive, either bound optional). Values are
        compared as text for scalars and sets, so ``1`` matches an integer column and ``"good"`` a label.
    min_rate_hz : minimum mean firing rate; the rate is ``n_spikes / observed time`` (sum of the unit's
        ``obs_intervals`` when present, else ``duration_s``).
    duration_s : recording duration used for the rate when a unit has no ``obs_intervals``.

    Raises
    ------
    NeuralMIError
        unknown column (lists the available ones), bad rule, or no unit left (names the filter).
    """
    keep = np.ones(units.n_units, bool)
    removed: dict[str, int] = {}
    for col, rule in (filters or {}).items():
        if col not in units.columns:
            raise NeuralMIError(
                f"{units.source}: units have no column {col!r} to filter on; available: "
                f"{sorted(units.columns)}."
            )
        vals = units.columns[col]
        if isinstance(rule, Mapping):
            unknown = set(rule) - {"min", "max"}
            if unknown or vals.dtype.kind not in "biuf":
                raise NeuralMIError(
                    f"{units.source}: filter on {col!r}: a range needs keys min/max on a numeric "
                    f"column; got {dict(rule)} on a column of dtype {vals.dtype}."
                )
            ok = np.ones(units.n_units, bool)
            if rule.get("min") is not None:
                ok &= vals >= float(rule["min"])
            if rule.get("max") is not None:
                ok &= vals <= float(rule["max"])
        else:
            wanted = [str(v) for v in (rule if isinstance(rule, list | tuple | set) else [rule])]
            ok = np.isin(vals.astype(str), wanted)
        removed[col] = int((keep & ~ok).sum())
        keep &= ok
        if not keep.any():
            avail = sorted(set(vals.astype(str).tolist()))[:20]
            raise NeuralMIError(
                f"{units.source}: no unit left after filter {col}={rule!r}; values of {col!r} are {avail}."
            )
    if min_rate_hz and min_rate_hz > 0:
        rate = unit_rates(units, duration_s)
        ok = rate >= min_rate_hz
        removed["min_rate_hz"] = int((keep & ~ok).sum())
        keep &= ok
        if not keep.any():
            raise NeuralMIError(
                f"{units.source}: no unit left after min_rate_hz={min_rate_hz} (highest rate "
                f"{np.nanmax(rate) if rate.size else 0:.3g} Hz)."
            )
    return (units if keep.all() else units.subset(keep)), removed


def unit_rates(units: UnitsData, duration_s: float | None) -> np.ndarray:
    """Mean firing rate (Hz) per unit over its observed time (``obs_intervals``) or ``duration_s``."""
    if units.obs_intervals is not None:
        obs_time = np.array([float(np.sum(o[:, 1] - o[:, 0])) for o in units.obs_intervals])
    else:
        obs_time = np.full(units.n_units, float(duration_s) if duration_s else np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(obs_time > 0, units.n_spikes / obs_time, 0.0)


# ----------------------------------------------------------------------------------------------- paths
def _children(obj: Any) -> dict[str, Any]:
    if isinstance(obj, Mapping):
        return dict(obj)
    return {c.name: c for c in getattr(obj, "children", ())}


_TOP = ("acquisition", "processing", "stimulus", "analysis", "intervals", "scratch")


def get_object(nwb: Any, path: str) -> Any:
    """The object at ``path`` (``processing/behavior/Position/position``, ``acquisition/NAME``, ...).

    Raises
    ------
    NeuralMIError
        a segment does not exist (lists what exists at that level).
    """
    src = _src(nwb)
    parts = [p for p in str(path).strip("/").split("/") if p]
    if not parts:
        raise NeuralMIError(
            f"{src}: empty object path; expected e.g. 'processing/behavior/Position/position'."
        )
    head = parts[0]
    if head in _TOP or head in ("units", "trials", "epochs", "electrodes", "subject"):
        obj = getattr(nwb, head, None)
        if head == "stimulus" and obj is None:
            obj = nwb.stimulus
    else:
        raise NeuralMIError(
            f"{src}: path {path!r} must start with one of {list(_TOP) + ['units', 'trials', 'epochs']}."
        )
    if obj is None or (isinstance(obj, Mapping) and not obj and len(parts) > 1):
        raise NeuralMIError(f"{src}: path {path!r}: the file has no {head!r}.")
    walked = head
    for seg in parts[1:]:
        kids = _children(obj)
        if seg not in kids:
            raise NeuralMIError(f"{src}: path {path!r}: {walked!r} has no {seg!r}; it holds {sorted(kids)}.")
        obj = kids[seg]
        walked += "/" + seg
    return obj


@dataclass
class TimeSeriesData:
    """Timestamps (s) and values (n_samples, n_components) of one TimeSeries, conversion applied."""

    path: str
    timestamps: np.ndarray
    values: np.ndarray
    unit: str
    neurodata_type: str
    components: list[str]


def read_timeseries(nwb: Any, path: str) -> TimeSeriesData:
    """Read the TimeSeries at ``path`` with timestamps (or ``starting_time + arange(n) / rate``) and values
    ``data * conversion (* channel_conversion) + offset`` as float64 of shape (n_samples, n_components).

    Raises
    ------
    NeuralMIError
        missing path; object is a group/container, not a TimeSeries; NaN or decreasing timestamps; length
        mismatch between timestamps and data.
    """
    from pynwb import TimeSeries

    src = _src(nwb)
    obj = get_object(nwb, path)
    if not isinstance(obj, TimeSeries):
        kids = sorted(_children(obj))
        raise NeuralMIError(
            f"{src}: {path!r} is a {type(obj).__name__}, not a TimeSeries; expected a path to "
            f"a TimeSeries" + (f" (it holds {kids})." if kids else ".")
        )
    data = np.asarray(obj.data[:])
    n = data.shape[0]
    values = data.reshape(n, -1).astype(np.float64)
    values *= float(obj.conversion if obj.conversion is not None else 1.0)
    chconv = getattr(obj, "channel_conversion", None)
    if chconv is not None:
        values *= np.asarray(chconv, dtype=np.float64)[None, :]
    values += float(getattr(obj, "offset", 0.0) or 0.0)
    ts = obj.timestamps
    if ts is not None:
        ts = ts.timestamps if isinstance(ts, TimeSeries) else ts
        t = np.asarray(ts[:], dtype=np.float64)
        if t.shape[0] != n:
            raise NeuralMIError(
                f"{src}: {path!r} has {t.shape[0]} timestamps for {n} samples; expected equal."
            )
    else:
        rate = obj.rate
        if rate is None or not rate > 0:
            raise NeuralMIError(f"{src}: {path!r} has neither timestamps nor a positive rate (got {rate}).")
        t = float(obj.starting_time or 0.0) + np.arange(n) / float(rate)
    check_timestamps(t, f"{src}: {path!r}")
    dims = data.shape[1:]
    comps = [str(i) for i in range(values.shape[1])]
    if values.shape[1] in (2, 3) and type(obj).__name__ == "SpatialSeries" and len(dims) == 1:
        comps = ["x", "y", "z"][: values.shape[1]]
    return TimeSeriesData(
        path=str(path).strip("/"),
        timestamps=t,
        values=values,
        unit=str(obj.unit),
        neurodata_type=type(obj).__name__,
        components=comps,
    )


def check_timestamps(t: np.ndarray, where: str) -> None:
    """Raise unless ``t`` is finite and non-decreasing (names the first offending sample)."""
    bad = ~np.isfinite(t)
    if bad.any():
        raise NeuralMIError(
            f"{where}: {int(bad.sum())} timestamps are NaN/inf (first at sample "
            f"{int(np.flatnonzero(bad)[0])}); expected finite times in seconds."
        )
    dec = np.flatnonzero(np.diff(t) < 0)
    if dec.size:
        i = int(dec[0])
        raise NeuralMIError(
            f"{where}: timestamps are not monotonic: sample {i + 1} ({t[i + 1]!r} s) comes "
            f"before sample {i} ({t[i]!r} s); expected non-decreasing times "
            f"({dec.size} decreases in all)."
        )


_RAW_TYPES = {
    "ElectricalSeries",
    "ImageSeries",
    "OnePhotonSeries",
    "TwoPhotonSeries",
    "ImageMaskSeries",
    "OpticalSeries",
}


def find_behavior_timeseries(nwb: Any) -> list[str]:
    """Paths of every TimeSeries under ``processing/behavior`` plus behaviour-like series in ``acquisition``
    (SpatialSeries and other non-raw TimeSeries; electrical and imaging series are skipped)."""
    from pynwb import TimeSeries

    found: list[str] = []

    def walk(obj: Any, path: str) -> None:
        if isinstance(obj, TimeSeries):
            if type(obj).__name__ not in _RAW_TYPES:
                found.append(path)
            return
        for name, child in sorted(_children(obj).items()):
            walk(child, f"{path}/{name}")

    if "behavior" in nwb.processing:
        walk(nwb.processing["behavior"], "processing/behavior")
    for name, obj in sorted(nwb.acquisition.items()):
        walk(obj, f"acquisition/{name}")
    return found


# ----------------------------------------------------------------------------------------------- intervals
def read_intervals(nwb: Any, name: str) -> tuple[np.ndarray, np.ndarray]:
    """(start_time, stop_time) arrays of ``trials``, ``epochs`` or ``intervals/NAME`` (or a bare NAME).

    Raises
    ------
    NeuralMIError
        the table does not exist (lists the interval tables present), or it lacks start/stop columns.
    """
    src = _src(nwb)
    key = name.split("/", 1)[1] if name.startswith("intervals/") else name
    table = {"trials": nwb.trials, "epochs": nwb.epochs}.get(key)
    if table is None:
        table = nwb.intervals.get(key) if hasattr(nwb.intervals, "get") else None
    if table is None:
        have = sorted(set(nwb.intervals) | {k for k in ("trials", "epochs") if getattr(nwb, k) is not None})
        raise NeuralMIError(f"{src}: has no intervals table {name!r}; interval tables present: {have}.")
    for col in ("start_time", "stop_time"):
        if col not in table.colnames:
            raise NeuralMIError(f"{src}: intervals table {name!r} has no {col!r} column.")
    start = np.asarray(table["start_time"].data[:], dtype=np.float64)
    stop = np.asarray(table["stop_time"].data[:], dtype=np.float64)
    if (~np.isfinite(start)).any() or (~np.isfinite(stop)).any() or (stop < start).any():
        raise NeuralMIError(
            f"{src}: intervals table {name!r} has NaN times or stop < start; expected "
            "finite intervals with start_time <= stop_time."
        )
    return start, stop


__all__ = [
    "TimeSeriesData",
    "UnitsData",
    "check_timestamps",
    "filter_units",
    "find_behavior_timeseries",
    "get_object",
    "open_nwb",
    "read_intervals",
    "read_timeseries",
    "read_units",
    "session_info",
    "unit_rates",
]
