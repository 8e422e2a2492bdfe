"""Events and intervals (stimuli, task variables, trial columns) as per-bin variables.

Events
------
``events: {NAME: PATH}`` reads a TimeSeries of event times -- a series of a ``BehavioralEvents``
container, or any TimeSeries under ``processing/`` or ``acquisition/`` (its timestamps, else
``starting_time + arange(n) / rate``) -- or an ``EventsTable`` (``events/NAME``, its ``timestamp``
column). A path to a container holding exactly one TimeSeries takes that series. Per bin (half-open bins of
the session grid) variable ``NAME(time, NAME_column)`` holds:

* ``count`` (default): the number of events whose timestamp falls in the bin (unsigned int; 0 where none);
* ``sum``: the sum of the events' data (``data * conversion + offset``) in the bin, per data column (0
  where none);
* ``last``: the data of the latest event at or before the bin's end, held until the next event (NaN
  before the first). A literal "last value in the bin" would be NaN in every bin without an event --
  almost all of them for sparse events -- and every such bin would be dropped as invalid.

A TimeSeries' timestamps must be finite and non-decreasing (else an error naming the file, the path and
the first bad sample); an EventsTable's rows are taken in timestamp order (stable). NaN data are refused
for ``sum`` and ``last``; text data (an ``AnnotationSeries``) only counts.

Intervals
---------
``intervals: {NAME: {table, columns, categorical, overlap, outside}}`` reads columns of an intervals
table (``trials``, ``epochs``, ``intervals/NAME``). A bin belongs to a row when its centre lies in the
row's ``[start_time, stop_time)`` (the rule of the ``trial`` index). Variable ``NAME(time, NAME_feature)``
float32 holds one feature per numeric column (the row's value, NaN in bins outside every row) and one
per label of each categorical column (one-hot: 1 where the row's value is the label, 0 elsewhere,
including outside every row). Strings and bools are categorical; integer and float columns are numeric
unless listed in ``categorical``. Feature coordinates: ``NAME_feature`` (``orientation=90``,
``contrast``), ``NAME_feature_column`` (the source column), ``NAME_feature_label`` (the category, ``""``
for a numeric column) and ``NAME_feature_kind`` (``one-hot`` or ``numeric``); selectors find them by
their short names (``stim[column=orientation]``, ``choice[label=left]``).

Rules:

* **Outside every row** (``outside``): ``drop`` (default) makes such bins invalid for ``NAME`` -- the
  variable's ``mask_variable`` is ``NAME_in_interval`` -- like behaviour outside its samples (NaN) and
  imaging bins without a frame: an analysis using ``NAME`` keeps only bins inside a row. The dataset's
  ``observed`` (``restrict_to``) stays untouched, so other variables keep their bins. ``keep`` leaves the
  mask unset: one-hot features read all zero outside the rows ("no stimulus" as a state of its own);
  numeric features are NaN there and still drop those bins.
* **Overlap** (``overlap``): two rows holding one bin centre with a different value in a selected column
  are an error (naming the file, table, rows and column) unless ``overlap: last``, where the row that
  starts later wins (ties: the later table row). Overlapping rows that agree are fine.
* **Missing values**: NaN in a numeric column is kept (the row's bins are NaN for that feature, so
  analyses using it drop them; counted in the ``nan_rows`` attr) -- e.g. a reaction time on a miss trial.
  A column listed in ``categorical`` must not hold NaN; an empty string is the label ``(empty)``.
* A table with start and stop times only (no other column, e.g. ``intervals/running``) is binned as its rows:
  ``NAME`` has no features and ``NAME_in_interval`` marks the bins a row holds (what a workflow condition
  reads).
* Refused with one-line errors: a missing table, a column not in the table, a table without rows, a
  ragged or multi-dimensional column named in ``columns`` (skipped, and listed in the attrs, when taken by
  default), NaN start/stop times.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..validation import NeuralMIError, SignalAbsent
from .binning import BinGrid, interval_bins
from .nwb import _children, _src, get_intervals_table, get_object, sample_times

#: Interval-table columns that describe the rows rather than hold values (never taken by default).
BOOKKEEPING = ("start_time", "stop_time", "id", "tags", "timeseries")
EMPTY_LABEL = "(empty)"


# ----------------------------------------------------------------------------------------------- events
@dataclass
class EventData:
    """One events variable in memory: event times (sorted), values (n, d) for sum/last, provenance."""

    path: str
    source: str
    value: str
    timestamps: np.ndarray
    values: np.ndarray | None
    unit: str
    neurodata_type: str
    columns: list[str]


def _event_values(data: Any, where: str) -> np.ndarray:
    arr = np.asarray(data)
    if arr.dtype.kind not in "biuf":
        raise NeuralMIError(
            f"{where}: event data are {arr.dtype} (not numbers); `value: sum|last` needs numeric data; use "
            "`value: count`."
        )
    vals = arr.reshape(arr.shape[0], -1).astype(np.float64)
    bad = ~np.isfinite(vals)
    if bad.any():
        raise NeuralMIError(
            f"{where}: {int(bad.any(axis=1).sum())} events have NaN/inf data (first at event "
            f"{int(np.flatnonzero(bad.any(axis=1))[0])}); expected finite values for `value: sum|last`."
        )
    return vals


def read_events(nwb: Any, path: str, value: str = "count", column: str | None = None) -> EventData:
    """Read the event times (and data for ``sum``/``last``) at ``path``: a TimeSeries, a container holding
    one, or an EventsTable ``events/NAME``.

    Raises
    ------
    NeuralMIError
        missing path, not a TimeSeries/EventsTable, no events, NaN or decreasing timestamps, timestamps not
        matching the data, non-numeric or NaN data for sum/last, a missing EventsTable column (each names
        the file and the path).
    """
    from pynwb import TimeSeries

    src = _src(nwb)
    path = path.strip("/")
    where = f"{src}: {path!r}"
    if path.split("/")[0] == "events":
        return _read_events_table(nwb, path, value, column)
    if column is not None:
        raise NeuralMIError(f"{where}: `column` ({column}) applies to an EventsTable (events/NAME) only.")
    obj = get_object(nwb, path)
    if not isinstance(obj, TimeSeries):
        kids = {n: c for n, c in _children(obj).items() if isinstance(c, TimeSeries)}
        if len(kids) != 1:
            raise NeuralMIError(
                f"{where} is a {type(obj).__name__}, not a TimeSeries of event times; expected the path of one"
                + (f" (it holds {sorted(kids)})." if kids else ".")
            )
        name, obj = next(iter(kids.items()))
        path = f"{path}/{name}"
        where = f"{src}: {path!r}"
    data = obj.data
    n = int(data.shape[0]) if hasattr(data, "shape") else len(data)
    t = sample_times(obj, n, where)
    if t.size == 0:
        raise NeuralMIError(f"{where} holds no events; expected event timestamps.")
    values = None
    columns = ["count"]
    if value != "count":
        values = _event_values(data[:], where)
        values = values * float(obj.conversion if obj.conversion is not None else 1.0)
        values += float(getattr(obj, "offset", 0.0) or 0.0)
        d = values.shape[1]
        columns = [value] if d == 1 else [f"{value}_{i}" for i in range(d)]
    return EventData(path, src, value, t, values, str(obj.unit), type(obj).__name__, columns)


def _read_events_table(nwb: Any, path: str, value: str, column: str | None) -> EventData:
    src = _src(nwb)
    where = f"{src}: {path!r}"
    parts = path.split("/")
    tables = dict(getattr(nwb, "events", None) or {})
    if len(parts) != 2 or parts[1] not in tables:
        raise SignalAbsent(f"{where}: no such EventsTable; events tables present: {sorted(tables)}.")
    table = tables[parts[1]]
    if len(table) == 0:
        raise NeuralMIError(f"{where} holds no events (an empty table); expected rows.")
    t = np.asarray(table["timestamp"].data[:], dtype=np.float64)
    bad = ~np.isfinite(t)
    if bad.any():
        raise NeuralMIError(
            f"{where}: {int(bad.sum())} timestamps are NaN/inf (first at row {int(np.flatnonzero(bad)[0])}); "
            "expected finite times in seconds."
        )
    order = np.argsort(t, kind="stable")
    values = None
    columns = ["count"]
    unit = "n.a."
    if value != "count":
        if column is None:
            raise NeuralMIError(
                f"{where}: `value: {value}` of an EventsTable needs `column:` naming the value column; "
                f"columns: {sorted(c for c in table.colnames if c != 'timestamp')}."
            )
        if column not in table.colnames:
            raise NeuralMIError(
                f"{where} has no column {column!r}; columns: {sorted(c for c in table.colnames if c != 'timestamp')}."
            )
        values = _event_values(table[column].data[:], f"{where} column {column!r}")[order]
        columns = [value] if values.shape[1] == 1 else [f"{value}_{i}" for i in range(values.shape[1])]
    return EventData(path, src, value, t[order], values, unit, "EventsTable", columns)


def bin_events(data: EventData, grid: BinGrid) -> np.ndarray:
    """Per-bin events: (n_bins, 1) counts (smallest unsigned int) or (n_bins, d) float64 sums / held values.

    Examples
    --------
    >>> from neuralmi_core.io.binning import make_grid
    >>> g = make_grid(0.0, 1.0, 0.25)
    >>> d = EventData("e", "f.nwb", "count", np.array([0.1, 0.2, 0.6]), None, "n.a.", "TimeSeries", ["count"])
    >>> bin_events(d, g)[:, 0].tolist()
    [2, 0, 1, 0]
    >>> d.value, d.values = "last", np.array([[1.0], [2.0], [5.0]])
    >>> bin_events(d, g)[:, 0].tolist()
    [2.0, 2.0, 5.0, 5.0]
    """
    idx = grid.bin_index(data.timestamps)  # non-decreasing: the timestamps are sorted
    n = grid.n_bins
    inside = (idx >= 0) & (idx < n)
    if data.value == "count":
        c = np.bincount(idx[inside], minlength=n)
        dtype = np.uint8 if c.max(initial=0) < 255 else np.uint16 if c.max() < 65535 else np.uint32
        return c.astype(dtype)[:, None]
    v = data.values
    if data.value == "sum":
        return np.stack([np.bincount(idx[inside], weights=v[inside, j], minlength=n) for j in range(v.shape[1])],
                        axis=1)
    k = np.searchsorted(idx, np.arange(n), side="right") - 1  # the latest event at or before each bin's end
    out = np.full((n, v.shape[1]), np.nan)
    out[k >= 0] = v[k[k >= 0]]
    return out


def events_text(data: EventData, bin_width: float) -> str:
    """E.g. ``"processing/behavior/BehavioralEvents/licks: events counted per 100 ms bin"``."""
    ms = f"{bin_width * 1e3:.4g} ms"
    what = {"count": f"events counted per {ms} bin",
            "sum": f"sum of the events' values per {ms} bin",
            "last": f"latest event's value held until the next ({ms} bins; NaN before the first)"}[data.value]
    return f"{data.path}: {what}"


# ----------------------------------------------------------------------------------------------- intervals
@dataclass
class IntervalData:
    """Rows of an intervals table with the columns to bin: per column its values and kind."""

    table: str
    source: str
    starts: np.ndarray
    stops: np.ndarray
    columns: dict[str, np.ndarray]  # column -> values per row (labels as str for categorical columns)
    kinds: dict[str, str]  # column -> "numeric" or "one-hot"
    skipped: dict[str, str] = field(default_factory=dict)  # column -> why it was not taken (default columns)

    @property
    def n_rows(self) -> int:
        return int(self.starts.shape[0])


def _label(v: Any) -> str:
    if isinstance(v, bytes):
        v = v.decode("utf-8", "replace")
    if isinstance(v, float | np.floating) and float(v).is_integer():
        return str(int(v))
    text = str(v)
    return text if text else EMPTY_LABEL


def _column(table: Any, col: str, n: int, categorical: bool, where: str) -> tuple[np.ndarray | None, str, str]:
    """``(values, kind, why not)`` of one column; values None when it is not one scalar per row."""
    from hdmf.common import DynamicTableRegion, EnumData, VectorIndex

    obj = table[col]
    if isinstance(obj, VectorIndex | DynamicTableRegion):
        return None, "", "ragged or a reference, not one value per row"
    arr = np.asarray(obj.data[:])
    if isinstance(obj, EnumData):  # codes into its elements: the elements are the labels
        arr = np.asarray(obj.elements.data[:])[arr] if arr.ndim == 1 else arr
    if arr.ndim != 1 or arr.shape[0] != n:
        return None, "", f"shape {arr.shape}, not one scalar per row"
    if arr.dtype.kind == "O":
        if not all(isinstance(v, str | bytes) for v in arr):
            return None, "", "holds objects, not numbers or text"
        return np.array([_label(v) for v in arr], dtype=str), "one-hot", ""
    if arr.dtype.kind in "US":
        return np.array([_label(v) for v in arr], dtype=str), "one-hot", ""
    if arr.dtype.kind == "b":
        return np.array([str(bool(v)) for v in arr], dtype=str), "one-hot", ""
    if arr.dtype.kind in "iuf":
        if not categorical:
            return arr.astype(np.float64), "numeric", ""
        bad = ~np.isfinite(arr.astype(np.float64))
        if bad.any():
            raise NeuralMIError(
                f"{where}: column {col!r} is declared categorical but holds {int(bad.sum())} NaN/inf values "
                f"(first at row {int(np.flatnonzero(bad)[0])}); expected a label in every row."
            )
        return np.array([_label(v) for v in arr.tolist()], dtype=str), "one-hot", ""
    return None, "", f"dtype {arr.dtype}"


def read_interval_columns(nwb: Any, table_name: str, columns: tuple[str, ...] | None = None,
                          categorical: tuple[str, ...] = ()) -> IntervalData:
    """Read the rows of an intervals table and the columns to bin (None: every non-bookkeeping column).

    Raises
    ------
    NeuralMIError
        missing table (lists those present), no rows, NaN start/stop times or stop < start, a named column
        missing (lists the columns) or not one scalar per row, NaN in a categorical column, no column left
        when the table had columns. A table with no column but start and stop times (an epochs-like table such
        as ``intervals/running``) is read with no columns: binned, it is its rows only (``NAME_in_interval``,
        the mask a workflow condition reads) and ``NAME`` has no features.
    """
    src = _src(nwb)
    table = get_intervals_table(nwb, table_name)
    where = f"{src}: intervals table {table_name!r}"
    n = len(table)
    if n == 0:
        raise NeuralMIError(f"{where} has no rows; expected at least one interval.")
    starts = np.asarray(table["start_time"].data[:], dtype=np.float64)
    stops = np.asarray(table["stop_time"].data[:], dtype=np.float64)
    bad = ~np.isfinite(starts) | ~np.isfinite(stops) | (stops < starts)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise NeuralMIError(
            f"{where}: {int(bad.sum())} rows have NaN times or stop < start (first row {i}: "
            f"[{starts[i]!r}, {stops[i]!r}]); expected finite intervals with start_time <= stop_time."
        )
    have = [c for c in table.colnames if c not in BOOKKEEPING]
    named = columns is not None
    if named:
        missing = [c for c in columns if c not in table.colnames or c in BOOKKEEPING]
        if missing:
            raise NeuralMIError(f"{where} has no column {missing[0]!r} to bin; its columns: {have}.")
    unknown_cat = sorted(set(categorical) - set(columns if named else have))
    if unknown_cat:
        raise NeuralMIError(f"{where}: `categorical` names {unknown_cat}, not among its columns {have}.")
    cols: dict[str, np.ndarray] = {}
    kinds: dict[str, str] = {}
    skipped: dict[str, str] = {}
    for col in columns if named else have:
        vals, kind, why = _column(table, col, n, col in categorical, where)
        if vals is None:
            if named:
                raise NeuralMIError(f"{where}: column {col!r} cannot be binned ({why}); expected one number or "
                                    "label per row.")
            skipped[col] = why
            continue
        cols[col], kinds[col] = vals, kind
    if not cols and (named or skipped):
        raise NeuralMIError(
            f"{where} has no column to bin (columns: {have}"
            + (f"; skipped: {skipped}" if skipped else "") + "); expected a number or label per row."
        )
    shown = table_name if table_name in ("trials", "epochs") or table_name.startswith("intervals/") else \
        f"intervals/{table_name}"  # a bare NAME found under intervals/ is recorded by its path
    return IntervalData(shown, src, starts, stops, cols, kinds, skipped)


@dataclass
class BinnedIntervals:
    """Per-bin intervals: values (n_bins, n_features) float32, the row holding each bin (-1: none) and the
    feature table (column, label, kind, name)."""

    values: np.ndarray
    owner: np.ndarray
    column: list[str]
    label: list[str]
    kind: list[str]
    rows_without_bins: int
    nan_rows: dict[str, int]

    @property
    def names(self) -> list[str]:
        return [c if k == "numeric" else f"{c}={lab}" for c, lab, k in zip(self.column, self.label, self.kind,
                                                                          strict=True)]


def _same(a: Any, b: Any) -> bool:
    return bool(a == b or (isinstance(a, float) and isinstance(b, float) and np.isnan(a) and np.isnan(b)))


def bin_intervals(data: IntervalData, grid: BinGrid, overlap: str = "error") -> BinnedIntervals:
    """Assign every bin to the row holding its centre and lay out the features (see the module docstring).

    Raises
    ------
    NeuralMIError
        with ``overlap="error"``: two rows holding one bin centre differ in a column (names rows, column,
        values and the time).

    Examples
    --------
    >>> from neuralmi_core.io.binning import make_grid
    >>> d = IntervalData("trials", "f.nwb", np.array([0.0, 0.5]), np.array([0.5, 1.0]),
    ...                  {"choice": np.array(["left", "right"]), "rt": np.array([0.25, np.nan])},
    ...                  {"choice": "one-hot", "rt": "numeric"})
    >>> b = bin_intervals(d, make_grid(0.0, 1.0, 0.25))
    >>> b.names, b.values.tolist()
    (['choice=left', 'choice=right', 'rt'], [[1.0, 0.0, 0.25], [1.0, 0.0, 0.25], [0.0, 1.0, nan], [0.0, 1.0, nan]])
    """
    i0, i1 = interval_bins(data.starts, data.stops, grid)
    owner = np.full(grid.n_bins, -1, dtype=np.int64)
    cols = list(data.columns)
    for k in np.argsort(data.starts, kind="stable"):
        a, b = int(i0[k]), int(i1[k])
        if b <= a:
            continue
        if overlap == "error":
            prev = owner[a:b]
            for p in np.unique(prev[prev >= 0]):
                for col in cols:
                    u, v = data.columns[col][p].item(), data.columns[col][k].item()
                    if not _same(u, v):
                        at = a + int(np.flatnonzero(prev == p)[0])
                        raise NeuralMIError(
                            f"{data.source}: intervals table {data.table!r}: rows {int(p)} and {int(k)} overlap "
                            f"(both hold the bin centred at {grid.centres()[at]:.6g} s) with different "
                            f"{col!r} ({u!r} vs {v!r}); expected non-overlapping rows, or set overlap: last "
                            "(the later-starting row wins)."
                        )
        owner[a:b] = k
    inside = owner >= 0
    rows = np.where(inside, owner, 0)
    column, label, kind = [], [], []
    first: dict[str, int] = {}  # column -> its first feature
    codes: dict[str, np.ndarray] = {}  # categorical column -> label code of each row
    for col in cols:
        first[col] = len(column)
        if data.kinds[col] == "numeric":
            column.append(col)
            label.append("")
            kind.append("numeric")
            continue
        labels = sorted(set(data.columns[col].tolist()), key=_label_key)
        lookup = {lab: i for i, lab in enumerate(labels)}
        codes[col] = np.array([lookup[v] for v in data.columns[col].tolist()], dtype=np.int64)
        column += [col] * len(labels)
        label += labels
        kind += ["one-hot"] * len(labels)
    values = np.zeros((grid.n_bins, len(column)), dtype=np.float32)  # filled in place: no float64 copy
    nan_rows: dict[str, int] = {}
    hot = np.flatnonzero(inside)
    for col in cols:
        vals = data.columns[col]
        if col in codes:
            values[hot, first[col] + codes[col][owner[hot]]] = 1.0
            continue
        values[:, first[col]] = np.where(inside, vals[rows], np.nan)
        nan = int(np.isnan(vals).sum())
        if nan:
            nan_rows[col] = nan
    return BinnedIntervals(values, np.where(inside, owner, -1), column, label, kind, int((i1 <= i0).sum()),
                           nan_rows)


def _label_key(lab: str) -> tuple[int, float, str]:
    """Numeric labels in numeric order first, then text labels alphabetically."""
    try:
        return (0, float(lab), lab)
    except ValueError:
        return (1, 0.0, lab)


def intervals_text(data: IntervalData, binned: BinnedIntervals, outside: str) -> str:
    """E.g. ``"intervals/grating_presentations: orientation (one-hot, 4 labels), contrast (numeric) held
    over each row; bins outside every row invalid"``."""
    parts = []
    for col in data.columns:
        if data.kinds[col] == "numeric":
            parts.append(f"{col} (numeric)")
        else:
            n = binned.column.count(col)
            parts.append(f"{col} (one-hot, {n} label{'s' if n != 1 else ''})")
    if not parts:
        parts.append("rows only (no value columns)")
    rule = "bins outside every row invalid" if outside == "drop" else \
        "bins outside every row kept (one-hot 0, numeric NaN)"
    return f"{data.table}: {', '.join(parts)} held over each row; {rule}"


__all__ = ["BOOKKEEPING", "BinnedIntervals", "EventData", "IntervalData", "bin_events", "bin_intervals",
           "events_text", "intervals_text", "read_events", "read_interval_columns"]
