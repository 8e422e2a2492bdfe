"""The analyses, by name: the CLI, the workflow and the report iterate over this mapping.

Adding an analysis: write its module (an :class:`~neuralmi_core.analysis.base.Analysis` subclass
instance ``ANALYSIS`` with its settings, cells, API function, gather function and result type) and add
it here. Importing this module is light (no torch).
"""

from __future__ import annotations

from .base import Analysis
from .dimensionality import ANALYSIS as DIMENSIONALITY
from .rigorous import ANALYSIS as RIGOROUS

REGISTRY: dict[str, Analysis] = {a.name: a for a in (RIGOROUS, DIMENSIONALITY)}
