"""The analyses, by name: the CLI, the workflow and the report iterate over this mapping.

Adding an analysis: write its package (``declaration``, ``compute``, ``result``, ``plot``; the
declaration is an :class:`~neuralmi_core.analysis.base.Analysis` subclass instance ``ANALYSIS`` naming its
settings, cells, API function, gather function and result type) and add it here. Importing this module is light (no torch).
"""

from __future__ import annotations

from .base import Analysis
from .contributions import ANALYSIS as CONTRIBUTIONS
from .dimensionality import ANALYSIS as DIMENSIONALITY
from .lag import ANALYSIS as LAG_SWEEP
from .rigorous import ANALYSIS as RIGOROUS
from .significance import ANALYSIS as SIGNIFICANCE
from .transfer.declaration import CONDITIONAL_MI, TRANSFER_ENTROPY

REGISTRY: dict[str, Analysis] = {a.name: a for a in (RIGOROUS, DIMENSIONALITY, LAG_SWEEP, SIGNIFICANCE,
                                                     CONTRIBUTIONS, TRANSFER_ENTROPY, CONDITIONAL_MI)}
