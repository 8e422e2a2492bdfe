"""Intrinsic dimension of a feature set (TwoNN), for the density-based estimators' check that their features
have a density at all.

MI-NEE and MIENF model densities. Features that lie on a set of lower dimension than their number, such as the
(cos, sin) of an angle (a circle in 2-d) or a feature that is an exact function of others (a rolled-up line),
have no density in that many dimensions, and both estimators then fail on the accuracy suite (benchmarks/
DIAGNOSIS.md section 31). The TwoNN estimator (Facco, d'Errico, Rodriguez & Laio 2017) reads the dimension from
the ratio of each point's second- to first-nearest-neighbour distance, mu = r2 / r1, whose law on a d-dimensional
set is Pareto with exponent d near every point: the maximum-likelihood estimate is N / sum log mu. It looks at
the smallest scales of the sample, so a circle with 1 % noise reads 2 (it has a 2-d density) and only exact
lower-dimensional structure reads low.

At finite N the estimate falls below the dimension as the dimension grows (2000 standard-normal points in 25
dimensions read 20), so a side is compared with a standard-normal sample of the same size and dimension drawn
here, not with its feature count; and it is whitened first, because correlated or unequal-variance features read
low (25 equicorrelated Gaussian features, rho 0.99: 0.76 of the reference unwhitened, 0.93 whitened).

Reference: E. Facco, M. d'Errico, A. Rodriguez, A. Laio. Estimating the intrinsic dimension of datasets by a
minimal neighborhood information. Scientific Reports 7, 12140 (2017).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import numpy as np

#: Rows the estimate is computed on (a random subsample beyond it).
ROWS = 2000
#: Sides with more continuous features than this are not checked (the kNN search grows costly and the estimate
#: is far below the dimension there).
MAX_FEATURES = 64
#: A side reads as lower-dimensional when its estimate is at most this fraction of the reference's and at least
#: LOW_BY below it. Measured (benchmarks/DIAGNOSIS.md section 31): every suite side with a density reads 0.84-1.08
#: of its reference (2-25 continuous features, three data sets; the lowest are 25-d), Gaussians with correlated or
#: power-law variances up to 50-d 0.93-1.11; a circle 0.50, the swiss roll's 2-d roll of a line 0.47-0.51, the
#: mixed-selectivity task's (position on a track, cos, sin of the heading) 0.62-0.65, (x, y, cos, sin) 0.73, a
#: column that is the sum of three others 0.72.
LOW_RATIO = 0.8
LOW_BY = 0.75


def twonn_dimension(a: np.ndarray, rows: int = ROWS, seed: int = 0) -> float:
    """TwoNN maximum-likelihood intrinsic dimension of the rows of ``a`` (n, d), whitened first (by the sample
    covariance, so that correlated or unequal-variance features read like independent ones: a linear map keeps a
    density a density and a circle a curve; directions without variance stay at 0), on at most ``rows`` of them
    (a seeded random subsample); points with a duplicate (r1 = 0) are left out. NaN when fewer than 20 points
    remain."""
    a = np.asarray(a, dtype=np.float64)
    if len(a) > rows:
        a = a[np.random.default_rng(seed).permutation(len(a))[:rows]]
    a = a - a.mean(0)
    if a.shape[1] > 1:
        vals, vecs = np.linalg.eigh(np.cov(a, rowvar=False))
        keep = vals > 1e-12 * max(float(vals.max()), 1e-300)
        a = (a @ vecs[:, keep]) / np.sqrt(vals[keep])
    else:
        sd = float(a.std())
        a = a / (sd if sd > 0 else 1.0)
    # scipy.spatial is imported here, not at import: the estimators' import path stays light (test_import_cost)
    from scipy.spatial import cKDTree

    dist, _ = cKDTree(a).query(a, k=3)
    r1, r2 = dist[:, 1], dist[:, 2]
    ok = (r1 > 0) & np.isfinite(r2)
    if ok.sum() < 20:
        return float("nan")
    return float(ok.sum() / np.log(r2[ok] / r1[ok]).sum())


def side_dimension(a: np.ndarray, continuous: np.ndarray, seed: int = 0) -> dict[str, Any] | None:
    """The check of one side: ``{"features", "rows", "dimension", "reference"}`` for the continuous columns of
    ``a`` (mask ``continuous``), the reference being a standard-normal sample of the same shape; None when there
    are fewer than 2 or more than :data:`MAX_FEATURES` continuous columns, or fewer than 100 rows."""
    d = int(np.sum(continuous))
    if d < 2 or d > MAX_FEATURES or len(a) < 100:
        return None
    n = min(len(a), ROWS)
    return {"features": d, "rows": n, "dimension": round(twonn_dimension(np.asarray(a)[:, continuous], seed=seed), 3),
            "reference": _reference_dimension(int(seed), d, n)}


@lru_cache(maxsize=256)
def _reference_dimension(seed: int, d: int, n: int) -> float:
    """TwoNN dimension of the seeded standard-normal reference sample (n, d), rounded as reported; cached, as every
    cell of a rigorous run (and every member-set of one shape) asks for the same one."""
    ref = np.random.default_rng([seed % 2**63, d, n]).standard_normal((n, d))
    return round(twonn_dimension(ref, seed=seed), 3)


def info_entries(check: dict[str, Any], side: str) -> dict[str, Any]:
    """A :func:`side_dimension` result as the flat ``fit.info`` entries ``intrinsic_{features,rows,dim,ref}_{side}``."""
    return {f"intrinsic_features_{side}": check["features"], f"intrinsic_rows_{side}": check["rows"],
            f"intrinsic_dim_{side}": check["dimension"], f"intrinsic_ref_{side}": check["reference"]}


def check_from_info(info: Mapping[str, Any], side: str) -> dict[str, Any] | None:
    """The :func:`side_dimension` result of ``side`` back from a fit's ``info`` (:func:`info_entries`); None when
    that side was not checked."""
    if f"intrinsic_dim_{side}" not in info:
        return None
    return {"features": int(info[f"intrinsic_features_{side}"]), "rows": int(info[f"intrinsic_rows_{side}"]),
            "dimension": float(info[f"intrinsic_dim_{side}"]), "reference": float(info[f"intrinsic_ref_{side}"])}


def is_lower_dimensional(check: dict[str, Any] | None) -> bool:
    """True when a :func:`side_dimension` result reads clearly below its reference (:data:`LOW_RATIO`,
    :data:`LOW_BY`)."""
    if not check:
        return False
    dim, ref = float(check["dimension"]), float(check["reference"])
    return bool(np.isfinite(dim) and dim <= LOW_RATIO * ref and dim <= ref - LOW_BY)


__all__ = ["LOW_BY", "LOW_RATIO", "MAX_FEATURES", "ROWS", "check_from_info", "info_entries", "is_lower_dimensional",
           "side_dimension",
           "twonn_dimension"]
