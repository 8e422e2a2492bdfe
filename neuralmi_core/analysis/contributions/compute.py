"""Contributions' computation: one cell, the API function and the gather of cells."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ...settings import api
from ...validation import NeuralMIError, as_2d_samples, check_paired
from ..base import gather_parts
from ..plan import derive_seed, fingerprint
from .declaration import ANALYSIS, PARTS
from .result import ContributionMember, ContributionsResult, summarize_contributions


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


def train_cell(x: np.ndarray, y: np.ndarray, labels: Sequence[str], part: int, seed: int, values: Mapping[str, Any],
               spec: Any, cfg: Any) -> list[ContributionMember]:
    """Part 0: the full population and every drop-one population; part 1: every group alone (one ensemble)."""
    from ...estimators import fit_ensemble
    from ...training import split_member

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


@api(ANALYSIS.settings)
def contributions(x: Any, y: Any, estimator: str = "infonce", critic: str = "auto", *, groups: Any = None,
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
    from ...estimators.neural import setup_training

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
