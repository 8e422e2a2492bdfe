"""The one-call API: ``neuralmi_core.estimate(x, y, ...) -> MIResult``."""

from __future__ import annotations

import dataclasses
import math
import time
from typing import Any

import numpy as np

from .estimators import BASELINES, ModelSpec, all_estimators, fit_ensemble, gaussian_mi, ksg_mi
from .estimators.minee import parse_options as minee_options
from .estimators.neural import training_setup
from .results import MIResult
from .training import TrainConfig, split_member
from .validation import NeuralMIError, as_2d_samples, check_choice, check_int, check_paired

CEILING_FRACTION = 0.9  # flag InfoNCE estimates within 10 % of log(n_eval)
MINEE_RELIABLE_DIMS = 4  # MI-NEE with the uniform reference: accurate up to 2 + 2 dims, erratic from 5 + 5


def estimate(
    x: Any,
    y: Any,
    estimator: str = "infonce",
    critic: str = "separable",
    *,
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
    n_seeds: int = 1,
    seed: int = 0,
    device: str = "auto",
    progress: bool | None = None,
    threads: int | None = None,
    k: int = 3,
    options: dict[str, Any] | None = None,
) -> MIResult:
    """Estimate the mutual information I(X; Y) in nats (``.mi_bits`` for bits).

    Parameters
    ----------
    x, y : array-like, shape (n_samples, ...)
        Paired samples, samples on axis 0 (trailing axes are flattened into features).
    estimator : str
        ``infonce`` (default; low variance, capped at log n_eval), ``smile`` (clipped DV, ``tau``),
        ``nwj``, ``dv``, ``mine``, ``js``, other trained estimators where installed (``minee``,
        ``mienf``), or the baselines ``ksg`` (k-NN, ``k`` neighbours) and ``gaussian`` (closed form).
    critic : str
        ``separable`` (default), ``bilinear``, ``concat`` or ``hybrid`` (see :mod:`neuralmi_core.models`).
    embedding_dim, hidden, n_layers, activation, variational, beta
        Critic networks: embedding size (separable/bilinear/hybrid), MLP width and depth, activation,
        Gaussian variational embeddings with KL weight ``beta``.
    epochs, batch_size, lr, patience
        Training: maximum epochs, minibatch size (None: 256, or larger for large data sets, see
        :func:`~neuralmi_core.training.trainer.auto_batch_size`), Adam learning rate, early-stopping
        patience (epochs without improvement of the smoothed held-out MI; 20 since issue 15: 40 spent a
        third more training for the same answers, ``benchmarks/early_stopping.py``).
    split, test_fraction, gap
        ``blocked`` (default: contiguous test blocks, ``gap`` samples dropped around them; for time
        series) or ``random`` (i.i.d. data); the held-out fraction.
    eval_size : int
        Held-out samples the estimate is computed on (InfoNCE's ceiling is log of this).
    preprocess : str
        Per-feature transform fitted on the training set: ``copula`` (default: ranks to
        normal scores; MI-preserving, robust to heavy tails and skew), ``zscore`` or ``none``.
    n_seeds : int
        Train this many independently initialised networks as one ensemble; ``mi_nats`` is their mean
        and ``mi_std_nats`` their spread.
    seed : int
        Seeds the split, the initialisation and the batch order (bit-identical on CPU).
    device : str
        ``auto`` (cuda > mps > cpu), ``cpu``, ``cuda``, ``cuda:N`` or ``mps``.
    threads : int, optional
        CPU threads for torch (default: the CPUs this process may use, capped by ``SLURM_CPUS_PER_TASK``
        and ``OMP_NUM_THREADS``; see :mod:`neuralmi_core.threads`). Changes speed, not the estimate.

    Returns
    -------
    MIResult
        Held-out MI with sample sizes, seeds, timing, training-curve summary and the InfoNCE ceiling flag.

    Examples
    --------
    >>> from neuralmi_core.samplers import CorrelatedGaussian
    >>> x, y = CorrelatedGaussian(2, 2, mi_nats=1.0).sample(2000, seed=0)
    >>> res = estimate(x, y, estimator="ksg")
    >>> abs(res.mi_nats - 1.0) < 0.15
    True
    """
    estimator = check_choice("estimator", estimator, all_estimators())
    x_arr = as_2d_samples("x", x)
    y_arr = as_2d_samples("y", y)
    check_paired(x_arr, y_arr)
    n = x_arr.shape[0]
    seed = check_int("seed", seed, 0)
    t0 = time.perf_counter()
    if estimator in BASELINES:
        k = check_int("k", k, 1, n - 1, context=f"n_samples={n}")
        mi = ksg_mi(x_arr, y_arr, k=k, seed=seed) if estimator == "ksg" else gaussian_mi(x_arr, y_arr)
        return MIResult(mi_nats=mi, estimator=estimator, critic=None, n_train=n, n_test=0, n_eval=n, seed=seed,
                        seconds=time.perf_counter() - t0, device="cpu",
                        params={"k": k} if estimator == "ksg" else {})

    n_seeds = check_int("n_seeds", n_seeds, 1)
    if n < 20:
        raise NeuralMIError(f"neural estimators need at least 20 paired samples; got n_samples={n}.")
    if batch_size is not None:
        check_int("batch_size", batch_size, 2, context="a batch larger than n_train is clipped to n_train")
    spec, cfg, settings = training_setup(
        estimator=estimator, critic=critic, embedding_dim=embedding_dim, hidden=hidden, n_layers=n_layers,
        activation=activation, variational=variational, beta=beta, tau=tau, options=options, epochs=epochs,
        batch_size=batch_size, lr=lr, patience=patience, split=split, test_fraction=test_fraction, gap=gap,
        eval_size=eval_size, preprocess=preprocess, device=device, progress=progress, seed=seed, threads=threads)
    split = settings["split"]
    member = split_member(x_arr, y_arr, split, settings["test_fraction"], gap=settings["gap"], seed=seed)
    fit = fit_ensemble([member] * n_seeds, spec, cfg, desc=f"{estimator}/{critic}",
                       preprocessing=settings["preprocess"])
    res = result_from_fit(fit, spec, cfg, split=split, seconds=time.perf_counter() - t0,
                          extra_params={"test_fraction": settings["test_fraction"], "gap": settings["gap"],
                                        "n_seeds": n_seeds, "preprocess": settings["preprocess"]})
    if (estimator == "minee" and minee_options(spec.options)["reference"] == "uniform"
            and x_arr.shape[1] + y_arr.shape[1] > MINEE_RELIABLE_DIMS):
        res = dataclasses.replace(res, warnings=res.warnings + (
            f"MI-NEE with the uniform reference is unreliable beyond about {MINEE_RELIABLE_DIMS} total dimensions (here "
            f"{x_arr.shape[1]} + {y_arr.shape[1]}): its three divergences to the uniform box are each large and "
            f"their errors do not cancel (benchmarks/accuracy.py). Use the default reference='gaussian'.",))
    return res


