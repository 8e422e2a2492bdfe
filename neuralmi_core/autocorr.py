"""Autocorrelation of what a population shares: the decorrelation time in bins (numpy only, light to import).

Used by shuffle significance (the minimum circular shift) and by :func:`~neuralmi_core.estimate` (the
effective sample size and the random-split leak warnings).
"""

from __future__ import annotations

import math

import numpy as np


def decorrelation_bins(a: np.ndarray, components: int = 3, time_index: np.ndarray | None = None) -> int:
    """Decorrelation time (bins) of what a population shares: the first lag at which the autocorrelation of
    ``a``'s leading principal components (up to ``components``, weighted by their variance) falls below
    1/e of its value at lag 1.

    Measured on the leading components, not on single units: the independent noise of each unit (Poisson
    spiking) averages out there, while a slowly varying latent that carries the dependence does not. Taken
    relative to lag 1, not lag 0: white noise only adds to lag 0, so a latent with a 300 ms time scale
    measured through noisy units still decorrelates in about 300 ms (on the demo's 20 ms bins: 1 bin by
    the mean autocorrelation of the units, 10-15 bins here). 1 when the components are white (their lag-1
    autocorrelation is within noise of 0: below 3/sqrt(n)), ``len(a) // 2`` when they never decorrelate,
    0 for constant data. Computed with the FFT.

    ``time_index`` (strictly increasing bin of each row) makes the measure see gaps: rows of a subset of the
    session's bins (a workflow condition: runs of time separated by gaps, or bins dropped as invalid) are
    placed on their bins, and the autocorrelation at lag k uses only the pairs of rows k bins apart
    (``sum z_t z_{t+k} / #pairs`` over present bins), not rows that are neighbours in the array but far apart
    in time. Without it (or with a contiguous index) the result is unchanged.
    """
    a = np.asarray(a, dtype=float)
    if a.ndim == 1:
        a = a[:, None]
    sd = a.std(axis=0)
    cols = a[:, sd > 1e-12]
    if cols.shape[1] == 0:
        return 0
    z = (cols - cols.mean(axis=0)) / cols.std(axis=0)
    n = z.shape[0]
    if z.shape[1] > components:
        _, s, vt = np.linalg.svd(z.T @ z / n, hermitian=True)
        z = z @ vt[:components].T
        weights = s[:components]
    else:
        weights = np.ones(z.shape[1])
    if time_index is not None:
        t = np.asarray(time_index, dtype=np.int64).reshape(-1)
        if t.shape[0] != n or np.any(np.diff(t) <= 0):
            raise ValueError(f"time_index must hold one strictly increasing bin per row ({n}); got shape {t.shape}")
        span = int(t[-1] - t[0]) + 1
        if span > n:  # gaps: the ACF over the pairs that are present, per lag
            grid = np.zeros((span, z.shape[1]))
            grid[t - t[0]] = z
            mask = np.zeros(span)
            mask[t - t[0]] = 1.0
            f = np.fft.rfft(grid, n=2 * span, axis=0)
            fm = np.fft.rfft(mask, n=2 * span)
            pairs = np.fft.irfft(fm * np.conj(fm))[:span]
            sums = np.fft.irfft(f * np.conj(f), axis=0)[:span]
            with np.errstate(invalid="ignore", divide="ignore"):
                per = np.where(pairs[:, None] > 0.5, sums / np.maximum(pairs[:, None], 1.0), np.nan)
            acf = (per / np.maximum(per[0], 1e-300)) @ (weights / weights.sum())
            if span < 4 or not acf[1] >= 3.0 / math.sqrt(n):  # NaN (no pair 1 bin apart) counts as white
                return 1
            below = np.flatnonzero(acf[1: span // 2] < acf[1] * math.exp(-1))
            return int(below[0]) + 1 if below.size else span // 2
    f = np.fft.rfft(z, n=2 * n, axis=0)
    acfs = np.fft.irfft(f * np.conj(f), axis=0)[:n]
    acf = (acfs / np.maximum(acfs[0], 1e-300)) @ (weights / weights.sum())
    if n < 4 or acf[1] < 3.0 / math.sqrt(n):
        return 1
    below = np.flatnonzero(acf[1: n // 2] < acf[1] * math.exp(-1))
    return int(below[0]) + 1 if below.size else n // 2
