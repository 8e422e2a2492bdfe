"""Autocorrelation of what a population shares: the decorrelation time in bins (numpy only, light to import).

Used by shuffle significance (the minimum circular shift) and by :func:`~neuralmi_core.estimate` (the
effective sample size and the random-split leak warnings).
"""

from __future__ import annotations

import math

import numpy as np


def decorrelation_bins(a: np.ndarray, components: int = 3) -> int:
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
    f = np.fft.rfft(z, n=2 * n, axis=0)
    acfs = np.fft.irfft(f * np.conj(f), axis=0)[:n]
    acf = (acfs / np.maximum(acfs[0], 1e-300)) @ (weights / weights.sum())
    if n < 4 or acf[1] < 3.0 / math.sqrt(n):
        return 1
    below = np.flatnonzero(acf[1: n // 2] < acf[1] * math.exp(-1))
    return int(below[0]) + 1 if below.size else n // 2
