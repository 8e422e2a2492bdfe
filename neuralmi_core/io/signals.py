"""The signal spec: what to bin from an NWB session. One format for ``neuralmi bin --signals`` and the
workflow config's ``signals:`` section (documented here only).

Format (YAML; a file may hold the mapping itself or a top-level ``signals:`` key with it)::

    signals:
      bin_width: 0.02            # seconds; `neuralmi bin --bin-width` overrides; default 0.01
      time_range: [0, 600]       # optional [start, stop] in s; default: the span of spikes, obs_intervals,
                                 # behaviour, imaging and LFP samples and event times (not interval tables)
      spikes:                    # spike counts -> variable `spikes` (time, unit); `spikes: false` skips
        table: units             # the Units table: `units` (default) or a path, e.g. processing/ecephys/units
        filters:                 # every rule must hold (AND); columns of the units table, or of each
                                 # unit's first electrode (e.g. `location`) when the units table lacks them
          quality: good          #   scalar: column equals the value
          region: [A, B]         #   list: column is one of the values
          depth: {min: 0, max: 800}   # mapping: numeric range, inclusive, either bound optional
        min_rate_hz: 0.5         # drop units firing below this mean rate (over their obs_intervals)
        required: true           # false: a file without the units table is binned without `spikes`
      behavior:                  # name -> TimeSeries path, aligned to bin centres -> variable NAME
        position: processing/behavior/Position/position
        speed: {path: acquisition/speed, max_gap_s: 0.5}   # NaN across sample gaps longer than this
                                 # omit `behavior` to take every TimeSeries under processing/behavior and
                                 # the non-raw ones in acquisition; `behavior: {}` takes none
      trials: trials             # intervals table giving variable `trial` (row index per bin, -1 outside);
                                 # `trials`, `epochs` or `intervals/NAME`; null: none; default `auto`
                                 # (trials when the file has them)
      restrict_to: null          # intervals table; bins whose centre lies outside it get observed = 0
      ophys:                     # calcium imaging -> variable `ophys` (time, roi); absent: none (see
                                 # neuralmi_core.io.ophys and docs/ophys.md)
        series: processing/ophys/DfOverF/RoiResponseSeries   # a RoiResponseSeries path; default `auto`:
                                 # the first DfOverF series under processing/ophys, else Fluorescence
        signal: auto             # with series auto: `dff` (DfOverF only), `fluorescence`, or `auto`
        filters: {is_cell: 1}    # ROI filters like unit filters, on roi/plane/location/is_cell/columns
        on_nan: drop             # NaN frame values: `drop` (left out of the bin mean, counted) or `error`
        required: true           # false: a file without imaging is binned without `ophys` (see below)
      lfp:                       # LFP band power -> variable `lfp` (time, channel, band); absent: none (see
                                 # neuralmi_core.io.lfp and docs/lfp.md)
        series: processing/ecephys/LFP/ElectricalSeries   # default `auto`: the first ElectricalSeries
                                 # of an LFP container under processing/ecephys
        bands: {theta: [6, 10], gamma: [30, 80]}   # Hz; default theta [6,10], beta [15,30], gamma [30,80]
        filters: {location: CA1} # channel filters on channel (id), location, group
        required: true           # false: a file without that LFP is binned without `lfp`
      events:                    # name -> event times -> variable NAME (time, NAME_column); absent: none (see
                                 # neuralmi_core.io.events and docs/events.md)
        licks: processing/behavior/BehavioralEvents/licks   # a TimeSeries of event timestamps: count per bin
        reward: {path: acquisition/reward, value: sum}      # value: count (default), sum (of the data in the
                                 # bin) or last (the latest event's data, held until the next; NaN before the
                                 # first); `events/NAME` (an EventsTable) takes `column:` for sum/last;
                                 # `required: false`: a file without the series is binned without it
      intervals:                 # name -> an intervals table's columns -> variable NAME (time, NAME_feature)
        stim:                    # absent: none (see neuralmi_core.io.events and docs/events.md)
          table: intervals/grating_presentations   # trials, epochs or intervals/NAME; default: the name
          columns: [orientation, contrast]         # default: every column but start/stop_time, tags, timeseries
          categorical: [orientation]               # numeric columns to one-hot (strings and bools always are)
          overlap: error         # rows holding one bin centre with different values: `error` or `last`
          outside: drop          # bins outside every row: invalid for NAME (`drop`) or kept (`keep`)
          required: true         # false: a file without the table is binned without NAME
        trials: [choice, outcome]   # short form: those columns of the table NAME
        epoch: epochs            # short form: every column of that table

Every key is optional; an empty spec bins all units and every behaviour TimeSeries found. Unknown keys
are errors.

``required`` (on ``spikes``, ``ophys``, ``lfp`` and each ``events`` / ``intervals`` entry) is for archives
that mix kinds of recording (ephys and imaging sessions; sessions with and without LFP, trials or a
stimulus table) under one spec. ``true`` (the default): a file that lacks the kind is an error naming the
file and what it holds. ``false``: the kind is left out of that file's binned output, and the binned
file's attr ``absent_signals`` (JSON ``{kind or name: why}``, e.g. ``{"ophys": "...: `ophys` asks for
imaging data but the file has no processing/ophys module ..."}``) records it; an analysis that needs it
is then skipped in that session when the analysis has ``required: false`` in the workflow config. Only
*absence* is tolerated (no such table, series or container): a kind that is present but malformed
(mismatched timestamps, a filter leaving nothing) is still an error. A spec without the key hashes as
before it existed. Unit filters never drop units for having zero spikes (they are kept and flagged in the
``zero_spikes`` coordinate) unless ``min_rate_hz`` asks for it.

Examples
--------
>>> spec = parse_signal_spec({"bin_width": 0.02, "spikes": {"filters": {"quality": "good"}}})
>>> spec.bin_width, spec.spikes.filters
(0.02, {'quality': 'good'})
>>> parse_signal_spec({"spikes": {"filter": {}}})
Traceback (most recent call last):
...
neuralmi_core.validation.NeuralMIError: signal spec: `spikes` has unknown key(s) ['filter']; allowed: ...
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..validation import NeuralMIError

_TOP_KEYS = ("behavior", "bin_width", "events", "intervals", "lfp", "ophys", "restrict_to", "spikes", "time_range",
             "trials")
_SPIKE_KEYS = ("filters", "min_rate_hz", "required", "table")
_BEH_KEYS = ("max_gap_s", "path")
_OPHYS_KEYS = ("filters", "on_nan", "required", "series", "signal")
_OPHYS_SIGNALS = ("auto", "dff", "fluorescence")
_ON_NAN = ("drop", "error")
_LFP_KEYS = ("bands", "filters", "required", "series")
_DEFAULT_BANDS = {"theta": (6.0, 10.0), "beta": (15.0, 30.0), "gamma": (30.0, 80.0)}
_EVENT_KEYS = ("column", "path", "required", "value")
_EVENT_VALUES = ("count", "sum", "last")
_INTERVAL_KEYS = ("categorical", "columns", "outside", "overlap", "required", "table")
_OVERLAP = ("error", "last")
_OUTSIDE = ("drop", "keep")


def _with_required(out: dict[str, Any], required: bool) -> dict[str, Any]:
    """A kind's canonical form with ``required: false`` only when set: specs without the key (the default,
    ``true``) hash exactly as before it existed."""
    if not required:
        out["required"] = False
    return out


def _required(where: str, raw: Mapping[str, Any], source: str) -> bool:
    """The ``required`` key of a kind's entry: true (default) or false."""
    value = raw.get("required", True)
    if not isinstance(value, bool):
        raise NeuralMIError(f"{source}: `{where}.required` must be true or false. Got {value!r}.")
    return value


