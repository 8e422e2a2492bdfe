r"""Saturation of an MI-vs-embedding-dim curve: the latent dimensionality estimate (seed ``000_*`` §6).

A separable critic f(x, y) = g(x)·h(y) with embedding size d can carry at most the information of a
d-dimensional shared latent; the MI rises with d until d reaches the latent dimension, then plateaus.
For strictness s the saturation dim is the last dim before the first step whose MI gain is below s times
the spread at the larger dim:

.. math::

    d^\star(s) = d_{k-1}, \qquad k = \min\{k \ge 1 : \bar I(d_k) - \bar I(d_{k-1}) < s\,\sigma(d_k)\}.

Small s (0.1) is lenient about noise and calls saturation late; large s (15) calls it as soon as the gain
is within a few spreads. (The NeuralMI reference implementation reports d_k, the first dim whose gain is
small; we report d_{k-1}, the dim at which the curve reached its plateau, so a 3-d latent gives 3.)
A gain that is not positive always counts as saturation (also when the spread is zero).

A curve indistinguishable from zero has no saturation dim: with noise alone the gains are noise and the
rule above would still return a dim. :func:`indistinguishable_from_zero` asks, for every dim d with n_d
members, mean m_d and standard deviation s_d, whether the MI is below a floor (``ZERO_FLOOR_NATS``) or
not significantly above 0 by a one-sided t-test, Bonferroni-corrected over the D dims:

.. math:: m_d \le f \quad\text{or}\quad \frac{m_d}{s_d / \sqrt{n_d}} \le t_{n_d - 1}(1 - \alpha / D),
          \qquad \alpha = 1 - \text{level}.

When every dim passes, the curve is reported as "no shared information" and no dim is returned.

Reference: Abdelaleem, E., Martini, K. M. & Nemenman, I. (2025). Accurate estimation of mutual
information in high dimensional data. arXiv:2506.00330.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..validation import NeuralMIError, check_float

STRICTNESS = (0.1, 1.0, 15.0)
#: The strictness of the headline saturation dim (``DimensionalityResult.saturation_dim``).
HEADLINE_STRICTNESS = "1"


def strictness_key(s: float | str) -> str:
    """The key of strictness ``s`` in saturation tables: ``f"{s:g}"``, as the CLI and config write it.

    >>> [strictness_key(s) for s in (0.1, 1.0, "15.0", 2.5)]
    ['0.1', '1', '15', '2.5']
    """
    return f"{float(s):g}"


ZERO_FLOOR_NATS = 0.01  # MI below this at every dim carries no dimensionality (0.014 bits)
ZERO_LEVEL = 0.95  # family-wise level of the test that a dim's MI is above 0


def curve_summary(dims: Sequence[int], mi_nats: Sequence[float]) -> list[dict[str, float]]:
    """Per distinct dim: member count, mean and standard deviation (ddof 1) of the finite MI values."""
    d = np.asarray(dims, dtype=int)
    y = np.asarray(mi_nats, dtype=float)
    out = []
    for v in np.unique(d):
        sel = y[(d == v) & np.isfinite(y)]
        out.append({"embedding_dim": int(v), "n_members": int(sel.size),
                    "mean_nats": float(sel.mean()) if sel.size else float("nan"),
                    "std_nats": float(sel.std(ddof=1)) if sel.size > 1 else float("nan")})
    return out


def saturation_dim(dims: Sequence[int], mean_nats: Sequence[float], std_nats: Sequence[float],
                   strictness: float = 1.0) -> int | None:
    """The saturation dim of a curve for strictness ``s`` (see module docstring); None if never saturated.

    Parameters
    ----------
    dims : sequence of int
        Increasing embedding dims.
    mean_nats, std_nats : sequence of float
        Mean and standard deviation of the MI at each dim (a NaN std counts as 0).

    Examples
    --------
    >>> saturation_dim([1, 2, 3, 4, 6], [1.0, 2.0, 3.0, 3.02, 3.01], [0.05] * 5, 1.0)
    3
    """
    s = check_float("strictness", strictness, 0.0, low_open=True)
    d = np.asarray(dims, dtype=int)
    m = np.asarray(mean_nats, dtype=float)
    sd = np.nan_to_num(np.asarray(std_nats, dtype=float))
    if not (d.shape == m.shape == sd.shape):
        raise NeuralMIError(f"`dims`, `mean_nats` and `std_nats` must have equal lengths. Got {d.size}, {m.size}, "
                            f"{sd.size}.")
    if d.size and np.any(np.diff(d) <= 0):
        raise NeuralMIError(f"`dims` must be strictly increasing. Got {d.tolist()}.")
    for k in range(1, d.size):
        gain = m[k] - m[k - 1]
        if gain < s * sd[k] or gain <= 0:
            return int(d[k - 1])
    return None


def saturation_table(curve: list[dict[str, Any]], strictness: Sequence[float] = STRICTNESS) -> dict[str, int | None]:
    """Saturation dim per strictness, keyed by :func:`strictness_key` (``"0.1"``, ``"1"``, ``"15"``)."""
    dims = [r["embedding_dim"] for r in curve]
    mean = [r["mean_nats"] for r in curve]
    std = [r["std_nats"] for r in curve]
    return {strictness_key(s): saturation_dim(dims, mean, std, s) for s in strictness}


def indistinguishable_from_zero(curve: Sequence[dict[str, Any]], floor_nats: float = ZERO_FLOOR_NATS,
                                level: float = ZERO_LEVEL) -> bool:
    """True when no dim's mean MI is both above ``floor_nats`` and significantly above 0 (module docstring).

    ``curve`` holds :func:`curve_summary` rows. A dim with one member (no spread) counts as above 0 when
    its MI exceeds the floor. False for a curve without finite means (nothing to judge).

    Examples
    --------
    >>> noise = [{"embedding_dim": d, "n_members": 5, "mean_nats": -0.001, "std_nats": 0.002} for d in (1, 2, 4)]
    >>> indistinguishable_from_zero(noise)
    True
    >>> signal = noise[:2] + [{"embedding_dim": 4, "n_members": 5, "mean_nats": 0.3, "std_nats": 0.02}]
    >>> indistinguishable_from_zero(signal)
    False
    """
    floor = check_float("floor_nats", floor_nats, 0.0)
    alpha = 1.0 - check_float("level", level, 0.0, 1.0, low_open=True, high_open=True)
    rows = [r for r in curve if np.isfinite(r["mean_nats"])]
    if not rows:
        return False
    for r in rows:
        mean, sd, k = float(r["mean_nats"]), float(r["std_nats"]), int(r["n_members"])
        if mean <= floor:
            continue
        if k >= 2 and np.isfinite(sd) and sd > 0:
            from scipy import stats  # here, not at import: scipy.stats costs 1.2 s of every CLI start

            if mean / (sd / np.sqrt(k)) <= stats.t.ppf(1.0 - alpha / len(rows), k - 1):
                continue
        return False
    return True
