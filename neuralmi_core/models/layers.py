"""Ensemble-batched layers: K independent networks evaluated with one batched matmul per layer."""

from __future__ import annotations

import math

import torch
from torch import nn

from ..validation import NeuralMIError

ACTIVATIONS = {
    "relu": nn.ReLU,
    "gelu": nn.GELU,
    "silu": nn.SiLU,
    "tanh": nn.Tanh,
    "leaky_relu": nn.LeakyReLU,
    "elu": nn.ELU,
}


class BatchedLinear(nn.Module):
    """K independent affine maps: (K, ..., in) -> (K, ..., out) via ``torch.baddbmm``.

    Initialised like ``nn.Linear`` (uniform in +-1/sqrt(in)) independently per member.
    """

    def __init__(self, n_members: int, in_features: int, out_features: int, bias: bool = True):
        super().__init__()
        self.n_members, self.in_features, self.out_features = n_members, in_features, out_features
        bound = 1.0 / math.sqrt(in_features)
        self.weight = nn.Parameter(torch.empty(n_members, in_features, out_features).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.empty(n_members, 1, out_features).uniform_(-bound, bound)) if bias else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = x.shape
        flat = x.reshape(shape[0], -1, shape[-1])  # (K, M, in)
        if self.bias is None:
            out = torch.bmm(flat, self.weight)  # (K, M, out)
        else:
            out = torch.baddbmm(self.bias, flat, self.weight)  # (K, M, out)
        return out.reshape(*shape[:-1], self.out_features)

    def extra_repr(self) -> str:
        return f"K={self.n_members}, in={self.in_features}, out={self.out_features}"


class BatchedMLP(nn.Module):
    """K independent MLPs ``in -> hidden (x n_layers) -> out`` with a shared activation."""

    def __init__(
        self,
        n_members: int,
        in_features: int,
        out_features: int,
        hidden: int = 64,
        n_layers: int = 2,
        activation: str = "relu",
    ):
        super().__init__()
        if activation not in ACTIVATIONS:
            raise NeuralMIError(f"`activation` must be one of {', '.join(map(repr, ACTIVATIONS))}. Got {activation!r}.")
        layers: list[nn.Module] = []
        width = in_features
        for _ in range(n_layers):
            layers += [BatchedLinear(n_members, width, hidden), ACTIVATIONS[activation]()]
            width = hidden
        layers.append(BatchedLinear(n_members, width, out_features))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)
