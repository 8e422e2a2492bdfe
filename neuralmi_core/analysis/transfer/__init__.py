"""Directed and conditional information: transfer entropy and conditional MI by paired chain-rule differences."""

from .compute import (
    conditional_mi,
    conditional_mi_test,
    gather_conditional_mi,
    gather_transfer_entropy,
    local_permutation,
    transfer_entropy,
    transfer_entropy_test,
    var_ground_truth,
)
from .declaration import CONDITIONAL_MI, TRANSFER_ENTROPY
from .result import ConditionalMIResult, TransferEntropyResult

__all__ = [
    "CONDITIONAL_MI",
    "TRANSFER_ENTROPY",
    "gather_conditional_mi",
    "gather_transfer_entropy",
    "ConditionalMIResult",
    "TransferEntropyResult",
    "conditional_mi",
    "conditional_mi_test",
    "local_permutation",
    "transfer_entropy",
    "transfer_entropy_test",
    "var_ground_truth",
]
