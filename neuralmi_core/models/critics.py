"""Critics f(x, y) for the variational bounds, batched over an ensemble of K members.

Every critic maps x (K, Bx, dx) and y (K, By, dy) to scores (K, Bx, By) with ``scores[k, i, j] =
f_k(x_i, y_j)``. Choices (``critic=`` in the API):

- ``separable`` (default): f(x, y) = g(x) . h(y) + a(x) + b(y) with MLP embeddings g, h of size
  ``embedding_dim`` and scalar marginal terms a, b (extra outputs of the same MLPs); the embedding size
  is the bottleneck the dimensionality analysis sweeps.
- ``bilinear``: f(x, y) = g(x)^T W h(y) + a(x) + b(y) with a learned ``embedding_dim`` x ``embedding_dim``
  matrix W.

Why the marginal terms: the optimal critic is log p(y | x) / p(y) up to terms in x alone, and that
log-ratio is an interaction of rank r (the dimension of what X and Y share) *plus* functions of y (and
of x, which InfoNCE ignores but SMILE, NWJ and DV do not). Without a and b an inner product must spend
one or two embedding dimensions on those functions, so the information curve of a 3-d shared latent
saturated at 4-5 dims or not at all (5 data sets: 4, 4, none, 4, none); with them it saturates at 3
(3, 3, 3, 2, 3; ``tests/test_dimensionality.py``). The embedding size then measures the interaction.
- ``concat``: a joint MLP on [x_i, y_j] evaluated on all Bx x By pairs (most flexible, O(B^2) cost).
- ``hybrid``: embeddings g(x), h(y) of size ``embedding_dim``, then a joint MLP on [g(x_i), h(y_j)].
- ``poisson``: an encoding-model critic for spike counts on the x side (:class:`PoissonCritic`): the
  Poisson log-likelihood of x's counts under rates predicted from y through an ``embedding_dim``-rank
  bottleneck, plus learned terms for what it misses.

With ``variational=True`` the embeddings are Gaussian posteriors (mean, log-variance); training samples
them with the reparameterisation trick and the critic exposes ``kl()`` = beta * KL(q(z|.) || N(0, I)),
per member, to add to the loss; evaluation uses the means.
"""

from __future__ import annotations

import torch
from torch import nn

from ..settings.declared import CRITICS, MODEL
from ..validation import NeuralMIError
from .layers import BatchedLinear, BatchedMLP

_D = MODEL.defaults()  # critic defaults are the declared model defaults
_PAIR_BUDGET = 2**25  # floats per chunk of pairwise hidden activations when not training


