"""Turn one NWB session into an xarray Dataset: read what the signal spec names, bin it on one exact grid.

:func:`bin_session` runs four steps, each a function here: read the session (:func:`read_session`), choose
the time span (:func:`time_span`), bin the spike counts (:func:`spike_variables`), the behaviour
(:func:`behaviour_variables`), and when asked calcium imaging (:func:`ophys_variables`), LFP band power
(:func:`lfp_variables`), events (:func:`events_variables`) and interval-table columns
(:func:`intervals_variables`), add the masks and the provenance. The layout of the result is documented in :mod:`neuralmi_core.io.netcdf`; the binning
primitives are in :mod:`neuralmi_core.io.binning`.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..validation import NeuralMIError, SignalAbsent
from .binning import BinGrid, align_samples, bin_spike_trains, interval_index, interval_mask, make_grid

#: Names the binned layout uses itself; a units column or behaviour signal with one of them is renamed or refused.
RESERVED = {"time", "unit", "spikes", "spikes_observed", "observed", "trial", "n_spikes", "firing_rate_hz",
            "zero_spikes"}
DEFAULT_BIN_WIDTH = 0.01


def file_sha256(path: str | os.PathLike, chunk: int = 1 << 22) -> str:
    """Hex sha256 of a file, read in 4 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def var_name(name: str) -> str:
    """A netCDF-safe variable name (letters, digits, ``_``; not starting with a digit)."""
    out = "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in str(name))
    return out if out and not out[0].isdigit() else f"v_{out}"


@dataclass
class SessionInputs:
    """What :func:`read_session` took from the file: units, behaviour series, interval tables."""

    source: str
    info: dict[str, str]
    units: Any  # nwb.UnitsData or None
    series: dict[str, tuple[Any, float | None]]  # name -> (TimeSeriesData, max_gap_s)
    trials: tuple[str, np.ndarray, np.ndarray] | None
    restrict: tuple[str, np.ndarray, np.ndarray] | None
    ophys: Any = None  # ophys.OphysData when the spec asks for imaging
    lfp: Any = None  # lfp.LfpData when the spec asks for LFP band power (data re-opened when binning)
    events: dict[str, Any] = field(default_factory=dict)  # name -> events.EventData
    intervals: dict[str, Any] = field(default_factory=dict)  # name -> events.IntervalData
    absent: dict[str, str] = field(default_factory=dict)  # kind or variable name -> why (``required: false``)


def _optional(name: str, required: bool, absent: dict[str, str], read: Any) -> Any:
    """``read()``; when the spec entry says ``required: false`` and the file lacks the signal
    (:class:`~neuralmi_core.validation.SignalAbsent`), None with the reason recorded in ``absent[name]``."""
    if required:
        return read()
    try:
        return read()
    except SignalAbsent as exc:
        absent[name] = str(exc)
        return None


