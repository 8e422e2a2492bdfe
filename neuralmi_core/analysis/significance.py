"""Shuffle significance: is the MI above what each signal's own autocorrelation produces by chance?

The observed statistic is the held-out MI of one trained member (as :func:`neuralmi_core.estimate`
computes it). The null distribution comes from surrogates that break the X-Y pairing but keep each
signal's own temporal structure, each trained exactly like the observed member (same network, same
training, same train/test split) as extra members of the batched ensemble:

- ``circular`` (default): Y shifted circularly against X by an offset drawn uniformly from
  [min_shift, n - min_shift]; the default ``min_shift`` is twice the longer decorrelation time of X and Y
  (the first lag at which their mean autocorrelation falls below 1/e), measured and reported;
- ``block``: Y cut into blocks of ``block_length`` (default four decorrelation times) and the blocks
  permuted;
- ``trial``: whole trials of Y permuted among trials (each cropped to the shortest trial), when the
  session has trials;
- ``iid``: every sample of Y permuted independently. It destroys the autocorrelation, so on
  autocorrelated signals its null is too narrow and its p-values too small (``benchmarks/
  significance.py`` measures this); kept to show that, never the default.

p-value: ``(1 + #{null >= observed}) / (1 + n_null)`` (Phipson & Smyth 2010), never 0. The surrogates
split into cells of ``surrogates_per_cell`` members that train as independent jobs and are gathered by
:func:`gather_significance`.

References: Phipson, B. & Smyth, G. K. (2010). Permutation p-values should never be zero. Stat. Appl.
Genet. Mol. Biol. 9(1). Theiler, J. et al. (1992). Testing for nonlinearity in time series: the method
of surrogate data. Physica D 58, 77-94.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..results import _jsonable, nats_to_bits
from ..settings import (
    CRITICS,
    TIMING,
    TRAINED_ESTIMATORS,
    Choice,
    Float,
    Int,
    Optional,
    Setting,
    Settings,
    api,
)
from ..validation import NeuralMIError, as_2d_samples, check_paired
from .base import Analysis, mismatched
from .plan import derive_seed, fingerprint

METHODS = ("circular", "block", "trial", "iid")
QUANTILES = (0.05, 0.5, 0.95, 0.99)

CLI_HELP = """Shuffle significance: the held-out MI of X and Y against a null distribution from surrogates.

