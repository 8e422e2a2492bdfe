"""The units table of an NWB file: all spike trains in two reads, per-unit metadata columns, unit filters.

Part of the NWB reader (:mod:`neuralmi_core.io.nwb` opens the file); every error names the file, the
column and what was expected.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..validation import NeuralMIError, SignalAbsent
from .nwb import _src, get_object

#: units-table columns that are not per-unit scalar metadata
_SKIP_COLUMNS = {"spike_times", "obs_intervals", "electrodes", "waveform_mean", "waveform_sd", "waveforms"}


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
        raise SignalAbsent(f"{src}: has no 'units' table; expected sorted spike trains in /units.")
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


def narrow(keep: np.ndarray, vals: np.ndarray, col: str, rule: Any, where: str, noun: str) -> int:
    """Apply one column filter to ``keep`` (bool, in place): ``rule`` a scalar (equals), a list (one of) or
    ``{"min": a, "max": b}`` (numeric range, inclusive, either bound optional), values compared as text for
    scalars and lists. Returns how many of the kept items it removed; raises (naming ``where``, the filter
    and the column's values) on a bad range or when no ``noun`` is left. Shared by units, ROIs and channels."""
    if isinstance(rule, Mapping):
        if set(rule) - {"min", "max"} or vals.dtype.kind not in "biuf":
            raise NeuralMIError(
                f"{where}: filter on {col!r}: a range needs keys min/max on a numeric column; got {dict(rule)} "
                f"on a column of dtype {vals.dtype}."
            )
        ok = np.ones(keep.shape, bool)
        if rule.get("min") is not None:
            ok &= vals >= float(rule["min"])
        if rule.get("max") is not None:
            ok &= vals <= float(rule["max"])
    else:
        wanted = [str(v) for v in (rule if isinstance(rule, list | tuple | set) else [rule])]
        ok = np.isin(vals.astype(str), wanted)
    removed = int((keep & ~ok).sum())
    keep &= ok
    if not keep.any():
        avail = sorted(set(vals.astype(str).tolist()))[:20]
        raise NeuralMIError(f"{where}: no {noun} left after filter {col}={rule!r}; values of {col!r} are {avail}.")
    return removed


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
        removed[col] = narrow(keep, units.columns[col], col, rule, units.source, "unit")
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


__all__ = ["UnitsData", "filter_units", "read_units", "unit_rates"]
