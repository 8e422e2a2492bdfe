"""Bin spike trains and behaviour onto one exact time grid.

Exact edges: when the spike-time resolution of the file divides the bin width, times are converted to
integer ticks (``rint(t / resolution)``) and binned by integer division (``edge_k = (start_tick + k *
ticks_per_bin) * resolution``); otherwise one shared edges array ``t0 + bin_width * arange(n_bins + 1)`` is
used with ``searchsorted`` (never an accumulated float step). Bins are half-open ``[edge_k, edge_k+1)`` and
the grid starts at a whole multiple of the bin width.

Behaviour is aligned to bin centres: NaN-aware mean of the samples in a bin when it holds >= 2 samples,
otherwise linear interpolation at the centre, NaN outside the data and across gaps (consecutive samples
further apart than ``max_gap_s``, default twice the median sampling interval).

A whole NWB session is binned by :func:`neuralmi_core.io.session.bin_session`.

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

import math
from dataclasses import dataclass

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


def interval_bins(starts: np.ndarray, stops: np.ndarray, grid: BinGrid) -> tuple[np.ndarray, np.ndarray]:
    """For each interval ``[start, stop)`` the bins ``i0 <= k < i1`` whose centre it holds (int64 arrays,
    clipped to the grid; ``i1 <= i0`` when it holds none); the rule of :func:`interval_mask`, vectorised.

    Examples
    --------
    >>> i0, i1 = interval_bins(np.array([0.1, 0.5]), np.array([0.5, 0.55]), make_grid(0.0, 1.0, 0.25))
    >>> i0.tolist(), i1.tolist()
    ([0, 2], [2, 2])
    """
    a = np.asarray(starts, dtype=np.float64).reshape(-1)
    b = np.asarray(stops, dtype=np.float64).reshape(-1)
    t0, dt = grid.t0, grid.bin_width
    i0 = np.ceil((a - t0) / dt - 0.5 - 1e-6).astype(np.int64)
    i1 = np.ceil((b - t0) / dt - 0.5 - 1e-6).astype(np.int64)
    return np.clip(i0, 0, grid.n_bins), np.clip(i1, 0, grid.n_bins)


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


__all__ = [
    "BinGrid",
    "align_samples",
    "bin_spike_trains",
    "interval_bins",
    "interval_index",
    "interval_mask",
    "make_grid",
]
