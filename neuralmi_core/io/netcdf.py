"""Binned sessions as netCDF: atomic, compressed writes and the layout every consumer relies on.

Layout of a binned session (written by ``neuralmi bin`` / :func:`neuralmi_core.io.session.bin_session`)::

    dims     time (n_bins), unit (n_units), <name>_component (one per behaviour signal), roi (n_rois),
             channel and band (lfp), NAME_column (events), NAME_feature (intervals)
    coords   time(time)            float64 bin centres, attrs units="s"
             unit(unit)            int64 unit ids of the units table
             <column>(unit)        unit metadata columns (region, quality, location, ...; a column named
                                   like a reserved name is stored as unit_<column>)
             n_spikes(unit)        int64 spikes inside the binned span
             firing_rate_hz(unit)  float64 mean rate over the unit's observed bins
             zero_spikes(unit)     uint8, 1 for units without spikes (kept and flagged)
             <name>_component      component labels of behaviour signal <name> (x, y, z or 0, 1, ...)
    vars     spikes(time, unit)            unsigned int counts (uint8/uint16/uint32), zlib-compressed;
                                           attr mask_variable="spikes_observed" when that variable exists
             spikes_observed(time, unit)   uint8, 1 where the whole bin lies inside the unit's
                                           obs_intervals (only written when some bin is unobserved)
             observed(time)                uint8, 1 where the bin is analysed (restrict_to intervals)
             trial(time)                   int32 row of the trials table holding the bin centre, -1 none
             <name>(time, <name>_component) float64 behaviour at bin centres, NaN where unknown
             ophys(time, roi)              float32 calcium imaging (only when the spec asks `ophys`): mean of
                                           the frames in each bin, NaN where none; attrs signal_kind="ophys",
                                           preprocessing ("dF/F, 30 Hz frames averaged into 100 ms bins"),
                                           source_path, frame_rate_hz, nan_policy, nan_values,
                                           location_missing (JSON), transposed_in_file
             ophys_n_frames(time)          uint16 frames averaged into each bin
             with coords roi(roi) (ROI ids), plane, location, is_cell (uint8), cell_probability and the
             ROI table's scalar columns along roi (roi_<name> when the name is taken, e.g. by a units
             column), n_nan_frames(roi); dataset attrs ophys_series, ophys_preprocessing,
             ophys_rois_removed_by_filter (JSON) -- see neuralmi_core.io.ophys
             lfp(time, channel, band)      float32 LFP band power (only when the spec asks `lfp`): mean over
                                           the bin of |hilbert(band-passed)|^2 / 2, NaN where no sample;
                                           attrs signal_kind="lfp", preprocessing, units ("(volts)^2"),
                                           sampling_rate_hz, source_path
             lfp_n_samples(time)           uint32 samples averaged into each bin
             with coords channel(channel) (electrode ids), location, group along channel
             (channel_<name> when taken), band(band) with band_low_hz, band_high_hz; dataset attrs
             lfp_series, lfp_preprocessing, lfp_channels_removed_by_filter (JSON) -- see neuralmi_core.io.lfp
             NAME(time, NAME_column)       events (only for the spec's `events` names): counts per bin
                                           (unsigned int), or float64 sums / held values of the events'
                                           data; attrs signal_kind="events", preprocessing, source_path,
                                           value (count/sum/last), n_events; coord NAME_column (count, sum,
                                           last, sum_0, ...); dataset attr events_signals (JSON)
             NAME(time, NAME_feature)      float32 intervals-table columns (only for the spec's `intervals`
                                           names): numeric columns hold the row's value (NaN outside every
                                           row), categorical ones are one-hot (0 outside); attrs
                                           signal_kind="intervals", preprocessing, source_table, columns,
                                           skipped_columns, nan_rows (JSON), overlap, outside and, with
                                           outside: drop, mask_variable=NAME_in_interval
             NAME_in_interval(time)        uint8, 1 where a row of the table holds the bin centre
             with coords NAME_feature (orientation=90, contrast), NAME_feature_column, NAME_feature_label
             ("" for numeric), NAME_feature_kind (one-hot/numeric) along NAME_feature; dataset attr
             intervals_signals (JSON) -- see neuralmi_core.io.events
    attrs    source_path, source_sha256, nwb_identifier, session_start_time, nwb_session_id,
             nwb_subject_id, nwb_subject_genotype, nwb_version, bin_width_s, t0_s, t_stop_s, n_bins, binning_method
             ("integer_ticks" or "shared_edges"), resolution_s, start_tick, ticks_per_bin (exact edges:
             edge_k = (start_tick + k * ticks_per_bin) * resolution_s, else t0_s + k * bin_width_s),
             signals_spec (JSON), config_hash, neuralmi_version, units_removed_by_filter (JSON),
             zero_spike_units (JSON list of unit ids), behavior_signals (JSON name -> NWB path)

Attribute values are stored as str or numbers only (bool -> 0/1, None -> "", dict/list -> JSON string),
since netCDF rejects the rest. Integer variables are zlib-compressed (level 4, shuffle, chunks of up to
8192 time bins); floating-point variables are left raw (they barely compress).

Examples
--------
>>> ds = bin_session("sub-01_ses-01_ecephys.nwb")          # doctest: +SKIP
>>> write_netcdf(ds, "results/sub-01_ses-01/binned.nc")    # doctest: +SKIP
>>> open_binned("results/sub-01_ses-01/binned.nc").spikes   # doctest: +SKIP
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from ..validation import NeuralMIError
from .atomic import atomic_path

TIME_CHUNK = 8192


def attr_value(value: Any) -> str | int | float | np.ndarray:
    """A netCDF-safe attribute value: str, number or numeric array (bool -> int, None -> "", else JSON)."""
    if isinstance(value, bool | np.bool_):
        return int(value)
    if value is None:
        return ""
    if isinstance(value, str | int | float):
        return value
    if isinstance(value, np.integer | np.floating):
        return value.item()
    if isinstance(value, np.ndarray) and value.dtype.kind in "iuf":
        return value
    return json.dumps(value, default=str)


def sanitize_attrs(attrs: dict[str, Any]) -> dict[str, Any]:
    """Every value of ``attrs`` made netCDF-safe with :func:`attr_value`."""
    return {str(k): attr_value(v) for k, v in attrs.items()}


def encoding_for(ds, complevel: int = 4) -> dict[str, dict[str, Any]]:
    """netCDF4 encoding: integer/bool variables compressed and chunked along time, floats raw."""
    enc: dict[str, dict[str, Any]] = {}
    for name, var in {**ds.data_vars, **ds.coords}.items():
        if var.dtype.kind in "biu" and var.ndim >= 1 and var.size > 0:
            chunks = tuple(
                min(TIME_CHUNK, n) if d == "time" else n for d, n in zip(var.dims, var.shape, strict=True)
            )
            enc[str(name)] = {"zlib": True, "complevel": complevel, "shuffle": True, "chunksizes": chunks}
        elif var.dtype.kind == "f" and name not in ds.dims:
            enc[str(name)] = {"_FillValue": None} if var.ndim == 0 else {"_FillValue": np.nan}
    return enc


def write_netcdf(ds, path: str | os.PathLike, complevel: int = 4) -> Path:
    """Write ``ds`` to ``path`` atomically (:func:`~neuralmi_core.io.atomic.atomic_path`).

    Attributes of the dataset and of each variable are sanitised with :func:`attr_value`; on any failure
    the temporary file is removed and ``path`` is left untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    ds = ds.copy(deep=False)
    ds.attrs = sanitize_attrs(dict(ds.attrs))
    for name in list(ds.variables):
        ds[name].attrs = sanitize_attrs(dict(ds[name].attrs))
    with atomic_path(path) as tmp:
        ds.to_netcdf(tmp, engine="netcdf4", format="NETCDF4", encoding=encoding_for(ds, complevel))
    return path


