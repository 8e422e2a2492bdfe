"""Rigorous mode's computation: one (gamma, seed) cell, the API function and the gather of cells."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ...settings import api
from ...validation import (
    as_2d_samples,
    check_paired,
    constant_input_warning,
)
from ..base import gather_parts
from ..plan import chunk_indices, derive_seed, fingerprint, resolve_chunking
from .result import RigorousMember, RigorousResult, summarize_rigorous

if TYPE_CHECKING:
    from ...estimators import ModelSpec
    from ...training import TrainConfig
from .declaration import ANALYSIS, check_chunk_sizes


def train_cell(x: np.ndarray, y: np.ndarray, gamma: int, seed: int, spec: ModelSpec, config: TrainConfig, *,
               split: str, test_fraction: float, gap: int, chunking: str, preprocess: str = "copula"
               ) -> tuple[list[RigorousMember], dict]:
    """Train the ``gamma`` members of one (gamma, seed) cell as one ensemble; return them and the cell's timing.

    Chunks come from :func:`~.plan.chunk_indices`; the split inside chunk c and the networks are seeded
    from (seed, gamma, c) and (seed, gamma), so a cell's numbers do not depend on the other cells. Every
    gamma trains with the automatic batch size and the weight-decay scaling of the full data set's training
    part (:func:`~neuralmi_core.training.trainer.for_full_data`), so the members of the extrapolation differ
    in their data size only.
    """
    from ...estimators import fit_ensemble
    from ...training import split_member
    from ...training.trainer import for_full_data

    n = x.shape[0]
    members = []
    for c, idx in enumerate(chunk_indices(n, gamma, chunking, seed)):
        members.append(split_member(x[idx], y[idx], split, test_fraction, gap=gap, seed=derive_seed(seed, gamma, c)))
    # one batch size and one penalty for every gamma, those of the full data set (batch clipped to tiny chunks)
    cfg = for_full_data(dataclasses.replace(config, seed=derive_seed(seed, gamma)), round(n * (1 - test_fraction)))
    t0 = time.perf_counter()
    fit = fit_ensemble(members, spec, cfg, desc=f"gamma={gamma} seed={seed}", preprocessing=preprocess)
    rows = [
        RigorousMember(gamma=gamma, chunk=c, seed=seed, n_train=m.n_train, n_test=m.n_test, n_eval=m.n_eval,
                       mi_test_nats=m.mi_test_nats, mi_train_nats=m.mi_train_nats, best_epoch=m.best_epoch,
                       epochs_run=m.epochs_run)
        for c, m in enumerate(fit.members)
    ]
    cell = {"gamma": gamma, "seed": seed, "seconds": time.perf_counter() - t0, "device": fit.device,
            "ceiling_nats": fit.ceiling_nats, "batch_size": fit.batch_size, "timing": dict(fit.info)}
    if gamma == 1:  # MI-NEE and MIENF: the k-NN witness of the full data, for the summary's missed_dependence check
        from ...estimation import witness_nats

        ksg = witness_nats(spec.estimator, x, y, seed)
        if ksg is not None:
            cell["witness_ksg_nats"] = ksg
    return rows, cell


@api(ANALYSIS.settings)
def rigorous(x: Any, y: Any, estimator: str = "infonce", critic: str = "auto", **settings: Any) -> RigorousResult:
    """Bias-corrected I(X; Y) with a confidence interval, by 1/N extrapolation over data fractions.

    For each gamma in ``gammas`` and each seed the samples are split into gamma disjoint chunks and one
    member is trained per chunk (the gamma members of a (gamma, seed) cell train as one batched ensemble).
    The members' MI is regressed on gamma by WLS with weights 1/gamma,

    .. math:: \\hat I_{\\gamma,c} = I_\\infty + b\\,\\gamma + \\varepsilon, \\quad
              \\operatorname{Var}\\varepsilon \\propto \\gamma,

    over the linear region (largest gammas dropped while the quadratic term is large, see
    :func:`~neuralmi_core.analysis.extrapolation.fit_extrapolation`); the intercept is the corrected MI.
    The split is made inside each chunk and the ``preprocess`` transform is fitted on each member's
    training part.

    Parameters
    ----------
    x, y : array-like, shape (n_samples, ...)
        Paired samples (samples on axis 0).
    estimator, critic : str
        As in :func:`neuralmi_core.estimate` (trained estimators only).
    {settings}

    Returns
    -------
    RigorousResult
        Corrected MI (nats; ``.mi_bits``), CI, PI, slope, naive full-data MI, per-member table, flags;
        ``.plot()`` draws MI against 1/N with the fit.

    Examples
    --------
    >>> from neuralmi_core.samplers import CorrelatedGaussian
    >>> x, y = CorrelatedGaussian(5, 5, mi_nats=1.0).sample(4000)
    >>> res = rigorous(x, y, gammas="1-6", split="random")   # doctest: +SKIP
    >>> res.mi_nats, res.ci_low_nats, res.ci_high_nats         # doctest: +SKIP
    """
    from ...estimators.neural import setup_training

    t0 = time.perf_counter()
    values = ANALYSIS.check({"estimator": estimator, "critic": critic, **settings}, has_y=True)
    x_arr = as_2d_samples("x", x)
    y_arr = as_2d_samples("y", y)
    check_paired(x_arr, y_arr)
    n = x_arr.shape[0]
    check_chunk_sizes(n, values["gammas"])
    spec, cfg, record = setup_training(values)
    chunk_mode = resolve_chunking(values["chunking"], values["split"])
    record["chunking"] = chunk_mode
    data = {"n_samples": n, "dim_x": x_arr.shape[1], "dim_y": y_arr.shape[1], "sha256": fingerprint(x_arr, y_arr)}
    rows: list[RigorousMember] = []
    cells = []
    for cell in ANALYSIS.cells(values):
        r, c = train_cell(x_arr, y_arr, cell["gamma"], cell["seed"], spec, cfg, split=values["split"],
                          test_fraction=values["test_fraction"], gap=values["gap"], chunking=chunk_mode,
                          preprocess=values["preprocess"])
        rows.extend(r)
        cells.append(c)
    fit = {s.name: values[s.name] for s in ANALYSIS.stage("fit")}
    data_warnings = [w for w in (constant_input_warning("x", x_arr), constant_input_warning("y", y_arr)) if w]
    return summarize_rigorous(rows, record, data, **fit, seconds=time.perf_counter() - t0, cells=cells,
                              extra_warnings=data_warnings)


def gather_rigorous(parts: Sequence[dict[str, Any]], *, sources: Sequence[str] | None = None,
                    **fit: Any) -> RigorousResult:
    """Combine partial rigorous runs (their ``to_dict()``/JSON) and fit as one call with all cells would.

    ``fit`` holds fit settings (``confidence``, ``extrapolate``, ``delta``, ``min_gammas``,
    ``min_chunk``); one left out (or None) is taken from the parts, which must then agree on it. Raises
    ``NeuralMIError`` naming the differing settings when the parts do not belong to the same X/Y and
    training settings, and when a (gamma, seed) cell appears twice (:func:`~.base.gather_parts`).
    """
    g = gather_parts(ANALYSIS, parts, sources, fit, required=("fit_settings",))
    return summarize_rigorous([RigorousMember.from_dict(m) for m in g.members], g.settings, g.data, **g.fit,
                              seconds=g.seconds, cells=g.cells)


