"""Gaussian (linear) closed form: I = 1/2 (log|S_x| + log|S_y| - log|S_xy|) from sample covariances.

Exact for jointly Gaussian data up to an upward small-sample bias of about d_x d_y / (2N) nats; blind to
non-linear dependence. A baseline, and the quantity canonical correlation analysis measures.
"""

from __future__ import annotations

import numpy as np


def gaussian_mi(x: np.ndarray, y: np.ndarray, ridge: float = 1e-9) -> float:
    """Gaussian-assumption MI in nats for x (n, dx), y (n, dy)."""
    dx = x.shape[1]
    cov = np.cov(np.hstack([x, y]), rowvar=False).reshape(dx + y.shape[1], -1)
    cov = cov + ridge * np.trace(cov) / cov.shape[0] * np.eye(cov.shape[0])

    def logdet(m: np.ndarray) -> float:
        sign, val = np.linalg.slogdet(m)
        if sign <= 0:
            raise ValueError("covariance is singular: remove constant or duplicated features")
        return float(val)

    return 0.5 * (logdet(cov[:dx, :dx]) + logdet(cov[dx:, dx:]) - logdet(cov))
