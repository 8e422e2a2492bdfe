"""Analyses built on the trained estimators: rigorous (1/N-extrapolated) MI, latent dimensionality, lag
sweep, shuffle significance and per-unit contributions.

Layout: one package per analysis (``rigorous/``, ``dimensionality/``, ``lag/``, ``significance/``,
``contributions/``), each with the same four modules: ``declaration`` (settings, cells, checks, CLI help:
the :class:`~.base.Analysis` object ``ANALYSIS``), ``compute`` (one cell's training, the API function, the
gather of cells), ``result`` (the member and result types with their JSON round trip and summary) and
``plot`` (the figure behind ``result.plot()``). Shared pieces are modules of their own: :mod:`.base` (what
an analysis declares, the gather of parts), :mod:`.registry` (every analysis by name), :mod:`.config` (the
workflow's plan of a config), :mod:`.preflight` (the check after binning), :mod:`.plotting` (what every
figure shares) and the fits below.

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
