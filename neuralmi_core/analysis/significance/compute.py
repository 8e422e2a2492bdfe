"""Shuffle significance's computation: one cell, the API function and the gather of cells."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ...autocorr import decorrelation_bins
from ...settings import api
from ...validation import NeuralMIError, as_2d_samples, check_paired
from ..base import gather_parts
from ..plan import derive_seed, fingerprint
from .declaration import ANALYSIS
from .result import SignificanceResult, SurrogateMember, summarize_significance


def _in_bins(value: float | None, values: Mapping[str, Any], name: str) -> int | None:
    if value is None:
        return None
    if values["time_unit"] == "bins":
        return max(1, int(round(value)))
    if values.get("bin_width") is None:
        raise NeuralMIError(f"`{name}` is in seconds (time_unit 's') but no `bin_width` is known; give bin_width "
                            f"(seconds per sample) or time_unit 'bins'.")
    return max(1, int(round(value / values["bin_width"])))


def surrogate_rows(method: str, index: int, n: int, seed: int, min_shift: int, block: int,
                   trials: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, int]:
    """Rows ``(ix, iy)`` of member ``index`` (0: the observed pairing) and its shift (or -1)."""
    rng = np.random.default_rng(derive_seed(seed, index, 11))
    rows = np.arange(n)
    if method == "trial":
        ids = [t for t in np.unique(trials) if t >= 0]
        groups = [np.flatnonzero(trials == t) for t in ids]
        length = min(len(g) for g in groups)
        order = rng.permutation(len(groups)) if index else np.arange(len(groups))
        ix = np.concatenate([g[:length] for g in groups])
        iy = np.concatenate([groups[o][:length] for o in order])
        return ix, iy, -1
    if index == 0:
        return rows, rows, 0
    if method == "circular":
        shift = int(rng.integers(min_shift, n - min_shift + 1))
        return rows, (rows + shift) % n, shift
    if method == "block":
        starts = np.arange(0, n, block)
        order = rng.permutation(len(starts))
        iy = np.concatenate([np.arange(starts[o], min(starts[o] + block, n)) for o in order])
        return rows, iy, -1
    return rows, rng.permutation(n), -1


def _plan(x: np.ndarray, y: np.ndarray, values: Mapping[str, Any], trials: np.ndarray | None
          ) -> tuple[int, int, dict[str, int]]:
    """``(min_shift, block_length, decorrelation)`` in bins, measured and checked against the data."""
    n = x.shape[0]
    decor = {"x": decorrelation_bins(x), "y": decorrelation_bins(y)}
    tau = max(decor.values())
    min_shift = _in_bins(values["min_shift"], values, "min_shift") or max(1, 2 * tau)
    block = _in_bins(values["block_length"], values, "block_length") or max(1, 4 * tau)
    method = values["surrogate"]
    if method == "circular" and min_shift > n // 3:
        raise NeuralMIError(f"`min_shift` is {min_shift} bins (decorrelation time {tau} bins) but the data hold {n} "
                            f"samples; circular shifts need min_shift <= n / 3 ({n // 3}). Give a smaller min_shift "
                            f"or more data.")
    if method == "block" and block > n // 3:
        raise NeuralMIError(f"`block_length` is {block} bins but the data hold {n} samples; a block may be at most "
                            f"a third of the data ({n // 3} bins).")
    if method == "trial":
        ids = [] if trials is None else [t for t in np.unique(trials) if t >= 0]
        if len(ids) < 3:
            raise NeuralMIError(f"`surrogate` 'trial' needs the trial of every sample (the binned file's trial "
                                f"index) and at least 3 trials; got {len(ids)}.")
    return min_shift, block, decor


def train_cell(x: np.ndarray, y: np.ndarray, indices: Sequence[int], values: Mapping[str, Any], spec: Any,
               cfg: Any, min_shift: int, block: int, trials: np.ndarray | None) -> list[SurrogateMember]:
    """Train the members ``indices`` (0: observed) as one ensemble, all with the same train/test split."""
    from ...estimators import fit_ensemble
    from ...training import split_member

    members, shifts = [], []
    for j in indices:
        ix, iy, shift = surrogate_rows(values["surrogate"], j, x.shape[0], values["seed"], min_shift, block, trials)
        members.append(split_member(x[ix], y[iy], values["split"], values["test_fraction"], gap=values["gap"],
                                    seed=derive_seed(values["seed"], 1)))
        shifts.append(shift)
    cell_cfg = dataclasses.replace(cfg, seed=derive_seed(values["seed"], indices[0], 3))
    fit = fit_ensemble(members, spec, cell_cfg, desc=f"surrogates {indices[0]}-{indices[-1]}",
                       preprocessing=values["preprocess"])
    return [SurrogateMember(index=j, shift=sh, n_train=m.n_train, n_test=m.n_test, n_eval=m.n_eval,
                            mi_test_nats=m.mi_test_nats, mi_train_nats=m.mi_train_nats, best_epoch=m.best_epoch,
                            epochs_run=m.epochs_run) for j, sh, m in zip(indices, shifts, fit.members, strict=True)]


@api(ANALYSIS.settings)
def significance(x: Any, y: Any, estimator: str = "infonce", critic: str = "auto", *, trials: Any = None,
                 **settings: Any) -> SignificanceResult:
    """p-value of the held-out MI of X and Y against surrogates that keep each signal's autocorrelation.

    Parameters
    ----------
    x, y : array-like, shape (n_samples, ...)
        Time series on one bin grid.
    estimator, critic : str
        As in :func:`neuralmi_core.estimate` (trained estimators).
    trials : array of int, optional
        The trial of every sample (-1 outside trials), for ``surrogate="trial"``; the CLI passes the binned
        file's trial index.
    {settings}

    Returns
    -------
    SignificanceResult
        Observed MI, null mean and quantiles, the p-value, the surrogates used; ``.plot()`` draws the null.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal((3000, 2)).cumsum(0); y = rng.standard_normal((3000, 2)).cumsum(0)
    >>> res = significance(x, y, time_unit="bins")   # doctest: +SKIP
    >>> res.p_value > 0.05                            # doctest: +SKIP
    True
    """
    from ...estimators.neural import setup_training

    t0 = time.perf_counter()
    values = ANALYSIS.check({"estimator": estimator, "critic": critic, **settings}, has_y=True)
    x_arr, y_arr = as_2d_samples("x", x), as_2d_samples("y", y)
    check_paired(x_arr, y_arr)
    tr = None if trials is None else np.asarray(trials, dtype=np.int64).ravel()
    if tr is not None and tr.shape[0] != x_arr.shape[0]:
        raise NeuralMIError(f"`trials` must hold one trial index per sample ({x_arr.shape[0]}); got {tr.shape[0]}.")
    min_shift, block, decor = _plan(x_arr, y_arr, values, tr)
    spec, cfg, record = setup_training(values)
    record.update(surrogate=values["surrogate"], n_surrogates=values["n_surrogates"], seed=values["seed"],
                  min_shift_bins=min_shift, block_length_bins=block)
    data = {"n_samples": x_arr.shape[0], "dim_x": x_arr.shape[1], "dim_y": y_arr.shape[1],
            "sha256": fingerprint(x_arr, y_arr)}
    per = values["surrogates_per_cell"]
    every = ANALYSIS.cells(values)
    cells = every if values["cells"] is None else [c for c in every if c["block"] in values["cells"]]
    past = sorted(set(values["cells"] or ()) - {c["block"] for c in every})
    if past:
        raise NeuralMIError(f"`cells` {past} past the last cell ({len(every) - 1}) of {1 + values['n_surrogates']} "
                            f"members in cells of {per}.")
    rows, info = [], []
    for c in cells:
        idx = list(range(c["block"] * per, min((c["block"] + 1) * per, 1 + values["n_surrogates"])))
        t1 = time.perf_counter()
        rows += train_cell(x_arr, y_arr, idx, values, spec, cfg, min_shift, block, tr)
        info.append({"block": c["block"], "seconds": time.perf_counter() - t1})
    return summarize_significance(rows, record, data, n_surrogates=values["n_surrogates"], alpha=values["alpha"],
                                  method=values["surrogate"], min_shift=min_shift, block=block, decorrelation=decor,
                                  bin_width=values["bin_width"], seconds=time.perf_counter() - t0, cells=info)


def gather_significance(parts: Sequence[Mapping[str, Any]], *, sources: Sequence[str] | None = None,
                        **fit: Any) -> SignificanceResult:
    """Combine the cells of one significance run (their JSON) into the p-value of one call; ``alpha`` (the
    fit setting) defaults to the parts' (the rules of :func:`~.base.gather_parts`)."""
    g = gather_parts(ANALYSIS, parts, sources, fit, required=("null_nats", "decorrelation_bins"),
                     fit_of=lambda p: {"alpha": p.get("alpha")})
    s = g.settings
    return summarize_significance(
        [SurrogateMember.from_dict(m) for m in g.members], s, g.data, n_surrogates=s["n_surrogates"],
        alpha=g.fit["alpha"], method=s["surrogate"], min_shift=s["min_shift_bins"], block=s["block_length_bins"],
        decorrelation=g.first["decorrelation_bins"], bin_width=g.first.get("bin_width_s"), seconds=g.seconds,
        cells=g.cells)


