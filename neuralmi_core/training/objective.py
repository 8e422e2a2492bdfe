"""What the shared trainer trains: an :class:`Objective` batched over K ensemble members.

Contract (every estimator that trains a network implements it; MI-NEE and MIENF too):

- it is an ``nn.Module`` whose parameters **and buffers all have the ensemble size K as their first
  dimension** (the trainer keeps each member's best state by copying rows);
- ``training_loss(x, y) -> (loss, mi)``, both (K,): x is (K, B, dx), y is (K, B, dy); the trainer
  minimises ``loss.sum()`` over active members;
- ``estimate(x, y) -> mi`` (K,) in nats on an evaluation sample (called under ``torch.no_grad()`` in
  ``eval()`` mode), e.g. the held-out set;
- ``ceiling(n_eval) -> float | None``: the largest value the estimate can take on ``n_eval`` samples
  (InfoNCE: ``log n_eval``), or None;
- optionally ``estimate_sets(sets) -> mi`` (S, K): ``estimate`` of each ``(x, y)`` in ``sets`` in one
  call, for objectives whose evaluation has a part that does not depend on the data (MI-NEE's reference
  term); it must return what separate ``estimate`` calls would;
- optionally ``compactable`` (bool): the trainer may drop stopped members' rows from every parameter
  and buffer (:mod:`.ensemble_state`). Set it only when each member's computation reads its own rows
  alone, random draws included;
- optionally ``averageable`` (bool): with ``TrainConfig.weight_average`` the trainer evaluates, chooses the
  checkpoint by and keeps the parameters' running average instead of their last values. Set it only when
  the estimate is a function of the parameters alone (not of buffers updated from the training batches);
- optionally ``end_epoch(x_train, y_train, n_train)``: called after every epoch's steps, before the
  evaluation, with the padded training tensors (K, n_max, d) and each member's training size (K,), e.g.
  to refit statistics of the whole training set (MIENF's ``latent_fit="epoch"``);
- optionally ``start_training(x_train, y_train, n_train)``: called once before the first step, with the same
  arguments (MIENF's ``latent_fit="epoch"`` fits its latent model to the untrained flows' latents);
- optionally ``estimate_with_score(x, y) -> (mi, score)``, both (K,): ``estimate(x, y)`` and, from the same pass,
  what the checkpoint and early stopping maximise on the held-out sample instead of the estimate (the curves and
  the reported MI are still the estimate's), for an objective whose estimate is not a bound that training raises
  (MIENF's conditional flows: a difference of two likelihoods, checkpointed on their sum);
- optionally ``min_gain`` (float): early stopping's gain threshold for this objective when the training
  config sets none and the weights are not averaged (``TrainConfig.min_gain``);
- optionally ``batch_scale`` (int) and ``lr_scale`` (float): factors on the automatic batch size (an explicit
  ``batch_size`` is kept) and on the learning rate (MIENF's ``latent_fit="epoch"``: 2 and 2; its step is
  overhead-bound).
"""

from __future__ import annotations

import math
from typing import Protocol, runtime_checkable

import torch
from torch import nn

from ..bounds import BOUNDS, dv, evaluate_bound, infonce, js, mine, nwj, smile
from ..validation import NeuralMIError


@runtime_checkable
class Objective(Protocol):
    n_members: int

    def training_loss(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]: ...

    def estimate(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor: ...

    def ceiling(self, n_eval: int) -> float | None: ...


class CriticObjective(nn.Module):
    """A critic trained and evaluated with one of the variational bounds (:mod:`neuralmi_core.bounds`).

    Parameters
    ----------
    critic : nn.Module
        Maps x (K, B, dx), y (K, B, dy) to scores (K, B, B); may expose ``kl()`` (variational embeddings).
    bound : str
        One of ``infonce``, ``smile``, ``nwj``, ``dv``, ``mine``, ``js``.
    tau : float
        SMILE's clip.
    mine_alpha : float
        MINE's moving-average rate.
    """

    #: The trainer may evaluate and keep averaged weights (``TrainConfig.weight_average``): a critic's score is a
    #: function of its weights alone (no running statistics of training latents, as MIENF keeps).
    averageable = True

    def __init__(self, critic: nn.Module, bound: str, n_members: int, tau: float = 5.0, mine_alpha: float = 0.01):
        super().__init__()
        if bound not in BOUNDS:
            raise NeuralMIError(f"`estimator` must be one of {', '.join(map(repr, BOUNDS))}. Got {bound!r}.")
        self.critic, self.bound, self.n_members = critic, bound, n_members
        self.tau, self.mine_alpha = tau, mine_alpha
        self.register_buffer("log_ema", torch.full((n_members,), float("nan")))

    def prepare(self, data) -> None:
        """The trainer's hook before the first step: a critic that starts from training-set statistics (the
        poisson critic's mean rates) gets them here; every other critic is untouched."""
        if hasattr(self.critic, "prepare"):
            self.critic.prepare(data)

    def _bound(self, scores: torch.Tensor, train: bool):
        if self.bound == "infonce":
            return infonce(scores)
        if self.bound == "smile":
            return smile(scores, self.tau)
        if self.bound == "nwj":
            return nwj(scores)
        if self.bound == "dv":
            return dv(scores)
        if self.bound == "js":
            return js(scores)
        out = mine(scores, self.log_ema, self.mine_alpha)
        if train:
            self.log_ema.copy_(out.state)
        return out

    @property
    def compactable(self) -> bool:
        """Deterministic critics can drop stopped members; variational ones draw their noise for all K at once."""
        return not any(getattr(m, "variational", False) for m in self.critic.modules())

    def training_loss(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        scores = self.critic(x, y)  # (K, B, B)
        out = self._bound(scores, train=True)
        kl = self.critic.kl() if hasattr(self.critic, "kl") else 0.0
        return out.loss + kl, out.mi.detach()

    @torch.no_grad()
    def estimate(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return evaluate_bound(self.bound, self.critic(x, y), self.tau, inplace=True)  # (K,), the MI only

    def ceiling(self, n_eval: int) -> float | None:
        return math.log(n_eval) if self.bound == "infonce" else None