@dataclass(frozen=True)
class SpikesSpec:
    """Which units to count: table path, column filters and a minimum firing rate."""

    table: str = "units"
    filters: dict[str, Any] = field(default_factory=dict)
    min_rate_hz: float = 0.0
    required: bool = True


@dataclass(frozen=True)
class OphysSpec:
    """Which imaging series to average into bins: a RoiResponseSeries path (``"auto"``: discover), the
    kind auto-discovery looks for, ROI filters and what to do with NaN frame values."""

    series: str = "auto"
    signal: str = "auto"
    filters: dict[str, Any] = field(default_factory=dict)
    on_nan: str = "drop"
    required: bool = True

    def to_dict(self) -> dict[str, Any]:
        return _with_required({"series": self.series, "signal": self.signal, "filters": self.filters,
                               "on_nan": self.on_nan}, self.required)


@dataclass(frozen=True)
class LfpSpec:
    """Which ElectricalSeries to turn into band power (``"auto"``: the first in an LFP container), the named
    bands ``{name: (low, high)}`` in Hz and channel filters on the electrodes' columns."""

    series: str = "auto"
    bands: dict[str, tuple[float, float]] = field(default_factory=lambda: dict(_DEFAULT_BANDS))
    filters: dict[str, Any] = field(default_factory=dict)
    required: bool = True

    def to_dict(self) -> dict[str, Any]:
        return _with_required({"series": self.series, "bands": {k: list(v) for k, v in self.bands.items()},
                               "filters": self.filters}, self.required)


