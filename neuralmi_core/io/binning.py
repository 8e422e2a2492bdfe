"""Bin spike trains and behaviour onto one exact time grid; turn a whole NWB session into an xarray Dataset.

Exact edges: when the spike-time resolution of the file divides the bin width, times are converted to
integer ticks (``rint(t / resolution)``) and binned by integer division (``edge_k = (start_tick + k *
ticks_per_bin) * resolution``); otherwise one shared edges array ``t0 + bin_width * arange(n_bins + 1)`` is
used with ``searchsorted`` (never an accumulated float step). Bins are half-open ``[edge_k, edge_k+1)`` and
the grid starts at a whole multiple of the bin width.

Behaviour is aligned to bin centres: NaN-aware mean of the samples in a bin when it holds >= 2 samples,
otherwise linear interpolation at the centre, NaN outside the data and across gaps (consecutive samples
further apart than ``max_gap_s``, default twice the median sampling interval).

The layout of the Dataset written by :func:`bin_session` (and ``neuralmi bin``) is documented in
:mod:`neuralmi_core.io.netcdf`.

Examples
--------
>>> import numpy as np
>>> from neuralmi_core.io.binning import make_grid, bin_spike_trains
>>> grid = make_grid(0.0, 1.0, bin_width=0.25, resolution=1e-3)
>>> counts = bin_spike_trains(np.array([0.0, 0.25, 0.3, 0.999]), np.array([4]), grid)
>>> counts[:, 0].tolist()
[1, 2, 0, 1]
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..validation import NeuralMIError

_EPS = 1e-9


@dataclass(frozen=True)
class BinGrid:
    """A time grid of ``n_bins`` half-open bins of width ``bin_width`` starting at ``t0`` (seconds).

    ``ticks_per_bin > 0`` means exact integer-tick binning at ``resolution`` (``t0 = start_tick *
    resolution``); ``ticks_per_bin == 0`` means a shared float edges array.
    """

    t0: float
    bin_width: float
    n_bins: int
    resolution: float | None = None
    start_tick: int = 0
    ticks_per_bin: int = 0

    @property
    def method(self) -> str:
        return "integer_ticks" if self.ticks_per_bin else "shared_edges"

    def edges(self) -> np.ndarray:
        """(n_bins + 1,) bin edges in seconds."""
        k = np.arange(self.n_bins + 1, dtype=np.int64)
        if self.ticks_per_bin:
            return (self.start_tick + k * self.ticks_per_bin) * self.resolution
        return self.t0 + self.bin_width * k

    def centres(self) -> np.ndarray:
        """(n_bins,) bin centres in seconds."""
        k = np.arange(self.n_bins, dtype=np.float64) + 0.5
        if self.ticks_per_bin:
            return (self.start_tick + k * self.ticks_per_bin) * self.resolution
        return self.t0 + self.bin_width * k

    @property
    def t_stop(self) -> float:
        return float(self.edges()[-1])

    def bin_index(self, t: np.ndarray) -> np.ndarray:
        """Bin of each time (int64); values outside ``[0, n_bins)`` mean outside the grid."""
        t = np.asarray(t, dtype=np.float64)
        if self.ticks_per_bin:
            ticks = np.rint(t / self.resolution).astype(np.int64)
            return (ticks - self.start_tick) // self.ticks_per_bin
        return np.searchsorted(self.edges(), t, side="right").astype(np.int64) - 1


def make_grid(
    t_start: float, t_stop: float, bin_width: float, resolution: float | None = None, source: str = ""
) -> BinGrid:
    """The grid of bins of ``bin_width`` covering ``[t_start, t_stop)``, starting at a multiple of the width.

    Raises
    ------
    NeuralMIError
        bin width not a positive finite number, or larger than the recording ``t_stop - t_start``.
    """
    where = f"{source}: " if source else ""
    if not isinstance(bin_width, int | float) or not math.isfinite(bin_width) or bin_width <= 0:
        raise NeuralMIError(f"{where}`bin_width` must be a positive number of seconds. Got {bin_width!r}.")
    if not (math.isfinite(t_start) and math.isfinite(t_stop)) or t_stop <= t_start:
        raise NeuralMIError(f"{where}recording span [{t_start}, {t_stop}] s is empty; expected data to bin.")
    if bin_width > t_stop - t_start:
        raise NeuralMIError(
            f"{where}`bin_width` ({bin_width} s) is larger than the recording "
            f"({t_stop - t_start:.6g} s, from {t_start:.6g} to {t_stop:.6g} s)."
        )
    if resolution is not None and resolution > 0:
        tpb_f = bin_width / resolution
        tpb = int(round(tpb_f))
        if tpb >= 1 and abs(tpb_f - tpb) <= 1e-6 * max(1.0, tpb_f):
            first_tick = math.floor(t_start / resolution + _EPS)
            start_tick = (first_tick // tpb) * tpb
            last_tick = math.ceil(t_stop / resolution - _EPS)
            n_bins = max(1, -(-(last_tick - start_tick) // tpb))
            return BinGrid(
                start_tick * resolution,
                float(bin_width),
                int(n_bins),
                float(resolution),
                int(start_tick),
                tpb,
            )
    t0 = math.floor(t_start / bin_width + _EPS) * bin_width
    n_bins = max(1, math.ceil((t_stop - t0) / bin_width - _EPS))
    return BinGrid(float(t0), float(bin_width), int(n_bins))


def bin_spike_trains(spike_times: np.ndarray, ends: np.ndarray, grid: BinGrid) -> np.ndarray:
    """Spike counts, shape (n_bins, n_units), from trains given flat with cumulative end indices.

    The dtype is the smallest unsigned integer holding the largest count (uint8 first, widened on demand).
    Spikes outside the grid are ignored.
    """
    n_units = int(len(ends))
    out = np.zeros((grid.n_bins, n_units), dtype=np.uint8)
    start = 0
    for u in range(n_units):
        stop = int(ends[u])
        if stop > start:
            b = grid.bin_index(spike_times[start:stop])
            b = b[(b >= 0) & (b < grid.n_bins)]
            if b.size:
                c = np.bincount(b, minlength=grid.n_bins)
                nz = np.flatnonzero(c)
                vals = c[nz]
                peak = int(vals.max())
                if peak > np.iinfo(out.dtype).max:
                    out = out.astype(np.uint16 if peak <= 65535 else np.uint32)
                out[nz, u] = vals
        start = stop
    return out


def interval_mask(starts: np.ndarray, stops: np.ndarray, grid: BinGrid, how: str = "centre") -> np.ndarray:
    """Boolean (n_bins,) mask of bins inside any interval ``[start, stop)``.

    ``how="centre"``: the bin centre lies inside; ``how="full"``: the whole bin lies inside (used for
    ``obs_intervals``, so a partly observed bin counts as unobserved).
    """
    mask = np.zeros(grid.n_bins, dtype=bool)
    t0, dt = grid.t0, grid.bin_width
    for a, b in zip(np.atleast_1d(starts), np.atleast_1d(stops), strict=True):
        if how == "full":
            i0, i1 = math.ceil((a - t0) / dt - 1e-6), math.floor((b - t0) / dt + 1e-6)
        else:
            i0, i1 = math.ceil((a - t0) / dt - 0.5 - 1e-6), math.ceil((b - t0) / dt - 0.5 - 1e-6)
        i0, i1 = max(i0, 0), min(i1, grid.n_bins)
        if i1 > i0:
            mask[i0:i1] = True
    return mask


def interval_index(starts: np.ndarray, stops: np.ndarray, grid: BinGrid) -> np.ndarray:
    """int32 (n_bins,) index of the interval whose ``[start, stop)`` holds each bin centre, -1 for none."""
    out = np.full(grid.n_bins, -1, dtype=np.int32)
    for k, (a, b) in enumerate(zip(np.atleast_1d(starts), np.atleast_1d(stops), strict=True)):
        out[interval_mask(np.array([a]), np.array([b]), grid)] = k
    return out


def align_samples(
    t: np.ndarray, values: np.ndarray, grid: BinGrid, max_gap_s: float | None = None
) -> np.ndarray:
    """Behaviour ``values`` (n, d) at times ``t`` (non-decreasing) aligned to bin centres: (n_bins, d).

    Bins holding >= 2 samples get the NaN-aware mean of their samples (NaN if all are NaN); other bins get
    ``np.interp`` at the bin centre with NaN outside ``[t[0], t[-1]]``, NaN next to a NaN sample and NaN
    across gaps longer than ``max_gap_s`` (default: twice the median sampling interval).

    Examples
    --------
    >>> g = make_grid(0.0, 1.0, 0.25)
    >>> t = np.array([0.05, 0.1, 0.5, 1.0])
    >>> align_samples(t, np.array([[1.0], [3.0], [5.0], [7.0]]), g)[:, 0].tolist()
    [2.0, 4.375, 5.5, 6.5]
    """
    t = np.asarray(t, dtype=np.float64)
    v = np.asarray(values, dtype=np.float64).reshape(t.shape[0], -1)
    n, d = grid.n_bins, v.shape[1]
    out = np.full((n, d), np.nan)
    if t.size == 0:
        return out
    idx = grid.bin_index(t)
    inside = (idx >= 0) & (idx < n)
    count = np.bincount(idx[inside], minlength=n)
    dense = count >= 2
    for j in range(d):
        ok = inside & np.isfinite(v[:, j])
        s = np.bincount(idx[ok], weights=v[ok, j], minlength=n)
        c = np.bincount(idx[ok], minlength=n)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(c > 0, s / np.maximum(c, 1), np.nan)
        out[dense, j] = mean[dense]
    sparse = np.flatnonzero(~dense)
    if sparse.size:
        centres = grid.centres()[sparse]
        for j in range(d):
            out[sparse, j] = np.interp(centres, t, v[:, j], left=np.nan, right=np.nan)
        if t.size > 1:
            dt = np.diff(t)
            gap = (
                max_gap_s
                if max_gap_s is not None
                else 2.0 * float(np.median(dt[dt > 0]))
                if (dt > 0).any()
                else 0
            )
            k = np.searchsorted(t, centres, side="right") - 1
            inner = (k >= 0) & (k < t.size - 1)
            across = np.zeros(sparse.size, bool)
            across[inner] = dt[k[inner]] > gap
            out[sparse[across], :] = np.nan
    return out


# ----------------------------------------------------------------------------------------------- session
def file_sha256(path: str | os.PathLike, chunk: int = 1 << 22) -> str:
    """Hex sha256 of a file, read in 4 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def _var_name(name: str) -> str:
    out = "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in str(name))
    return out if out and not out[0].isdigit() else f"v_{out}"


