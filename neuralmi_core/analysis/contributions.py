"""Per-unit (or per-group) contributions: who in population X carries the information about Y?

Two numbers per group of X's columns (a unit, or all units of a region, location or quality class):

- ``drop``: the MI of the full population minus the MI without the group (the group's columns held
  constant, which carries no information and keeps every member's input size, so the full population and
  every drop-one population train as one ensemble);
- ``alone``: the MI of the group by itself (its columns, padded with constant columns to the widest
  group, again one ensemble).

Each is a held-out MI (as :func:`neuralmi_core.estimate` computes it), averaged over ``n_seeds``
independently initialised networks whose spread is reported. Drop-one contributions are not additive:
with redundancy (two units carrying the same information) each drop is small although together they
matter; with synergy a drop can exceed the group's MI alone. Read them as "how much the population loses
without this group", never as a share of the total.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..results import Member, _jsonable, nats_to_bits
from ..settings import CRITICS, TRAINED_ESTIMATORS, Int, Optional, Setting, Settings, Text, api
from ..validation import NeuralMIError, as_2d_samples, check_paired
from .base import Analysis, gather_parts
from .plan import derive_seed, fingerprint

NOT_ADDITIVE = ("drop-one contributions are not additive: redundant groups each drop little although together "
                "they matter, and synergistic ones can drop more than they carry alone")
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


def column_groups(n_columns: int, groups: Sequence[Any] | None, column_coords: Sequence[Mapping[str, str]] | None,
                  group_by: str) -> list[str]:
    """The group label of each of X's columns: ``groups`` when given, else ``group_by`` of each column's
    coordinates (``column_coords``), else the column index."""
    if groups is not None:
        labels = [str(g) for g in groups]
    elif column_coords is not None:
        if not all(group_by in c for c in column_coords):
            have = sorted(set().union(*map(set, column_coords)))
            raise NeuralMIError(f"`group_by` is {group_by!r}, but X's columns have the coordinates {have}; choose "
                                f"one of them.")
        labels = [f"{group_by}={c[group_by]}" for c in column_coords]
    else:
        labels = [f"column {i}" for i in range(n_columns)]
    if len(labels) != n_columns:
        raise NeuralMIError(f"`groups` must name the group of each of X's {n_columns} columns; got {len(labels)}.")
    if len(set(labels)) < 2:
        raise NeuralMIError(f"contributions need at least 2 groups of X's columns; got {sorted(set(labels))}.")
    return labels


@dataclass(frozen=True)
class ContributionMember(Member):
    """One member: ``part`` "full", "drop" (population without ``group``) or "alone" (``group`` by itself)."""

    part: str
    group: str
    seed: int
    n_train: int
    n_test: int
    mi_test_nats: float
    mi_train_nats: float
    best_epoch: int
    epochs_run: int



def train_cell(x: np.ndarray, y: np.ndarray, labels: Sequence[str], part: int, seed: int, values: Mapping[str, Any],
               spec: Any, cfg: Any) -> list[ContributionMember]:
    """Part 0: the full population and every drop-one population; part 1: every group alone (one ensemble)."""
    from ..estimators import fit_ensemble
    from ..training import split_member

    names = list(dict.fromkeys(labels))
    lab = np.asarray(labels)
    if part == 0:
        inputs = [("full", "", x)]
        for g in names:
            held = x.copy()
            held[:, lab == g] = 0.0  # constant columns carry no information
            inputs.append(("drop", g, held))
    else:
        width = max(int(np.sum(lab == g)) for g in names)
        inputs = []
        for g in names:
            cols = x[:, lab == g]
            inputs.append(("alone", g, np.hstack([cols, np.zeros((x.shape[0], width - cols.shape[1]))])))
    split_seed = derive_seed(5)  # one train/test split for every member and every seed (cells stay independent)
    members = [split_member(a, y, values["split"], values["test_fraction"], gap=values["gap"], seed=split_seed)
               for _, _, a in inputs]
    fit = fit_ensemble(members, spec, dataclasses.replace(cfg, seed=derive_seed(seed, part, 9)),
                       desc=f"{PARTS[part]} seed={seed}", preprocessing=values["preprocess"])
    return [ContributionMember(part=p, group=g, seed=seed, n_train=m.n_train, n_test=m.n_test,
                               mi_test_nats=m.mi_test_nats, mi_train_nats=m.mi_train_nats, best_epoch=m.best_epoch,
                               epochs_run=m.epochs_run) for (p, g, _), m in zip(inputs, fit.members, strict=True)]


def _mean_sd(values: Sequence[float]) -> tuple[float, float]:
    v = np.array([e for e in values if math.isfinite(e)], dtype=float)
    return (float(v.mean()) if v.size else float("nan"), float(v.std(ddof=1)) if v.size > 1 else float("nan"))


@dataclass(frozen=True)
class ContributionsResult:
    """Drop-one and single-group MI per group of X (see :func:`contributions`; ``*_nats`` also ``*_bits``).

    Attributes
    ----------
    full_mi_nats, full_sd_nats : float
        Held-out MI of the whole population: mean and standard deviation over seeds.
    groups : tuple of dict
        Per group, sorted by contribution (largest first): ``group``, ``n_columns``, ``drop_nats`` (full MI
        minus the MI without the group), ``drop_sd_nats`` (spread over seeds of that difference),
        ``without_mi_nats``, ``alone_mi_nats``, ``alone_sd_nats``, ``rank``.
    top_groups : tuple of str
        The groups of the five largest contributions.
    note : str
        Why drop-one contributions do not add up.
    """

    full_mi_nats: float
    full_sd_nats: float
    groups: tuple[dict[str, Any], ...]
    top_groups: tuple[str, ...]
    group_by: str
    note: str
    members: tuple[ContributionMember, ...]
    settings: dict[str, Any]
    data: dict[str, Any]
    seconds: float = 0.0
    cells: tuple[dict[str, Any], ...] = field(default=(), compare=False)
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out = {f.name: _jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)}
        for k in ("full_mi", "full_sd"):
            out[f"{k}_bits"] = _jsonable(nats_to_bits(getattr(self, f"{k}_nats")))
        for row in out["groups"]:
            for k in [k for k in row if k.endswith("_nats")]:
                row[k[:-5] + "_bits"] = None if row[k] is None else nats_to_bits(row[k])
        out["unit_note"] = "*_nats in nats (natural log); *_bits = *_nats / ln 2"
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ContributionsResult:
        nan = float("nan")
        kw: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            v = d.get(f.name)
            if f.name == "members":
                v = tuple(ContributionMember.from_dict(m) for m in v or ())
            elif f.name == "groups":
                v = tuple({k: (nan if e is None and k.endswith("_nats") else e) for k, e in r.items()
                           if not k.endswith("_bits")} for r in v or ())
            elif f.name in ("top_groups", "cells", "warnings"):
                v = tuple(v or ())
            elif f.name.endswith("_nats"):
                v = nan if v is None else float(v)
            kw[f.name] = v
        return cls(**kw)

    def summary_line(self) -> str:
        top = ", ".join(self.top_groups[:3]) or "none"
        return f"full {self.full_mi_nats:.4f} nats over {len(self.groups)} groups; largest contributions: {top}"

    def plot(self, ax: Any = None, unit: str = "bits", max_groups: int = 30) -> Any:
        """Sorted bars: the MI lost without each group and each group's MI alone
        (:func:`~.plots.plot_contributions`); a plain matplotlib Figure: save it with ``fig.savefig(...)``."""
        from .plots import plot_contributions

        return plot_contributions(self, ax=ax, unit=unit, max_groups=max_groups)


def summarize_contributions(members: Sequence[ContributionMember], labels: Sequence[str], settings: Mapping[str, Any],
                            data: Mapping[str, Any], *, group_by: str, seconds: float = 0.0,
                            cells: Sequence[dict[str, Any]] = ()) -> ContributionsResult:
    """Per-group drop and alone MI (mean and spread over seeds) from a member table."""
    rows = tuple(sorted(members, key=lambda m: (PARTS.index(m.part) if m.part in PARTS else -1, m.group, m.seed)))
    keys = [(m.part, m.group, m.seed) for m in rows]
    if len(set(keys)) != len(keys):
        raise NeuralMIError("the member table holds a member twice (were the same parts given twice?).")
    full = {m.seed: m.mi_test_nats for m in rows if m.part == "full"}
    full_mi, full_sd = _mean_sd(list(full.values()))
    out = []
    for g in dict.fromkeys(labels):
        without = {m.seed: m.mi_test_nats for m in rows if m.part == "drop" and m.group == g}
        drops = [full[s] - v for s, v in without.items() if s in full]
        drop, drop_sd = _mean_sd(drops)
        alone, alone_sd = _mean_sd([m.mi_test_nats for m in rows if m.part == "alone" and m.group == g])
        out.append({"group": g, "n_columns": int(sum(lab == g for lab in labels)), "drop_nats": drop,
                    "drop_sd_nats": drop_sd, "without_mi_nats": _mean_sd(list(without.values()))[0],
                    "alone_mi_nats": alone, "alone_sd_nats": alone_sd})
    out.sort(key=lambda r: (-(r["drop_nats"] if math.isfinite(r["drop_nats"]) else -math.inf), r["group"]))
    for i, r in enumerate(out):
        r["rank"] = i + 1
    warnings = [NOT_ADDITIVE]
    if not full:
        warnings.append("no full-population member in these parts (part 0 missing): no drop-one contributions")
    return ContributionsResult(
        full_mi_nats=full_mi, full_sd_nats=full_sd, groups=tuple(out),
        top_groups=tuple(r["group"] for r in out[:5] if math.isfinite(r["drop_nats"])), group_by=group_by,
        note=NOT_ADDITIVE, members=rows, settings=dict(settings), data={**data, "labels": list(labels)},
        seconds=seconds, cells=tuple(sorted(cells, key=lambda c: (c["part"], c["seed"]))), warnings=tuple(warnings))


@api(ANALYSIS.settings)
def contributions(x: Any, y: Any, estimator: str = "infonce", critic: str = "separable", *, groups: Any = None,
                  column_coords: Any = None, **settings: Any) -> ContributionsResult:
    """MI lost when each unit (or group of units) of X is left out, and each group's MI alone, against Y.

    Parameters
    ----------
    x, y : array-like, shape (n_samples, ...)
        Paired samples; X is the population whose columns are grouped.
    estimator, critic : str
        As in :func:`neuralmi_core.estimate` (trained estimators).
    groups : sequence, optional
        The group label of each column of X (default: from ``column_coords`` and ``group_by``, else one
        group per column).
    column_coords : sequence of dict, optional
        Per column of X, its coordinates (``{"unit": "17", "region": "A"}``); the CLI passes the binned
        file's. ``group_by`` picks one of them.
    {settings}

    Returns
    -------
    ContributionsResult
        Full-population MI, per-group drop and alone MI with their spread over seeds, sorted, with the
        warning that drop-one contributions are not additive; ``.plot()`` draws the sorted bars.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> y = rng.standard_normal((4000, 1)); x = rng.standard_normal((4000, 6)); x[:, 2] += 2 * y[:, 0]
    >>> res = contributions(x, y, split="random")   # doctest: +SKIP
    >>> res.top_groups[0]                            # doctest: +SKIP
    'column 2'
    """
    from ..estimators.neural import setup_training

    t0 = time.perf_counter()
    values = ANALYSIS.check({"estimator": estimator, "critic": critic, **settings}, has_y=True)
    x_arr, y_arr = as_2d_samples("x", x), as_2d_samples("y", y)
    check_paired(x_arr, y_arr)
    labels = column_groups(x_arr.shape[1], groups, column_coords, values["group_by"])
    spec, cfg, record = setup_training(values)
    record["group_by"] = values["group_by"]
    data = {"n_samples": x_arr.shape[0], "dim_x": x_arr.shape[1], "dim_y": y_arr.shape[1],
            "sha256": fingerprint(x_arr, y_arr)}
    cells = [c for c in ANALYSIS.cells(values) if values["part"] is None or c["part"] == values["part"]]
    rows, info = [], []
    for c in cells:
        t1 = time.perf_counter()
        rows += train_cell(x_arr, y_arr, labels, c["part"], c["seed"], values, spec, cfg)
        info.append({**c, "seconds": time.perf_counter() - t1})
    return summarize_contributions(rows, labels, record, data, group_by=values["group_by"],
                                   seconds=time.perf_counter() - t0, cells=info)


def gather_contributions(parts: Sequence[Mapping[str, Any]], *, sources: Sequence[str] | None = None,
                         **fit: Any) -> ContributionsResult:
    """Combine the cells (part x seed) of one contributions run (their JSON) into one result (the rules of
    :func:`~.base.gather_parts`)."""
    g = gather_parts(ANALYSIS, parts, sources, fit, required=("groups", "group_by"))
    data = dict(g.data)
    labels = data.pop("labels")
    return summarize_contributions([ContributionMember.from_dict(m) for m in g.members], labels, g.settings, data,
                                   group_by=g.first["group_by"], seconds=g.seconds, cells=g.cells)

