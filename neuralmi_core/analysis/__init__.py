"""Analyses built on the trained estimators: rigorous (1/N-extrapolated) MI and latent dimensionality.

The fits (:mod:`.extrapolation`, :mod:`.saturation`) are pure functions of member tables, shared by the
library API, the CLI and the workflow's gather rules; :mod:`.plan` makes the members deterministic per
cell, so partial runs gather into the numbers of one call.
"""

from .dimensionality import DimensionalityMember, DimensionalityResult, dimensionality, gather_dimensionality
from .extrapolation import ExtrapolationFit, fit_extrapolation
from .rigorous import RigorousMember, RigorousResult, gather_rigorous, rigorous
from .saturation import saturation_dim

__all__ = [
    "DimensionalityMember",
    "DimensionalityResult",
    "ExtrapolationFit",
    "RigorousMember",
    "RigorousResult",
    "dimensionality",
    "fit_extrapolation",
    "gather_dimensionality",
    "gather_rigorous",
    "rigorous",
    "saturation_dim",
]
