"""Dimensionality mode: latent dimensionality from the MI-vs-embedding-dim curve of a separable critic.

Internal information (``y`` not given): X's channels are split at random into two equal halves X_A, X_B
(``n_splits`` halvings) and I(X_A; X_B) is estimated with a separable critic g(x_A)·h(x_B) whose
embedding size d is swept. If both halves observe the same k-dimensional latent, the MI rises with d
until d ≈ k and then saturates; the saturation dim (:mod:`.saturation`) estimates k. Interaction
dimensionality (``y`` given): the same sweep for I(X; Y), with ``n_splits`` replicates that differ in
their train/test split and initialisation.

One (embedding_dim, seed) *cell* (all halvings) trains as one batched ensemble and depends on nothing
else, so cells can be separate jobs and be gathered (:func:`gather_dimensionality`) into the numbers of
one :func:`dimensionality` call. SMILE (clip tau = 5) is the default estimator: the internal information
of a shared latent can be large, and InfoNCE would saturate at log(batch) first (seed ``000_*`` §6).

Reference: Abdelaleem, E., Martini, K. M. & Nemenman, I. (2025). Accurate estimation of mutual
information in high dimensional data. arXiv:2506.00330.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..estimators import ModelSpec, fit_ensemble
from ..results import _jsonable, nats_to_bits
from ..training import TrainConfig, split_member
from ..validation import NeuralMIError, as_2d_samples, check_float, check_int, check_paired
from .plan import (
    channel_halves,
    derive_seed,
    fingerprint,
    parse_int_list,
    resolve_seeds,
    settings_mismatch,
    training_setup,
)
from .saturation import (
    STRICTNESS,
    ZERO_FLOOR_NATS,
    curve_summary,
    indistinguishable_from_zero,
    saturation_table,
)

DEFAULT_DIMS = (1, 2, 3, 4, 6, 8, 12, 16)
TRAINING_KEYS = ("estimator", "critic", "hidden", "n_layers", "activation", "variational", "beta", "tau",
                 "options", "epochs", "batch_size", "lr", "patience", "min_epochs", "smooth_window", "eval_size",
                 "split", "test_fraction", "gap", "n_splits", "target", "preprocess")
DATA_KEYS = ("n_samples", "dim_x", "dim_y", "sha256")


@dataclass(frozen=True)
class DimensionalityMember:
    """One member: halving (or replicate) ``split`` at embedding dim ``embedding_dim``, trained with ``seed``."""

    embedding_dim: int
    split: int
    seed: int
    n_train: int
    n_test: int
    n_eval: int
    mi_test_nats: float
    mi_train_nats: float
    best_epoch: int
    epochs_run: int
    channels_a: tuple[int, ...] = ()
    channels_b: tuple[int, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {f.name: _jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> DimensionalityMember:
        kw = {f.name: d.get(f.name) for f in dataclasses.fields(cls)}
        for k in ("mi_test_nats", "mi_train_nats"):
            kw[k] = float("nan") if kw[k] is None else float(kw[k])
        kw["channels_a"] = tuple(kw["channels_a"] or ())
        kw["channels_b"] = tuple(kw["channels_b"] or ())
        return cls(**kw)


@dataclass(frozen=True)
class DimensionalityResult:
    """MI-vs-embedding-dim curve and saturation dims (see :func:`dimensionality`).

    Attributes
    ----------
    target : str
        ``internal`` (I(X_A; X_B) over channel halvings of X) or ``interaction`` (I(X; Y)).
    curve : tuple of dict
        Per embedding dim: ``embedding_dim``, ``n_members``, ``mean_nats``, ``std_nats`` (held-out MI over
        halvings × seeds), plus ``mean_bits``/``std_bits`` in ``to_dict()``.
    saturation : dict
        Saturation dim per strictness (keys ``"0.1"``, ``"1.0"``, ``"15.0"``); None when the curve does
        not saturate within the dims swept, when the run holds a single dim, or when the curve is
        indistinguishable from zero (``no_shared_information``).
    saturation_dim : int or None
        The saturation dim at strictness 1 (the headline number).
    no_shared_information : bool
        The MI at every dim is below 0.01 nats or not significantly above 0
        (:func:`~.saturation.indistinguishable_from_zero`): there is no dimensionality to report.
    members : tuple of DimensionalityMember
        The per-member table.
    """

    target: str
    embedding_dims: tuple[int, ...]
    seeds: tuple[int, ...]
    n_splits: int
    curve: tuple[dict[str, Any], ...]
    saturation: dict[str, int | None]
    saturation_dim: int | None
    members: tuple[DimensionalityMember, ...]
    settings: dict[str, Any]
    data: dict[str, Any]
    dropped_channel: bool = False
    seconds: float = 0.0
    cells: tuple[dict[str, Any], ...] = field(default=(), compare=False)
    warnings: tuple[str, ...] = ()
    no_shared_information: bool = False

    def to_dict(self) -> dict[str, Any]:
        out = {f.name: _jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)}
        for row in out["curve"]:
            for k in ("mean", "std"):
                v = row[f"{k}_nats"]
                row[f"{k}_bits"] = None if v is None else nats_to_bits(v)
        out["unit_note"] = "*_nats in nats (natural log); *_bits = *_nats / ln 2"
        return out

    def __repr__(self) -> str:
        head = "no shared information" if self.no_shared_information else f"saturation dim {self.saturation_dim} (s=1)"
        return f"DimensionalityResult({self.target}: {head}, {self.saturation}, dims {list(self.embedding_dims)})"

    def plot(self, ax: Any = None, unit: str = "bits") -> Any:
        """MI against embedding dim (members, mean ± sd) with the saturation dims marked; returns the Figure."""
        if ax is None:
            import matplotlib.figure

            fig = matplotlib.figure.Figure(figsize=(6, 4))
            ax = fig.add_subplot()
        else:
            fig = ax.figure
        conv = nats_to_bits if unit == "bits" else float
        ax.scatter([m.embedding_dim for m in self.members], [conv(m.mi_test_nats) for m in self.members], s=10,
                   alpha=0.4, color="C0", label="members (held-out MI)")
        dims = [r["embedding_dim"] for r in self.curve]
        ax.errorbar(dims, [conv(r["mean_nats"]) for r in self.curve],
                    yerr=[conv(r["std_nats"]) if math.isfinite(r["std_nats"]) else 0 for r in self.curve],
                    fmt="o-", color="C0", capsize=3, label="mean ± sd")
        for i, (s, d) in enumerate(self.saturation.items()):
            if d is not None:
                ax.axvline(d, color=f"C{i + 1}", ls="--", lw=1, label=f"saturation s={float(s):g}: {d}")
        ax.set_xscale("log", base=2)
        ax.set_xticks(dims, [str(d) for d in dims])
        ax.set_xlabel("embedding dim")
        ax.set_ylabel(f"MI ({unit})")
        ax.set_title("I(X_A; X_B) over channel halvings" if self.target == "internal" else "I(X; Y)", fontsize=9)
        ax.legend(fontsize=7)
        return fig


def train_cell(pairs: Sequence[tuple[np.ndarray, np.ndarray]], embedding_dim: int, seed: int, spec: ModelSpec,
               config: TrainConfig, *, split: str, test_fraction: float, gap: int,
               channels: Sequence[tuple[np.ndarray, np.ndarray]] | None = None, preprocess: str = "copula"
               ) -> tuple[list[DimensionalityMember], dict]:
    """Train one (embedding_dim, seed) cell: one member per (a, b) pair in ``pairs``, as one ensemble."""
    members = [split_member(a, b, split, test_fraction, gap=gap, seed=derive_seed(seed, j))
               for j, (a, b) in enumerate(pairs)]
    cfg = dataclasses.replace(config, seed=derive_seed(seed, embedding_dim))
    t0 = time.perf_counter()
    fit = fit_ensemble(members, dataclasses.replace(spec, embedding_dim=embedding_dim), cfg,
                       desc=f"dim={embedding_dim} seed={seed}", preprocessing=preprocess)
    rows = []
    for j, m in enumerate(fit.members):
        ca, cb = channels[j] if channels is not None else ((), ())
        rows.append(DimensionalityMember(
            embedding_dim=embedding_dim, split=j, seed=seed, n_train=m.n_train, n_test=m.n_test, n_eval=m.n_eval,
            mi_test_nats=m.mi_test_nats, mi_train_nats=m.mi_train_nats, best_epoch=m.best_epoch,
            epochs_run=m.epochs_run, channels_a=tuple(int(c) for c in ca), channels_b=tuple(int(c) for c in cb)))
    return rows, {"embedding_dim": embedding_dim, "seed": seed, "seconds": time.perf_counter() - t0,
                  "device": fit.device}


def summarize_dimensionality(members: Sequence[DimensionalityMember], settings: dict[str, Any],
                             data: dict[str, Any], *, strictness: Sequence[float] = STRICTNESS,
                             seconds: float = 0.0, cells: Sequence[dict[str, Any]] = (),
                             dropped_channel: bool = False) -> DimensionalityResult:
    """Curve and saturation dims from a member table: the pure second half of :func:`dimensionality`."""
    strict = tuple(check_float("strictness", s, 0.0, low_open=True) for s in strictness)
    rows = tuple(sorted(members, key=lambda m: (m.embedding_dim, m.seed, m.split)))
    keys = [(m.embedding_dim, m.seed, m.split) for m in rows]
    if len(set(keys)) != len(keys):
        raise NeuralMIError("the member table holds duplicate (embedding_dim, seed, split) rows; each cell may "
                            "appear once (were the same parts given twice?).")
    curve = tuple(curve_summary([m.embedding_dim for m in rows], [m.mi_test_nats for m in rows]))
    sat = saturation_table(list(curve), strict)
    dims = tuple(r["embedding_dim"] for r in curve)
    no_info = indistinguishable_from_zero(curve)
    if no_info:
        sat = {k: None for k in sat}
    warnings = []
    if dropped_channel:
        warnings.append(f"X has an odd number of channels ({data['dim_x']}): each halving leaves one channel out "
                        f"so that both halves have {data['dim_x'] // 2}")
    if no_info:
        warnings.append(f"no shared information: the held-out MI at every embedding dim is below {ZERO_FLOOR_NATS} nats "
                        f"or not significantly above 0 (largest mean "
                        f"{max(r['mean_nats'] for r in curve if math.isfinite(r['mean_nats'])):.4f} nats); no "
                        f"saturation dim is reported")
    if len(dims) < 2:
        warnings.append(f"a single embedding dim {list(dims)}: no saturation (a partial run; gather the parts)")
    elif not no_info and sat.get("1.0", next(iter(sat.values()), None)) is None:
        warnings.append(f"the MI still rises at the largest embedding dim {dims[-1]}: the latent dimensionality "
                        f"may exceed the dims swept")
    if any(not math.isfinite(m.mi_test_nats) for m in rows):
        warnings.append("some members produced no finite held-out MI (training diverged)")
    s1 = sat.get("1.0") if "1.0" in sat else None
    return DimensionalityResult(
        target=settings["target"], embedding_dims=dims, seeds=tuple(sorted({m.seed for m in rows})),
        n_splits=int(settings["n_splits"]), curve=curve, saturation=sat, saturation_dim=s1, members=rows,
        settings=dict(settings), data=dict(data), dropped_channel=dropped_channel, seconds=seconds,
        cells=tuple(sorted(cells, key=lambda c: (c["embedding_dim"], c["seed"]))), warnings=tuple(warnings),
        no_shared_information=no_info)


def dimensionality(
    x: Any,
    y: Any = None,
    estimator: str = "smile",
    critic: str = "separable",
    *,
    embedding_dims: str | int | Sequence[int] = DEFAULT_DIMS,
    n_splits: int = 5,
    n_seeds: int | None = None,
    seeds: str | Sequence[int] | None = None,
    strictness: Sequence[float] = STRICTNESS,
    hidden: int = 256,
    n_layers: int = 1,
    activation: str = "relu",
    variational: bool = False,
    beta: float = 1e-3,
    tau: float = 5.0,
    epochs: int = 300,
    batch_size: int = 256,
    lr: float = 5e-4,
    patience: int = 40,
    split: str = "blocked",
    test_fraction: float = 0.2,
    gap: int = 10,
    eval_size: int = 2048,
    preprocess: str = "copula",
    seed: int = 0,
    device: str = "auto",
    progress: bool | None = None,
    options: dict[str, Any] | None = None,
) -> DimensionalityResult:
    """Latent dimensionality of X (or of the X–Y interaction) from a sweep of the critic's embedding dim.

    Parameters
    ----------
    x : array-like, shape (n_samples, n_channels)
        The population; its channels are halved at random (internal information I(X_A; X_B)).
    y : array-like, optional
        When given, the sweep estimates I(X; Y) instead (interaction dimensionality).
    estimator, critic
        Default ``smile`` (clip ``tau``) with a separable critic; ``critic`` must have an embedding
        (``separable``, ``bilinear`` or ``hybrid``).
    embedding_dims : str or sequence of int
        Dims to sweep (default 1,2,3,4,6,8,12,16); a single dim is a valid partial run.
    n_splits : int
        Random halvings (internal) or replicates (interaction) per dim and seed; one ensemble per cell.
    n_seeds, seeds
        Seeds ``seed .. seed + n_seeds - 1`` (default one) or an explicit list. The halvings depend on the
        seed, not on the dim.
    strictness : sequence of float
        Saturation strictness values s (default 0.1, 1, 15); see :mod:`neuralmi_core.analysis.saturation`.
    hidden, n_layers, activation, variational, beta, tau, options, epochs, batch_size, lr, patience, split,
    test_fraction, gap, eval_size, preprocess, device, progress
        As in :func:`neuralmi_core.estimate`.

    Returns
    -------
    DimensionalityResult
        Per-dim mean and std of the held-out MI, saturation dim per strictness, per-member table;
        ``.plot()`` draws the curve.

    Examples
    --------
    >>> import numpy as np
    >>> z = np.random.default_rng(0).standard_normal((4000, 3))
    >>> x = z @ np.random.default_rng(1).standard_normal((3, 20)) + 0.3 * np.random.default_rng(2).standard_normal(
    ...     (4000, 20))
    >>> res = dimensionality(x, embedding_dims="1-6", split="random")   # doctest: +SKIP
    >>> res.saturation_dim                                              # doctest: +SKIP
    3
    """
    t0 = time.perf_counter()
    x_arr = as_2d_samples("x", x)
    y_arr = None if y is None else as_2d_samples("y", y)
    if y_arr is not None:
        check_paired(x_arr, y_arr)
    n = x_arr.shape[0]
    dims = parse_int_list(embedding_dims, "embedding_dims")
    n_splits = check_int("n_splits", n_splits, 1)
    seed_list = resolve_seeds(seed, n_seeds, seeds)
    if critic == "concat":
        raise NeuralMIError("`critic` must have an embedding to sweep (separable, bilinear or hybrid). Got 'concat'.")
    spec, cfg, settings = training_setup(
        estimator=estimator, critic=critic, embedding_dim=dims[0], hidden=hidden, n_layers=n_layers,
        activation=activation, variational=variational, beta=beta, tau=tau, options=options, epochs=epochs,
        batch_size=batch_size, lr=lr, patience=patience, split=split, test_fraction=test_fraction, gap=gap,
        eval_size=eval_size, preprocess=preprocess, device=device, progress=progress)
    settings.pop("embedding_dim")
    target = "internal" if y_arr is None else "interaction"
    settings.update(n_splits=n_splits, target=target)
    arrays = (x_arr,) if y_arr is None else (x_arr, y_arr)
    data = {"n_samples": n, "dim_x": x_arr.shape[1], "dim_y": None if y_arr is None else y_arr.shape[1],
            "sha256": fingerprint(*arrays)}
    rows: list[DimensionalityMember] = []
    cells = []
    dropped = False
    for s in seed_list:
        if y_arr is None:
            if x_arr.shape[1] < 2:
                raise NeuralMIError(f"`x` has {x_arr.shape[1]} channel; the internal-information sweep halves X's "
                                    f"channels and needs at least 2 (or give `y`).")
            halves, dropped = channel_halves(x_arr.shape[1], n_splits, s)
            pairs = [(x_arr[:, a], x_arr[:, b]) for a, b in halves]
        else:
            halves, pairs = None, [(x_arr, y_arr)] * n_splits
        for d in dims:
            r, c = train_cell(pairs, d, s, spec, cfg, split=settings["split"], test_fraction=settings["test_fraction"],
                              gap=settings["gap"], channels=halves, preprocess=settings["preprocess"])
            rows.extend(r)
            cells.append(c)
    return summarize_dimensionality(rows, settings, data, strictness=strictness, seconds=time.perf_counter() - t0,
                                    cells=cells, dropped_channel=dropped)


def gather_dimensionality(parts: Sequence[dict[str, Any]], *, strictness: Sequence[float] | None = None,
                          sources: Sequence[str] | None = None) -> DimensionalityResult:
    """Combine partial dimensionality runs (their JSON) and compute the curve as one call would."""
    if not parts:
        raise NeuralMIError("gather dimensionality needs at least one part; got none.")
    names = list(sources) if sources is not None else [f"part {i}" for i in range(len(parts))]
    for name, p in zip(names, parts, strict=True):
        if not isinstance(p, dict) or "members" not in p or "settings" not in p or "curve" not in p:
            raise NeuralMIError(f"{name}: not a dimensionality result (expected the JSON written by "
                                f"`neuralmi dimensionality`, with 'members', 'settings' and 'curve').")
    settings = [p["settings"] for p in parts]
    data = [p["data"] for p in parts]
    bad = settings_mismatch(settings, TRAINING_KEYS) + settings_mismatch(data, DATA_KEYS)
    if bad:
        detail = "; ".join(f"{k}: " + ", ".join(f"{n}={(s | d).get(k)!r}" for n, s, d in
                                                zip(names, settings, data, strict=True)) for k in bad)
        raise NeuralMIError(f"the parts do not belong to one dimensionality analysis; they differ in {bad} "
                            f"({detail}).")
    if strictness is None:
        strictness = [float(s) for s in parts[0]["saturation"]]
    seen: dict[tuple[int, int], str] = {}
    members, cells = [], []
    for name, p in zip(names, parts, strict=True):
        for c in p.get("cells", ()):
            key = (c["embedding_dim"], c["seed"])
            if key in seen:
                raise NeuralMIError(f"cell embedding_dim={key[0]} seed={key[1]} appears in both {seen[key]} and "
                                    f"{name}.")
            seen[key] = name
            cells.append(c)
        members.extend(DimensionalityMember.from_dict(m) for m in p["members"])
    return summarize_dimensionality(members, settings[0], data[0], strictness=strictness,
                                    seconds=float(sum(p.get("seconds", 0) for p in parts)), cells=cells,
                                    dropped_channel=any(p.get("dropped_channel") for p in parts))