def read_session(path: Path, sp: Any) -> SessionInputs:
    """Read the units, behaviour series and interval tables that the signal spec ``sp`` names.

    A kind whose spec entry says ``required: false`` and that the file lacks is left out (None / not in the
    dicts) and recorded in ``absent`` (name -> the reader's message); any other problem still raises.
    """
    from . import nwb as nwbio
    from .units import read_units

    absent: dict[str, str] = {}
    with nwbio.open_nwb(path) as nwb:
        info = nwbio.session_info(nwb)
        ophys = None
        if getattr(sp, "ophys", None) is not None:
            from .ophys import read_ophys

            ophys = _optional("ophys", sp.ophys.required, absent,
                              lambda: read_ophys(nwb, sp.ophys.series, sp.ophys.signal))
        lfp = None
        if getattr(sp, "lfp", None) is not None:
            from .lfp import read_lfp

            lfp = _optional("lfp", sp.lfp.required, absent, lambda: read_lfp(nwb, sp.lfp.series))
            if lfp is not None:
                lfp.data = None  # the file closes here; lfp_variables re-opens it and reads channel by channel
        # an imaging file without a units table: the default (unfiltered) spikes spec is skipped
        default_spikes = sp.spikes is not None and sp.spikes.table == "units" and not sp.spikes.filters \
            and not sp.spikes.min_rate_hz and sp.spikes.required
        skip_units = (ophys is not None or lfp is not None) and default_spikes and nwb.units is None
        if ophys is None and default_spikes and nwb.units is None:
            from .ophys import find_roi_series

            found = find_roi_series(nwb)
            if found:  # an imaging file binned with the default spec: say how to ask for its traces
                raise NeuralMIError(
                    f"{path}: has no 'units' table but holds imaging data ({found[0][0]}); bin it with "
                    "`ophys: auto` (and `spikes: false`) in the signal spec, see docs/ophys.md."
                )
        if ophys is None and lfp is None and default_spikes and nwb.units is None:
            from .lfp import find_lfp_series

            found_lfp = find_lfp_series(nwb)
            if found_lfp:  # an LFP-only file binned with the default spec: say how to ask for band power
                raise NeuralMIError(
                    f"{path}: has no 'units' table but holds LFP ({found_lfp[0]}); bin its band power with "
                    "`lfp: auto` (and `spikes: false`) in the signal spec, see docs/lfp.md."
                )
        units = None
        if sp.spikes is not None and not skip_units:
            units = _optional("spikes", sp.spikes.required, absent, lambda: read_units(nwb, sp.spikes.table))
        events: dict[str, Any] = {}
        intervals: dict[str, Any] = {}
        if getattr(sp, "events", None) or getattr(sp, "intervals", None):
            from .events import read_events, read_interval_columns

            for name, e in sp.events.items():
                ev = _optional(var_name(name), e.required, absent,
                               lambda e=e: read_events(nwb, e.path, e.value, e.column))
                if ev is not None:
                    events[name] = ev
            for name, i in sp.intervals.items():
                iv = _optional(var_name(name), i.required, absent,
                               lambda i=i: read_interval_columns(nwb, i.table, i.columns, i.categorical))
                if iv is not None:
                    intervals[name] = iv
        claimed = {e.path for e in events.values()}  # event series are not also discovered as behaviour
        beh_paths = sp.behavior if sp.behavior is not None else {
            p.rsplit("/", 1)[-1]: {"path": p, "max_gap_s": None} for p in nwbio.find_behavior_timeseries(nwb)
            if p not in claimed}
        series = {name: (nwbio.read_timeseries(nwb, b["path"]), b.get("max_gap_s")) for name, b in beh_paths.items()}
        trials = None
        if sp.trials == "auto":
            if nwb.trials is not None:
                trials = ("trials", *nwbio.read_intervals(nwb, "trials"))
        elif sp.trials:
            trials = (sp.trials, *nwbio.read_intervals(nwb, sp.trials))
        restrict = (sp.restrict_to, *nwbio.read_intervals(nwb, sp.restrict_to)) if sp.restrict_to else None
    return SessionInputs(str(path), info, units, series, trials, restrict, ophys, lfp, events, intervals, absent)


def time_span(sp: Any, inputs: SessionInputs) -> tuple[float, float]:
    """The spec's ``time_range``, else the span of the spikes, the units' obs_intervals and the behaviour."""
    if sp.time_range is not None:
        return tuple(sp.time_range)  # type: ignore[return-value]
    lo, hi = [], []
    units = inputs.units
    if units is not None and units.spike_times.size:
        lo.append(float(units.spike_times.min()))
        hi.append(float(units.spike_times.max()))
    if units is not None and units.obs_intervals and any(len(o) for o in units.obs_intervals):
        allobs = np.concatenate(units.obs_intervals)
        if allobs.size:
            lo.append(float(allobs[:, 0].min()))
            hi.append(float(allobs[:, 1].max()))
    for ts, _ in inputs.series.values():
        if ts.timestamps.size:
            lo.append(float(ts.timestamps[0]))
            hi.append(float(ts.timestamps[-1]))
    if inputs.ophys is not None:
        t, period = inputs.ophys.timestamps, inputs.ophys.frame_period
        lo.append(float(t[0]))
        hi.append(float(t[-1]) + (period if np.isfinite(period) else 0.0))  # the last frame's period
    if inputs.lfp is not None:
        t = inputs.lfp.timestamps
        lo.append(float(t[0]))
        hi.append(float(t[-1]) + 1.0 / inputs.lfp.rate)
    for ev in inputs.events.values():  # like behaviour samples (interval tables do not extend the span)
        lo.append(float(ev.timestamps[0]))
        hi.append(float(ev.timestamps[-1]))
    if not lo:
        why = "".join(f"; {k} absent: {v}" for k, v in inputs.absent.items())
        raise NeuralMIError(f"{inputs.source}: nothing to bin (no spikes and no behaviour samples){why}.")
    return min(lo), max(hi)


