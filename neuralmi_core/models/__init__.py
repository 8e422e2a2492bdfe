"""Batched (ensemble) torch modules: every parameter has the ensemble size K as its first dimension."""

from .critics import CRITICS, BilinearCritic, ConcatCritic, HybridCritic, SeparableCritic, make_critic
from .layers import BatchedLinear, BatchedMLP

__all__ = [
    "CRITICS",
    "BatchedLinear",
    "BatchedMLP",
    "BilinearCritic",
    "ConcatCritic",
    "HybridCritic",
    "SeparableCritic",
    "make_critic",
]
