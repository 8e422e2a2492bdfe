"""Lag sweep: bias-corrected I(X_t; Y_{t+lag}) with its confidence interval at every lag, and the peak lag.

For each lag in ``lags`` X at time bin t is paired with Y at bin t + lag (negative lags: Y leads X), on
the same set of X bins at every lag (those whose partner bin exists at every lag), so that lags differ
only in the pairing. At each lag the corrected MI comes from rigorous mode's 1/N extrapolation
(:mod:`.rigorous`): the samples are cut into gamma chunks for gamma in ``gammas`` and one member is
trained per chunk. A (gamma, seed) *cell* trains the chunks of every lag as one batched ensemble
(lags x gamma members), so the sweep costs what one rigorous run per gamma costs on a larger ensemble,
and cells are independent workflow jobs gathered by :func:`gather_lag_sweep`.

The peak lag is the lag of the largest corrected MI; its confidence range is the run of neighbouring
lags whose CI reaches the peak's lower CI bound (lags the data cannot tell apart from the peak).
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..settings import (
    CRITICS,
    TIMING,
    TRAINED_ESTIMATORS,
    Constraint,
    Setting,
    Settings,
    api,
)
from ..validation import NeuralMIError, as_2d_samples, check_paired
from .base import Analysis, check_split, gather_parts, seeds_of
from .lag_result import LagMember, LagSweepResult, summarize_lag_sweep
from .plan import chunk_indices, derive_seed, fingerprint, resolve_chunking
from .rigorous import ANALYSIS as RIGOROUS
from .rigorous import check_chunk_sizes


@dataclass(frozen=True)
class Lags(Constraint):
    """Lags as a list of numbers, ``{start, stop, step}`` (stop included) or the string ``start:stop:step``."""

    metavar = "LAGS"

    def check(self, name, value, where=""):
        pre = f"{where}: " if where else ""
        try:
            if isinstance(value, str):
                if ":" in value:
                    start, stop, step = (float(v) for v in value.split(":"))
                    value = {"start": start, "stop": stop, "step": step}
                else:
                    value = [float(v) for v in value.split(",") if v.strip()]
            if isinstance(value, Mapping):
                if set(value) != {"start", "stop", "step"}:
                    raise ValueError
                start, stop, step = (float(value[k]) for k in ("start", "stop", "step"))
                if not (step > 0 and stop >= start):
                    raise ValueError
                n = int(math.floor((stop - start) / step + 1e-9)) + 1
                value = [start + i * step for i in range(n)]
            out = tuple(sorted({round(float(v), 12) for v in value}))
        except (TypeError, ValueError):
            raise NeuralMIError(f"{pre}`{name}` must be a list of lags, {{start, stop, step}} with step > 0 and "
                                f"stop >= start, or 'start:stop:step'. Got {value!r}.") from None
        if not out or not all(math.isfinite(v) for v in out):
            raise NeuralMIError(f"{pre}`{name}` must hold at least one finite lag. Got {value!r}.")
        return out

    def describe(self) -> str:
        return "a list of lags, {start, stop, step} or 'start:stop:step'"


RIG_FIT = RIGOROUS.stage("fit")

CLI_HELP = """Lag sweep: bias-corrected I(X_t; Y_{t+lag}) with a confidence interval at every lag, and the peak lag.

X at bin t is paired with Y at bin t + lag; negative lags mean Y leads. --lags is in seconds by default
(--lag-unit s; the bin width comes from the binned file, or --bin-width for plain arrays) or in bins
(--lag-unit bins); lags in seconds are rounded to whole bins. At every lag the MI is corrected by rigorous
mode's 1/N extrapolation over --gammas (see `neuralmi rigorous --help`); a (gamma, seed) cell trains the
chunks of all lags as one ensemble. The peak lag is the lag of the largest corrected MI; its confidence
range spans the neighbouring lags whose CI reaches the peak's lower CI bound.

JSON fields (every *_nats field also has a *_bits twin):
  curve              per lag: lag_bins, lag_s, mi_nats, ci_low_nats, ci_high_nats, naive_mi_nats,
                     reliable, flags (the rigorous fit of that lag)
  peak_lag_bins, peak_lag_s, peak_mi_nats, peak_ci_low_nats, peak_ci_high_nats
  peak_range_bins, peak_range_s   [first, last] lag of the confidence range around the peak
  lags_bins, lags_s, bin_width_s, n_pairs (samples per lag), members (lag_bins, gamma, chunk, seed,
  sizes, held-out and training MI), settings, fit_settings, data, cells, seconds, warnings, selection

Example:
  neuralmi lag-sweep 'binned.nc:spikes[region=A]' 'binned.nc:position' --lags=-0.5:0.5:0.05 --json lag.json
