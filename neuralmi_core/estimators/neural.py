"""Trained (neural) estimators: build a K-member objective from a :class:`ModelSpec` and fit it.

This is the one place that turns an estimator name into something the shared trainer can train; the
public API (:func:`neuralmi_core.estimate`), rigorous mode and the dimensionality sweep all call
:func:`fit_ensemble`.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
import torch

from ..collapse import FOUND_NATS, is_collapsed
from ..models.critics import make_critic
from ..settings import COUNT_CRITICS, MODEL, TRAINED_ESTIMATORS, TRAINING, Choice, parse_options, resolve
from ..threads import torch_threads
from ..training import (
    CriticObjective,
    EnsembleFit,
    MemberData,
    TrainConfig,
    make_ensemble_data,
    train_ensemble,
)
from ..training.data import check_tie, tie_rows
from ..training.device import resolve_device
from ..validation import NeuralMIError

# Trained estimators implemented outside this module (the rest are the bounds of ``CriticObjective``):
# name -> module exposing ``build_objective(spec: ModelSpec, n_members: int, dim_x: int, dim_y: int)``.
EXTERNAL_TRAINED: dict[str, str] = {
    "minee": "neuralmi_core.estimators.minee",
    "mienf": "neuralmi_core.estimators.mienf",
}
_DEFAULT = MODEL.defaults()


def trained_estimators() -> tuple[str, ...]:
    return TRAINED_ESTIMATORS


@dataclass(frozen=True)
class ModelSpec:
    """What to train: the estimator (bound), the critic and its networks (defaults: the declared ones).

    ``options`` carries estimator-specific settings (e.g. MI-NEE's reference ratio).
    """

    estimator: str = _DEFAULT["estimator"]
    critic: str = _DEFAULT["critic"]
    embedding_dim: int = _DEFAULT["embedding_dim"]
    hidden: int = _DEFAULT["hidden"]
    n_layers: int = _DEFAULT["n_layers"]
    activation: str = _DEFAULT["activation"]
    variational: bool = _DEFAULT["variational"]
    beta: float = _DEFAULT["beta"]
    tau: float = _DEFAULT["tau"]
    options: dict[str, Any] = field(default_factory=dict)

    def validate(self) -> ModelSpec:
        """Check every field against its declaration (:data:`neuralmi_core.settings.MODEL`)."""
        values = resolve(MODEL, asdict(self))
        Choice(TRAINED_ESTIMATORS).check("estimator", values["estimator"])
        parse_options(values["estimator"], values["options"])
        return self

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def build_objective(spec: ModelSpec, n_members: int, dim_x: int, dim_y: int) -> torch.nn.Module:
    """A fresh K-member objective for ``spec`` (initialised from torch's current RNG state)."""
    if spec.estimator in EXTERNAL_TRAINED:
        module = importlib.import_module(EXTERNAL_TRAINED[spec.estimator])
        return module.build_objective(spec, n_members, dim_x, dim_y)
    # ``auto`` is resolved from the data by fit_ensemble; without data it is the generic critic
    name = "separable" if spec.critic == "auto" else spec.critic
    critic = make_critic(
        name, n_members, dim_x, dim_y, embedding_dim=spec.embedding_dim, hidden=spec.hidden,
        n_layers=spec.n_layers, activation=spec.activation, variational=spec.variational, beta=spec.beta,
    )
    return CriticObjective(critic, spec.estimator, n_members, tau=spec.tau)


def fit_ensemble(members: list[MemberData], spec: ModelSpec, config: TrainConfig, desc: str = "training",
                 preprocessing: str = "zscore", tie: Any = None) -> EnsembleFit:
    """Standardise, stack and train ``len(members)`` members as one batched ensemble.

    ``preprocessing``: per-feature transform fitted on each member's training set (``zscore``,
    ``copula`` or ``none``; see :func:`~neuralmi_core.training.data.make_ensemble_data`), done on the
    training device. Network initialisation and batch order are drawn from ``config.seed``: the same call
    gives the same numbers (bit-identical on CPU). ``tie`` (see :func:`~neuralmi_core.training.data.make_ensemble_data`)
    trains replicas of base members: member i starts from member ``tie[i]``'s weights and batch order, so several
    data sets fitted as one ensemble give the numbers each would give alone. ``fit.info`` carries the timing breakdown, with
    ``preprocess_s`` and the host-to-device ``transfer_s`` of the raw data added.
    """
    spec.validate()
    config = config.validate()
    critic_info: dict[str, Any] = {}  # the critic trained (``auto`` resolved) and the side that held the counts
    if spec.estimator not in EXTERNAL_TRAINED:
        side = spike_counts_side(members) if spec.critic == "auto" else None
        if spec.critic == "auto":
            spec = replace(spec, critic="poisson" if side else "separable")
        if spec.critic in COUNT_CRITICS:
            members, side = counts_on_x(members, spec.critic, side)
            preprocessing = ("none", preprocessing)  # the counts stay counts; the other side as asked
        critic_info = {"critic": spec.critic, **({"counts_side": side} if side else {})}
    else:  # the density-based estimators: do the continuous features have a density (intrinsic.py)?
        critic_info = dimension_info(members[0], config.seed)
        opts = parse_options(spec.estimator, spec.options)
        keep = ()  # sides left as they are (MI-NEE's empirical sides)
        if "empirical_sides" in opts:
            sides, reasons = empirical_sides(members[0], opts["empirical_sides"], critic_info)
            critic_info.update(reasons)
            joint, side = minee_joint(members, opts["joint_critic"], sides)
            if joint == "poisson":  # the counts on x, raw: the critic models them (MI is symmetric)
                members, side = counts_on_x(members, "poisson", side)
                sides = {"x": "y", "y": "x"}.get(sides, sides) if side == "y" else sides
                preprocessing = ("none", preprocessing)
                critic_info.update(joint_critic="poisson", counts_side=side)
            spec = replace(spec, options={**(spec.options or {}), "empirical_sides": sides, "joint_critic": joint})
            keep = tuple(side for side in "xy" if sides in (side, "both"))
        if "context_side" in opts:
            side, reasons = context_side(members[0], opts["context_side"], critic_info, opts["variant"])
            spec = replace(spec, options={**(spec.options or {}), "context_side": side})
            critic_info.update(reasons)
            keep = (side,) if side in ("x", "y") else ()
            first = members[0]
            if side in ("x", "y") and opts["context_dim"] > 0 and preprocessing == "copula" and _side_is_counts(
                    getattr(first, f"{side}_train"), getattr(first, f"{side}_test")):
                # spike counts as the context: z-scored, not rank-transformed (their Poisson log-likelihood is linear
                # in the counts, and the conditional flow reads them through a linear map; DIAGNOSIS.md section 52)
                preprocessing = ("zscore", preprocessing) if side == "x" else (preprocessing, "zscore")
                critic_info["context_preprocess"] = "zscore"
        if opts.get("dequantize"):
            members, dequantized = dequantize_members(members, config.seed, keep=keep)
            critic_info.update(dequantized)
    tie = check_tie(tie, len(members))
    fit, data = _fit_once(members, spec, config, desc, preprocessing, tie)
    fit.info.update(critic_info)
    fit.info["preprocess_s"] = round(data.timing.get("preprocess_s", 0.0), 6)
    fit.info["transfer_s"] = round(fit.info.get("transfer_s", 0.0) + data.timing.get("transfer_s", 0.0), 6)
    collapsed = [i for i, m in enumerate(fit.members) if is_collapsed(m)]
    if not collapsed or config.weight_decay <= 0:
        return fit
    # the penalty flattened these members to a constant critic: train them once more without it (same seed and
    # data; benchmarks/DIAGNOSIS.md section 11). A retried member replaces its collapsed one only when it finds
    # held-out MI (on independent data a constant critic is the right answer and stays, bit for bit); members
    # that learned are never touched.
    retry_tie = None
    if tie is not None:  # a retried replica again starts as its base would: the first retried member of that base
        first = {}
        retry_tie = [first.setdefault(int(tie[i]), j) for j, i in enumerate(collapsed)]
    retry, _ = _fit_once([members[i] for i in collapsed], spec, replace(config, weight_decay=0.0, progress=False),
                         f"{desc} (collapsed: again without weight decay)", preprocessing, retry_tie)
    records = list(fit.members)
    recovered = 0
    for i, rec in zip(collapsed, retry.members, strict=True):
        if rec.mi_test_nats > FOUND_NATS:
            records[i] = replace(rec, member=i, info={**rec.info, "retrained_without_weight_decay": True})
            recovered += 1
    fit = replace(fit, members=tuple(records), seconds=fit.seconds + retry.seconds)
    fit.info.update(collapsed=len(collapsed), retrained_without_weight_decay=recovered,
                    still_collapsed=len(collapsed) - recovered)
    return fit


def _is_counts(a) -> bool:
    a = np.asarray(a)
    return a.size > 0 and bool(np.all(a >= 0)) and bool(np.all(a == np.round(a)))


def _side_is_counts(train: np.ndarray, test: np.ndarray) -> bool:
    return _is_counts(train) and _is_counts(test)


def _looks_like_spike_counts(train: np.ndarray, test: np.ndarray) -> bool:
    """Spike counts of a population for ``auto``: non-negative integers in at least two columns with some value
    above 1. A single integer column (a trial index, a stimulus id) and 0/1 columns (a binary choice, one-hot
    categories) are not: a Poisson model of a category is misspecified, so they keep the generic critic (an
    explicit ``critic="poisson"`` still takes any non-negative integers)."""
    return (np.shape(train)[1] >= 2 and _side_is_counts(train, test)
            and max(float(np.max(train, initial=0)), float(np.max(test, initial=0))) > 1)


def spike_counts_side(members: list[MemberData]) -> str | None:
    """``critic="auto"``: the side ("x" or "y") when exactly one looks like spike counts
    (:func:`_looks_like_spike_counts`), which then gets the ``poisson`` critic; else None (``separable``).
    Measured (benchmarks/DIAGNOSIS.md section 12): on tuned populations against the variable they encode the
    poisson critic was closer to the exact MI on every family (estimate: 12 of 13 count tasks; rigorous 2-d place
    cells -5 % covered where separable was -28 %); on counts against counts (two regions sharing a latent)
    neither won everywhere (-3 % vs -7 %, -24 % vs -16 %), so separable stays there."""
    first = members[0]
    x_counts = _looks_like_spike_counts(first.x_train, first.x_test)
    y_counts = _looks_like_spike_counts(first.y_train, first.y_test)
    return ("x" if x_counts else "y") if x_counts != y_counts else None


def counts_on_x(members: list[MemberData], critic: str, side: str | None = None) -> tuple[list[MemberData], str]:
    """Members with the spike counts on the x side for a count critic, and which side held them ("x" or "y").

    ``side``: already known (``auto``); else found here. MI is symmetric, so when only y holds counts
    (non-negative integers) the two sides swap; when both do, x keeps them (region A vs region B: the critic
    models A's counts given B). Raise when neither side does.
    """
    first = members[0]
    if side is None:
        if _side_is_counts(first.x_train, first.x_test):
            side = "x"
        elif _side_is_counts(first.y_train, first.y_test):
            side = "y"
        else:
            raise NeuralMIError(
                f"critic={critic!r} models spike counts: one side must hold non-negative integer counts (e.g. the "
                f"binned file's `spikes`), but neither x ({first.x_train.shape[1]} features) nor y "
                f"({first.y_train.shape[1]} features) does; use critic='separable' for continuous data.")
    if side == "y":
        swapped: dict[int, MemberData] = {}  # a member given more than once stays one object (transformed once)
        members = [swapped.setdefault(id(m), MemberData(m.y_train, m.x_train, m.y_test, m.x_test)) for m in members]
    return members, side


def integer_columns(*arrays: np.ndarray) -> np.ndarray:
    """Boolean mask of the columns whose every value, in every array (samples on axis 0), is a finite integer."""
    mask = np.ones(arrays[0].shape[1], dtype=bool)
    for a in arrays:
        if len(a):
            mask &= np.all(np.isfinite(a) & (a == np.round(a)), axis=0)
    return mask


def dimension_info(member: MemberData, seed: int) -> dict[str, float | int]:
    """The density-based estimators' check that their continuous features have a density: the TwoNN intrinsic
    dimension of each side's continuous training columns (those that are not integer-valued on the training and
    held-out rows together, the columns :func:`dequantize_members` leaves alone) next to that of a standard-normal
    sample of the same shape (:func:`~neuralmi_core.intrinsic.side_dimension`), as flat ``fit.info`` entries
    ``intrinsic_{features,rows,dim,ref}_{x,y}`` (sides with fewer than 2 continuous columns are left out)."""
    # scipy.spatial: imported where a density-based fit first needs it
    from ..intrinsic import info_entries, side_dimension

    out: dict[str, float | int] = {}
    for side in ("x", "y"):
        train = np.asarray(getattr(member, f"{side}_train"))
        check = side_dimension(train, ~integer_columns(train, getattr(member, f"{side}_test")), seed)
        if check:
            out.update(info_entries(check, side))
    return out


def empirical_sides(member: MemberData, choice: str, dims: Mapping[str, Any]) -> tuple[str, dict[str, str]]:
    """MI-NEE's ``empirical_sides`` resolved on the data: ``(sides, info)``, ``sides`` one of none, x, y, both and
    ``info`` ``{"empirical_x": reason, ...}`` for the sides chosen (reason: ``integer-valued``, ``lower-dimensional``
    or ``asked``). ``auto`` picks every side without a density: all of its features integer-valued on the training
    and held-out rows (spike counts), or its continuous features reading lower-dimensional in ``dims`` (the
    :func:`dimension_info` of the fit)."""
    from ..intrinsic import check_from_info, is_lower_dimensional

    if choice != "auto":
        on = [side for side in "xy" if choice in (side, "both")]
        return choice, {f"empirical_{side}": "asked" for side in on}
    info = {}
    for side in "xy":
        if integer_columns(getattr(member, f"{side}_train"), getattr(member, f"{side}_test")).all():
            info[f"empirical_{side}"] = "integer-valued"
        elif is_lower_dimensional(check_from_info(dims, side)):
            info[f"empirical_{side}"] = "lower-dimensional"
    on = "".join(side for side in "xy" if f"empirical_{side}" in info)
    return {"": "none", "x": "x", "y": "y", "xy": "both"}[on], info


def minee_joint(members: list[MemberData], choice: str, sides: str) -> tuple[str, str | None]:
    """MI-NEE's ``joint_critic`` resolved on the data: ``(joint, counts side)``. ``auto`` picks ``poisson`` when
    exactly one side looks like spike counts (:func:`spike_counts_side`, the rule of the InfoNCE critic ``auto``)
    and that side has its empirical reference (``sides``, the resolved ``empirical_sides``: a Poisson model of the
    counts needs the counts, not dequantized values against a continuous reference), else ``mlp``. An explicit
    ``poisson`` takes the side holding non-negative integers (x first) and raises when it has no empirical
    reference."""
    if choice == "mlp":
        return "mlp", None
    empirical = {side for side in "xy" if sides in (side, "both")}
    if choice == "auto":
        side = spike_counts_side(members)
        return ("poisson", side) if side in empirical else ("mlp", None)
    _, side = counts_on_x(members, "poisson")
    if side not in empirical:
        raise NeuralMIError(f"minee option joint_critic='poisson' models the spike counts on the {side} side as counts, "
                            f"so that side's reference must be its own training rows: empirical_sides must be "
                            f"{side!r}, 'both' or 'auto' (got {sides!r} after resolving).")
    return "poisson", side


def context_side(member: MemberData, choice: str, dims: Mapping[str, Any], variant: str = "general",
                 ) -> tuple[str, dict[str, str]]:
    """MIENF's ``context_side`` resolved on the data: ``(side, info)``, ``side`` one of none, x, y and ``info``
    ``{"context_x": reason}`` (or ``context_y``) for the side chosen (reason: ``integer-valued``,
    ``lower-dimensional`` or ``asked``). ``auto`` picks the side without a density (as :func:`empirical_sides`
    judges it) when the other side has one; none when both or neither have one, and for the tridiagonal variant
    (its per-component MIs need a flow of each side). When MIENF flows both sides and neither has a density, ``info``
    is ``{"no_density": "x: reason; y: reason"}`` (the ``no_density`` warning and flag)."""
    if choice != "auto":
        if choice != "none" and variant != "general":
            raise NeuralMIError(f"options.context_side={choice!r} needs options.variant='general' (the tridiagonal "
                                f"variant's per-component MIs need a flow of each side); got variant {variant!r}.")
        if choice != "none":
            return choice, {f"context_{choice}": "asked"}
    _, found = empirical_sides(member, "auto", dims)
    # flows of both sides, neither of which has a density: recorded for the no_density warning and flag
    neither = {"no_density": "; ".join(f"{k[-1]}: {v}" for k, v in found.items())} if len(found) == 2 else {}
    if choice == "none" or variant != "general" or len(found) != 1:
        return "none", neither
    (key, reason), = found.items()
    side = key[-1]
    return side, {f"context_{side}": reason}


def dequantize_members(members: list[MemberData], seed: int,
                       keep: tuple[str, ...] = ()) -> tuple[list[MemberData], dict[str, int]]:
    """The density-based estimators' (MI-NEE, MIENF) view of discrete data: Uniform[0, 1) noise added to every
    integer-valued feature (spike counts, binary or categorical codes), train and held-out alike.

    Exact for the MI: with U independent of (X, Y), X + U determines X (its floor) and U, so
    I(X + U; Y) = I(X, U; Y) = I(X; Y). Without it a discrete X has no density: MI-NEE's divergences to its
    continuous reference (and MIENF's likelihood) grow without bound as the networks fit the lattice, and the MI
    is a difference of diverging terms (benchmarks/README.md, issue 23: 959 nats on a place-cell population whose
    MI is 1.6). Continuous features are untouched. The noise is drawn from ``seed`` and the member's index.
    Sides in ``keep`` ("x", "y") are left as they are. Returns the members and
    ``{"dequantized_x": columns, "dequantized_y": columns}`` (empty when nothing was).
    """
    out, counts = [], {"dequantized_x": 0, "dequantized_y": 0}
    for i, m in enumerate(members):
        rng = np.random.default_rng([int(seed) % 2**63, i, 0x5EED])
        parts = {}
        for side in ("x", "y"):
            train, test = getattr(m, f"{side}_train"), getattr(m, f"{side}_test")
            cols = integer_columns(train, test) & (side not in keep)
            counts[f"dequantized_{side}"] = max(counts[f"dequantized_{side}"], int(cols.sum()))
            for name, a in ((f"{side}_train", train), (f"{side}_test", test)):
                if cols.any():
                    a = np.array(a, dtype=np.float64)
                    a[:, cols] += rng.random((a.shape[0], int(cols.sum())))
                parts[name] = a
        out.append(MemberData(**parts))
    if not any(counts.values()):
        return members, {}
    return out, counts


def _fit_once(members: list[MemberData], spec: ModelSpec, config: TrainConfig, desc: str,
              preprocessing: str, tie: Any = None) -> tuple[EnsembleFit, Any]:
    with torch_threads(config.threads):
        data = make_ensemble_data(members, eval_size=config.eval_size, seed=config.seed,
                                  preprocessing=preprocessing, device=resolve_device(config.device), tie=tie)
        dims = (data.x_train.shape[2], data.y_train.shape[2])
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(config.seed)
            if data.tie is None:
                objective = build_objective(spec, data.n_members, *dims)
            else:  # the base members' initial weights, each replica given its base's
                n_base, rows = tie_rows(data.tie)
                base = build_objective(spec, n_base, *dims)
                objective = build_objective(spec, data.n_members, *dims)
                if not all(t.ndim >= 1 and t.shape[0] == n_base for t in base.state_dict().values()):
                    raise NeuralMIError(f"estimator {spec.estimator!r}: its state is not one row per member, so "
                                        "members cannot be replicas of others (`tie`)")
                index = torch.as_tensor(rows)
                objective.load_state_dict({name: t[index] for name, t in base.state_dict().items()})
        fit = train_ensemble(objective, data, config, desc=desc)
    return fit, data


def setup_training(values: Mapping[str, Any]) -> tuple[ModelSpec, TrainConfig, dict[str, Any]]:
    """``(ModelSpec, TrainConfig, record)`` from resolved settings (:mod:`neuralmi_core.settings`).

    ``values`` holds every model and training setting, already checked (an analysis's
    :meth:`~neuralmi_core.analysis.base.Analysis.check`, or :func:`neuralmi_core.estimate`). ``record`` is
    what a result stores as its ``settings``: every model and training setting that changes the numbers
    (not the seed, device, threads or progress bar), plus the trainer's fixed checkpoint rule (``min_epochs``,
    ``smooth_window``), so that parts trained differently are never gathered together.
    """
    spec = ModelSpec(**{k: values[k] for k in MODEL.names}).validate()
    cfg = TrainConfig(**{k: values[k] for k in TRAINING.names if k not in ("split", "test_fraction", "gap",
                                                                          "preprocess")},
                      device=values.get("device", "auto"), progress=values.get("progress"),
                      threads=values.get("threads")).validate()
    record = {k: values[k] for k in MODEL.names + TRAINING.names if k != "seed"}
    record.update(min_epochs=cfg.min_epochs, smooth_window=cfg.smooth_window)
    return spec, cfg, record