def result_from_fit(fit, spec: ModelSpec, cfg: TrainConfig, split: str | None, seconds: float,
                    extra_params: dict[str, Any] | None = None) -> MIResult:
    """Summarise an :class:`~neuralmi_core.training.EnsembleFit` of seed replicates as one MIResult."""
    mis = np.array([m.mi_test_nats for m in fit.members])
    trains = np.array([m.mi_train_nats for m in fit.members])
    mi = float(np.mean(mis))
    warnings: list[str] = []
    near = fit.ceiling_nats is not None and mi >= CEILING_FRACTION * fit.ceiling_nats
    if near:
        warnings.append(
            f"{spec.estimator} estimate {mi:.3f} nats is within 10 % of its log(n_eval) = "
            f"{fit.ceiling_nats:.3f} ceiling: the true MI may be higher; use more evaluation samples or "
            f"another estimator (smile)."
        )
    if not np.all(np.isfinite(mis)):
        warnings.append("some members produced no finite held-out MI (training diverged)")
    m0 = fit.members[0]
    history = {
        "best_epoch": [m.best_epoch for m in fit.members],
        "epochs_run": [m.epochs_run for m in fit.members],
        "stopped_early": [m.stopped_early for m in fit.members],
        "steps_per_epoch": fit.steps_per_epoch,
        "batch_size": fit.batch_size,
        "curve_epochs": list(m0.curve_epochs),
        "curve_test_nats": list(m0.curve_test_nats),
        "curve_train_nats": list(m0.curve_train_nats),
        "timing": dict(fit.info),
    }
    params = {**spec.to_dict(), "epochs": cfg.epochs, "batch_size": cfg.batch_size, "lr": cfg.lr,
              "patience": cfg.patience, "eval_size": cfg.eval_size, **(extra_params or {})}
    return MIResult(
        mi_nats=mi,
        mi_std_nats=float(np.std(mis, ddof=1)) if len(mis) > 1 else math.nan,
        mi_train_nats=float(np.mean(trains)),
        estimator=spec.estimator,
        critic=spec.critic if spec.estimator not in ("minee", "mienf") else None,
        n_train=m0.n_train,
        n_test=m0.n_test,
        n_eval=fit.n_eval,
        n_seeds=len(fit.members),
        seed=cfg.seed,
        seconds=seconds,
        split=split,
        device=fit.device,
        ceiling_nats=fit.ceiling_nats,
        near_ceiling=bool(near),
        history=history,
        params=params,
        members=fit.members,
        warnings=tuple(warnings),
    )