class Embedding(nn.Module):
    """Batched MLP embedding, optionally variational (Gaussian posterior with a KL penalty)."""

    def __init__(self, n_members: int, dim_in: int, dim_out: int, hidden: int, n_layers: int,
                 activation: str, variational: bool = False, n_scalars: int = 0):
        super().__init__()
        self.variational = variational
        self.dim_out = dim_out
        self.n_scalars = n_scalars  # extra deterministic outputs (marginal terms), not part of the embedding
        self.net = BatchedMLP(n_members, dim_in, dim_out * (2 if variational else 1) + n_scalars, hidden,
                              n_layers, activation)
        self.last_kl: torch.Tensor | None = None

    def split(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The embedding (K, B, d) and the scalar outputs (K, B, n_scalars) of x (K, B, dim_in)."""
        out = self.net(x)
        cut = out.shape[-1] - self.n_scalars
        return self._embed(out[..., :cut]), out[..., cut:]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.split(x)[0]

    def _embed(self, out: torch.Tensor) -> torch.Tensor:
        # out: (K, B, d) or (K, B, 2d)
        if not self.variational:
            return out
        mu, logvar = out[..., : self.dim_out], out[..., self.dim_out :].clamp(-10.0, 10.0)
        # KL(N(mu, var) || N(0, I)) summed over dims, averaged over samples: (K,)
        self.last_kl = 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(-1).mean(-1)
        if self.training:
            return mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        return mu


class _Critic(nn.Module):
    def __init__(self, beta: float = 1e-3, hidden: int | None = None):
        super().__init__()
        self.beta = beta
        self.hidden = hidden  # the hidden width: the trainer scales the weight-decay penalty by it

    def kl(self) -> torch.Tensor | float:
        """beta-weighted KL of the variational embeddings from the last forward pass, (K,) or 0."""
        total: torch.Tensor | float = 0.0
        for m in self.modules():
            if isinstance(m, Embedding) and m.variational and m.last_kl is not None:
                total = total + m.last_kl
        return self.beta * total if isinstance(total, torch.Tensor) else 0.0


class SeparableCritic(_Critic):
    """f(x, y) = g(x) . h(y) + a(x) + b(y) (``marginals=False``: the plain inner product)."""

    def __init__(self, n_members, dim_x, dim_y, embedding_dim=_D["embedding_dim"], hidden=_D["hidden"],
                 n_layers=_D["n_layers"], activation=_D["activation"], variational=False, beta=_D["beta"], marginals=True):
        super().__init__(beta, hidden)
        m = 1 if marginals else 0
        self.g = Embedding(n_members, dim_x, embedding_dim, hidden, n_layers, activation, variational, m)
        self.h = Embedding(n_members, dim_y, embedding_dim, hidden, n_layers, activation, variational, m)

    def _pair(self, gx: torch.Tensor, hy: torch.Tensor) -> torch.Tensor:
        return torch.bmm(gx, hy.transpose(1, 2))  # (K, Bx, By)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        gx, ax = self.g.split(x)  # (K, Bx, d), (K, Bx, 0 or 1)
        hy, by = self.h.split(y)
        scores = self._pair(gx, hy)  # a fresh (K, Bx, By) tensor, not saved for backward: added to in place
        if ax.shape[-1]:
            scores.add_(ax).add_(by.transpose(1, 2))  # + (K, Bx, 1) + (K, 1, By)
        return scores


class BilinearCritic(SeparableCritic):
    """f(x, y) = g(x)^T W h(y) + a(x) + b(y) with a learned matrix W per member."""

    def __init__(self, n_members, dim_x, dim_y, embedding_dim=_D["embedding_dim"], hidden=_D["hidden"],
                 n_layers=_D["n_layers"], activation=_D["activation"], variational=False, beta=_D["beta"], marginals=True):
        super().__init__(n_members, dim_x, dim_y, embedding_dim, hidden, n_layers, activation, variational, beta,
                         marginals)
        eye = torch.eye(embedding_dim).expand(n_members, -1, -1).clone()
        self.w = nn.Parameter(eye + 0.01 * torch.randn(n_members, embedding_dim, embedding_dim))

    def _pair(self, gx: torch.Tensor, hy: torch.Tensor) -> torch.Tensor:
        return torch.bmm(torch.bmm(gx, self.w), hy.transpose(1, 2))  # (K, Bx, By)


class _PairMLP(nn.Module):
    """Joint MLP on all pairs [a_i, b_j] without materialising the concatenation: the first layer is
    split as W_a a_i + W_b b_j + c, broadcast over (i, j)."""

    def __init__(self, n_members, dim_a, dim_b, hidden, n_layers, activation):
        super().__init__()
        from .layers import ACTIVATIONS

        self.first_a = BatchedLinear(n_members, dim_a, hidden)
        self.first_b = BatchedLinear(n_members, dim_b, hidden, bias=False)
        self.act = ACTIVATIONS[activation]()
        self.rest = BatchedMLP(n_members, hidden, 1, hidden, max(n_layers - 1, 0), activation)
        self.hidden = hidden

    def _block(self, pa: torch.Tensor, pb: torch.Tensor) -> torch.Tensor:
        k, bx, h = pa.shape
        by = pb.shape[1]
        pre = pa[:, :, None, :] + pb[:, None, :, :]  # (K, bx, By, H)
        out = self.rest(self.act(pre).reshape(k, bx * by, h))  # (K, bx*By, 1)
        return out.reshape(k, bx, by)

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        pa = self.first_a(a)  # (K, Bx, H), the first layer's only bias
        pb = self.first_b(b)  # (K, By, H)
        k, bx, _ = pa.shape
        by = pb.shape[1]
        if self.training or k * bx * by * self.hidden <= _PAIR_BUDGET:
            return self._block(pa, pb)
        rows = max(1, _PAIR_BUDGET // (k * by * self.hidden))
        return torch.cat([self._block(pa[:, i : i + rows], pb) for i in range(0, bx, rows)], dim=1)


class ConcatCritic(_Critic):
    def __init__(self, n_members, dim_x, dim_y, embedding_dim=_D["embedding_dim"], hidden=_D["hidden"],
                 n_layers=_D["n_layers"], activation=_D["activation"], variational=False, beta=_D["beta"]):
        super().__init__(beta, hidden)
        self.pair = _PairMLP(n_members, dim_x, dim_y, hidden, n_layers, activation)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.pair(x, y)


class HybridCritic(_Critic):
    def __init__(self, n_members, dim_x, dim_y, embedding_dim=_D["embedding_dim"], hidden=_D["hidden"],
                 n_layers=_D["n_layers"], activation=_D["activation"], variational=False, beta=_D["beta"]):
        super().__init__(beta, hidden)
        self.g = Embedding(n_members, dim_x, embedding_dim, hidden, n_layers, activation, variational)
        self.h = Embedding(n_members, dim_y, embedding_dim, hidden, n_layers, activation, variational)
        self.pair = _PairMLP(n_members, embedding_dim, embedding_dim, hidden, 1, activation)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.pair(self.g(x), self.h(y))


@torch.no_grad()
def start_rates_at_mean_counts(rate: BatchedLinear, x_train: torch.Tensor, n_train) -> None:
    """Set a Poisson rate model's bias (``rate``: pre-softplus rates, one output per neuron) to b = softplus^-1(mean
    count) of each neuron in each member's training set, so training begins from the independent model and only has
    to learn the tuning (the default uniform bias starts all rates near 0.7 counts per sample). ``x_train``
    (K, n_max, n_neurons): raw counts, padded beyond each member's ``n_train``."""
    n = torch.as_tensor(n_train, device=x_train.device)
    valid = (torch.arange(x_train.shape[1], device=x_train.device)[None, :] < n[:, None]).to(x_train.dtype)
    mean = (x_train * valid.unsqueeze(-1)).sum(1) / n[:, None].to(x_train.dtype)  # (K, n_neurons)
    mean = mean.clamp(min=1e-3)
    rate.bias.copy_(torch.log(torch.expm1(mean)).unsqueeze(1).to(rate.bias.dtype))


