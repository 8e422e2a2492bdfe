"""Directed and conditional information: transfer entropy and conditional MI by paired chain-rule differences."""

from .compute import (
    conditional_mi,
    conditional_mi_test,
    gather_transfer_entropy,
    local_permutation,
    summarize_transfer_entropy,
    transfer_entropy,
    transfer_entropy_test,
    var_ground_truth,
)
from .declaration import ANALYSIS
from .result import ConditionalMIResult, TransferEntropyResult

__all__ = [
    "ANALYSIS",
    "ConditionalMIResult",
    "TransferEntropyResult",
    "conditional_mi",
    "conditional_mi_test",
    "gather_transfer_entropy",
    "local_permutation",
    "summarize_transfer_entropy",
    "transfer_entropy",
    "transfer_entropy_test",
    "var_ground_truth",
]