def open_binned(path: str | os.PathLike, lazy: bool = True):
    """Open a binned netCDF (lazily by default); errors name the file and what was expected.

    Use as a context manager or close it when done (xarray caches file handles). Sets
    ``HDF5_USE_FILE_LOCKING=FALSE`` unless already set (it takes effect when netCDF4 initialises HDF5,
    i.e. when this is the process's first netCDF access), so many jobs can read one file on a shared
    filesystem; files are only ever replaced whole (atomic rename), so readers never see a partial file.
    """
    os.environ.setdefault("HDF5_USE_FILE_LOCKING", "FALSE")
    import xarray as xr

    path = Path(path)
    if not path.exists():
        raise NeuralMIError(f"{path}: netCDF file not found.")
    try:
        ds = xr.open_dataset(path, engine="netcdf4", cache=False)
    except Exception as exc:  # noqa: BLE001 - any backend failure means unreadable input
        raise NeuralMIError(f"{path}: could not open as netCDF ({type(exc).__name__}: {exc}).") from exc
    if not lazy:
        ds.load()
    return ds


def edges_from_attrs(attrs: dict[str, Any]) -> np.ndarray:
    """Exact bin edges (s) of a binned dataset from its attrs (see module docstring)."""
    n = int(attrs["n_bins"])
    k = np.arange(n + 1, dtype=np.int64)
    tpb = int(attrs.get("ticks_per_bin", 0) or 0)
    res = float(attrs.get("resolution_s", math.nan))
    if tpb and math.isfinite(res):
        return (int(attrs["start_tick"]) + k * tpb) * res
    return float(attrs["t0_s"]) + float(attrs["bin_width_s"]) * k


__all__ = ["attr_value", "edges_from_attrs", "encoding_for", "open_binned", "sanitize_attrs", "write_netcdf"]