class PoissonCritic(_Critic):
    """An encoding-model critic for spike counts x (K, B, n_neurons) against any y:

        f(x, y) = sum_n [x_n log r_n(y) - r_n(y)] + a(x) + g(x) . c(y)

    with rates r(y) = softplus(u(y) W + b), u(y) an MLP embedding of y of size ``embedding_dim`` (so the
    embedding stays the bottleneck the dimensionality analysis sweeps: the rates of all neurons live on an
    ``embedding_dim``-dimensional manifold). The first term is log p(x | y) of conditionally independent
    Poisson neurons up to terms in x alone; a(x) (an MLP of log1p(x)) stands for those and for -log p(x),
    which InfoNCE ignores but SMILE, NWJ and DV need. g(x) . c(y), with g an MLP of log1p(x) and c(y) =
    u(y) V linear in the same bottleneck, is the correction for what an independent-Poisson model misses
    (noise correlated between neurons, over-dispersion), of size ``correction_dim``: 0 (none) by default,
    because on conditionally independent populations it over-fits the way a generic critic does (place
    cells in a 2-d arena, N = 5000: -25 % with 4 dims, -15 % without; two populations sharing a latent, where
    the counts are not conditionally independent: -20 % with 8 dims, -24 % without, separable -18 %;
    benchmarks/DIAGNOSIS.md section 12).

    Why: the optimal critic is log p(x | y) / p(x); for tuned neurons that are conditionally independent
    given the encoded variable, the Poisson term *is* that log-ratio up to a(x), so the critic only has to
    learn n_neurons tuning curves through a low-rank map, instead of a generic interaction of sparse counts
    (whose many zeros the copula transform turns into ties). Any critic gives a valid bound: a misspecified
    encoding model is only looser. x must be the raw counts (the estimators pass them untransformed).

    It trains without the L2 penalty (``weight_decay_scale = 0``: the ``weight_decay`` setting does not apply
    to it): the penalty shrinks the rate model's weights and so flattens sharp tuning curves; at the default
    0.01 its training-subset MI stayed below the truth on 2-d place cells (1.74 of 2.08 nats) and its
    estimates were 0-18 points lower on every tuned family (benchmarks/DIAGNOSIS.md section 12).

    It trains at 4x the ``lr`` setting (``lr_scale``) and starts every neuron's rate at its mean training count
    (:meth:`prepare`): at the shared default learning rate it needed 2-3x the epochs of the separable critic
    (best epoch 40-290 on the tuned families); at 4x it stops 2-2.5x sooner with held-out MI within 1 % of
    the slow run's (estimate(), N = 5000, data set 1: place2d 1.811 vs 1.817 nats, grid 2.173 vs 2.147,
    conj 2.484 vs 2.494, hd-40 1.899 vs 1.912, place1d 1.580 vs 1.587; DIAGNOSIS.md section 12).
    """

    weight_decay_scale = 0.0
    lr_scale = 4.0

    def __init__(self, n_members, dim_x, dim_y, embedding_dim=_D["embedding_dim"], hidden=_D["hidden"],
                 n_layers=_D["n_layers"], activation=_D["activation"], variational=False, beta=_D["beta"],
                 correction_dim: int = 0):
        super().__init__(beta, hidden)
        self.h = Embedding(n_members, dim_y, embedding_dim, hidden, n_layers, activation, variational)
        self.rate = BatchedLinear(n_members, embedding_dim, dim_x)  # u(y) -> pre-softplus rates
        self.g = Embedding(n_members, dim_x, correction_dim, hidden, n_layers, activation, False, n_scalars=1)
        self.corr = BatchedLinear(n_members, embedding_dim, correction_dim, bias=False) if correction_dim else None

    @torch.no_grad()
    def prepare(self, data) -> None:
        """Start every neuron's rate at its mean count in the member's training set (the trainer's ``prepare``
        hook; :func:`start_rates_at_mean_counts`)."""
        start_rates_at_mean_counts(self.rate, data.x_train, data.n_train)

    def rates(self, y: torch.Tensor) -> torch.Tensor:
        """Predicted rates (K, B, n_neurons) in counts per sample (evaluation mode: the embedding's mean)."""
        return nn.functional.softplus(self.rate(self.h(y)))

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        u = self.h(y)  # (K, By, d)
        r = nn.functional.softplus(self.rate(u)) + 1e-6  # (K, By, n)
        scores = torch.bmm(x, r.log().transpose(1, 2))  # (K, Bx, By): sum_n x_in log r_jn
        gx, ax = self.g.split(torch.log1p(x.clamp(min=0.0)))  # (K, Bx, c), (K, Bx, 1)
        scores = scores - r.sum(-1).unsqueeze(1) + ax  # - sum_n r_jn + a(x_i)
        if self.corr is not None:
            scores = scores + torch.bmm(gx, self.corr(u).transpose(1, 2))
        return scores


_CLASSES = {"separable": SeparableCritic, "bilinear": BilinearCritic, "concat": ConcatCritic,
            "hybrid": HybridCritic, "poisson": PoissonCritic}


def make_critic(name: str, n_members: int, dim_x: int, dim_y: int, **kwargs) -> _Critic:
    """Build critic ``name`` (one of :data:`CRITICS`) for K = ``n_members`` members."""
    if name == "auto":
        raise NeuralMIError("critic 'auto' is resolved from the data (estimators.neural.spike_counts_side) before a "
                            "critic is built; make_critic needs a concrete one.")
    if name not in _CLASSES:
        raise NeuralMIError(f"`critic` must be one of {', '.join(map(repr, CRITICS))}. Got {name!r}.")
    return _CLASSES[name](n_members, dim_x, dim_y, **kwargs)
