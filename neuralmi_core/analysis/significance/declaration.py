"""Shuffle significance's declaration: its settings, cells, checks and ``neuralmi significance --help`` text."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ...settings import (
    CRITICS,
    TIMING,
    TRAINED_ESTIMATORS,
    Choice,
    Float,
    Int,
    IntList,
    Optional,
    Setting,
    Settings,
)
from ...validation import NeuralMIError
from ..base import Analysis

METHODS = ("circular", "block", "trial", "iid")

CLI_HELP = """Shuffle significance: the held-out MI of X and Y against a null distribution from surrogates.

Surrogates break the pairing but keep each signal's autocorrelation: --surrogate circular (default: Y
shifted circularly by at least --min-shift, default twice the measured decorrelation time), block (Y's
blocks of --block-length permuted), trial (whole trials permuted; needs the binned file's trial index)
or iid (plain permutation: anti-conservative on autocorrelated data, for comparison only). Times are in
--time-unit (seconds by default; the bin width comes from the binned file). Every surrogate trains like
the observed member, as extra members of one ensemble; --surrogates-per-cell members form one cell (a
workflow job). p = (1 + #null >= observed) / (1 + n_surrogates).

JSON fields (every *_nats field also has a *_bits twin):
  observed_mi_nats      held-out MI of the observed pairing
  p_value, significant  p-value and whether p <= alpha; alpha
  null_mean_nats, null_sd_nats, null_quantiles_nats {"0.05", "0.5", "0.95", "0.99"}, null_nats (all)
  n_surrogates, method, min_shift_bins/_s, block_length_bins/_s, decorrelation_bins {x, y} and _s
  members (index 0 observed, then surrogates: shift or permutation seed, sizes, held-out and training MI),
  settings, data, cells, seconds, warnings, selection

Example:
  neuralmi significance 'binned.nc:spikes[region=A]' 'binned.nc:spikes[region=B]' --json sig.json
"""


class SignificanceAnalysis(Analysis):
    name = "significance"
    help = "p-value of the MI against surrogates that keep each signal's autocorrelation (circular shifts, ...)"
    description = CLI_HELP
    y = "required"
    estimators = TRAINED_ESTIMATORS
    critics = CRITICS
    why_estimators = " (trained estimators)"
    cell_keys = (("block", "b"),)
    run = "neuralmi_core.analysis.significance:significance"
    gather = "neuralmi_core.analysis.significance:gather_significance"
    result = "neuralmi_core.analysis.significance:SignificanceResult"
    own = Settings([
        Setting("surrogate", "circular", Choice(METHODS), "how surrogates break the pairing: circular shifts "
                "of Y, block shuffles, trial shuffles, or iid permutation (anti-conservative; comparison only)"),
        Setting("n_surrogates", 99, Int(1), "surrogates in the null distribution (at least 1/alpha - 1 and 19)"),
        Setting("alpha", 0.05, Float(0.0, 1.0, low_open=True, high_open=True), "significance level; also sets "
                "the p-value resolution the surrogates must reach", stage="fit"),
        Setting("min_shift", None, Optional(Float(0.0, low_open=True)), "smallest circular shift, in time_unit "
                "(default: twice the longer decorrelation time of X and Y)"),
        Setting("block_length", None, Optional(Float(0.0, low_open=True)), "block length of block shuffles, in "
                "time_unit (default: four decorrelation times); at most a third of the data"),
        *TIMING,
        Setting("surrogates_per_cell", 100, Int(1), "members (observed and surrogates) trained by one cell",
                stage="cells"),
        Setting("seed", 0, Int(0), "seed of the surrogates, the split and the networks", stage="train",
                config=False),
        Setting("cells", None, Optional(IntList(0)), "train only these cells (blocks of members) of the run, for "
                "a workflow job; gather the cells' outputs (default: all cells)", stage="cells", config=False),
    ])

    def cells(self, values: Mapping[str, Any]) -> list[dict[str, int]]:
        n, per = 1 + values["n_surrogates"], values["surrogates_per_cell"]
        return [{"block": b, "per": per} for b in range(math.ceil(n / per))]

    def cell_settings(self, cell: Mapping[str, int]) -> dict[str, Any]:
        return {"cells": (cell["block"],), "surrogates_per_cell": cell["per"]}

    def check_more(self, values: Mapping[str, Any], has_y: bool, pre: str) -> None:
        need = max(19, math.ceil(1 / values["alpha"] - 1e-9) - 1)
        if values["n_surrogates"] < need:
            raise NeuralMIError(f"{pre}`n_surrogates` is {values['n_surrogates']}, but a p-value at alpha="
                                f"{values['alpha']:g} needs at least {need} surrogates (p can be no smaller than "
                                f"1 / (1 + n_surrogates)); use more surrogates or a larger alpha.")

    def selection_inputs(self, selection: Any) -> dict[str, Any]:
        return {"bin_width": selection.bin_width_s, "trials": selection.trials}


ANALYSIS = SignificanceAnalysis()