def _observed_mask(units: Any, grid: BinGrid) -> np.ndarray | None:
    """(n_bins, n_units) uint8, 1 where the whole bin lies in the unit's obs_intervals; None when all are."""
    mask = None
    if units.obs_intervals is None:
        return None
    for u, iv in enumerate(units.obs_intervals):
        m = interval_mask(iv[:, 0], iv[:, 1], grid, how="full") if len(iv) else np.zeros(grid.n_bins, bool)
        if not m.all():
            if mask is None:
                mask = np.ones((grid.n_bins, units.n_units), dtype=np.uint8)
            mask[:, u] = m
    return mask


def spike_variables(units: Any, sp: Any, grid: BinGrid, duration_s: float, source: str
                    ) -> tuple[dict[str, Any], dict[str, Any], dict[str, int], list[int]]:
    """Filter the units and bin their spikes: ``(data_vars, coords, removed by filter, ids without spikes)``."""
    from .units import filter_units

    units, removed = filter_units(units, sp.spikes.filters, sp.spikes.min_rate_hz, duration_s)
    if units.n_units == 0:
        raise NeuralMIError(f"{source}: units table {sp.spikes.table!r} has no units; expected at least one.")
    counts = bin_spike_trains(units.spike_times, units.ends, grid)
    n_in = counts.sum(axis=0, dtype=np.int64)
    zero = n_in == 0
    obs_mask = _observed_mask(units, grid)
    observed_s = (np.full(units.n_units, grid.n_bins * grid.bin_width) if obs_mask is None
                  else obs_mask.sum(axis=0) * grid.bin_width)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(observed_s > 0, n_in / observed_s, 0.0)
    coords: dict[str, Any] = {"unit": ("unit", units.ids, {"long_name": "unit id (units table)"})}
    for col, vals in units.columns.items():
        name = var_name(col)
        coords[f"unit_{name}" if name in RESERVED else name] = ("unit", vals, {"long_name": f"units column {col!r}"})
    coords["n_spikes"] = ("unit", n_in, {"long_name": "spikes inside the binned span"})
    coords["firing_rate_hz"] = ("unit", rate, {"units": "Hz", "long_name": "mean rate over observed bins"})
    coords["zero_spikes"] = ("unit", zero.astype(np.uint8), {"long_name": "1 where the unit has no spike"})
    data_vars: dict[str, Any] = {}
    sattrs = {"long_name": "spike count per bin", "units": "count"}
    if obs_mask is not None:
        sattrs["mask_variable"] = "spikes_observed"
        data_vars["spikes_observed"] = (("time", "unit"), obs_mask,
                                        {"long_name": "1 where the whole bin lies in the unit's obs_intervals"})
    data_vars["spikes"] = (("time", "unit"), counts, sattrs)
    return data_vars, coords, removed, units.ids[zero].tolist()


def behaviour_variables(series: dict[str, tuple[Any, float | None]], grid: BinGrid, taken: set[str], source: str
                        ) -> tuple[dict[str, Any], dict[str, Any]]:
    """Each behaviour series aligned to the bin centres: ``(data_vars, coords)`` (one component dim each)."""
    data_vars: dict[str, Any] = {}
    coords: dict[str, Any] = {}
    for name, (ts, gap) in series.items():
        vname = var_name(name)
        if vname in RESERVED or vname in taken:
            raise NeuralMIError(f"{source}: behaviour signal name {name!r} clashes with a reserved name; rename it.")
        dim = f"{vname}_component"
        data_vars[vname] = (("time", dim), align_samples(ts.timestamps, ts.values, grid, gap),
                            {"units": ts.unit, "source_path": ts.path, "neurodata_type": ts.neurodata_type,
                             "long_name": f"{ts.path} aligned to bin centres"})
        coords[dim] = (dim, np.array(ts.components, dtype=str))
    return data_vars, coords


def _claim(names: tuple[str, ...], taken: set[str], where: str) -> None:
    """Raise when a signal kind's own variable or dimension names are taken by another signal of the session."""
    for name in names:
        if name in taken:
            raise NeuralMIError(f"{where}: the name {name!r} is taken by another signal of the session; rename it.")


