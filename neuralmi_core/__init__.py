"""neuralmi_core: bias-corrected neural mutual-information and latent-dimensionality estimation.

>>> import neuralmi_core as nmi
>>> from neuralmi_core.samplers import CorrelatedGaussian
>>> x, y = CorrelatedGaussian(5, 5, mi_nats=1.0).sample(5000)
>>> res = nmi.estimate(x, y, estimator="smile")   # doctest: +SKIP
"""

from ._version import __version__
from .analysis import DimensionalityResult, RigorousResult, dimensionality, rigorous
from .estimate import estimate
from .results import MemberRecord, MIResult
from .validation import NeuralMIError, NeuralMIWarning

__all__ = ["DimensionalityResult", "MIResult", "MemberRecord", "NeuralMIError", "NeuralMIWarning", "RigorousResult",
           "__version__", "dimensionality", "estimate", "rigorous"]
