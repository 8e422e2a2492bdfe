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
    def __init__(self, beta: float = 1e-3):
        super().__init__()
        self.beta = beta

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
        super().__init__(beta)
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
        super().__init__(beta)
        self.pair = _PairMLP(n_members, dim_x, dim_y, hidden, n_layers, activation)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.pair(x, y)


class HybridCritic(_Critic):
    def __init__(self, n_members, dim_x, dim_y, embedding_dim=_D["embedding_dim"], hidden=_D["hidden"],
                 n_layers=_D["n_layers"], activation=_D["activation"], variational=False, beta=_D["beta"]):
        super().__init__(beta)
        self.g = Embedding(n_members, dim_x, embedding_dim, hidden, n_layers, activation, variational)
        self.h = Embedding(n_members, dim_y, embedding_dim, hidden, n_layers, activation, variational)
        self.pair = _PairMLP(n_members, embedding_dim, embedding_dim, hidden, 1, activation)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.pair(self.g(x), self.h(y))


_CLASSES = {"separable": SeparableCritic, "bilinear": BilinearCritic, "concat": ConcatCritic,
            "hybrid": HybridCritic}


def make_critic(name: str, n_members: int, dim_x: int, dim_y: int, **kwargs) -> _Critic:
    """Build critic ``name`` (one of :data:`CRITICS`) for K = ``n_members`` members."""
    if name not in _CLASSES:
        raise NeuralMIError(f"`critic` must be one of {', '.join(map(repr, CRITICS))}. Got {name!r}.")
    return _CLASSES[name](n_members, dim_x, dim_y, **kwargs)