def _column_coords(dim: str, columns: dict[str, Any], taken: set[str], own: tuple[str, ...], what: str
                   ) -> dict[str, Any]:
    """A table's columns as coordinates along ``dim``, each stored as ``<dim>_<name>`` when its name is reserved,
    taken, or one of the kind's ``own`` names (selectors find either form)."""
    coords: dict[str, Any] = {}
    for col, vals in columns.items():
        name = var_name(col)
        cname = f"{dim}_{name}" if name in RESERVED or name in taken or name in own else name
        coords[cname] = (dim, vals, {"long_name": f"{what} column {col!r}"})
    return coords


def ophys_variables(data: Any, osp: Any, grid: BinGrid, taken: set[str]
                    ) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The imaging series averaged into bins: ``(data_vars, coords, attrs)``; ``data`` already filtered.

    Variable ``ophys`` (time, roi) float32 and ``ophys_n_frames`` (time); coordinates ``roi`` (ids),
    ``plane``, ``location``, ``is_cell`` ... along ``roi``, each stored as ``roi_<name>`` when the name is
    taken (e.g. by a units column ``location``); selectors find either form (``ophys[location=VISp]``).
    """
    from .ophys import bin_frames, preprocessing_text

    _claim(("ophys", "ophys_n_frames", "roi"), taken, f"{data.source}: {data.path!r}")
    means, frames, nan = bin_frames(data, grid, osp.on_nan)
    prep = preprocessing_text(data, grid.bin_width)
    period = data.frame_period
    coords: dict[str, Any] = {"roi": ("roi", data.ids, {"long_name": f"ROI id (table {data.table!r})"})}
    coords.update(_column_coords("roi", data.columns, taken, ("ophys", "ophys_n_frames", "roi", "n_nan_frames"),
                                 "ROI"))
    coords["n_nan_frames"] = ("roi", nan, {"long_name": "NaN/inf frame values left out of the bin means"})
    vattrs = {
        "long_name": f"{data.kind} of {data.path} averaged into bins", "units": data.unit,
        "signal_kind": "ophys", "preprocessing": prep, "source_path": data.path,
        "neurodata_type": "RoiResponseSeries", "roi_table": data.table,
        "frame_rate_hz": 1.0 / period if np.isfinite(period) else float("nan"),
        "resampling": "mean of the frames whose timestamp falls in the bin; NaN where none (bins shorter than "
                      "the frame period are refused)",
        "nan_policy": osp.on_nan, "nan_values": int(nan.sum()), "transposed_in_file": int(data.transposed),
        "location_missing": json.dumps(data.location_missing),
    }
    data_vars = {
        "ophys": (("time", "roi"), means, vattrs),
        "ophys_n_frames": ("time", frames.astype(np.uint16 if frames.max(initial=0) < 65535 else np.uint32),
                           {"long_name": f"frames of {data.path} averaged into the bin", "units": "count"}),
    }
    attrs = {"ophys_series": data.path, "ophys_preprocessing": prep}
    return data_vars, coords, attrs


def lfp_variables(path: Path, data: Any, lsp: Any, grid: BinGrid, taken: set[str]
                  ) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """LFP band power averaged into bins: ``(data_vars, coords, attrs)``; ``data`` already filtered.

    Variable ``lfp`` (time, channel, band) float32 (unit: the series' unit squared) and ``lfp_n_samples``
    (time); coordinates ``channel`` (electrode ids), ``location``, ``group`` along ``channel`` (stored as
    ``channel_<name>`` when taken) and ``band`` (names, with ``band_low_hz``/``band_high_hz``); selectors
    read ``lfp[location=CA1,band=theta]``. The file is re-opened and read one channel at a time.
    """
    from . import nwb as nwbio
    from .lfp import bin_band_power, preprocessing_text

    _claim(("lfp", "lfp_n_samples", "channel", "band"), taken, f"{data.source}: {data.path!r}")
    bands = lsp.bands
    with nwbio.open_nwb(path) as nwb:
        obj = nwbio.get_object(nwb, data.path)
        data.data = obj.data if len(obj.data.shape) == 2 else np.asarray(obj.data[:])[:, None]
        try:
            power, counts = bin_band_power(data, bands, grid)
        finally:
            data.data = None
    prep = preprocessing_text(data, bands, grid.bin_width)
    coords: dict[str, Any] = {"channel": ("channel", data.ids, {"long_name": "electrode id (electrodes table)"})}
    coords.update(_column_coords("channel", data.columns, taken, ("lfp", "channel", "band"), "electrode"))
    coords["band"] = ("band", np.array(list(bands), dtype=str), {"long_name": "frequency band"})
    coords["band_low_hz"] = ("band", np.array([b[0] for b in bands.values()]), {"units": "Hz"})
    coords["band_high_hz"] = ("band", np.array([b[1] for b in bands.values()]), {"units": "Hz"})
    vattrs = {
        "long_name": f"band power of {data.path} averaged into bins", "units": f"({data.unit})^2",
        "signal_kind": "lfp", "preprocessing": prep, "source_path": data.path,
        "neurodata_type": "ElectricalSeries", "sampling_rate_hz": data.rate,
        "method": "order-4 Butterworth band-pass (scipy sosfiltfilt, zero phase), |hilbert|^2 / 2 per sample, mean "
                  "of the samples whose timestamp falls in the bin; NaN where none",
    }
    data_vars = {
        "lfp": (("time", "channel", "band"), power, vattrs),
        "lfp_n_samples": ("time", counts.astype(np.uint32),
                          {"long_name": f"samples of {data.path} averaged into the bin", "units": "count"}),
    }
    return data_vars, coords, {"lfp_series": data.path, "lfp_preprocessing": prep}


def events_variables(events: dict[str, Any], grid: BinGrid, taken: set[str]
                     ) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Each events variable binned: ``(data_vars, coords, attrs)``.

    Variable ``NAME(time, NAME_column)``: event counts (unsigned int), or float64 sums / held values per
    data column; coordinate ``NAME_column`` (``count``, ``sum``, ``last`` or ``sum_0``, ``sum_1``, ...).
    See :mod:`neuralmi_core.io.events`.
    """
    from .events import bin_events, events_text

    data_vars: dict[str, Any] = {}
    coords: dict[str, Any] = {}
    for name, ev in events.items():
        vname = var_name(name)
        dim = f"{vname}_column"
        where = f"{ev.source}: events {name!r} ({ev.path})"
        _claim((vname, dim), taken | set(RESERVED) | set(data_vars) | set(coords), where)
        prep = events_text(ev, grid.bin_width)
        data_vars[vname] = (("time", dim), bin_events(ev, grid), {
            "long_name": prep, "units": "count" if ev.value == "count" else ev.unit, "signal_kind": "events",
            "preprocessing": prep, "source_path": ev.path, "neurodata_type": ev.neurodata_type,
            "value": ev.value, "n_events": int(ev.timestamps.size),
        })
        coords[dim] = (dim, np.array(ev.columns, dtype=str), {"long_name": f"what {vname} holds per bin"})
    attrs = {"events_signals": json.dumps({var_name(k): {"path": v.path, "value": v.value}
                                           for k, v in events.items()})} if events else {}
    return data_vars, coords, attrs


def intervals_variables(intervals: dict[str, Any], isp: dict[str, Any], grid: BinGrid, taken: set[str]
                        ) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Each intervals variable binned: ``(data_vars, coords, attrs)``.

    Variable ``NAME(time, NAME_feature)`` float32 (numeric columns held over their rows, categorical ones
    one-hot) and ``NAME_in_interval(time)`` uint8 (1 where a row holds the bin centre; the variable's
    ``mask_variable`` unless ``outside: keep``); coordinates ``NAME_feature`` (``orientation=90``,
    ``contrast``), ``NAME_feature_column``, ``NAME_feature_label``, ``NAME_feature_kind``, which selectors
    find as ``column``, ``label``, ``kind``. See :mod:`neuralmi_core.io.events`.
    """
    from .events import bin_intervals, intervals_text

    data_vars: dict[str, Any] = {}
    coords: dict[str, Any] = {}
    summary: dict[str, Any] = {}
    for name, data in intervals.items():
        spec = isp[name]
        vname = var_name(name)
        dim = f"{vname}_feature"
        mask = f"{vname}_in_interval"
        names = (vname, dim, f"{dim}_column", f"{dim}_label", f"{dim}_kind", mask)
        _claim(names, taken | set(RESERVED) | set(data_vars) | set(coords),
               f"{data.source}: intervals {name!r} ({data.table})")
        b = bin_intervals(data, grid, spec.overlap)
        prep = intervals_text(data, b, spec.outside)
        vattrs = {
            "long_name": prep, "signal_kind": "intervals", "preprocessing": prep, "source_table": data.table,
            "columns": json.dumps({c: data.kinds[c] for c in data.columns}),
            "skipped_columns": json.dumps(data.skipped), "nan_rows": json.dumps(b.nan_rows),
            "n_rows": data.n_rows, "rows_without_bins": b.rows_without_bins, "overlap": spec.overlap,
            "outside": spec.outside,
            "rule": "a bin belongs to the row whose [start_time, stop_time) holds its centre; numeric columns hold "
                    "the row's value (NaN outside every row), categorical columns are one-hot (0 outside)",
        }
        if spec.outside == "drop":
            vattrs.update(mask_variable=mask, mask_reason="outside_intervals")
        data_vars[vname] = (("time", dim), b.values, vattrs)
        data_vars[mask] = ("time", (b.owner >= 0).astype(np.uint8), {
            "long_name": f"1 where a row of {data.table!r} holds the bin centre"})
        coords[dim] = (dim, np.array(b.names, dtype=str), {"long_name": f"feature of {vname}"})
        coords[f"{dim}_column"] = (dim, np.array(b.column, dtype=str), {"long_name": f"column of {data.table!r}"})
        coords[f"{dim}_label"] = (dim, np.array(b.label, dtype=str),
                                  {"long_name": "category of a one-hot feature; empty for a numeric column"})
        coords[f"{dim}_kind"] = (dim, np.array(b.kind, dtype=str), {"long_name": "one-hot or numeric"})
        summary[vname] = {"table": data.table, "columns": list(data.columns), "preprocessing": prep}
    return data_vars, coords, ({"intervals_signals": json.dumps(summary)} if summary else {})


def mask_variables(inputs: SessionInputs, grid: BinGrid) -> dict[str, Any]:
    """``observed`` (restrict_to intervals) and, when the session has trials, the ``trial`` index per bin."""
    observed = np.ones(grid.n_bins, dtype=np.uint8)
    if inputs.restrict is not None:
        observed &= interval_mask(inputs.restrict[1], inputs.restrict[2], grid).astype(np.uint8)
    out: dict[str, Any] = {"observed": ("time", observed, {
        "long_name": "1 where the bin is analysed (restrict_to intervals; all 1 when none)"})}
    if inputs.trials is not None:
        name, starts, stops = inputs.trials
        out["trial"] = ("time", interval_index(starts, stops, grid),
                        {"long_name": f"row of intervals table {name!r} holding the bin centre; -1 none"})
    return out


def bin_session(nwb_path: str | os.PathLike, spec: Any = None, bin_width: float | None = None,
                config_hash: str | None = None):
    """Bin one NWB session as the signal spec says and return the xarray Dataset (nothing is written).

    Parameters
    ----------
    nwb_path : the NWB file.
    spec : a :class:`~neuralmi_core.io.signals.SignalSpec`, a mapping in the signal-spec format, or None
        (all units, every behaviour TimeSeries found, trial index from ``trials`` when present).
    bin_width : seconds; the spec's ``bin_width`` when None (default 0.01 when neither gives one). Giving
        both with different values is an error.
    config_hash : recorded in the ``config_hash`` attr; default: sha256 of the canonical spec JSON.

    Returns
    -------
    xarray.Dataset in the layout of :mod:`neuralmi_core.io.netcdf`.

    Examples
    --------
    >>> spec = {"spikes": {"filters": {"region": "A"}}}
    >>> ds = bin_session("sub-01_ses-01_ecephys.nwb", spec, 0.02)  # doctest: +SKIP
    >>> ds.spikes.dims                                             # doctest: +SKIP
    ('time', 'unit')
    """
    import xarray as xr

    from .._version import __version__
    from .signals import SignalSpec, parse_signal_spec

    sp = spec if isinstance(spec, SignalSpec) else parse_signal_spec(spec or {}, source="signal spec")
    if bin_width is not None and sp.bin_width is not None and float(bin_width) != float(sp.bin_width):
        raise NeuralMIError(f"the bin width is given twice: {bin_width} s (argument / --bin-width) and "
                            f"{sp.bin_width} s (the signal spec's bin_width); give one")
    width = bin_width if bin_width is not None else (sp.bin_width if sp.bin_width is not None else DEFAULT_BIN_WIDTH)
    path = Path(nwb_path)
    inputs = read_session(path, sp)
    t_start, t_stop = time_span(sp, inputs)
    units = inputs.units
    ophys, rois_removed = inputs.ophys, {}
    if ophys is not None:
        from .ophys import check_bin_width, filter_rois

        ophys, rois_removed = filter_rois(ophys, sp.ophys.filters)
        check_bin_width(ophys, float(width))
    lfp, channels_removed = inputs.lfp, {}
    if lfp is not None:
        from .lfp import check_lfp, filter_channels

        lfp, channels_removed = filter_channels(lfp, sp.lfp.filters)
        check_lfp(lfp, sp.lfp.bands, float(width))
    grid = make_grid(t_start, t_stop, width, units.resolution if units is not None else None, source=inputs.source)
    data_vars: dict[str, Any] = {}
    coords: dict[str, Any] = {"time": ("time", grid.centres(), {"units": "s", "long_name": "bin centre"})}
    removed: dict[str, int] = {}
    zero_ids: list[int] = []
    if units is not None:
        dv, cs, removed, zero_ids = spike_variables(units, sp, grid, t_stop - t_start, inputs.source)
        data_vars.update(dv)
        coords.update(cs)
    dv, cs = behaviour_variables(inputs.series, grid, set(coords), inputs.source)
    data_vars.update(dv)
    coords.update(cs)
    ophys_attrs: dict[str, Any] = {}
    if ophys is not None:
        dv, cs, ophys_attrs = ophys_variables(ophys, sp.ophys, grid, set(coords) | set(data_vars))
        data_vars.update(dv)
        coords.update(cs)
        ophys_attrs["ophys_rois_removed_by_filter"] = json.dumps(rois_removed)
    if lfp is not None:
        dv, cs, lfp_attrs = lfp_variables(path, lfp, sp.lfp, grid, set(coords) | set(data_vars))
        data_vars.update(dv)
        coords.update(cs)
        ophys_attrs.update(lfp_attrs, lfp_channels_removed_by_filter=json.dumps(channels_removed))
    if inputs.events:
        dv, cs, ev_attrs = events_variables(inputs.events, grid, set(coords) | set(data_vars))
        data_vars.update(dv)
        coords.update(cs)
        ophys_attrs.update(ev_attrs)
    if inputs.intervals:
        dv, cs, iv_attrs = intervals_variables(inputs.intervals, sp.intervals, grid, set(coords) | set(data_vars))
        data_vars.update(dv)
        coords.update(cs)
        ophys_attrs.update(iv_attrs)
    data_vars.update(mask_variables(inputs, grid))
    spec_json = json.dumps(sp.to_dict(), sort_keys=True)
    attrs = {
        "title": "neuralmi binned session",
        "source_path": str(path.resolve()),
        "source_sha256": file_sha256(path),
        **inputs.info,
        "bin_width_s": float(grid.bin_width),
        "t0_s": float(grid.t0),
        "t_stop_s": grid.t_stop,
        "n_bins": int(grid.n_bins),
        "binning_method": grid.method,
        "resolution_s": float(grid.resolution) if grid.resolution else float("nan"),
        "start_tick": int(grid.start_tick),
        "ticks_per_bin": int(grid.ticks_per_bin),
        "signals_spec": spec_json,
        "config_hash": config_hash
        or hashlib.sha256((spec_json + f"|bin_width={grid.bin_width!r}").encode()).hexdigest(),
        "neuralmi_version": __version__,
        "units_removed_by_filter": json.dumps(removed),
        "zero_spike_units": json.dumps(zero_ids),
        "behavior_signals": json.dumps({var_name(k): v[0].path for k, v in inputs.series.items()}),
        "conventions": "neuralmi binned v1: see neuralmi_core.io.netcdf",
        **ophys_attrs,
    }
    if inputs.absent:  # only when a `required: false` kind was missing: other files keep their attrs
        attrs["absent_signals"] = json.dumps(inputs.absent)
    return xr.Dataset(data_vars=data_vars, coords=coords, attrs=attrs)


__all__ = ["RESERVED", "SessionInputs", "behaviour_variables", "bin_session", "events_variables", "file_sha256",
           "intervals_variables", "lfp_variables", "mask_variables", "ophys_variables", "read_session",
           "spike_variables", "time_span", "var_name"]