@dataclass(frozen=True)
class EventsSpec:
    """One events variable: a TimeSeries of event times (or an EventsTable) and what a bin holds: the number
    of events (``count``), the sum of their values (``sum``) or the latest event's value (``last``);
    ``column`` names the value column of an EventsTable."""

    path: str
    value: str = "count"
    column: str | None = None
    required: bool = True

    def to_dict(self) -> dict[str, Any]:
        return _with_required({"path": self.path, "value": self.value, "column": self.column}, self.required)


@dataclass(frozen=True)
class IntervalsSpec:
    """One intervals variable: the table (``trials``, ``epochs``, ``intervals/NAME``), its columns (None:
    every non-bookkeeping column), integer/float columns to one-hot, what overlapping rows with different
    values do (``error`` or ``last``: the later-starting row wins) and whether bins outside every row are
    invalid for the variable (``drop``) or kept (``keep``: one-hot all zero, numeric NaN)."""

    table: str
    columns: tuple[str, ...] | None = None
    categorical: tuple[str, ...] = ()
    overlap: str = "error"
    outside: str = "drop"
    required: bool = True

    def to_dict(self) -> dict[str, Any]:
        return _with_required({"table": self.table, "columns": None if self.columns is None else list(self.columns),
                               "categorical": list(self.categorical), "overlap": self.overlap,
                               "outside": self.outside}, self.required)


