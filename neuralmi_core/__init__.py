"""neuralmi_core: bias-corrected neural mutual-information and latent-dimensionality estimation.

>>> import neuralmi_core as nmi
>>> from neuralmi_core.samplers import CorrelatedGaussian
>>> x, y = CorrelatedGaussian(5, 5, mi_nats=1.0).sample(5000)
>>> res = nmi.estimate(x, y, estimator="smile")   # doctest: +SKIP
"""

from .threads import set_passive_wait_policy

set_passive_wait_policy()  # before torch is imported: idle OpenMP threads sleep instead of spinning

from ._version import __version__  # noqa: E402
from .analysis import DimensionalityResult, RigorousResult, dimensionality, rigorous  # noqa: E402
from .estimate import estimate  # noqa: E402
from .results import MemberRecord, MIResult  # noqa: E402

__all__ = ["DimensionalityResult", "MIResult", "MemberRecord", "RigorousResult", "__version__", "dimensionality",
           "estimate", "rigorous"]
