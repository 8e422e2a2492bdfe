"""Linear Gaussian VAR processes with known transfer entropy (ground truth for TE and CMI)."""

from __future__ import annotations

import numpy as np


def simulate_var(coef: list[np.ndarray], noise_cov: np.ndarray, n: int, seed: int = 0, burn: int = 500) -> np.ndarray:
    """``n`` bins of ``v_t = sum_l coef[l-1] v_{t-l} + e_t``, ``e_t ~ N(0, noise_cov)``; shape (n, channels)."""
    rng = np.random.default_rng(seed)
    d, p = noise_cov.shape[0], len(coef)
    chol = np.linalg.cholesky(noise_cov)
    e = rng.standard_normal((n + burn, d)) @ chol.T
    v = np.zeros((n + burn, d))
    for t in range(p, n + burn):
        acc = e[t].copy()
        for lag, a in enumerate(coef, start=1):
            acc += a @ v[t - lag]
        v[t] = acc
    return v[burn:]


def coupled_pair(coupling: float = 0.5, delay: int = 2, ar: float = 0.5) -> tuple[list[np.ndarray], np.ndarray]:
    """Two channels: x_t = ar x_{t-1} + e, y_t = ar y_{t-1} + coupling x_{t-delay} + e (X -> Y only)."""
    coef = [np.zeros((2, 2)) for _ in range(max(delay, 1))]
    coef[0][0, 0] = ar
    coef[0][1, 1] = ar
    coef[delay - 1][1, 0] += coupling
    return coef, np.eye(2)


def common_drive(strength: float = 0.8, ar: float = 0.5) -> tuple[list[np.ndarray], np.ndarray]:
    """Three channels (x, y, z): z drives x at lag 1 and y at lag 2; no x -> y link."""
    coef = [np.zeros((3, 3)), np.zeros((3, 3))]
    for c in range(3):
        coef[0][c, c] = ar
    coef[0][0, 2] = strength
    coef[1][1, 2] = strength
    return coef, np.eye(3)