@dataclass(frozen=True)
class SignalSpec:
    """A parsed signal spec (see module docstring). ``behavior=None`` means discover every TimeSeries."""

    bin_width: float | None = None
    time_range: tuple[float, float] | None = None
    spikes: SpikesSpec | None = field(default_factory=SpikesSpec)
    behavior: dict[str, dict[str, Any]] | None = None
    trials: str | None = "auto"
    restrict_to: str | None = None
    ophys: OphysSpec | None = None
    lfp: LfpSpec | None = None
    events: dict[str, EventsSpec] = field(default_factory=dict)
    intervals: dict[str, IntervalsSpec] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Canonical JSON-ready form (used for the provenance hash). ``ophys`` appears only when set, so
        specs without imaging hash exactly as before the key existed."""
        out = {
            "bin_width": self.bin_width,
            "time_range": list(self.time_range) if self.time_range else None,
            "spikes": None
            if self.spikes is None
            else _with_required({
                "table": self.spikes.table,
                "filters": self.spikes.filters,
                "min_rate_hz": self.spikes.min_rate_hz,
            }, self.spikes.required),
            "behavior": self.behavior,
            "trials": self.trials,
            "restrict_to": self.restrict_to,
        }
        if self.ophys is not None:
            out["ophys"] = self.ophys.to_dict()
        if self.lfp is not None:  # likewise: specs without LFP hash as before
            out["lfp"] = self.lfp.to_dict()
        if self.events:  # likewise for events and intervals
            out["events"] = {k: v.to_dict() for k, v in self.events.items()}
        if self.intervals:
            out["intervals"] = {k: v.to_dict() for k, v in self.intervals.items()}
        return out


def _unknown(where: str, got: Mapping[str, Any], allowed: tuple[str, ...], source: str) -> None:
    bad = sorted(set(map(str, got)) - set(allowed))
    if bad:
        raise NeuralMIError(f"{source}: `{where}` has unknown key(s) {bad}; allowed: {sorted(allowed)}.")


def _positive(name: str, value: Any, source: str, zero_ok: bool = False) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if ok and (value > 0 or (zero_ok and value == 0)):
        return float(value)
    need = "a non-negative" if zero_ok else "a positive"
    raise NeuralMIError(f"{source}: `{name}` must be {need} number. Got {value!r}.")


def _filters(where: str, filters: Any, source: str) -> dict[str, Any]:
    filters = filters or {}
    if not isinstance(filters, Mapping):
        raise NeuralMIError(
            f"{source}: `{where}` must map column -> value, list or {{min, max}}. Got {filters!r}."
        )
    for col, rule in filters.items():
        if isinstance(rule, Mapping) and set(rule) - {"min", "max"}:
            raise NeuralMIError(f"{source}: `{where}.{col}` range accepts keys min/max. Got {dict(rule)}.")
    return dict(filters)


def _kind_entry(kind: str, raw: Any, keys: tuple[str, ...], series_type: str, source: str) -> Mapping[str, Any] | None:
    """A signal kind's entry (``ophys``, ``lfp``) in its long form: absent/None/false -> None; true, ``auto`` or
    ``{}`` -> ``{}`` (discover); a path string -> ``{"series": path}``; a mapping with only ``keys``."""
    if raw is None or raw is False:
        return None
    if raw is True or raw == "auto":
        return {}
    if isinstance(raw, str):
        return {"series": raw}
    if not isinstance(raw, Mapping):
        raise NeuralMIError(
            f"{source}: `{kind}` must be a mapping ({', '.join(keys)}), `auto`, a {series_type} path or false. "
            f"Got {raw!r}."
        )
    _unknown(kind, raw, keys, source)
    return raw


def parse_ophys(raw: Any, source: str = "signal spec") -> OphysSpec | None:
    """The ``ophys`` entry: absent/None/false -> None; true, ``auto`` or ``{}`` -> discover; a path string
    -> that series; a mapping with keys series, signal, filters, on_nan."""
    raw = _kind_entry("ophys", raw, _OPHYS_KEYS, "RoiResponseSeries", source)
    if raw is None:
        return None
    series = raw.get("series", "auto")
    if series is None:
        series = "auto"
    if not isinstance(series, str) or not series.strip("/"):
        raise NeuralMIError(f"{source}: `ophys.series` must be a RoiResponseSeries path or `auto`. Got {series!r}.")
    signal = raw.get("signal", "auto") or "auto"
    if signal not in _OPHYS_SIGNALS:
        raise NeuralMIError(f"{source}: `ophys.signal` must be one of {list(_OPHYS_SIGNALS)}. Got {signal!r}.")
    if signal != "auto" and series != "auto":
        raise NeuralMIError(
            f"{source}: `ophys.signal` ({signal}) picks a series by discovery; it cannot be combined with "
            f"`ophys.series` ({series}); give one."
        )
    on_nan = raw.get("on_nan", "drop") or "drop"
    if on_nan not in _ON_NAN:
        raise NeuralMIError(f"{source}: `ophys.on_nan` must be one of {list(_ON_NAN)}. Got {on_nan!r}.")
    return OphysSpec(
        series=series if series == "auto" else series.strip("/"),
        signal=str(signal),
        filters=_filters("ophys.filters", raw.get("filters"), source),
        on_nan=str(on_nan),
        required=_required("ophys", raw, source),
    )


def parse_lfp(raw: Any, source: str = "signal spec") -> LfpSpec | None:
    """The ``lfp`` entry: absent/None/false -> None; true, ``auto`` or ``{}`` -> discover with the default
    bands; a path string -> that series; a mapping with keys series, bands, filters."""
    raw = _kind_entry("lfp", raw, _LFP_KEYS, "ElectricalSeries", source)
    if raw is None:
        return None
    series = raw.get("series", "auto") or "auto"
    if not isinstance(series, str) or not series.strip("/"):
        raise NeuralMIError(f"{source}: `lfp.series` must be an ElectricalSeries path or `auto`. Got {series!r}.")
    braw = raw.get("bands")
    bands: dict[str, tuple[float, float]] = dict(_DEFAULT_BANDS)
    if braw is not None:
        if not isinstance(braw, Mapping) or not braw:
            raise NeuralMIError(f"{source}: `lfp.bands` must map name -> [low, high] in Hz. Got {braw!r}.")
        bands = {}
        for name, edges in braw.items():
            ok = isinstance(edges, list | tuple) and len(edges) == 2 and all(
                isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in edges)
            if not ok or not 0 < float(edges[0]) < float(edges[1]):
                raise NeuralMIError(
                    f"{source}: `lfp.bands.{name}` must be [low, high] Hz with 0 < low < high. Got {edges!r}."
                )
            bands[str(name)] = (float(edges[0]), float(edges[1]))
    return LfpSpec(series=series if series == "auto" else series.strip("/"), bands=bands,
                   filters=_filters("lfp.filters", raw.get("filters"), source), required=_required("lfp", raw, source))


def _names(where: str, raw: Any, source: str) -> list[str]:
    """A list of column names (a single string is one name)."""
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list | tuple) or not raw or not all(isinstance(c, str) and c for c in raw):
        raise NeuralMIError(f"{source}: `{where}` must be a non-empty list of column names. Got {raw!r}.")
    if len(set(raw)) != len(raw):
        raise NeuralMIError(f"{source}: `{where}` names a column twice. Got {list(raw)!r}.")
    return [str(c) for c in raw]


def _choice(where: str, value: Any, allowed: tuple[str, ...], source: str) -> str:
    if value not in allowed:
        raise NeuralMIError(f"{source}: `{where}` must be one of {list(allowed)}. Got {value!r}.")
    return str(value)


def parse_events(raw: Any, source: str = "signal spec") -> dict[str, EventsSpec]:
    """The ``events`` entry: name -> a TimeSeries (or EventsTable) path, or {path, value, column}."""
    if raw is None or raw is False:
        return {}
    if not isinstance(raw, Mapping):
        raise NeuralMIError(f"{source}: `events` must map name -> TimeSeries path or {{path, value}}. Got {raw!r}.")
    out: dict[str, EventsSpec] = {}
    for name, item in raw.items():
        where = f"events.{name}"
        if isinstance(item, str):
            item = {"path": item}
        if not isinstance(item, Mapping) or not isinstance(item.get("path"), str) or not item["path"].strip("/"):
            raise NeuralMIError(
                f"{source}: `{where}` must be a TimeSeries path or {{path: ..., value: count|sum|last}}. "
                f"Got {item!r}."
            )
        _unknown(where, item, _EVENT_KEYS, source)
        value = _choice(f"{where}.value", item.get("value", "count") or "count", _EVENT_VALUES, source)
        column = item.get("column")
        if column is not None and (not isinstance(column, str) or not column):
            raise NeuralMIError(f"{source}: `{where}.column` must be a column name of an EventsTable. Got {column!r}.")
        if column is not None and value == "count":
            raise NeuralMIError(f"{source}: `{where}.column` ({column}) needs `value: sum` or `value: last`.")
        out[str(name)] = EventsSpec(item["path"].strip("/"), value, column, _required(where, item, source))
    return out


def parse_intervals(raw: Any, source: str = "signal spec") -> dict[str, IntervalsSpec]:
    """The ``intervals`` entry: name -> a table name (every column), a list of columns (of the table
    ``name``), or {table, columns, categorical, overlap, outside} (``table`` defaults to ``name``)."""
    if raw is None or raw is False:
        return {}
    if not isinstance(raw, Mapping):
        raise NeuralMIError(
            f"{source}: `intervals` must map name -> table, [columns] or {{table, columns, ...}}. Got {raw!r}."
        )
    out: dict[str, IntervalsSpec] = {}
    for name, item in raw.items():
        where = f"intervals.{name}"
        if isinstance(item, str):
            item = {"table": item}
        elif isinstance(item, list | tuple):
            item = {"columns": list(item)}
        elif item is None:
            item = {}
        if not isinstance(item, Mapping):
            raise NeuralMIError(
                f"{source}: `{where}` must be a table name, a list of columns or {{table, columns, ...}}. "
                f"Got {item!r}."
            )
        _unknown(where, item, _INTERVAL_KEYS, source)
        table = item.get("table", name)
        if not isinstance(table, str) or not table.strip("/"):
            raise NeuralMIError(
                f"{source}: `{where}.table` must be `trials`, `epochs` or `intervals/NAME`. Got {table!r}."
            )
        columns = item.get("columns")
        cols = None if columns is None else tuple(_names(f"{where}.columns", columns, source))
        cat = () if item.get("categorical") is None else tuple(_names(f"{where}.categorical", item["categorical"],
                                                                     source))
        if cols is not None and set(cat) - set(cols):
            raise NeuralMIError(
                f"{source}: `{where}.categorical` names {sorted(set(cat) - set(cols))}, not among its columns "
                f"{list(cols)}."
            )
        out[str(name)] = IntervalsSpec(
            table=table.strip("/"), columns=cols, categorical=cat,
            overlap=_choice(f"{where}.overlap", item.get("overlap", "error") or "error", _OVERLAP, source),
            outside=_choice(f"{where}.outside", item.get("outside", "drop") or "drop", _OUTSIDE, source),
            required=_required(where, item, source),
        )
    return out


def parse_signal_spec(spec: Mapping[str, Any] | None, source: str = "signal spec") -> SignalSpec:
    """Validate a signal-spec mapping and return a :class:`SignalSpec`.

    Raises
    ------
    NeuralMIError
        unknown keys, wrong types, non-positive bin width, empty time range (names ``source`` and the key).
    """
    spec = dict(spec or {})
    if isinstance(spec.get("signals"), Mapping):
        spec = dict(spec["signals"])
    _unknown("signals", spec, _TOP_KEYS, source)
    bw = spec.get("bin_width")
    bw = None if bw is None else _positive("bin_width", bw, source)
    tr = spec.get("time_range")
    if tr is not None:
        if not (isinstance(tr, list | tuple) and len(tr) == 2):
            raise NeuralMIError(f"{source}: `time_range` must be [start, stop] in seconds. Got {tr!r}.")
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in tr):
            raise NeuralMIError(f"{source}: `time_range` must hold two numbers (seconds). Got {tr!r}.")
        a, b = float(tr[0]), float(tr[1])
        if not (math.isfinite(a) and math.isfinite(b) and b > a):
            raise NeuralMIError(f"{source}: `time_range` must have start < stop. Got {tr!r}.")
        tr = (a, b)
    spikes_raw = spec.get("spikes", {})
    spikes: SpikesSpec | None
    if spikes_raw is False:
        spikes = None
    else:
        if spikes_raw is None or spikes_raw is True:
            spikes_raw = {}
        if not isinstance(spikes_raw, Mapping):
            raise NeuralMIError(f"{source}: `spikes` must be a mapping or false. Got {spikes_raw!r}.")
        _unknown("spikes", spikes_raw, _SPIKE_KEYS, source)
        filters = spikes_raw.get("filters") or {}
        if not isinstance(filters, Mapping):
            raise NeuralMIError(
                f"{source}: `spikes.filters` must map column -> value, list or {{min, max}}. Got {filters!r}."
            )
        for col, rule in filters.items():
            if isinstance(rule, Mapping) and set(rule) - {"min", "max"}:
                raise NeuralMIError(
                    f"{source}: `spikes.filters.{col}` range accepts keys min/max. Got {dict(rule)}."
                )
        rate = spikes_raw.get("min_rate_hz", 0.0) or 0.0
        spikes = SpikesSpec(
            table=str(spikes_raw.get("table", "units")),
            filters=dict(filters),
            min_rate_hz=_positive("spikes.min_rate_hz", rate, source, zero_ok=True),
            required=_required("spikes", spikes_raw, source),
        )
    beh_raw = spec.get("behavior")
    behavior = None
    if beh_raw is not None:
        if not isinstance(beh_raw, Mapping):
            raise NeuralMIError(f"{source}: `behavior` must map name -> TimeSeries path. Got {beh_raw!r}.")
        behavior = {}
        for name, item in beh_raw.items():
            if isinstance(item, str):
                item = {"path": item}
            if not isinstance(item, Mapping) or not isinstance(item.get("path"), str):
                raise NeuralMIError(
                    f"{source}: `behavior.{name}` must be a path string or {{path: ..., max_gap_s: "
                    f"...}}. Got {item!r}."
                )
            _unknown(f"behavior.{name}", item, _BEH_KEYS, source)
            gap = item.get("max_gap_s")
            behavior[str(name)] = {
                "path": item["path"].strip("/"),
                "max_gap_s": None if gap is None else _positive(f"behavior.{name}.max_gap_s", gap, source),
            }
    trials = spec.get("trials", "auto")
    for key, val in (("trials", trials), ("restrict_to", spec.get("restrict_to"))):
        if val is not None and not isinstance(val, str):
            raise NeuralMIError(f"{source}: `{key}` must be an intervals table name or null. Got {val!r}.")
    return SignalSpec(
        bin_width=bw,
        time_range=tr,
        spikes=spikes,
        behavior=behavior,
        trials=trials,
        restrict_to=spec.get("restrict_to"),
        ophys=parse_ophys(spec.get("ophys"), source),
        lfp=parse_lfp(spec.get("lfp"), source),
        events=parse_events(spec.get("events"), source),
        intervals=parse_intervals(spec.get("intervals"), source),
    )


def load_signal_spec(path: str | os.PathLike) -> SignalSpec:
    """Read a YAML signal spec: the mapping, or a file with a top-level ``signals:`` key (config.yaml)."""
    import yaml

    path = Path(path)
    if not path.exists():
        raise NeuralMIError(f"{path}: signal spec file not found.")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise NeuralMIError(f"{path}: not valid YAML ({exc}).") from exc
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise NeuralMIError(f"{path}: expected a mapping of signal-spec keys; got {type(data).__name__}.")
    if "signals" in data:
        data = data["signals"] or {}
    return parse_signal_spec(data, source=str(path))


__all__ = ["EventsSpec", "IntervalsSpec", "LfpSpec", "OphysSpec", "SignalSpec", "SpikesSpec", "load_signal_spec",
           "parse_events", "parse_intervals", "parse_lfp", "parse_ophys", "parse_signal_spec"]
