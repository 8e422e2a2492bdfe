"""The lag sweep's computation: one cell, the API function and the gather of cells."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ...settings import api
from ...validation import NeuralMIError, as_2d_samples, check_paired
from ..base import gather_parts
from ..plan import chunk_indices, derive_seed, fingerprint, resolve_chunking
from ..rigorous import check_chunk_sizes
from .declaration import ANALYSIS, lags_in_bins
from .result import LagMember, LagSweepResult, summarize_lag_sweep


def lag_pairs(n: int, time_index: np.ndarray | None, lags: Sequence[int], min_pairs: int = 20
              ) -> tuple[np.ndarray, np.ndarray]:
    """Rows ``(ix, iy)`` (each (n_lags, n_pairs)) pairing X at bin t with Y at bin t + lag, on the bins t whose
    partner exists at every lag (bins missing from ``time_index`` are gaps)."""
    t = np.arange(n) if time_index is None else np.asarray(time_index, dtype=np.int64)
    if t.shape != (n,) or np.any(np.diff(t) <= 0):
        raise NeuralMIError(f"`time_index` must hold one strictly increasing bin index per sample ({n}); got shape "
                            f"{t.shape}.")
    partner = np.empty((len(lags), n), dtype=np.int64)
    keep = np.ones(n, dtype=bool)
    for i, lag in enumerate(lags):
        pos = np.minimum(np.searchsorted(t, t + lag), n - 1)
        keep &= t[pos] == t + lag
        partner[i] = pos
    if keep.sum() < min_pairs:
        span = (max(lags) - min(lags)) if lags else 0
        raise NeuralMIError(f"`lags` span {span} bins but only {int(keep.sum())} samples have a partner at every "
                            f"lag (n_samples={n}); expected at least {min_pairs}. Use a shorter lag range.")
    rows = np.flatnonzero(keep)
    return np.tile(rows, (len(lags), 1)), partner[:, rows]


def train_cell(x: np.ndarray, y: np.ndarray, ix: np.ndarray, iy: np.ndarray, lags: Sequence[int], gamma: int,
               seed: int, spec: Any, config: Any, *, split: str, test_fraction: float, gap: int, chunking: str,
               preprocess: str) -> tuple[list[LagMember], dict]:
    """One (gamma, seed) cell: gamma chunks at every lag, one ensemble of ``len(lags) * gamma`` members.

    The chunks and the split inside a chunk are the same at every lag (seeded by (seed, gamma, c)), so
    lags differ only in the pairing.
    """
    from ...estimators import fit_ensemble
    from ...training import split_member
    from ...training.trainer import for_full_data

    n = ix.shape[1]
    chunks = chunk_indices(n, gamma, chunking, seed)
    members, keys = [], []
    for i, lag in enumerate(lags):
        for c, idx in enumerate(chunks):
            xs, ys = x[ix[i, idx]], y[iy[i, idx]]
            members.append(split_member(xs, ys, split, test_fraction, gap=gap, seed=derive_seed(seed, gamma, c)))
            keys.append((lag, c))
    # as in rigorous mode: one batch size and one penalty for every gamma, from all the pairs
    cfg = for_full_data(dataclasses.replace(config, seed=derive_seed(seed, gamma)), round(n * (1 - test_fraction)))
    t0 = time.perf_counter()
    fit = fit_ensemble(members, spec, cfg, desc=f"lags gamma={gamma} seed={seed}", preprocessing=preprocess)
    rows = [LagMember(lag_bins=lag, gamma=gamma, chunk=c, seed=seed, n_train=m.n_train, n_test=m.n_test,
                      n_eval=m.n_eval, mi_test_nats=m.mi_test_nats, mi_train_nats=m.mi_train_nats,
                      best_epoch=m.best_epoch, epochs_run=m.epochs_run)
            for (lag, c), m in zip(keys, fit.members, strict=True)]
    return rows, {"gamma": gamma, "seed": seed, "seconds": time.perf_counter() - t0, "device": fit.device,
                  "batch_size": fit.batch_size, "timing": dict(fit.info)}


@api(ANALYSIS.settings)
def lag_sweep(x: Any, y: Any, estimator: str = "infonce", critic: str = "auto", *,
              time_index: Any = None, **settings: Any) -> LagSweepResult:
    """Bias-corrected I(X_t; Y_{t+lag}) with a confidence interval at every lag, and the peak lag.

    Parameters
    ----------
    x, y : array-like, shape (n_samples, ...)
        Time series on one bin grid (sample i of X and of Y are the same bin).
    estimator, critic : str
        As in :func:`neuralmi_core.rigorous` (trained estimators).
    time_index : array of int, optional
        The bin index of each sample (strictly increasing; gaps where bins were dropped). Default:
        consecutive bins. The CLI passes the selection's bins.
    {settings}

    Returns
    -------
    LagSweepResult
        The corrected MI and CI per lag, the peak lag (seconds and bins) with its confidence range,
        per-member table; ``.plot()`` draws the MI-vs-lag curve with its band.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal((6000, 2)); y = np.roll(x, 3, axis=0) + rng.standard_normal((6000, 2))
    >>> res = lag_sweep(x, y, lags=[-5, 0, 3, 5], time_unit="bins")   # doctest: +SKIP
    >>> res.peak_lag_bins                                            # doctest: +SKIP
    3
    """
    from ...estimators.neural import setup_training

    t0 = time.perf_counter()
    values = ANALYSIS.check({"estimator": estimator, "critic": critic, **settings}, has_y=True)
    x_arr, y_arr = as_2d_samples("x", x), as_2d_samples("y", y)
    check_paired(x_arr, y_arr)
    lags = lags_in_bins(values)
    ix, iy = lag_pairs(x_arr.shape[0], time_index, lags)
    n = ix.shape[1]
    check_chunk_sizes(n, values["gammas"])
    spec, cfg, record = setup_training(values)
    record["chunking"] = resolve_chunking(values["chunking"], values["split"])
    record["lags_bins"] = list(lags)
    record["lags_requested"] = [float(v) for v in values["lags"]]  # in time_unit: for the rounding warning
    record["time_unit"] = values["time_unit"]
    data = {"n_samples": x_arr.shape[0], "n_pairs": n, "dim_x": x_arr.shape[1], "dim_y": y_arr.shape[1],
            "sha256": fingerprint(x_arr, y_arr)}
    rows, cells = [], []
    for cell in ANALYSIS.cells(values):
        r, c = train_cell(x_arr, y_arr, ix, iy, lags, cell["gamma"], cell["seed"], spec, cfg, split=values["split"],
                          test_fraction=values["test_fraction"], gap=values["gap"], chunking=record["chunking"],
                          preprocess=values["preprocess"])
        rows += r
        cells.append(c)
    fit = {s.name: values[s.name] for s in ANALYSIS.stage("fit")}
    return summarize_lag_sweep(rows, record, data, bin_width=values["bin_width"], **fit,
                               seconds=time.perf_counter() - t0, cells=cells)


def gather_lag_sweep(parts: Sequence[Mapping[str, Any]], *, sources: Sequence[str] | None = None,
                     **fit: Any) -> LagSweepResult:
    """Combine partial lag sweeps (their JSON) and fit as one call with all cells would (the rules of
    :func:`~.base.gather_parts`; the parts must also agree on the bin width)."""
    g = gather_parts(ANALYSIS, parts, sources, fit, required=("lags_bins", "fit_settings"), same=("bin_width_s",))
    return summarize_lag_sweep([LagMember.from_dict(m) for m in g.members], g.settings, g.data,
                               bin_width=g.first.get("bin_width_s"), **g.fit, seconds=g.seconds, cells=g.cells)