_RESERVED = {
    "time",
    "unit",
    "spikes",
    "spikes_observed",
    "observed",
    "trial",
    "n_spikes",
    "firing_rate_hz",
    "zero_spikes",
}


def bin_session(
    nwb_path: str | os.PathLike,
    spec: Any = None,
    bin_width: float | None = None,
    config_hash: str | None = None,
):
    """Bin one NWB session as the signal spec says and return the xarray Dataset (nothing is written).

    Parameters
    ----------
    nwb_path : the NWB file.
    spec : a :class:`~neuralmi_core.io.signals.SignalSpec`, a mapping in the signal-spec format, or None
        (all units, every behaviour TimeSeries found, trial index from ``trials`` when present).
    bin_width : seconds; overrides the spec's ``bin_width`` (default 0.01 when neither gives one).
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
    from . import nwb as nwbio
    from .signals import SignalSpec, parse_signal_spec

    sp = spec if isinstance(spec, SignalSpec) else parse_signal_spec(spec or {}, source="signal spec")
    width = bin_width if bin_width is not None else (sp.bin_width if sp.bin_width is not None else 0.01)
    path = Path(nwb_path)
    src = str(path)
    with nwbio.open_nwb(path) as nwb:
        info = nwbio.session_info(nwb)
        units = nwbio.read_units(nwb, sp.spikes.table) if sp.spikes is not None else None
        beh_paths = (
            sp.behavior
            if sp.behavior is not None
            else {
                p.rsplit("/", 1)[-1]: {"path": p, "max_gap_s": None}
                for p in nwbio.find_behavior_timeseries(nwb)
            }
        )
        series = {
            name: (nwbio.read_timeseries(nwb, b["path"]), b.get("max_gap_s")) for name, b in beh_paths.items()
        }
        trials = None
        if sp.trials == "auto":
            if nwb.trials is not None:
                trials = ("trials", *nwbio.read_intervals(nwb, "trials"))
        elif sp.trials:
            trials = (sp.trials, *nwbio.read_intervals(nwb, sp.trials))
        restrict = (sp.restrict_to, *nwbio.read_intervals(nwb, sp.restrict_to)) if sp.restrict_to else None

    # time span of the data
    if sp.time_range is not None:
        t_start, t_stop = sp.time_range
    else:
        lo, hi = [], []
        if units is not None and units.spike_times.size:
            lo.append(float(units.spike_times.min()))
            hi.append(float(units.spike_times.max()))
        if units is not None and units.obs_intervals:
            allobs = np.concatenate(units.obs_intervals) if any(len(o) for o in units.obs_intervals) else None
            if allobs is not None and allobs.size:
                lo.append(float(allobs[:, 0].min()))
                hi.append(float(allobs[:, 1].max()))
        for ts, _ in series.values():
            if ts.timestamps.size:
                lo.append(float(ts.timestamps[0]))
                hi.append(float(ts.timestamps[-1]))
        if not lo:
            raise NeuralMIError(f"{src}: nothing to bin (no spikes and no behaviour samples).")
        t_start, t_stop = min(lo), max(hi)
    grid = make_grid(t_start, t_stop, width, units.resolution if units is not None else None, source=src)

    data_vars: dict[str, Any] = {}
    coords: dict[str, Any] = {"time": ("time", grid.centres(), {"units": "s", "long_name": "bin centre"})}
    removed: dict[str, int] = {}
    zero_ids: list[int] = []
    if units is not None:
        units, removed = nwbio.filter_units(units, sp.spikes.filters, sp.spikes.min_rate_hz, t_stop - t_start)
        if units.n_units == 0:
            raise NeuralMIError(
                f"{src}: units table {sp.spikes.table!r} has no units; expected at least one."
            )
        counts = bin_spike_trains(units.spike_times, units.ends, grid)
        n_in = counts.sum(axis=0, dtype=np.int64)
        zero = n_in == 0
        zero_ids = units.ids[zero].tolist()
        obs_mask = None
        if units.obs_intervals is not None:
            for u, iv in enumerate(units.obs_intervals):
                m = (
                    interval_mask(iv[:, 0], iv[:, 1], grid, how="full")
                    if len(iv)
                    else np.zeros(grid.n_bins, bool)
                )
                if not m.all():
                    if obs_mask is None:
                        obs_mask = np.ones((grid.n_bins, units.n_units), dtype=np.uint8)
                    obs_mask[:, u] = m
        observed_s = (
            np.full(units.n_units, grid.n_bins * grid.bin_width)
            if obs_mask is None
            else obs_mask.sum(axis=0) * grid.bin_width
        )
        with np.errstate(invalid="ignore", divide="ignore"):
            rate = np.where(observed_s > 0, n_in / observed_s, 0.0)
        coords["unit"] = ("unit", units.ids, {"long_name": "unit id (units table)"})
        for col, vals in units.columns.items():
            name = _var_name(col)
            name = f"unit_{name}" if name in _RESERVED else name
            coords[name] = ("unit", vals, {"long_name": f"units column {col!r}"})
        coords["n_spikes"] = ("unit", n_in, {"long_name": "spikes inside the binned span"})
        coords["firing_rate_hz"] = (
            "unit",
            rate,
            {"units": "Hz", "long_name": "mean rate over observed bins"},
        )
        coords["zero_spikes"] = (
            "unit",
            zero.astype(np.uint8),
            {"long_name": "1 where the unit has no spike"},
        )
        sattrs = {"long_name": "spike count per bin", "units": "count"}
        if obs_mask is not None:
            sattrs["mask_variable"] = "spikes_observed"
            data_vars["spikes_observed"] = (
                ("time", "unit"),
                obs_mask,
                {"long_name": "1 where the whole bin lies in the unit's obs_intervals"},
            )
        data_vars["spikes"] = (("time", "unit"), counts, sattrs)

    for name, (ts, gap) in series.items():
        vname = _var_name(name)
        if vname in _RESERVED or vname in coords:
            raise NeuralMIError(
                f"{src}: behaviour signal name {name!r} clashes with a reserved name; rename it."
            )
        dim = f"{vname}_component"
        data_vars[vname] = (
            ("time", dim),
            align_samples(ts.timestamps, ts.values, grid, gap),
            {
                "units": ts.unit,
                "source_path": ts.path,
                "neurodata_type": ts.neurodata_type,
                "long_name": f"{ts.path} aligned to bin centres",
            },
        )
        coords[dim] = (dim, np.array(ts.components, dtype=str))

    observed = np.ones(grid.n_bins, dtype=np.uint8)
    if restrict is not None:
        observed &= interval_mask(restrict[1], restrict[2], grid).astype(np.uint8)
    data_vars["observed"] = (
        "time",
        observed,
        {"long_name": "1 where the bin is analysed (restrict_to intervals; all 1 when none)"},
    )
    if trials is not None:
        data_vars["trial"] = (
            "time",
            interval_index(trials[1], trials[2], grid),
            {"long_name": f"row of intervals table {trials[0]!r} holding the bin centre; -1 none"},
        )

    spec_json = json.dumps(sp.to_dict(), sort_keys=True)
    attrs = {
        "title": "neuralmi binned session",
        "source_path": str(path.resolve()),
        "source_sha256": file_sha256(path),
        **info,
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
        "behavior_signals": json.dumps({_var_name(k): v[0].path for k, v in series.items()}),
        "conventions": "neuralmi binned v1: see neuralmi_core.io.netcdf",
    }
    return xr.Dataset(data_vars=data_vars, coords=coords, attrs=attrs)


__all__ = [
    "BinGrid",
    "align_samples",
    "bin_session",
    "bin_spike_trains",
    "file_sha256",
    "interval_index",
    "interval_mask",
    "make_grid",
]
