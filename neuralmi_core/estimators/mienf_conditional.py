"""MIENF with one side as context: a conditional flow of the other side where one side has no density.

MIENF (:mod:`neuralmi_core.estimators.mienf`) needs an invertible flow of each side. A side of spike counts has no
density (dequantized, its 20-200 dimensions of lattice boxes are more than a flow of a few layers can Gaussianise),
nor has a side whose continuous features lie on a lower-dimensional set (the (cos, sin) of a heading); the suite's
count rows read 41-100 % low that way (benchmarks/DIAGNOSIS.md section 45). When exactly one side C has no density,
this objective flows only the other side M and writes

    I(X; Y) = h(M) - h(M | C) = E[log q(m | c) - log p(m)],

with q(m | c) a conditional flow of M given C (zuko, C the context of every transform's hyper-network) and p(m) an
unconditional flow of M, both trained by likelihood (the sum of the two negative log-likelihoods) on the training
rows, and checkpointed on their held-out likelihood (:meth:`ConditionalFlowObjective.estimate_with_score`; early stopping
on the MI would pick the epoch where the marginal flow lags the conditional one most). The MI reported is the
held-out mean of the pointwise log-ratio. It is a difference of two likelihoods, not a
bound: it reads low where q under-fits the conditional and high where p under-fits the marginal by more; the side
modelled always has a density (section 46), which keeps p's share small. Each flow is a standard normal pushed
through :func:`~neuralmi_core.estimators.mienf.make_flow_transform`'s layers (the conditional one with context). p is
the same layers given a constant context, and q starts as the same function as p (its context weights 0), so the
two learn at one pace and the MI starts at exactly 0 (section 46 measured why both matter). A context wider than
``context_dim`` features enters q through a learned linear map to that many, shared by q's layers: a population's
Poisson log-likelihood is linear in its counts, so a linear map of them holds what a low-rank tuning model needs,
and q's networks cannot learn the training rows' counts one by one (section 52: every count row closer).

Like MIENF, zuko flows are not batched over members: a ``ModuleList`` of K flows each, and per-member checkpoints by
:meth:`ConditionalFlowObjective.merge_best_state`.
"""

from __future__ import annotations

import math
import re
from typing import Any

import torch
from torch import nn

from ..validation import NeuralMIError, check_choice

_LOG_2PI = math.log(2.0 * math.pi)
_FLOW_KEY = re.compile(r"(?:conditional|marginal|embed)\.(\d+)\.")


@torch.no_grad()
def _start_as(conditional: nn.Module, marginal: nn.Module) -> None:
    """Start the conditional flow as the same function as the marginal one: every tensor copied, except that the
    first layer of each hyper-network (inputs: the modelled features, then the context) takes the marginal's weights
    for the modelled features and zeros for the context (the masks of autoregressive layers stay the conditional's).
    The MI then starts at exactly 0 and grows only where the context helps the held-out likelihood."""
    target = conditional.state_dict()
    for name, t in marginal.state_dict().items():
        dst = target[name]
        if t.shape == dst.shape:
            dst.copy_(t)
        elif not name.endswith(".mask"):  # (out, modelled + 1) -> (out, modelled + context)
            lead = t.shape[-1] - 1
            dst.zero_()
            dst[..., :lead].copy_(t[..., :lead])


