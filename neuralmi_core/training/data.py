"""Per-member data for an ensemble: preprocessed (z-score, copula or none), padded and placed on the device."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..settings.declared import PREPROCESS
from ..validation import NeuralMIError


@dataclass(frozen=True)
class MemberData:
    """One member's training and held-out samples (numpy, samples on axis 0)."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


@dataclass
class EnsembleData:
    """Padded tensors for K members (see :func:`make_ensemble_data`)."""

    x_train: torch.Tensor  # (K, n_max, dx)
    y_train: torch.Tensor  # (K, n_max, dy)
    n_train: np.ndarray  # (K,)
    n_test: np.ndarray  # (K,)
    x_eval: torch.Tensor  # (K, n_eval, dx) fixed held-out evaluation sample
    y_eval: torch.Tensor  # (K, n_eval, dy)
    x_train_eval: torch.Tensor  # (K, n_eval, dx) fixed training subsample (train MI)
    y_train_eval: torch.Tensor  # (K, n_eval, dy)

    @property
    def n_members(self) -> int:
        return int(self.x_train.shape[0])

    @property
    def n_eval(self) -> int:
        return int(self.x_eval.shape[1])

    def to(self, device: torch.device) -> EnsembleData:
        for name in ("x_train", "y_train", "x_eval", "y_eval", "x_train_eval", "y_train_eval"):
            setattr(self, name, getattr(self, name).to(device))
        return self




def _standardise(train: np.ndarray, *others: np.ndarray) -> list[np.ndarray]:
    mean = train.mean(axis=0)
    std = train.std(axis=0)
    std = np.where(std > 1e-12, std, 1.0)
    return [(a - mean) / std for a in (train, *others)]


def _copula(train: np.ndarray, *others: np.ndarray) -> list[np.ndarray]:
    """Per-feature rank -> standard-normal transform fitted on ``train`` (Gaussian copula).

    Each feature goes through its training empirical CDF (mid-ranks, ties share a value; linear
    interpolation between training values, clamped outside their range) and then the normal quantile
    function. The map is increasing per feature, so it preserves MI while taming heavy tails and
    skewed marginals.
    """
    from scipy.special import ndtri

    n = train.shape[0]
    outs = [np.empty_like(a, dtype=np.float64) for a in (train, *others)]
    for j in range(train.shape[1]):
        values, counts = np.unique(train[:, j], return_counts=True)
        cdf = (np.cumsum(counts) - 0.5 * counts) / n  # mid-rank CDF of each distinct value
        for src, dst in zip((train, *others), outs, strict=True):
            dst[:, j] = ndtri(np.interp(src[:, j], values, cdf))
    # a constant feature maps to 0 (ndtri(0.5))
    return outs


def preprocess(kind: str, train: np.ndarray, *others: np.ndarray) -> list[np.ndarray]:
    """Fit a per-feature transform on ``train`` and apply it to ``train`` and ``others``."""
    if kind == "zscore":
        return _standardise(train, *others)
    if kind == "copula":
        return _copula(train, *others)
    if kind == "none":
        return [np.asarray(a, dtype=np.float64) for a in (train, *others)]
    raise NeuralMIError(f"`preprocess` must be one of {', '.join(map(repr, PREPROCESS))}. Got {kind!r}.")


def make_ensemble_data(
    members: list[MemberData], eval_size: int = 2048, seed: int = 0, preprocessing: str = "zscore",
    dtype: torch.dtype = torch.float32,
) -> EnsembleData:
    """Stack K members into padded tensors.

    Each member's features are transformed with statistics of its own training set: ``zscore``
    (default), ``copula`` (rank -> normal, MI-preserving, robust to heavy tails) or ``none``. The
    evaluation sample is a fixed, seeded subsample of each member's held-out set of size ``n_eval =
    min(eval_size, smallest n_test)`` (shared so that all members are scored on equally sized matrices); a fixed
    training subsample of the same size gives the training MI.
    """
    if not members:
        raise NeuralMIError("an ensemble needs at least one member; got none.")
    dx, dy = members[0].x_train.shape[1], members[0].y_train.shape[1]
    for i, m in enumerate(members):
        if m.x_train.shape[1] != dx or m.y_train.shape[1] != dy:
            raise NeuralMIError(
                f"ensemble member {i} has feature dims ({m.x_train.shape[1]}, {m.y_train.shape[1]}); "
                f"all members must share ({dx}, {dy})."
            )
    rng = np.random.default_rng(seed)
    n_train = np.array([m.x_train.shape[0] for m in members])
    n_test = np.array([m.x_test.shape[0] for m in members])
    n_eval = int(min(eval_size, n_test.min(), n_train.min()))
    if n_eval < 2:
        raise NeuralMIError(
            f"too few samples for evaluation: smallest member has {n_test.min()} test and {n_train.min()} "
            f"training samples; expected at least 2 of each."
        )
    k, n_max = len(members), int(n_train.max())
    xtr = np.zeros((k, n_max, dx))
    ytr = np.zeros((k, n_max, dy))
    xev, yev, xtev, ytev = (np.zeros((k, n_eval, d)) for d in (dx, dy, dx, dy))
    for i, m in enumerate(members):
        x_tr, x_te = preprocess(preprocessing, m.x_train, m.x_test)
        y_tr, y_te = preprocess(preprocessing, m.y_train, m.y_test)
        xtr[i, : n_train[i]], ytr[i, : n_train[i]] = x_tr, y_tr
        te = np.sort(rng.choice(n_test[i], n_eval, replace=False))
        tr = np.sort(rng.choice(n_train[i], n_eval, replace=False))
        xev[i], yev[i] = x_te[te], y_te[te]
        xtev[i], ytev[i] = x_tr[tr], y_tr[tr]

    def t(a: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(a, dtype=dtype)

    return EnsembleData(t(xtr), t(ytr), n_train, n_test, t(xev), t(yev), t(xtev), t(ytev))


def split_member(x: np.ndarray, y: np.ndarray, split: str = "blocked", test_fraction: float = 0.2,
                 gap: int = 10, seed: int = 0, n_blocks: int = 5) -> MemberData:
    """One member from paired samples split by :func:`~neuralmi_core.training.split.train_test_split`."""
    from .split import train_test_split

    train, test = train_test_split(x.shape[0], split, test_fraction, n_blocks=n_blocks, gap=gap, seed=seed)
    return MemberData(x[train], y[train], x[test], y[test])
