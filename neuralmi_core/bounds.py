"""Variational MI lower bounds as pure functions of a batched critic score matrix.

Every function takes ``scores`` of shape (K, B, B): K independent ensemble members, ``scores[k, i, j] =
f_k(x_i, y_j)``, positives (paired samples) on the diagonal, and the B(B-1) off-diagonal entries used as
samples of the product of marginals. Each returns a :class:`Bound` with per-member ``mi`` (the estimate,
nats, shape (K,)) and ``loss`` (what training minimises, shape (K,)).

References: Poole et al. 2019 (On variational bounds of MI), Song & Ermon 2020 (SMILE), Belghazi et al.
2018 (MINE), Nguyen, Wainwright & Jordan 2010 (NWJ), van den Oord et al. 2018 (InfoNCE).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
import torch.nn.functional as F

from .settings.declared import BOUND_ESTIMATORS
from .validation import NeuralMIError

BOUNDS = BOUND_ESTIMATORS  # the names, declared once in neuralmi_core.settings


class Bound(NamedTuple):
    mi: torch.Tensor  # (K,) estimate in nats
    loss: torch.Tensor  # (K,) training loss
    state: torch.Tensor | None = None  # (K,) updated running state (MINE's log moving average)


def _check(scores: torch.Tensor) -> int:
    if scores.ndim != 3 or scores.shape[-1] != scores.shape[-2]:
        raise NeuralMIError(f"scores must have shape (K, B, B); got {tuple(scores.shape)}")
    if scores.shape[-1] < 2:
        raise NeuralMIError(f"scores need B >= 2 samples to form negatives; got B={scores.shape[-1]}")
    return scores.shape[-1]


def _diag_mean(scores: torch.Tensor) -> torch.Tensor:
    return torch.diagonal(scores, dim1=-2, dim2=-1).mean(-1)  # (K,)


def _offdiag_logmeanexp(scores: torch.Tensor) -> torch.Tensor:
    """log of the mean of exp(scores) over the B(B-1) off-diagonal entries, per member: (K,)."""
    b = scores.shape[-1]
    eye = torch.eye(b, dtype=torch.bool, device=scores.device)
    masked = scores.masked_fill(eye, float("-inf"))
    return torch.logsumexp(masked.flatten(1), dim=1) - math.log(b * (b - 1))


def _offdiag_mean(values: torch.Tensor) -> torch.Tensor:
    b = values.shape[-1]
    diag = torch.diagonal(values, dim1=-2, dim2=-1).sum(-1)
    return (values.sum(dim=(-2, -1)) - diag) / (b * (b - 1))


def infonce(scores: torch.Tensor) -> Bound:
    """InfoNCE: I >= E_i[f(x_i, y_i) - log (1/B) sum_j exp f(x_i, y_j)]; never exceeds log B."""
    b = _check(scores)
    diag = torch.diagonal(scores, dim1=-2, dim2=-1)  # (K, B)
    mi = (diag - torch.logsumexp(scores, dim=-1)).mean(-1) + math.log(b)  # (K,)
    return Bound(mi, -mi)


def nwj(scores: torch.Tensor) -> Bound:
    """NWJ / f-divergence bound: I >= E_p[f] - e^{-1} E_q[e^f] (= E_p[f] - E_q[e^{f-1}])."""
    _check(scores)
    mi = _diag_mean(scores) - torch.exp(_offdiag_logmeanexp(scores - 1.0))
    return Bound(mi, -mi)


def dv(scores: torch.Tensor) -> Bound:
    """Donsker-Varadhan: I >= E_p[f] - log E_q[e^f] (biased minibatch gradient; see :func:`mine`)."""
    _check(scores)
    mi = _diag_mean(scores) - _offdiag_logmeanexp(scores)
    return Bound(mi, -mi)


def mine(scores: torch.Tensor, log_ema: torch.Tensor | None = None, alpha: float = 0.01) -> Bound:
    """MINE: the DV value, trained with a moving average in the gradient's denominator (Belghazi 2018).

    The DV gradient is grad E_p[f] - grad E_q[e^f] / E_q[e^f]; MINE replaces the minibatch denominator by
    an exponential moving average ``ema <- (1 - alpha) ema + alpha * mean_q e^f``, kept in log space.
    ``log_ema`` is the running state (K,) (None or NaN entries start from the current batch); the updated
    state is returned in ``Bound.state``.
    """
    _check(scores)
    lme = _offdiag_logmeanexp(scores)  # (K,) log mean_q e^f
    cur = lme.detach()
    if log_ema is None:
        new = cur
    else:
        mixed = torch.logaddexp(log_ema + math.log1p(-alpha), cur + math.log(alpha))
        new = torch.where(torch.isfinite(log_ema), mixed, cur)
    diag = _diag_mean(scores)
    loss = -(diag - torch.exp(lme - new))  # gradient: -grad E_p f + grad E_q e^f / ema
    return Bound(diag - lme, loss, new)


def _js_value(scores: torch.Tensor) -> torch.Tensor:
    """Jensen-Shannon f-GAN objective: E_p[-softplus(-f)] - E_q[softplus(f)] (K,)."""
    pos = -F.softplus(-torch.diagonal(scores, dim1=-2, dim2=-1)).mean(-1)
    neg = _offdiag_mean(F.softplus(scores))
    return pos - neg


def js(scores: torch.Tensor) -> Bound:
    """Train the critic with the JS objective; report NWJ evaluated at f + 1 (Poole et al. 2019)."""
    _check(scores)
    return Bound(nwj(scores + 1.0).mi, -_js_value(scores))


def smile(scores: torch.Tensor, tau: float = 5.0) -> Bound:
    """SMILE (Song & Ermon 2020): DV with the partition term's scores clipped to [-tau, tau].

    Estimate: E_p[f] - log E_q[exp(clip(f, -tau, tau))]; trained with the JS objective (as in the
    reference implementation), which keeps the critic near the log density ratio with low variance.
    """
    _check(scores)
    mi = _diag_mean(scores) - _offdiag_logmeanexp(scores.clamp(-tau, tau))
    return Bound(mi, -_js_value(scores))


def _offdiag_logmeanexp_(scores: torch.Tensor) -> torch.Tensor:
    """:func:`_offdiag_logmeanexp`, overwriting the diagonal of ``scores`` with -inf (no B^2 mask or copy)."""
    b = scores.shape[-1]
    scores.diagonal(dim1=-2, dim2=-1).fill_(float("-inf"))
    return torch.logsumexp(scores.flatten(1), dim=1) - math.log(b * (b - 1))


def evaluate_bound(name: str, scores: torch.Tensor, tau: float = 5.0, inplace: bool = False) -> torch.Tensor:
    """The MI estimate (K,) of bound ``name`` on ``scores``, without the training loss or state.

    Equal to ``<bound>(scores).mi`` (MINE reports the DV value) but skips what only training needs: SMILE's
    and JS's Jensen-Shannon objective (a softplus over all B^2 scores) and MINE's moving average.
    ``inplace=True`` may overwrite ``scores`` (the evaluation's own score matrix): the same numbers with
    fewer B x B temporaries.
    """
    _check(scores)
    if name == "infonce":
        b = scores.shape[-1]
        diag = torch.diagonal(scores, dim1=-2, dim2=-1)  # (K, B)
        return (diag - torch.logsumexp(scores, dim=-1)).mean(-1) + math.log(b)
    lme = _offdiag_logmeanexp_ if inplace else _offdiag_logmeanexp
    if not inplace:
        scores = scores.clone() if name == "js" else scores
    if name == "smile":
        diag = _diag_mean(scores)
        return diag - lme(scores.clamp_(-tau, tau) if inplace else scores.clamp(-tau, tau))
    if name == "nwj":
        diag = _diag_mean(scores)
        return diag - torch.exp(lme(scores.sub_(1.0) if inplace else scores - 1.0))
    if name in ("dv", "mine"):
        return _diag_mean(scores) - lme(scores)
    if name == "js":
        shifted = scores.add_(1.0)  # (a copy unless inplace)
        diag = _diag_mean(shifted)
        return diag - torch.exp(lme(shifted.sub_(1.0) if inplace else shifted - 1.0))
    raise NeuralMIError(f"unknown bound {name!r}; expected one of {BOUNDS}")