"""


class LagSweepAnalysis(Analysis):
    name = "lag_sweep"
    help = "bias-corrected MI at every lag between X and Y, with the peak lag and its confidence range"
    description = CLI_HELP
    y = "required"
    estimators = TRAINED_ESTIMATORS
    critics = CRITICS
    why_estimators = " (trained estimators: the baselines have no members to extrapolate)"
    cell_keys = (("gamma", "g"), ("seed", "s"))
    run = "neuralmi_core.analysis.lag:lag_sweep"
    gather = "neuralmi_core.analysis.lag:gather_lag_sweep"
    result = "neuralmi_core.analysis.lag:LagSweepResult"
    own = Settings([
        Setting("lags", Lags().check("lags", {"start": -0.5, "stop": 0.5, "step": 0.05}), Lags(),
                "lags of Y after X (negative: Y leads), in time_unit: a list, {start, stop, step} or "
                "'start:stop:step' (default -0.5 to 0.5 s in steps of 0.05 s)"),
        *TIMING,
        RIGOROUS.own["gammas"].with_default((1, 2, 3, 4, 5)),
        *(RIGOROUS.own[k] for k in ("seeds", "n_seeds", "seed", "chunking")),
        RIG_FIT["confidence"], RIG_FIT["extrapolate"], RIG_FIT["delta"], RIG_FIT["min_gammas"].with_default(4),
        RIG_FIT["min_chunk"],
    ])

    def cells(self, values: Mapping[str, Any]) -> list[dict[str, int]]:
        return [{"gamma": g, "seed": s} for g in values["gammas"] for s in seeds_of(values)]

    def cell_settings(self, cell: Mapping[str, int]) -> dict[str, Any]:
        return {"gammas": (cell["gamma"],), "seeds": (cell["seed"],)}

    def check_more(self, values: Mapping[str, Any], has_y: bool, pre: str) -> None:
        seeds_of(values)
        if values["time_unit"] == "bins" and any(v != round(v) for v in values["lags"]):
            raise NeuralMIError(f"{pre}`lags` in bins must be whole numbers. Got {values['lags']}.")

    data_settings = ("lags", "time_unit", "gammas", "split", "test_fraction", "gap")

    def check_data(self, n_samples: int, values: Mapping[str, Any], info: Mapping[str, Any]) -> dict[str, Any]:
        lags = lags_in_bins({**values, "bin_width": values.get("bin_width") or info.get("bin_width_s")})
        span = max(lags) - min(lags)
        n_pairs = n_samples - span  # at most: gaps in the bins drop more
        if n_pairs < 20:
            raise NeuralMIError(f"`lags` span {span} bins but the selection holds {n_samples} samples; expected at "
                                f"least 20 pairs at every lag. Use a shorter lag range.")
        check_chunk_sizes(n_pairs, values["gammas"])
        for g in values["gammas"]:
            check_split(n_pairs // g, values, f"at gamma {g} each chunk holds {n_pairs // g} samples: ")
        return {"lags_bins": list(lags), "n_pairs": n_pairs}

    def check_config(self, values: Mapping[str, Any]) -> None:
        if len(values["gammas"]) < values["min_gammas"]:
            raise NeuralMIError(f"`gammas` holds {len(values['gammas'])} gamma(s) but `min_gammas` is "
                                f"{values['min_gammas']}; the fit needs at least min_gammas gammas")

    def selection_inputs(self, selection: Any) -> dict[str, Any]:
        return {"time_index": selection.bins, "bin_width": selection.bin_width_s}


ANALYSIS = LagSweepAnalysis()


def lags_in_bins(values: Mapping[str, Any]) -> tuple[int, ...]:
    """The lags of a run in whole bins (seconds rounded to the nearest bin)."""
    if values["time_unit"] == "bins":
        return tuple(sorted({int(round(v)) for v in values["lags"]}))
    width = values.get("bin_width")
    if width is None:
        raise NeuralMIError("`lags` are in seconds (time_unit 's') but no `bin_width` is known; give bin_width "
                            "(seconds per sample) or lags in bins (time_unit 'bins').")
    return tuple(sorted({int(round(v / width)) for v in values["lags"]}))


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
    from ..estimators import fit_ensemble
    from ..training import split_member
    from ..training.trainer import for_full_data

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
def lag_sweep(x: Any, y: Any, estimator: str = "infonce", critic: str = "separable", *,
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
    from ..estimators.neural import setup_training

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



__all__ = ["ANALYSIS", "LagMember", "LagSweepAnalysis", "LagSweepResult", "Lags", "gather_lag_sweep", "lag_pairs", "lag_sweep", "lags_in_bins", "summarize_lag_sweep", "train_cell"]