class ConditionalFlowObjective(nn.Module):
    """K-member objective: per member a conditional flow q(m | c) and an unconditional flow p(m) of the modelled side.

    Parameters
    ----------
    n_members : int
        Ensemble size K.
    dim_x, dim_y : int
        Feature dimensions of X and Y.
    context : str
        ``x`` or ``y``: the side without a density, which is only ever the context; the other side is modelled.
    flow, transforms, hidden, bins, linear
        The flows' layers (see :func:`~neuralmi_core.estimators.mienf.make_flow_transform`), the same for both.
        Without MIENF's softclip: it maps onto (-b, b) only, so a flow that starts with it is not onto the latent
        space and its density integrates to less than 1 (the likelihoods would be of a sub-probability, unequally
        for the two flows; measured: no change of the MI on the place cells, -19.8 % against -22.0 %).
    context_dim : int
        A context with more features than this (> 0) enters the conditional flow through a learned linear map to
        ``context_dim`` features per member (``embed``), shared by the flow's layers; 0: the context as it is.
    """

    def __init__(self, n_members: int, dim_x: int, dim_y: int, context: str, flow: str = "nsf", transforms: int = 2,
                 hidden: tuple[int, ...] = (64, 64), bins: int = 8, linear: bool = True, context_dim: int = 0):
        super().__init__()
        from .mienf import make_flow_transform

        self.n_members, self.dim_x, self.dim_y = n_members, dim_x, dim_y
        self.context = check_choice("context", context, ("x", "y"))
        self.dim_m, self.dim_c = (dim_y, dim_x) if context == "x" else (dim_x, dim_y)
        fkw = dict(flow=flow, transforms=transforms, hidden=hidden, bins=bins, softclip=0.0, linear=linear)
        # a context wider than context_dim enters through a learned linear map to context_dim features, one per member
        # and shared by the flow's layers (section 52): the flow's networks see a low-rank summary of the context, not
        # each of its 40-200 sparse counts, so they cannot learn the training rows' count patterns one by one
        self.context_dim = int(context_dim) if 0 < int(context_dim) < self.dim_c else 0
        self.embed = (nn.ModuleList([nn.Linear(self.dim_c, self.context_dim) for _ in range(n_members)])
                      if self.context_dim else None)
        self.conditional = nn.ModuleList([make_flow_transform(self.dim_m, context=self.context_dim or self.dim_c, **fkw)
                                          for _ in range(n_members)])
        # the marginal flow is the conditional one's architecture given a constant context: the same layers, the same
        # start and the same pace of learning (zuko's unconditional flow of one feature starts from random spline
        # parameters, 3.7 nats below a standard normal's likelihood, and lags a conditional one by tens of epochs)
        self.marginal = nn.ModuleList([make_flow_transform(self.dim_m, context=1, **fkw) for _ in range(n_members)])
        # and the conditional flow starts as the marginal one, its context weights 0 (section 46: the place cells and
        # the grid cells 2-14 points closer, independent counts against counts -0.31 -> -0.16 nats)
        for cond, marg in zip(self.conditional, self.marginal, strict=True):
            _start_as(cond, marg)

    def _split(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return (y, x) if self.context == "x" else (x, y)

    def log_probs(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """log q(m | c) and log p(m), each (K, n), of x (K, n, dx), y (K, n, dy)."""
        m, c = self._split(x, y)
        const = 0.5 * self.dim_m * _LOG_2PI
        cond, marg = [], []
        for k in range(self.n_members):
            ck = c[k] if self.embed is None else self.embed[k](c[k])
            z, ladj = self.conditional[k](ck).call_and_ladj(m[k])
            cond.append(ladj - 0.5 * (z**2).sum(-1) - const)
            z, ladj = self.marginal[k](m.new_zeros(m.shape[1], 1)).call_and_ladj(m[k])
            marg.append(ladj - 0.5 * (z**2).sum(-1) - const)
        return torch.stack(cond), torch.stack(marg)

    # -- the Objective contract ----------------------------------------------------------------------
    def training_loss(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The two flows' negative log-likelihood per sample (K,), summed; the batch's MI (K,) (detached)."""
        lc, lm = self.log_probs(x, y)
        return -(lc.mean(-1) + lm.mean(-1)), (lc - lm).mean(-1).detach()

    @torch.no_grad()
    def pointwise_mi(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Pointwise MI (K, n) = log q(m | c) - log p(m)."""
        lc, lm = self.log_probs(x, y)
        return lc - lm

    @torch.no_grad()
    def estimate(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """MI (K,) in nats on (x, y) (e.g. held-out): the mean pointwise MI; NaN where it is not finite."""
        return self.estimate_with_score(x, y)[0]

    @torch.no_grad()
    def estimate_with_score(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """:meth:`estimate` and, from the same pass, the checkpoint's score (K,) on (x, y) (the held-out rows): the two
        flows' mean log-likelihood, summed (-inf where not finite). Early stopping on the MI would pick the epoch
        where the marginal flow lags the conditional most; on the conditional's likelihood alone, one where the
        marginal may still lag (measured on the suite's 8 tasks of section 46: the same numbers as the sum)."""
        lc, lm = self.log_probs(x, y)
        mi, score = (lc - lm).mean(1), (lc + lm).mean(1)
        return (torch.where(torch.isfinite(mi), mi, torch.full_like(mi, float("nan"))),
                torch.where(torch.isfinite(score), score, torch.full_like(score, -math.inf)))

    @torch.no_grad()
    def member_info(self, x: torch.Tensor, y: torch.Tensor) -> list[dict[str, Any]]:
        """Per member on (x, y): the variant, the context side and the two flows' mean log-likelihoods (nats)."""
        lc, lm = (t.mean(1).cpu() for t in self.log_probs(x, y))
        return [{"variant": "conditional", "context": self.context, "conditional_loglik_nats": float(lc[k]),
                 "marginal_loglik_nats": float(lm[k])} for k in range(self.n_members)]

    def ceiling(self, n_eval: int) -> float | None:
        return None

    def merge_best_state(self, best: dict[str, torch.Tensor], current: dict[str, torch.Tensor],
                         improved: torch.Tensor) -> dict[str, torch.Tensor]:
        """Keep each improved member's flows and context map (state keys ``conditional.<k>.``, ``marginal.<k>.``,
        ``embed.<k>.``)."""
        from .mienf import merge_member_modules

        out = merge_member_modules(best, current, improved, _FLOW_KEY)
        if len(out) != len(current):
            raise NeuralMIError(f"unexpected state {sorted(set(current) - set(out))} in the conditional-flow objective")
        return out
