"""Directed and conditional information: transfer entropy and conditional MI by paired chain-rule differences."""

from .compute import (
    conditional_mi,
    conditional_mi_test,
    local_permutation,
    transfer_entropy,
    transfer_entropy_test,
    var_ground_truth,
)
from .result import ConditionalMIResult, TransferEntropyResult

__all__ = [
    "ConditionalMIResult",
    "TransferEntropyResult",
    "conditional_mi",
    "conditional_mi_test",
    "local_permutation",
    "transfer_entropy",
    "transfer_entropy_test",
    "var_ground_truth",
]
