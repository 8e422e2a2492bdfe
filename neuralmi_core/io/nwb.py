"""Read NWB recordings lazily: open a file, find objects by path, TimeSeries, intervals (units: :mod:`.units`).

The only module of ``neuralmi_core`` that imports ``pynwb``. Files are opened read-only with HDF5 file
locking off (``h5py.File(path, "r", locking=False)``) so that many jobs can read one file on a shared
filesystem while another process holds it; datasets stay on disk until sliced.

Every error is a :class:`~neuralmi_core.validation.NeuralMIError` naming the file, the item inside it and
what was expected.

Examples
--------
>>> from neuralmi_core.io import nwb as nwbio
>>> from neuralmi_core.io.units import read_units
>>> with nwbio.open_nwb("sub-01_ses-01_ecephys.nwb") as f:            # doctest: +SKIP
...     units = read_units(f)
...     pos = nwbio.read_timeseries(f, "processing/behavior/Position/position")
>>> units.n_units, pos.values.shape                                    # doctest: +SKIP
(80, (17400, 2))
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..validation import NeuralMIError, SignalAbsent


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
    """Identifier, session start (ISO 8601), session/subject ids, the subject's genotype and NWB version of an
    open file ("" where the file does not say)."""
    subject = getattr(nwb, "subject", None)
    return {
        "nwb_identifier": str(nwb.identifier),
        "session_start_time": nwb.session_start_time.isoformat() if nwb.session_start_time else "",
        "nwb_session_id": str(nwb.session_id or ""),
        "nwb_subject_id": str(getattr(subject, "subject_id", "") or ""),
        "nwb_subject_genotype": str(getattr(subject, "genotype", "") or ""),
        "nwb_version": str(getattr(nwb, "nwb_file_version", "")),
        "session_description": str(nwb.session_description or ""),
    }


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
        raise SignalAbsent(f"{src}: path {path!r}: the file has no {head!r}.")
    walked = head
    for seg in parts[1:]:
        kids = _children(obj)
        if seg not in kids:
            raise SignalAbsent(f"{src}: path {path!r}: {walked!r} has no {seg!r}; it holds {sorted(kids)}.")
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
    t = sample_times(obj, n, f"{src}: {path!r}")
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


def series_timestamps(obj: Any) -> np.ndarray | None:
    """A TimeSeries' own timestamps as float64 (those of the series its ``timestamps`` link to), or None when it
    has a rate instead."""
    ts = obj.timestamps
    if ts is None:
        return None
    ts = ts.timestamps if hasattr(ts, "timestamps") else ts
    return np.asarray(ts[:], dtype=np.float64)


def sample_times(obj: Any, n: int, where: str, what: str = "samples", t: np.ndarray | None = None) -> np.ndarray:
    """Times (s) of the ``n`` samples of TimeSeries ``obj``: its timestamps (``t`` when already read), else
    ``starting_time + k / rate``; checked finite and non-decreasing. Errors name ``where`` and the ``what``
    counted (samples, frames)."""
    t = series_timestamps(obj) if t is None else t
    if t is not None:
        if t.shape[0] != n:
            raise NeuralMIError(f"{where} has {t.shape[0]} timestamps for {n} {what}; expected equal.")
    else:
        rate = obj.rate
        if rate is None or not rate > 0:
            raise NeuralMIError(f"{where} has neither timestamps nor a positive rate (got {rate}).")
        t = float(obj.starting_time or 0.0) + np.arange(n) / float(rate)
    check_timestamps(t, where)
    return t


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
def get_intervals_table(nwb: Any, name: str) -> Any:
    """The intervals table ``trials``, ``epochs`` or ``intervals/NAME`` (or a bare NAME) of an open file.

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
        raise SignalAbsent(f"{src}: has no intervals table {name!r}; interval tables present: {have}.")
    for col in ("start_time", "stop_time"):
        if col not in table.colnames:
            raise NeuralMIError(f"{src}: intervals table {name!r} has no {col!r} column.")
    return table


def read_intervals(nwb: Any, name: str) -> tuple[np.ndarray, np.ndarray]:
    """(start_time, stop_time) arrays of ``trials``, ``epochs`` or ``intervals/NAME`` (or a bare NAME).

    Raises
    ------
    NeuralMIError
        the table does not exist (lists the interval tables present), it lacks start/stop columns, or a
        time is NaN or a stop precedes its start.
    """
    src = _src(nwb)
    table = get_intervals_table(nwb, name)
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
    "check_timestamps",
    "find_behavior_timeseries",
    "get_intervals_table",
    "get_object",
    "open_nwb",
    "read_intervals",
    "read_timeseries",
    "session_info",
]
