"""Rigorous mode: bias-corrected MI with error bars by extrapolating members trained on 1/gamma of the data.

For every gamma in a list (default 1..10) the N samples are split into gamma disjoint chunks (contiguous
blocks for time series, random for i.i.d. data), one member is trained per chunk (train/test split
inside the chunk), and the members' MI is regressed on gamma (:mod:`.extrapolation`); the intercept at
gamma = 0 is the corrected MI. One (gamma, seed) *cell* is trained as one batched ensemble and depends on
nothing else, so cells can run as separate jobs and be gathered (:func:`gather_rigorous`) into exactly
the numbers of one :func:`rigorous` call.

Which member MI is extrapolated (``extrapolate``): ``train`` takes the critic's MI on a fixed training
subsample at the checkpoint chosen on held-out data; ``test`` takes the held-out MI itself; ``average``
(default) takes their mean. Training-subset MI is biased high by overfitting and held-out MI low by the
same fit's generalisation loss; to first order the two are equal and opposite (the in-sample optimism
of a fitted model equals its out-of-sample loss, the argument behind Akaike's criterion), so their mean
cancels most of the finite-sample bias and the 1/N extrapolation removes what is left. Measured with
``benchmarks/rigorous.py`` (6 tasks x 4 data sets): median relative error 3.8 % (naive 10.7 %); the
training-subset or held-out MI alone gave about 5 % and 8 % on the same tasks.

Each member is scored on all of its held-out samples (``n_eval = min(eval_size, n_test)``), so the
evaluation set shrinks like 1/gamma with the chunk. This is deliberate: InfoNCE's finite-batch bias
(of order 1/n_eval once n_eval is large against the density ratio) then also grows linearly in gamma
and extrapolates away with the rest, where a fixed evaluation size would leave a constant bias in the
intercept.

References
----------
Holmes, C. M. & Nemenman, I. (2019). Estimation of mutual information for real-valued data with error
bars and controlled bias. Phys. Rev. E 100, 022404.
Abdelaleem, E., Martini, K. M. & Nemenman, I. (2025). Accurate estimation of mutual information in high
dimensional data. arXiv:2506.00330.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..estimators import ModelSpec, fit_ensemble
from ..results import _jsonable, member_mi, nats_to_bits
from ..training import TrainConfig, split_member
from ..training.trainer import auto_batch_size
from ..validation import NeuralMIError, as_2d_samples, check_choice, check_float, check_int, check_paired
from .extrapolation import ExtrapolationFit, fit_extrapolation, headline_interval, per_gamma_summary
from .plan import (
    chunk_indices,
    derive_seed,
    fingerprint,
    parse_int_list,
    resolve_chunking,
    resolve_seeds,
    settings_mismatch,
    training_setup,
)

EXTRAPOLATE = ("average", "train", "test")
CEILING_FRACTION = 0.9
SYSTEMATIC_WARN = 0.2  # warn when the systematic error exceeds this fraction of the corrected MI
# Settings that must agree between gathered parts (they change the members' numbers).
TRAINING_KEYS = ("estimator", "critic", "embedding_dim", "hidden", "n_layers", "activation", "variational",
                 "beta", "tau", "options", "epochs", "batch_size", "lr", "patience", "min_epochs",
                 "smooth_window", "eval_size", "split", "test_fraction", "gap", "chunking", "preprocess")
DATA_KEYS = ("n_samples", "dim_x", "dim_y", "sha256")


@dataclass(frozen=True)
class RigorousMember:
    """One member of a rigorous run: chunk ``chunk`` (0-based) of ``gamma`` chunks, trained with ``seed``."""

    gamma: int
    chunk: int
    seed: int
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
    def from_dict(cls, d: dict[str, Any]) -> RigorousMember:
        kw = {f.name: d[f.name] for f in dataclasses.fields(cls)}
        for k in ("mi_test_nats", "mi_train_nats"):
            kw[k] = float("nan") if kw[k] is None else float(kw[k])
        return cls(**kw)


@dataclass(frozen=True)
class RigorousResult:
    """Bias-corrected MI with error bars (see :func:`rigorous`; all ``*_nats`` also as ``*_bits``).

    Attributes
    ----------
    mi_nats : float
        Corrected MI: the intercept at gamma = 0 of the WLS fit of the ``extrapolate`` MI on gamma. NaN
        (with ``fit_reason``) when the run holds fewer than ``min_gammas`` gammas (a partial run).
    ci_low_nats, ci_high_nats : float
        Confidence interval of the corrected MI at level ``confidence``: the fit's statistical error,
        the data-set noise every member shares (``shared_se_nats``) and the systematic error
        (``systematic_nats``) combined (:func:`~.extrapolation.headline_interval`). The interval to quote.
    pi_low_nats, pi_high_nats : float
        Prediction interval for one new full-data member (the CI widened by one member's noise).
    fit_ci_low_nats, fit_ci_high_nats : float
        The textbook t-interval of the WLS intercept, which treats members as independent (too narrow
        on real training: ``benchmarks/rigorous.py``); kept for comparison.
    shared_se_nats : float
        Standard deviation of one full-data member about the fit: bounds the sampling noise of the data
        set that all members share.
    systematic_nats : float
        Largest distance from ``mi_nats`` to the intercepts extrapolated from the training-subset and the
        held-out member MI (the model error of the 1/N extrapolation).
    se_nats, slope_nats : float
        Standard error of the intercept (of the fit, members independent); slope of MI in gamma (nats
        per unit gamma).
    naive_mi_nats : float
        The uncorrected full-data estimate: mean held-out MI of the gamma = 1 members.
    bracket_low_nats, bracket_high_nats : float
        The range spanned by the extrapolations of every member MI (training-subset, held-out, their
        average), each widened by its fit's t-interval. All extrapolate to the true MI when the bias
        is purely a/N; a wide bracket shows bias the fit does not model (``systematic_nats``).
    reliable, flags, fit_reason
        Reliability verdict, flags (see :data:`~.extrapolation.FLAG_HELP`), and why there is no fit.
    members : tuple of RigorousMember
        The per-member table (gamma, chunk, seed, sizes, held-out and training MI, best epoch).
    per_gamma : tuple of dict
        Per gamma: member count, mean and std of the extrapolated MI.
    fits : dict
        The extrapolation fit of each member MI (``train`` and ``test``); the headline numbers are
        ``fits[extrapolate]``.
    """

    mi_nats: float
    ci_low_nats: float
    ci_high_nats: float
    pi_low_nats: float
    pi_high_nats: float
    se_nats: float
    slope_nats: float
    naive_mi_nats: float
    bracket_low_nats: float
    bracket_high_nats: float
    fit_ci_low_nats: float
    fit_ci_high_nats: float
    shared_se_nats: float
    systematic_nats: float
    confidence: float
    extrapolate: str
    reliable: bool
    flags: tuple[str, ...]
    fit_reason: str
    gammas: tuple[int, ...]
    seeds: tuple[int, ...]
    gammas_used: tuple[int, ...]
    gammas_dropped: tuple[int, ...]
    members: tuple[RigorousMember, ...]
    per_gamma: tuple[dict[str, Any], ...]
    fits: dict[str, ExtrapolationFit]
    settings: dict[str, Any]
    fit_settings: dict[str, Any]
    data: dict[str, Any]
    seconds: float = 0.0
    cells: tuple[dict[str, Any], ...] = field(default=(), compare=False)
    warnings: tuple[str, ...] = ()

    @property
    def mi_bits(self) -> float:
        return nats_to_bits(self.mi_nats)

    @property
    def fit(self) -> ExtrapolationFit:
        return self.fits[self.extrapolate]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            out[f.name] = _jsonable(value)
            if f.name.endswith("_nats"):
                out[f.name[:-5] + "_bits"] = _jsonable(nats_to_bits(value))
        out["unit_note"] = "*_nats in nats (natural log); *_bits = *_nats / ln 2"
        return out

    def __repr__(self) -> str:
        return (f"RigorousResult({self.settings.get('estimator')}: {self.mi_nats:.4f} nats "
                f"[{self.ci_low_nats:.4f}, {self.ci_high_nats:.4f}] ({self.confidence:.0%} CI), naive "
                f"{self.naive_mi_nats:.4f}, gammas {list(self.gammas_used)}, reliable={self.reliable})")

    def plot(self, ax: Any = None, unit: str = "bits") -> Any:
        """MI against 1/N (N: samples per chunk) with members, per-gamma means, the fit and its CI band.

        Returns the matplotlib Figure (works under the Agg backend).
        """
        import matplotlib

        if ax is None:
            import matplotlib.figure

            fig = matplotlib.figure.Figure(figsize=(6, 4))
            ax = fig.add_subplot()
        else:
            fig = ax.figure
        conv = nats_to_bits if unit == "bits" else float
        n = self.data["n_samples"]
        g = np.array([m.gamma for m in self.members], dtype=float)
        ax.scatter(g / n, [conv(member_mi(m, self.extrapolate)) for m in self.members], s=10, alpha=0.4,
                   color="C0", label=f"members ({self.extrapolate} MI)")
        if self.extrapolate != "test":
            ax.scatter(g / n, [conv(m.mi_test_nats) for m in self.members], s=8, alpha=0.3, color="C7",
                       marker="x", label="members (held-out MI)")
        pg = self.per_gamma
        ax.errorbar([r["gamma"] / n for r in pg], [conv(r["mean_nats"]) for r in pg],
                    yerr=[conv(r["std_nats"]) if math.isfinite(r["std_nats"]) else 0 for r in pg], fmt="o",
                    color="C0", capsize=3, label="per-gamma mean ± sd")
        fit = self.fit
        if fit.fitted:
            grid = np.linspace(0, max(fit.gammas_used), 50)
            line, lo, hi = fit.band(grid, "ci")
            ax.plot(grid / n, [conv(v) for v in line], color="C3", label="WLS fit")
            ax.fill_between(grid / n, [conv(v) for v in lo], [conv(v) for v in hi], color="C3", alpha=0.2,
                            label=f"{self.confidence:.0%} CI of the fit")
            ax.errorbar([0], [conv(self.mi_nats)], yerr=[[conv(self.mi_nats - self.ci_low_nats)],
                                                          [conv(self.ci_high_nats - self.mi_nats)]],
                        fmt="s", color="C3", capsize=4,
                        label=f"corrected {conv(self.mi_nats):.3f} {unit} ({self.confidence:.0%} CI)")
        if math.isfinite(self.naive_mi_nats):
            ax.scatter([1 / n], [conv(self.naive_mi_nats)], marker="D", color="k", zorder=5,
                       label=f"naive {conv(self.naive_mi_nats):.3f} {unit}")
        ax.set_xlabel("1 / N  (gamma / total samples)")
        ax.set_ylabel(f"MI ({unit})")
        ax.set_xlim(left=-0.02 * max(self.gammas) / n)
        title = "rigorous MI" + ("" if self.reliable else " (fit unreliable: " + ", ".join(self.flags) + ")")
        ax.set_title(title, fontsize=9)
        ax.legend(fontsize=7)
        del matplotlib
        return fig


def train_cell(x: np.ndarray, y: np.ndarray, gamma: int, seed: int, spec: ModelSpec, config: TrainConfig, *,
               split: str, test_fraction: float, gap: int, chunking: str, preprocess: str = "copula"
               ) -> tuple[list[RigorousMember], dict]:
    """Train the ``gamma`` members of one (gamma, seed) cell as one ensemble; return them and the cell's timing.

    Chunks come from :func:`~.plan.chunk_indices`; the split inside chunk c and the networks are seeded
    from (seed, gamma, c) and (seed, gamma), so a cell's numbers do not depend on the other cells. With
    ``batch_size=None`` every gamma trains with the batch size of the full data set
    (:func:`~neuralmi_core.training.trainer.auto_batch_size` of its training part), so the members of the
    extrapolation differ in their data size only.
    """
    n = x.shape[0]
    members = []
    for c, idx in enumerate(chunk_indices(n, gamma, chunking, seed)):
        members.append(split_member(x[idx], y[idx], split, test_fraction, gap=gap, seed=derive_seed(seed, gamma, c)))
    cfg = dataclasses.replace(config, seed=derive_seed(seed, gamma))
    if cfg.batch_size is None:  # one batch size for every gamma, from the full data set (clipped to tiny chunks)
        cfg = dataclasses.replace(cfg, batch_size=auto_batch_size(round(n * (1 - test_fraction))))
    t0 = time.perf_counter()
    fit = fit_ensemble(members, spec, cfg, desc=f"gamma={gamma} seed={seed}", preprocessing=preprocess)
    rows = [
        RigorousMember(gamma=gamma, chunk=c, seed=seed, n_train=m.n_train, n_test=m.n_test, n_eval=m.n_eval,
                       mi_test_nats=m.mi_test_nats, mi_train_nats=m.mi_train_nats, best_epoch=m.best_epoch,
                       epochs_run=m.epochs_run)
        for c, m in enumerate(fit.members)
    ]
    cell = {"gamma": gamma, "seed": seed, "seconds": time.perf_counter() - t0, "device": fit.device,
            "ceiling_nats": fit.ceiling_nats, "batch_size": fit.batch_size, "timing": dict(fit.info)}
    return rows, cell


def summarize_rigorous(
    members: Sequence[RigorousMember],
    settings: dict[str, Any],
    data: dict[str, Any],
    *,
    confidence: float = 0.68,
    extrapolate: str = "average",
    delta: float = 0.1,
    min_gammas: int = 5,
    min_chunk: int = 1000,
    seconds: float = 0.0,
    cells: Sequence[dict[str, Any]] = (),
    extra_warnings: Sequence[str] = (),
) -> RigorousResult:
    """Fit the extrapolation on a member table; the pure second half of :func:`rigorous` (and of gather)."""
    extrapolate = check_choice("extrapolate", extrapolate, EXTRAPOLATE)
    confidence = check_float("confidence", confidence, 0.0, 1.0, low_open=True, high_open=True)
    min_chunk = check_int("min_chunk", min_chunk, 1)
    rows = tuple(sorted(members, key=lambda m: (m.gamma, m.seed, m.chunk)))
    keys = [(m.gamma, m.seed, m.chunk) for m in rows]
    if len(set(keys)) != len(keys):
        dup = sorted({k for k in keys if keys.count(k) > 1})
        raise NeuralMIError(f"the member table holds duplicate (gamma, seed, chunk) rows {dup[:5]}; each cell may "
                            f"appear once (were the same parts given twice?).")
    g = np.array([m.gamma for m in rows], dtype=float)
    fits = {}
    for kind in EXTRAPOLATE:
        mi = np.array([member_mi(m, kind) for m in rows], dtype=float)
        fits[kind] = fit_extrapolation(g, mi, confidence=confidence, delta=delta, min_gammas=min_gammas)
    fit = fits[extrapolate]
    chosen = np.array([member_mi(m, extrapolate) for m in rows], dtype=float)
    gammas = tuple(sorted({m.gamma for m in rows}))
    seeds = tuple(sorted({m.seed for m in rows}))
    ones = [m.mi_test_nats for m in rows if m.gamma == 1]
    naive = float(np.mean(ones)) if ones else float("nan")
    warnings = list(extra_warnings)
    if not ones:
        warnings.append("gamma = 1 is not among the gammas: no naive full-data estimate")
    n = int(data["n_samples"])
    small = [gm for gm in gammas if n // gm < min_chunk]
    if small:
        warnings.append(f"chunks smaller than min_chunk={min_chunk} samples at gamma {small} (n_samples={n}, "
                        f"smallest chunk {n // max(small)}): their members may be too noisy or biased for a "
                        f"linear 1/N fit")
    if settings.get("estimator") == "infonce":
        near = sorted({m.gamma for m in rows if m.mi_test_nats >= CEILING_FRACTION * math.log(max(m.n_eval, 2))})
        if near:
            warnings.append(f"infonce members near their log(n_eval) ceiling at gamma {near}: the bound caps them, "
                            f"not the data; use smile or fewer gammas")
    head = headline_interval(fit, [fits[k] for k in ("train", "test") if k != extrapolate], confidence)
    if fit.fitted and head.systematic_nats > SYSTEMATIC_WARN * max(abs(fit.intercept_nats), 0.25):
        warnings.append(f"the training-subset and held-out extrapolations disagree (systematic error "
                        f"{head.systematic_nats:.3f} nats, in the CI): the 1/N model does not remove all of "
                        f"the bias; more data or a smaller model narrows it")
    if not fit.fitted:
        warnings.append(f"no extrapolation: {fit.reason}")
    elif not fit.reliable:
        warnings.append("extrapolation unreliable: " + "; ".join(
            f for f in fit.flags if f in ("too_few_gammas_left", "unstable_without_gamma1")))
    return RigorousResult(
        mi_nats=fit.intercept_nats,
        ci_low_nats=head.ci_low_nats,
        ci_high_nats=head.ci_high_nats,
        pi_low_nats=head.pi_low_nats,
        pi_high_nats=head.pi_high_nats,
        se_nats=fit.se_nats,
        slope_nats=fit.slope_nats,
        naive_mi_nats=naive,
        bracket_low_nats=min(f.ci_low_nats for f in fits.values()) if all(f.fitted for f in fits.values())
        else float("nan"),
        bracket_high_nats=max(f.ci_high_nats for f in fits.values()) if all(f.fitted for f in fits.values())
        else float("nan"),
        fit_ci_low_nats=fit.ci_low_nats,
        fit_ci_high_nats=fit.ci_high_nats,
        shared_se_nats=head.shared_se_nats,
        systematic_nats=head.systematic_nats,
        confidence=confidence,
        extrapolate=extrapolate,
        reliable=fit.reliable,
        flags=fit.flags,
        fit_reason=fit.reason,
        gammas=gammas,
        seeds=seeds,
        gammas_used=fit.gammas_used if fit.fitted else (),
        gammas_dropped=fit.gammas_dropped,
        members=rows,
        per_gamma=tuple(per_gamma_summary(g, chosen)),
        fits=fits,
        settings=dict(settings),
        fit_settings={"confidence": confidence, "extrapolate": extrapolate, "delta": delta,
                      "min_gammas": min_gammas, "min_chunk": min_chunk},
        data=dict(data),
        seconds=seconds,
        cells=tuple(sorted(cells, key=lambda c: (c["gamma"], c["seed"]))),
        warnings=tuple(warnings),
    )


def rigorous(
    x: Any,
    y: Any,
    estimator: str = "infonce",
    critic: str = "separable",
    *,
    gammas: str | int | Sequence[int] = "1-10",
    n_seeds: int | None = None,
    seeds: str | Sequence[int] | None = None,
    confidence: float = 0.68,
    extrapolate: str = "average",
    delta: float = 0.1,
    min_gammas: int = 5,
    min_chunk: int = 1000,
    chunking: str = "auto",
    embedding_dim: int = 32,
    hidden: int = 256,
    n_layers: int = 1,
    activation: str = "relu",
    variational: bool = False,
    beta: float = 1e-3,
    tau: float = 5.0,
    epochs: int = 300,
    batch_size: int | None = None,
    lr: float = 5e-4,
    patience: int = 20,
    split: str = "blocked",
    test_fraction: float = 0.2,
    gap: int = 10,
    eval_size: int = 2048,
    preprocess: str = "copula",
    seed: int = 0,
    device: str = "auto",
    progress: bool | None = None,
    options: dict[str, Any] | None = None,
    threads: int | None = None,
) -> RigorousResult:
    """Bias-corrected I(X; Y) with a confidence interval, by 1/N extrapolation over data fractions.

    For each gamma in ``gammas`` and each seed the samples are split into gamma disjoint chunks and one
    member is trained per chunk (the gamma members of a (gamma, seed) cell train as one batched ensemble).
    The members' MI is regressed on gamma by WLS with weights 1/gamma,

    .. math:: \\hat I_{\\gamma,c} = I_\\infty + b\\,\\gamma + \\varepsilon, \\quad
              \\operatorname{Var}\\varepsilon \\propto \\gamma,

    over the linear region (largest gammas dropped while the quadratic term is large, see
    :func:`~neuralmi_core.analysis.extrapolation.fit_extrapolation`); the intercept is the corrected MI.

    Parameters
    ----------
    x, y : array-like, shape (n_samples, ...)
        Paired samples (samples on axis 0).
    estimator, critic, embedding_dim, hidden, n_layers, activation, variational, beta, tau, options
        The model, as in :func:`neuralmi_core.estimate` (trained estimators only).
    gammas : str or sequence of int
        Data fractions, e.g. ``"1-10"`` (default: 55 members), ``"1,2,4"`` or ``[1, 2, 3]``. A single gamma
        is a valid partial run (no fit; gather the parts with :func:`gather_rigorous`).
    n_seeds, seeds
        Seeds ``seed .. seed + n_seeds - 1`` (default one), or an explicit list (``"0,3"`` or ``[0, 3]``).
        Each seed retrains every member with other initialisations (and other chunks when random).
    confidence : float
        Level of the confidence and prediction intervals (default 0.68, about ±1 standard error).
    extrapolate : {"average", "train", "test"}
        Which member MI is regressed: the mean of the two below (default; their first-order biases are
        equal and opposite), the training-subset MI at the best held-out checkpoint, or the held-out MI.
        All three fits are in ``result.fits``.
    delta, min_gammas
        Linear-region threshold on ``|a2/a1|`` and the fewest gammas kept.
    min_chunk : int
        Warn when a chunk has fewer samples than this (default 1000).
    chunking : {"auto", "contiguous", "random"}
        How chunks are cut; ``auto``: contiguous for ``split="blocked"`` (time series), random otherwise.
    epochs, batch_size, lr, patience, split, test_fraction, gap, eval_size, preprocess, device, progress, threads
        Training, as in :func:`neuralmi_core.estimate`; the split is made inside each chunk and the
        ``preprocess`` transform is fitted on each member's training part. With ``batch_size=None`` each
        cell picks its batch from its members' training-set size.
    seed : int
        First seed when ``seeds`` is not given.

    Returns
    -------
    RigorousResult
        Corrected MI (nats; ``.mi_bits``), CI, PI, slope, naive full-data MI, per-member table, flags;
        ``.plot()`` draws MI against 1/N with the fit.

    Examples
    --------
    >>> from neuralmi_core.samplers import CorrelatedGaussian
    >>> x, y = CorrelatedGaussian(5, 5, mi_nats=1.0).sample(4000)
    >>> res = rigorous(x, y, gammas="1-6", split="random")   # doctest: +SKIP
    >>> res.mi_nats, res.ci_low_nats, res.ci_high_nats         # doctest: +SKIP
    """
    t0 = time.perf_counter()
    x_arr = as_2d_samples("x", x)
    y_arr = as_2d_samples("y", y)
    check_paired(x_arr, y_arr)
    n = x_arr.shape[0]
    gamma_list = parse_int_list(gammas, "gammas")
    if gamma_list[-1] > n // 20:
        raise NeuralMIError(f"`gammas` up to {gamma_list[-1]} leave chunks of {n // gamma_list[-1]} samples "
                            f"(n_samples={n}); each chunk needs at least 20. Use fewer gammas.")
    seed_list = resolve_seeds(seed, n_seeds, seeds)
    check_choice("extrapolate", extrapolate, EXTRAPOLATE)
    check_float("confidence", confidence, 0.0, 1.0, low_open=True, high_open=True)
    check_int("min_chunk", min_chunk, 1)
    spec, cfg, settings = training_setup(
        estimator=estimator, critic=critic, embedding_dim=embedding_dim, hidden=hidden, n_layers=n_layers,
        activation=activation, variational=variational, beta=beta, tau=tau, options=options, epochs=epochs,
        batch_size=batch_size, lr=lr, patience=patience, split=split, test_fraction=test_fraction, gap=gap,
        eval_size=eval_size, preprocess=preprocess, device=device, progress=progress, threads=threads)
    chunk_mode = resolve_chunking(chunking, settings["split"])
    settings["chunking"] = chunk_mode
    data = {"n_samples": n, "dim_x": x_arr.shape[1], "dim_y": y_arr.shape[1], "sha256": fingerprint(x_arr, y_arr)}
    rows: list[RigorousMember] = []
    cells = []
    for gm in gamma_list:
        for s in seed_list:
            r, c = train_cell(x_arr, y_arr, gm, s, spec, cfg, split=settings["split"],
                              test_fraction=settings["test_fraction"], gap=settings["gap"], chunking=chunk_mode,
                              preprocess=settings["preprocess"])
            rows.extend(r)
            cells.append(c)
    return summarize_rigorous(rows, settings, data, confidence=confidence, extrapolate=extrapolate, delta=delta,
                              min_gammas=min_gammas, min_chunk=min_chunk, seconds=time.perf_counter() - t0,
                              cells=cells)


def gather_rigorous(parts: Sequence[dict[str, Any]], *, confidence: float | None = None,
                    extrapolate: str | None = None, sources: Sequence[str] | None = None) -> RigorousResult:
    """Combine partial rigorous runs (their ``to_dict()``/JSON) and fit as one call with all cells would.

    Raises ``NeuralMIError`` naming the differing settings when the parts do not belong to the same
    X/Y and training settings, and when a (gamma, seed) cell appears twice. ``confidence`` and
    ``extrapolate`` default to the parts' (which must then agree).
    """
    if not parts:
        raise NeuralMIError("gather rigorous needs at least one part; got none.")
    names = list(sources) if sources is not None else [f"part {i}" for i in range(len(parts))]
    for name, p in zip(names, parts, strict=True):
        if not isinstance(p, dict) or "members" not in p or "settings" not in p or "fit_settings" not in p:
            raise NeuralMIError(f"{name}: not a rigorous result (expected the JSON written by `neuralmi rigorous`, "
                                f"with 'members', 'settings' and 'fit_settings').")
    settings = [p["settings"] for p in parts]
    data = [p["data"] for p in parts]
    bad = settings_mismatch(settings, TRAINING_KEYS) + settings_mismatch(data, DATA_KEYS)
    fs = [p["fit_settings"] for p in parts]
    fit_keys = ["delta", "min_gammas", "min_chunk"]
    if confidence is None:
        fit_keys.append("confidence")
    if extrapolate is None:
        fit_keys.append("extrapolate")
    bad += settings_mismatch(fs, fit_keys)
    if bad:
        detail = "; ".join(f"{k}: " + ", ".join(f"{n}={(s | d | f).get(k)!r}" for n, s, d, f in
                                                zip(names, settings, data, fs, strict=True)) for k in bad)
        raise NeuralMIError(f"the parts do not belong to one rigorous analysis; they differ in {bad} ({detail}).")
    seen: dict[tuple[int, int], str] = {}
    members = []
    cells = []
    for name, p in zip(names, parts, strict=True):
        for c in p.get("cells", ()):
            key = (c["gamma"], c["seed"])
            if key in seen:
                raise NeuralMIError(f"cell gamma={key[0]} seed={key[1]} appears in both {seen[key]} and {name}.")
            seen[key] = name
            cells.append(c)
        members.extend(RigorousMember.from_dict(m) for m in p["members"])
    f0 = fs[0]
    return summarize_rigorous(
        members, settings[0], data[0], confidence=f0["confidence"] if confidence is None else confidence,
        extrapolate=f0["extrapolate"] if extrapolate is None else extrapolate, delta=f0["delta"],
        min_gammas=f0["min_gammas"], min_chunk=f0["min_chunk"], seconds=float(sum(p.get("seconds", 0) for p in parts)),
        cells=cells)
