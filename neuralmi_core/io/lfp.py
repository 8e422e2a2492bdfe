"""LFP (``processing/ecephys/LFP``): band power per channel of one ElectricalSeries, averaged into bins.

What is read
------------
* The series: the spec's ``lfp.series`` path, or by discovery (``series: auto``): the first (by name)
  ElectricalSeries inside an ``LFP`` container under ``processing/ecephys`` (then the other processing
  modules, the same way).
* Sample times: ``timestamps`` when present, else ``starting_time + arange(n) / rate``; values
  ``data * conversion * channel_conversion + offset``. Channels are read and filtered in blocks of at most
  64 MB of float64 (HDF5 hyperslabs of the dataset), so a 1 h x 64 ch x 1250 Hz series (4.5 M samples a
  channel) never sits in memory whole: one channel a block; measured 1 h x 64 ch x 1250 Hz int16 (576 MB),
  3 bands: peak RSS ~0.7 GB.
* Channel coordinates from the electrodes table the series' ``electrodes`` region points at: ``channel``
  (the table's ids of the region's rows), ``location`` and ``group`` (the electrode group's name).

Band power
----------
Per channel and band: a zero-phase Butterworth band-pass of order 4 (``scipy.signal.butter(..., output=
"sos")`` applied with ``sosfiltfilt``, so the envelope is not delayed against behaviour), the analytic
signal by ``scipy.signal.hilbert``, and half its squared magnitude (half the squared envelope, so its mean
is the band-passed signal's mean square): the *instantaneous* power per sample. A
bin's value is the mean of that power over the samples whose timestamp falls in the bin (as for imaging
frames). Why not Welch: a Welch estimate needs windows several cycles long, so bins shorter than the
window would either leak power across bins or be refused; per-sample power averages into bins of any
width of at least 2 samples without that leakage, and its time resolution is set by the filter's
bandwidth alone. A sinusoid of amplitude A inside the band has power A^2/2 (units: the series' unit
squared).

Refused (one-line :class:`NeuralMIError` naming the file and the series): no ElectricalSeries found, a band
whose upper edge is at or above the Nyquist frequency, bins shorter than 2 samples, NaN/inf samples (a
filter smears one NaN over the whole channel, so there is no partial fallback), mismatched timestamps.

Examples
--------
>>> from neuralmi_core.io.session import bin_session
>>> ds = bin_session("ephys.nwb", {"lfp": {"filters": {"location": "CA1"}}}, 0.1)  # doctest: +SKIP
>>> ds.lfp.dims                                                                     # doctest: +SKIP
('time', 'channel', 'band')
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..validation import NeuralMIError, SignalAbsent
from .binning import BinGrid
from .nwb import _children, _src, get_object, sample_times
from .units import narrow

#: Default bands (Hz) when the spec names none.
DEFAULT_BANDS: dict[str, tuple[float, float]] = {"theta": (6.0, 10.0), "beta": (15.0, 30.0), "gamma": (30.0, 80.0)}
ORDER = 4
_BLOCK_BYTES = 64 * 2**20  # float64 bytes of one block of channels (the filters need ~6x that)


@dataclass
class LfpData:
    """One ElectricalSeries, not loaded: the pynwb data (sliced per channel), sample times, channels."""

    path: str
    source: str
    timestamps: np.ndarray
    data: Any  # (samples, channels) dataset, read column by column
    columns_idx: np.ndarray  # column of ``data`` for each kept channel
    conversion: float
    offset: float
    unit: str
    ids: np.ndarray
    columns: dict[str, np.ndarray] = field(default_factory=dict)
    channel_conversion: np.ndarray | None = None  # per kept channel, the series' channel_conversion

    @property
    def n_channels(self) -> int:
        return int(self.ids.shape[0])

    @property
    def rate(self) -> float:
        """Sampling rate (Hz) from the median sample interval."""
        dt = np.diff(self.timestamps)
        dt = dt[dt > 0]
        return float(1.0 / np.median(dt)) if dt.size else float("nan")

    def subset(self, keep: np.ndarray) -> LfpData:
        rows = np.flatnonzero(keep)
        return LfpData(self.path, self.source, self.timestamps, self.data, self.columns_idx[rows], self.conversion,
                       self.offset, self.unit, self.ids[rows], {k: v[rows] for k, v in self.columns.items()},
                       None if self.channel_conversion is None else self.channel_conversion[rows])


def find_lfp_series(nwb: Any) -> list[str]:
    """Paths of the ElectricalSeries inside ``LFP`` containers, ``processing/ecephys`` first."""
    from pynwb.ecephys import LFP, ElectricalSeries

    found: list[str] = []
    for m in sorted(nwb.processing, key=lambda m: (m != "ecephys", m)):
        for name, obj in sorted(_children(nwb.processing[m]).items()):
            if isinstance(obj, LFP):
                found += [f"processing/{m}/{name}/{s}" for s in sorted(obj.electrical_series)]
            elif isinstance(obj, ElectricalSeries) and "lfp" in name.lower():
                found.append(f"processing/{m}/{name}")
        if found:
            break
    return found


def read_lfp(nwb: Any, series: str = "auto") -> LfpData:
    """Open the ElectricalSeries the spec names (or discovers), its times and its electrodes' columns.

    Raises
    ------
    NeuralMIError
        none found, not an ElectricalSeries, no electrodes region, shape or timestamps not matching.
    """
    from pynwb.ecephys import ElectricalSeries

    src = _src(nwb)
    if series == "auto":
        found = find_lfp_series(nwb)
        if not found:
            raise SignalAbsent(
                f"{src}: `lfp` asks for LFP but the file has no ElectricalSeries in an LFP container under "
                f"processing (modules present: {sorted(nwb.processing)}); expected e.g. "
                "processing/ecephys/LFP/ElectricalSeries."
            )
        path = found[0]
    else:
        path = series.strip("/")
    obj = get_object(nwb, path)
    where = f"{src}: {path!r}"
    if not isinstance(obj, ElectricalSeries):
        raise NeuralMIError(f"{where} is a {type(obj).__name__}, not an ElectricalSeries; expected the path of one.")
    region = obj.electrodes
    if region is None or getattr(region, "table", None) is None:
        raise NeuralMIError(f"{where} has no `electrodes` region; expected a link to electrodes table rows.")
    table = region.table
    rows = np.asarray(region.data[:], dtype=np.int64).reshape(-1)
    if rows.size == 0 or rows.min() < 0 or rows.max() >= len(table):
        raise NeuralMIError(f"{where}: `electrodes` region rows do not fit the electrodes table of {len(table)} rows.")
    shape = tuple(obj.data.shape)
    if len(shape) == 1:
        shape = (shape[0], 1)
    if len(shape) != 2 or shape[1] != rows.size:
        raise NeuralMIError(f"{where}: data has shape {shape} for {rows.size} electrodes; expected (samples, channels).")
    n = shape[0]
    if n < 2:
        raise NeuralMIError(f"{where} has {n} samples; expected an LFP recording.")
    t = sample_times(obj, n, where)
    ids = np.asarray(table.id.data[:], dtype=np.int64)[rows]
    cols: dict[str, np.ndarray] = {}
    if "location" in table.colnames:
        cols["location"] = np.array([str(v) for v in np.asarray(table["location"].data[:])[rows]], dtype=str)
    if "group" in table.colnames:
        groups = table["group"].data[:]
        cols["group"] = np.array([str(getattr(groups[r], "name", groups[r])) for r in rows], dtype=str)
    data = obj.data if len(obj.data.shape) == 2 else np.asarray(obj.data[:])[:, None]
    cc = getattr(obj, "channel_conversion", None)
    if cc is not None:
        cc = np.asarray(cc[:], dtype=np.float64).reshape(-1)
        if cc.shape[0] != rows.size:
            raise NeuralMIError(f"{where}: channel_conversion has {cc.shape[0]} values for {rows.size} channels.")
    return LfpData(path=path, source=src, timestamps=t, data=data, columns_idx=np.arange(rows.size),
                   conversion=float(obj.conversion if obj.conversion is not None else 1.0),
                   offset=float(getattr(obj, "offset", 0.0) or 0.0), unit=str(obj.unit), ids=ids, columns=cols,
                   channel_conversion=cc)


def filter_channels(data: LfpData, filters: Mapping[str, Any] | None) -> tuple[LfpData, dict[str, int]]:
    """Keep the channels passing every filter (scalar, list or ``{min, max}``; ``channel`` filters by id)."""
    where = f"{data.source}: {data.path!r}"
    cols = {"channel": data.ids, **data.columns}
    keep = np.ones(data.n_channels, bool)
    removed: dict[str, int] = {}
    for col, rule in (filters or {}).items():
        if col not in cols:
            raise NeuralMIError(f"{where}: channels have no column {col!r} to filter on; available: {sorted(cols)}.")
        removed[col] = narrow(keep, cols[col], col, rule, where, "channel")
    return (data if keep.all() else data.subset(keep)), removed


def check_lfp(data: LfpData, bands: Mapping[str, tuple[float, float]], bin_width: float) -> float:
    """The sampling rate; raise for a band at/above Nyquist or bins shorter than 2 samples."""
    where = f"{data.source}: {data.path!r}"
    rate = data.rate
    nyq = rate / 2.0
    for name, (lo, hi) in bands.items():
        if hi >= nyq:
            raise NeuralMIError(
                f"{where}: band {name} [{lo:g}, {hi:g}] Hz reaches the Nyquist frequency {nyq:.6g} Hz of the "
                f"{rate:.6g} Hz series; expected an upper edge below {nyq:.6g} Hz."
            )
    if bin_width < 2.0 / rate * (1.0 - 1e-6):
        raise NeuralMIError(
            f"{where}: bins of {bin_width * 1e3:.6g} ms hold fewer than 2 samples of the {rate:.6g} Hz series; "
            f"use bin_width >= {2.0 / rate:.6g} s."
        )
    return rate


def band_power(x: np.ndarray, rate: float, band: tuple[float, float]) -> np.ndarray:
    """Instantaneous power |hilbert(sosfiltfilt(butter(4, band)))|^2 / 2 per sample of ``x`` (1-d): half the
    squared envelope, so that its mean equals the mean square of the band-passed signal (A^2/2 for a
    sinusoid of amplitude A).

    Examples
    --------
    >>> t = np.arange(0, 20, 1 / 500)
    >>> p = band_power(3.0 * np.sin(2 * np.pi * 8 * t), 500.0, (6.0, 10.0))
    >>> round(float(p[2000:-2000].mean()), 1)   # A^2/2 = 4.5
    4.5
    """
    from scipy.fft import next_fast_len
    from scipy.signal import butter, hilbert, sosfiltfilt

    sos = butter(ORDER, band, btype="bandpass", fs=rate, output="sos")
    y = sosfiltfilt(sos, x, axis=0)
    n = y.shape[0]
    return 0.5 * np.abs(hilbert(y, N=next_fast_len(n), axis=0)[:n]) ** 2  # half the squared envelope: the band signal's mean square


def bin_band_power(data: LfpData, bands: Mapping[str, tuple[float, float]], grid: BinGrid) -> tuple[np.ndarray, np.ndarray]:
    """``(power (n_bins, n_channels, n_bands) float32, samples per bin (n_bins,))``; NaN where no sample."""
    where = f"{data.source}: {data.path!r}"
    rate = data.rate
    nudge = 1e-6 / rate
    idx = grid.bin_index(data.timestamps + nudge)
    inside = (idx >= 0) & (idx < grid.n_bins)
    counts = np.bincount(idx[inside], minlength=grid.n_bins)[: grid.n_bins]
    out = np.full((grid.n_bins, data.n_channels, len(bands)), np.nan, dtype=np.float32)
    has = counts > 0
    n = data.timestamps.shape[0]
    block = max(1, int(_BLOCK_BYTES // (8 * n)))  # channels read (one HDF5 hyperslab) and filtered at once
    for a in range(0, data.n_channels, block):
        cols = data.columns_idx[a : a + block]
        lo, hi = int(cols.min()), int(cols.max()) + 1
        if hi - lo < 2 * cols.size:  # one hyperslab of neighbouring columns
            x = np.asarray(data.data[:, lo:hi], dtype=np.float64).reshape(n, -1)[:, cols - lo]
        else:  # scattered channels: one column at a time
            x = np.stack([np.asarray(data.data[:, int(c)], dtype=np.float64) for c in cols], axis=1)
        x = x * data.conversion
        if data.channel_conversion is not None:
            x *= data.channel_conversion[a : a + block]
        x += data.offset
        bad = ~np.isfinite(x)
        if bad.any():
            c_ = int(np.flatnonzero(bad.any(axis=0))[0])
            s_ = int(np.flatnonzero(bad[:, c_])[0])
            raise NeuralMIError(
                f"{where}: channel {data.ids[a + c_]} has {int(bad[:, c_].sum())} NaN/inf samples (first at sample "
                f"{s_}); expected finite LFP (a band-pass would spread them over the channel)."
            )
        for b, band in enumerate(bands.values()):
            p = band_power(x, rate, tuple(band))
            for k in range(p.shape[1]):
                s = np.bincount(idx[inside], weights=p[inside, k], minlength=grid.n_bins)[: grid.n_bins]
                out[has, a + k, b] = (s[has] / counts[has]).astype(np.float32)
    return out, counts


def preprocessing_text(data: LfpData, bands: Mapping[str, tuple[float, float]], bin_width: float) -> str:
    """E.g. ``"band power (Butterworth 4 zero-phase + Hilbert) theta 6-10 Hz, ... of 1250 Hz LFP averaged into 100 ms bins"``."""
    bs = ", ".join(f"{k} {lo:g}-{hi:g} Hz" for k, (lo, hi) in bands.items())
    return (f"band power (order-{ORDER} zero-phase Butterworth, Hilbert envelope squared / 2) in {bs} of "
            f"{data.rate:.4g} Hz LFP averaged into {bin_width * 1e3:.4g} ms bins")


__all__ = ["DEFAULT_BANDS", "LfpData", "band_power", "bin_band_power", "check_lfp", "filter_channels",
           "find_lfp_series", "preprocessing_text", "read_lfp"]
