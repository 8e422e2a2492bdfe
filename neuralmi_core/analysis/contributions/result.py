"""The result of a contributions run: its member table and, per group, the MI lost without it and its MI alone."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ...flags import warning_text
from ...results import Member, _jsonable, nats_to_bits
from ...validation import NeuralMIError
from .declaration import NOT_ADDITIVE, PARTS


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
        from .plot import plot_contributions

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
        warnings.append(warning_text("no_full_member"))
    return ContributionsResult(
        full_mi_nats=full_mi, full_sd_nats=full_sd, groups=tuple(out),
        top_groups=tuple(r["group"] for r in out[:5] if math.isfinite(r["drop_nats"])), group_by=group_by,
        note=NOT_ADDITIVE, members=rows, settings=dict(settings), data={**data, "labels": list(labels)},
        seconds=seconds, cells=tuple(sorted(cells, key=lambda c: (c["part"], c["seed"]))), warnings=tuple(warnings))