Surrogates break the pairing but keep each signal's autocorrelation: --surrogate circular (default: Y
shifted circularly by at least --min-shift, default twice the measured decorrelation time), block (Y's
blocks of --block-length permuted), trial (whole trials permuted; needs the binned file's trial index)
or iid (plain permutation: anti-conservative on autocorrelated data, for comparison only). Times are in
--time-unit (seconds by default; the bin width comes from the binned file). Every surrogate trains like
the observed member, as extra members of one ensemble; --surrogates-per-cell members form one cell (a
workflow job). p = (1 + #null >= observed) / (1 + n_surrogates).

JSON fields (every *_nats field also has a *_bits twin):
  observed_mi_nats      held-out MI of the observed pairing
  p_value, significant  p-value and whether p <= alpha; alpha
  null_mean_nats, null_sd_nats, null_quantiles_nats {"0.05", "0.5", "0.95", "0.99"}, null_nats (all)
  n_surrogates, method, min_shift_bins/_s, block_length_bins/_s, decorrelation_bins {x, y} and _s
  members (index 0 observed, then surrogates: shift or permutation seed, sizes, held-out and training MI),
  settings, data, cells, seconds, warnings, selection

Example:
  neuralmi significance 'binned.nc:spikes[region=A]' 'binned.nc:spikes[region=B]' --json sig.json
"""


class SignificanceAnalysis(Analysis):
    name = "significance"
    help = "p-value of the MI against surrogates that keep each signal's autocorrelation (circular shifts, ...)"
    description = CLI_HELP
    y = "required"
    estimators = TRAINED_ESTIMATORS
    critics = CRITICS
    why_estimators = " (trained estimators)"
    cell_keys = (("block", "b"),)
    run = "neuralmi_core.analysis.significance:significance"
    gather = "neuralmi_core.analysis.significance:gather_significance"
    result = "neuralmi_core.analysis.significance:SignificanceResult"
    own = Settings([
        Setting("surrogate", "circular", Choice(METHODS), "how surrogates break the pairing: circular shifts "
                "of Y, block shuffles, trial shuffles, or iid permutation (anti-conservative; comparison only)"),
        Setting("n_surrogates", 99, Int(1), "surrogates in the null distribution (at least 1/alpha - 1 and 19)"),
        Setting("alpha", 0.05, Float(0.0, 1.0, low_open=True, high_open=True), "significance level; also sets "
                "the p-value resolution the surrogates must reach", stage="fit"),
        Setting("min_shift", None, Optional(Float(0.0, low_open=True)), "smallest circular shift, in time_unit "
                "(default: twice the longer decorrelation time of X and Y)"),
        Setting("block_length", None, Optional(Float(0.0, low_open=True)), "block length of block shuffles, in "
                "time_unit (default: four decorrelation times); at most a third of the data"),
        *TIMING,
        Setting("surrogates_per_cell", 100, Int(1), "members (observed and surrogates) trained by one cell",
                stage="cells"),
        Setting("seed", 0, Int(0), "seed of the surrogates, the split and the networks", stage="train",
                config=False),
        Setting("cell", None, Optional(Int(0)), "train only this cell (block of members) of the run, for a "
                "workflow job; gather the cells' outputs (default: all cells)", stage="cells", config=False),
    ])

    def cells(self, values: Mapping[str, Any]) -> list[dict[str, int]]:
        n, per = 1 + values["n_surrogates"], values["surrogates_per_cell"]
        return [{"block": b, "per": per} for b in range(math.ceil(n / per))]

    def cell_settings(self, cell: Mapping[str, int]) -> dict[str, Any]:
        return {"cell": cell["block"], "surrogates_per_cell": cell["per"]}

    def check_more(self, values: Mapping[str, Any], has_y: bool, pre: str) -> None:
        need = max(19, math.ceil(1 / values["alpha"] - 1e-9) - 1)
        if values["n_surrogates"] < need:
            raise NeuralMIError(f"{pre}`n_surrogates` is {values['n_surrogates']}, but a p-value at alpha="
                                f"{values['alpha']:g} needs at least {need} surrogates (p can be no smaller than "
                                f"1 / (1 + n_surrogates)); use more surrogates or a larger alpha.")

    def selection_inputs(self, selection: Any) -> dict[str, Any]:
        return {"bin_width": selection.bin_width_s, "trials": selection.trials}


ANALYSIS = SignificanceAnalysis()


def decorrelation_bins(a: np.ndarray) -> int:
    """First lag (bins) at which the mean autocorrelation of ``a``'s non-constant columns falls below 1/e.

    Computed with the FFT on standardised columns; ``len(a) // 2`` when it never does, 0 for constant data.
    """
    a = np.asarray(a, dtype=float)
    sd = a.std(axis=0)
    cols = a[:, sd > 1e-12]
    if cols.shape[1] == 0:
        return 0
    z = (cols - cols.mean(axis=0)) / cols.std(axis=0)
    n = z.shape[0]
    f = np.fft.rfft(z, n=2 * n, axis=0)
    acf = np.fft.irfft(f * np.conj(f), axis=0)[:n].mean(axis=1)
    acf = acf / acf[0]
    below = np.flatnonzero(acf[: n // 2] < math.exp(-1))
    return int(below[0]) if below.size else n // 2


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


@dataclass(frozen=True)
class SurrogateMember:
    """One member: index 0 is the observed pairing, the others surrogates (``shift``: circular offset, or -1)."""

    index: int
    shift: int
    n_train: int
    n_test: int
    n_eval: int
    mi_test_nats: float
    mi_train_nats: float
    best_epoch: int
    epochs_run: int

    def to_dict(self) -> dict[str, Any]:
        return {f.name: _jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> SurrogateMember:
        kw = {f.name: d[f.name] for f in dataclasses.fields(cls)}
        for k in ("mi_test_nats", "mi_train_nats"):
            kw[k] = float("nan") if kw[k] is None else float(kw[k])
        return cls(**kw)


@dataclass(frozen=True)
class SignificanceResult:
    """Observed held-out MI against its surrogate null (see :func:`significance`; ``*_nats`` also ``*_bits``).

    Attributes
    ----------
    observed_mi_nats : float
        Held-out MI of the observed pairing (NaN in a partial run without cell 0).
    p_value : float
        ``(1 + #{null >= observed}) / (1 + n_surrogates)``; NaN without the observed member.
    significant : bool
        ``p_value <= alpha``.
    null_nats : tuple of float
        Every surrogate's held-out MI; ``null_mean_nats``, ``null_sd_nats`` and ``null_quantiles_nats``
        summarise it.
    min_shift_bins, block_length_bins : int
        The circular surrogates' smallest shift and the block length used (bins; ``*_s`` in seconds).
    decorrelation_bins : dict
        The measured decorrelation times of X and Y (bins).
    """

    observed_mi_nats: float
    p_value: float
    significant: bool
    alpha: float
    method: str
    n_surrogates: int
    null_nats: tuple[float, ...]
    null_mean_nats: float
    null_sd_nats: float
    null_quantiles_nats: dict[str, float]
    min_shift_bins: int
    block_length_bins: int
    decorrelation_bins: dict[str, int]
    bin_width_s: float | None
    members: tuple[SurrogateMember, ...]
    settings: dict[str, Any]
    data: dict[str, Any]
    seconds: float = 0.0
    cells: tuple[dict[str, Any], ...] = field(default=(), compare=False)
    warnings: tuple[str, ...] = ()

    def _s(self, bins: int | None) -> float | None:
        return None if bins is None or self.bin_width_s is None else bins * self.bin_width_s

    def to_dict(self) -> dict[str, Any]:
        out = {f.name: _jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)}
        for k in ("observed_mi", "null_mean", "null_sd"):
            out[f"{k}_bits"] = _jsonable(nats_to_bits(getattr(self, f"{k}_nats")))
        out["null_quantiles_bits"] = {q: _jsonable(nats_to_bits(v)) for q, v in self.null_quantiles_nats.items()}
        out["min_shift_s"] = self._s(self.min_shift_bins)
        out["block_length_s"] = self._s(self.block_length_bins)
        out["decorrelation_s"] = {k: self._s(v) for k, v in self.decorrelation_bins.items()}
        out["unit_note"] = "*_nats in nats (natural log); *_bits = *_nats / ln 2"
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> SignificanceResult:
        nan = float("nan")
        kw: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            v = d.get(f.name)
            if f.name == "members":
                v = tuple(SurrogateMember.from_dict(m) for m in v or ())
            elif f.name == "null_nats":
                v = tuple(nan if e is None else float(e) for e in v or ())
            elif f.name in ("cells", "warnings"):
                v = tuple(v or ())
            elif f.name == "null_quantiles_nats":
                v = {k: nan if e is None else float(e) for k, e in (v or {}).items()}
            elif f.name in ("observed_mi_nats", "p_value", "null_mean_nats", "null_sd_nats"):
                v = nan if v is None else float(v)
            kw[f.name] = v
        return cls(**kw)

    def summary_line(self) -> str:
        if not math.isfinite(self.p_value):
            return f"{len(self.members)} members, no observed member in these parts (gather the cells)"
        return (f"observed {self.observed_mi_nats:.4f} nats, null mean {self.null_mean_nats:.4f} (95 %: "
                f"{self.null_quantiles_nats.get('0.95', float('nan')):.4f}); p = {self.p_value:.4g} with "
                f"{self.n_surrogates} {self.method} surrogates")

    def plot(self, ax: Any = None, unit: str = "bits") -> Any:
        """Histogram of the null MI with the observed MI and the null's 95th percentile marked."""
        if ax is None:
            import matplotlib.figure

            fig = matplotlib.figure.Figure(figsize=(6, 4), layout="constrained")
            ax = fig.add_subplot()
        else:
            fig = ax.figure
        conv = nats_to_bits if unit == "bits" else float
        null = [conv(v) for v in self.null_nats if math.isfinite(v)]
        if null:
            ax.hist(null, bins=min(30, max(5, len(null) // 4)), color="C7", alpha=0.7,
                    label=f"null: {self.n_surrogates} {self.method} surrogates")
            ax.axvline(conv(self.null_quantiles_nats.get("0.95", float("nan"))), color="C7", ls=":",
                       label="null 95th percentile")
        if math.isfinite(self.observed_mi_nats):
            ax.axvline(conv(self.observed_mi_nats), color="C3", lw=2,
                       label=f"observed {conv(self.observed_mi_nats):.3f} {unit} (p = {self.p_value:.3g})")
        ax.set_xlabel(f"held-out MI ({unit})")
        ax.set_ylabel("surrogates")
        ax.legend(fontsize=7)
        return fig


def summarize_significance(members: Sequence[SurrogateMember], settings: Mapping[str, Any],
                           data: Mapping[str, Any], *, n_surrogates: int, alpha: float, method: str,
                           min_shift: int, block: int, decorrelation: Mapping[str, int],
                           bin_width: float | None, seconds: float = 0.0,
                           cells: Sequence[dict[str, Any]] = ()) -> SignificanceResult:
    """p-value and null summary from a member table (the pure second half of :func:`significance`)."""
    rows = tuple(sorted(members, key=lambda m: m.index))
    if len({m.index for m in rows}) != len(rows):
        raise NeuralMIError("the member table holds a member twice; each cell may appear once (were the same parts "
                            "given twice?).")
    obs = [m.mi_test_nats for m in rows if m.index == 0]
    null = np.array([m.mi_test_nats for m in rows if m.index > 0], dtype=float)
    finite = null[np.isfinite(null)]
    observed = obs[0] if obs else float("nan")
    warnings = []
    if finite.size < null.size:
        warnings.append(f"{null.size - finite.size} surrogates produced no finite MI (training diverged) and were "
                        f"left out of the null")
    if len(rows) < 1 + n_surrogates:
        warnings.append(f"a partial run: {len(rows)} of {1 + n_surrogates} members (gather every cell)")
    if method == "iid":
        warnings.append("iid surrogates destroy the autocorrelation of Y: on time series their null is too narrow "
                        "and the p-value too small; use circular, block or trial surrogates")
    p = (1 + int(np.sum(finite >= observed))) / (1 + finite.size) if obs and finite.size else float("nan")
    quant = {f"{q:g}": float(np.quantile(finite, q)) if finite.size else float("nan") for q in QUANTILES}
    return SignificanceResult(
        observed_mi_nats=float(observed), p_value=float(p), significant=bool(math.isfinite(p) and p <= alpha),
        alpha=alpha, method=method, n_surrogates=int(finite.size), null_nats=tuple(float(v) for v in null),
        null_mean_nats=float(finite.mean()) if finite.size else float("nan"),
        null_sd_nats=float(finite.std(ddof=1)) if finite.size > 1 else float("nan"), null_quantiles_nats=quant,
        min_shift_bins=int(min_shift), block_length_bins=int(block), decorrelation_bins=dict(decorrelation),
        bin_width_s=bin_width, members=rows, settings=dict(settings), data=dict(data), seconds=seconds,
        cells=tuple(sorted(cells, key=lambda c: c["block"])), warnings=tuple(warnings))


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
    from ..estimators import fit_ensemble
    from ..training import split_member

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
def significance(x: Any, y: Any, estimator: str = "infonce", critic: str = "separable", *, trials: Any = None,
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
    from ..estimators.neural import setup_training

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
    cells = ANALYSIS.cells(values) if values["cell"] is None else [{"block": values["cell"]}]  # one job: one cell
    rows, info = [], []
    for c in cells:
        idx = list(range(c["block"] * per, min((c["block"] + 1) * per, 1 + values["n_surrogates"])))
        if not idx:
            raise NeuralMIError(f"`cell` {c['block']} is past the last cell ({len(ANALYSIS.cells(values)) - 1}).")
        t1 = time.perf_counter()
        rows += train_cell(x_arr, y_arr, idx, values, spec, cfg, min_shift, block, tr)
        info.append({"block": c["block"], "seconds": time.perf_counter() - t1})
    return summarize_significance(rows, record, data, n_surrogates=values["n_surrogates"], alpha=values["alpha"],
                                  method=values["surrogate"], min_shift=min_shift, block=block, decorrelation=decor,
                                  bin_width=values["bin_width"], seconds=time.perf_counter() - t0, cells=info)


def gather_significance(parts: Sequence[Mapping[str, Any]], *, sources: Sequence[str] | None = None,
                        **fit: Any) -> SignificanceResult:
    """Combine the cells of one significance run (their JSON) into the p-value of one call; ``alpha`` (the
    fit setting) defaults to the parts'."""
    fit = {k: v for k, v in fit.items() if v is not None}
    if set(fit) - {"alpha"}:
        raise NeuralMIError(f"gather significance takes only the fit setting alpha; got {sorted(fit)}.")
    alpha = ANALYSIS.own["alpha"].check(fit["alpha"]) if "alpha" in fit else None
    if not parts:
        raise NeuralMIError("gather significance needs at least one part; got none.")
    names = list(sources) if sources is not None else [f"part {i}" for i in range(len(parts))]
    for name, p in zip(names, parts, strict=True):
        if not isinstance(p, Mapping) or "members" not in p or "null_nats" not in p:
            raise NeuralMIError(f"{name}: not a significance result (expected the JSON of `neuralmi significance`).")
    settings = [p["settings"] for p in parts]
    data = [p["data"] for p in parts]
    bad = mismatched(settings, sorted(set().union(*settings))) + mismatched(data, sorted(set().union(*data)))
    if alpha is None:
        bad += mismatched([{"alpha": p.get("alpha")} for p in parts], ["alpha"])
    if bad:
        raise NeuralMIError(f"the parts do not belong to one significance run; they differ in {bad} "
                            f"({', '.join(names)}).")
    seen: dict[int, str] = {}
    cells = []
    for name, p in zip(names, parts, strict=True):
        for c in p.get("cells", ()):
            if c["block"] in seen:
                raise NeuralMIError(f"cell {c['block']} appears in both {seen[c['block']]} and {name}.")
            seen[c["block"]] = name
            cells.append(c)
    p0, s0 = parts[0], settings[0]
    return summarize_significance(
        [SurrogateMember.from_dict(m) for p in parts for m in p["members"]], s0, data[0],
        n_surrogates=s0["n_surrogates"], alpha=p0["alpha"] if alpha is None else alpha, method=s0["surrogate"], min_shift=s0["min_shift_bins"],
        block=s0["block_length_bins"], decorrelation=p0["decorrelation_bins"], bin_width=p0.get("bin_width_s"),
        seconds=float(sum(p.get("seconds", 0) for p in parts)), cells=cells)
