"""Trained (neural) estimators: build a K-member objective from a :class:`ModelSpec` and fit it.

This is the one place that turns an estimator name into something the shared trainer can train; the
public API (:func:`neuralmi_core.estimate`), rigorous mode and the dimensionality sweep all call
:func:`fit_ensemble`.
"""

from __future__ import annotations

import importlib
from dataclasses import asdict, dataclass, field
from typing import Any

import torch

from ..bounds import BOUNDS
from ..models.critics import CRITICS, make_critic
from ..threads import torch_threads
from ..training import (
    SPLITS,
    CriticObjective,
    EnsembleFit,
    MemberData,
    TrainConfig,
    make_ensemble_data,
    train_ensemble,
)
from ..training.data import PREPROCESS
from ..training.device import resolve_device
from ..validation import NeuralMIError, check_choice, check_float, check_int

# Estimators implemented outside this module: name -> module exposing
# ``build_objective(spec: ModelSpec, n_members: int, dim_x: int, dim_y: int) -> nn.Module``.
EXTERNAL_TRAINED: dict[str, str] = {
    "minee": "neuralmi_core.estimators.minee",
    "mienf": "neuralmi_core.estimators.mienf",
}
TRAINED_ESTIMATORS: tuple[str, ...] = BOUNDS


def trained_estimators() -> tuple[str, ...]:
    return TRAINED_ESTIMATORS + tuple(EXTERNAL_TRAINED)


@dataclass(frozen=True)
class ModelSpec:
    """What to train: the estimator (bound), the critic and its networks.

    ``options`` carries estimator-specific settings (e.g. MI-NEE's reference ratio).
    """

    estimator: str = "infonce"
    critic: str = "separable"
    embedding_dim: int = 32
    hidden: int = 256
    n_layers: int = 1
    activation: str = "relu"
    variational: bool = False
    beta: float = 1e-3
    tau: float = 5.0
    options: dict[str, Any] = field(default_factory=dict)

    def validate(self) -> ModelSpec:
        check_choice("estimator", self.estimator, trained_estimators())
        check_choice("critic", self.critic, CRITICS)
        check_int("embedding_dim", self.embedding_dim, 1)
        check_int("hidden", self.hidden, 1)
        check_int("n_layers", self.n_layers, 0)
        check_float("beta", self.beta, 0.0)
        check_float("tau", self.tau, 0.0, low_open=True)
        if self.options and self.estimator not in EXTERNAL_TRAINED:
            raise NeuralMIError(f"estimator options {sorted(self.options)} were given, but `{self.estimator}` takes "
                                f"none (options apply to {', '.join(sorted(EXTERNAL_TRAINED))}).")
        return self

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def build_objective(spec: ModelSpec, n_members: int, dim_x: int, dim_y: int) -> torch.nn.Module:
    """A fresh K-member objective for ``spec`` (initialised from torch's current RNG state)."""
    if spec.estimator in EXTERNAL_TRAINED:
        module = importlib.import_module(EXTERNAL_TRAINED[spec.estimator])
        return module.build_objective(spec, n_members, dim_x, dim_y)
    critic = make_critic(
        spec.critic, n_members, dim_x, dim_y, embedding_dim=spec.embedding_dim, hidden=spec.hidden,
        n_layers=spec.n_layers, activation=spec.activation, variational=spec.variational, beta=spec.beta,
    )
    return CriticObjective(critic, spec.estimator, n_members, tau=spec.tau)


def fit_ensemble(members: list[MemberData], spec: ModelSpec, config: TrainConfig, desc: str = "training",
                 preprocessing: str = "zscore") -> EnsembleFit:
    """Standardise, stack and train ``len(members)`` members as one batched ensemble.

    ``preprocessing``: per-feature transform fitted on each member's training set (``zscore``,
    ``copula`` or ``none``; see :func:`~neuralmi_core.training.data.make_ensemble_data`), done on the
    training device. Network initialisation and batch order are drawn from ``config.seed``: the same call
    gives the same numbers (bit-identical on CPU). ``fit.info`` carries the timing breakdown, with
    ``preprocess_s`` and the host-to-device ``transfer_s`` of the raw data added.
    """
    spec.validate()
    config = config.validate()
    with torch_threads(config.threads):
        data = make_ensemble_data(members, eval_size=config.eval_size, seed=config.seed,
                                  preprocessing=preprocessing, device=resolve_device(config.device))
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(config.seed)
            objective = build_objective(spec, data.n_members, data.x_train.shape[2], data.y_train.shape[2])
        fit = train_ensemble(objective, data, config, desc=desc)
    fit.info["preprocess_s"] = round(data.timing.get("preprocess_s", 0.0), 6)
    fit.info["transfer_s"] = round(fit.info.get("transfer_s", 0.0) + data.timing.get("transfer_s", 0.0), 6)
    return fit


def training_setup(
    *,
    estimator: str,
    critic: str,
    embedding_dim: int,
    hidden: int,
    n_layers: int,
    activation: str,
    variational: bool,
    beta: float,
    tau: float,
    options: dict[str, Any] | None,
    epochs: int,
    batch_size: int | None,
    lr: float,
    patience: int,
    split: str,
    test_fraction: float,
    gap: int,
    eval_size: int,
    preprocess: str,
    device: str,
    progress: bool | None,
    seed: int = 0,
    threads: int | None = None,
) -> tuple[ModelSpec, TrainConfig, dict[str, Any]]:
    """Validate the options shared by every trained run; return ``(ModelSpec, TrainConfig, settings)``.

    ``settings`` holds every option that changes the numbers (not the device, threads or progress bar): the
    split, held-out fraction, gap and preprocessing next to the model and training settings. Used by
    :func:`neuralmi_core.estimate` and by the analyses (which set the TrainConfig's seed per cell).
    """
    split = check_choice("split", split, SPLITS)
    test_fraction = check_float("test_fraction", test_fraction, 0.0, 1.0, low_open=True, high_open=True)
    gap = check_int("gap", gap, 0)
    preprocess = check_choice("preprocess", preprocess, PREPROCESS)
    spec = ModelSpec(estimator.lower() if isinstance(estimator, str) else estimator, critic, embedding_dim, hidden,
                     n_layers, activation, variational, beta, tau, dict(options or {})).validate()
    cfg = TrainConfig(epochs=epochs, batch_size=batch_size, lr=lr, patience=patience, eval_size=eval_size,
                      seed=seed, device=device, progress=progress, threads=threads).validate()
    settings = {**spec.to_dict(), "epochs": cfg.epochs, "batch_size": cfg.batch_size, "lr": cfg.lr,
                "patience": cfg.patience, "min_epochs": cfg.min_epochs, "smooth_window": cfg.smooth_window,
                "eval_size": cfg.eval_size, "split": split, "test_fraction": test_fraction, "gap": gap,
                "preprocess": preprocess}
    return spec, cfg, settings
