"""Contributions' declaration: its settings, cells, checks and ``neuralmi contributions --help`` text."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ...flags import warning_text
from ...settings import CRITICS, TRAINED_ESTIMATORS, Int, Optional, Setting, Settings, Text
from ..base import Analysis

NOT_ADDITIVE = warning_text("not_additive")
PARTS = ("drop", "alone")

CLI_HELP = f"""Per-unit contributions: the MI lost when each unit (or group) of X is left out, and its MI alone.

Groups are X's columns grouped by --group-by, a coordinate of the binned file's unit dimension (unit:
every unit; region, location, quality: every value), or each column when the input has no coordinates.
With --window, a unit's lagged copies belong to its group. Part 0 trains the full population and every
population without one group (the group's columns held constant) as one ensemble; part 1 every group
alone. Each is trained with --n-seeds seeds (cells: part x seed). Note: {NOT_ADDITIVE}.

JSON fields (every *_nats field also has a *_bits twin):
  full_mi_nats, full_sd_nats    held-out MI of the whole population (mean and sd over seeds)
  groups                        per group, sorted by contribution: group, n_columns, drop_nats (full minus
                                without the group), drop_sd_nats, without_mi_nats, alone_mi_nats,
                                alone_sd_nats, rank
  top_groups                    the groups of the five largest contributions
  group_by, note, members (part, group, seed, held-out and training MI), settings, data, cells,
  seconds, warnings, selection

Example:
  neuralmi contributions 'binned.nc:spikes[region=A]' 'binned.nc:position' --group-by unit --json c.json
"""


class ContributionsAnalysis(Analysis):
    name = "contributions"
    help = "per-unit (or per-group) contributions: MI lost without each group, and each group's MI alone"
    description = CLI_HELP
    y = "required"
    estimators = TRAINED_ESTIMATORS
    critics = CRITICS
    why_estimators = " (trained estimators)"
    cell_keys = (("part", "p"), ("seed", "s"))
    run = "neuralmi_core.analysis.contributions:contributions"
    gather = "neuralmi_core.analysis.contributions:gather_contributions"
    result = "neuralmi_core.analysis.contributions:ContributionsResult"
    own = Settings([
        Setting("group_by", "unit", Text(r"[A-Za-z_][A-Za-z0-9_]*", "a coordinate name such as 'unit' or 'region'"),
                "coordinate of X's unit dimension that defines the groups (unit, region, location, quality, ...); "
                "inputs without coordinates are grouped by column"),
        Setting("n_seeds", 3, Int(1), "independently initialised networks per member (mean and spread)",
                stage="cells"),
        Setting("seed", 0, Int(0), "first seed", stage="cells", config=False),
        Setting("part", None, Optional(Int(0, 1)), "train only part 0 (full and drop-one) or 1 (each group alone), "
                "for a workflow job (default: both)", stage="cells", config=False),
    ])

    def cells(self, values: Mapping[str, Any]) -> list[dict[str, int]]:
        seeds = range(values["seed"], values["seed"] + values["n_seeds"])
        return [{"part": p, "seed": s} for p in range(len(PARTS)) for s in seeds]

    def cell_settings(self, cell: Mapping[str, int]) -> dict[str, Any]:
        return {"part": cell["part"], "seed": cell["seed"], "n_seeds": 1}

    def job_settings(self, cells: Sequence[Mapping[str, int]]) -> dict[str, Any]:
        parts = {c["part"] for c in cells}
        seeds = sorted({c["seed"] for c in cells})
        if len(seeds) != 1:
            raise ValueError(f"contributions: one job trains one seed; got {seeds}")
        return {"part": parts.pop() if len(parts) == 1 else None, "seed": seeds[0], "n_seeds": 1}

    def selection_inputs(self, selection: Any) -> dict[str, Any]:
        return {"column_coords": selection.x_coords}


ANALYSIS = ContributionsAnalysis()
