"""neuralmi_core: bias-corrected neural mutual-information and latent-dimensionality estimation.

>>> import neuralmi_core as nmi
>>> from neuralmi_core.samplers import CorrelatedGaussian
>>> x, y = CorrelatedGaussian(5, 5, mi_nats=1.0).sample(5000)
>>> res = nmi.estimate(x, y, estimator="smile")   # doctest: +SKIP

The public names below are imported on first use, so ``import neuralmi_core.settings`` (config checks,
workflow planning) does not load torch.
"""

from __future__ import annotations

import importlib
from typing import Any

from ._version import __version__
from .threads import set_passive_wait_policy
from .validation import NeuralMIError, NeuralMIWarning, SignalAbsent

set_passive_wait_policy()  # before torch is imported: idle OpenMP threads sleep instead of spinning

_LAZY = {
    "estimate": "neuralmi_core.estimation",
    "MIResult": "neuralmi_core.results",
    "MemberRecord": "neuralmi_core.results",
    "rigorous": "neuralmi_core.analysis.rigorous",
    "RigorousResult": "neuralmi_core.analysis.rigorous",
    "gather_rigorous": "neuralmi_core.analysis.rigorous",
    "dimensionality": "neuralmi_core.analysis.dimensionality",
    "DimensionalityResult": "neuralmi_core.analysis.dimensionality",
    "gather_dimensionality": "neuralmi_core.analysis.dimensionality",
    "lag_sweep": "neuralmi_core.analysis.lag",
    "LagSweepResult": "neuralmi_core.analysis.lag",
    "significance": "neuralmi_core.analysis.significance",
    "SignificanceResult": "neuralmi_core.analysis.significance",
    "contributions": "neuralmi_core.analysis.contributions",
    "ContributionsResult": "neuralmi_core.analysis.contributions",
    "transfer_entropy": "neuralmi_core.analysis.transfer",
    "TransferEntropyResult": "neuralmi_core.analysis.transfer",
    "conditional_mi": "neuralmi_core.analysis.transfer",
    "ConditionalMIResult": "neuralmi_core.analysis.transfer",
}

__all__ = ["NeuralMIError", "NeuralMIWarning", "SignalAbsent", "__version__", *sorted(_LAZY)]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'neuralmi_core' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
