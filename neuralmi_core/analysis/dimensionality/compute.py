"""Dimensionality mode's computation: one cell, the API function and the gather of cells."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ...settings import api
from ...validation import NeuralMIError, as_2d_samples, check_paired, constant_input_warning
from ..base import gather_parts
from ..plan import channel_halves, derive_seed, fingerprint
from .result import DimensionalityMember, DimensionalityResult, summarize_dimensionality

if TYPE_CHECKING:
    from ...estimators import ModelSpec
    from ...training import TrainConfig
from .declaration import ANALYSIS


def train_cell(pairs: Sequence[tuple[np.ndarray, np.ndarray]], embedding_dim: int, seed: int, spec: ModelSpec,
               config: TrainConfig, *, split: str, test_fraction: float, gap: int,
               channels: Sequence[tuple[np.ndarray, np.ndarray]] | None = None, preprocess: str = "copula"
               ) -> tuple[list[DimensionalityMember], dict]:
    """Train one (embedding_dim, seed) cell: one member per (a, b) pair in ``pairs``, as one ensemble."""
    from ...estimators import fit_ensemble
    from ...training import split_member

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
            embedding_dim=embedding_dim, halving=j, seed=seed, n_train=m.n_train, n_test=m.n_test, n_eval=m.n_eval,
            mi_test_nats=m.mi_test_nats, mi_train_nats=m.mi_train_nats, best_epoch=m.best_epoch,
            epochs_run=m.epochs_run, channels_a=tuple(int(c) for c in ca), channels_b=tuple(int(c) for c in cb)))
    return rows, {"embedding_dim": embedding_dim, "seed": seed, "seconds": time.perf_counter() - t0,
                  "device": fit.device, "batch_size": fit.batch_size, "timing": dict(fit.info)}


@api(ANALYSIS.settings)
def dimensionality(x: Any, y: Any = None, estimator: str = "smile", critic: str = "auto",
                   **settings: Any) -> DimensionalityResult:
    """Latent dimensionality of X (or of the X–Y interaction) from a sweep of the critic's embedding dim.

    Parameters
    ----------
    x : array-like, shape (n_samples, n_channels)
        The population; its channels are halved at random (internal information I(X_A; X_B)).
    y : array-like, optional
        When given, the sweep estimates I(X; Y) instead (interaction dimensionality).
    estimator, critic
        Default ``smile`` (clip ``tau``) with a separable critic; the critic must have an embedding
        (``separable``, ``bilinear`` or ``hybrid``).
    {settings}

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
    from ...estimators.neural import setup_training

    t0 = time.perf_counter()
    values = ANALYSIS.check({"estimator": estimator, "critic": critic, **settings}, has_y=y is not None)
    x_arr = as_2d_samples("x", x)
    y_arr = None if y is None else as_2d_samples("y", y)
    if y_arr is not None:
        check_paired(x_arr, y_arr)
    elif x_arr.shape[1] < 2:
        raise NeuralMIError(f"`x` has {x_arr.shape[1]} channel; the internal-information sweep halves X's "
                            f"channels and needs at least 2 (or give `y`).")
    n = x_arr.shape[0]
    spec, cfg, record = setup_training({**values, "embedding_dim": values["embedding_dims"][0]})
    record.pop("embedding_dim")
    target = "internal" if y_arr is None else "interaction"
    record.update(n_splits=values["n_splits"], target=target)
    arrays = (x_arr,) if y_arr is None else (x_arr, y_arr)
    data = {"n_samples": n, "dim_x": x_arr.shape[1], "dim_y": None if y_arr is None else y_arr.shape[1],
            "sha256": fingerprint(*arrays)}
    rows: list[DimensionalityMember] = []
    cells = []
    dropped = False
    halvings: dict[int, tuple[Any, list]] = {}
    for cell in ANALYSIS.cells(values):
        s = cell["seed"]
        if s not in halvings:
            if y_arr is None:
                halves, dropped = channel_halves(x_arr.shape[1], values["n_splits"], s)
                halvings[s] = (halves, [(x_arr[:, a], x_arr[:, b]) for a, b in halves])
            else:
                halvings[s] = (None, [(x_arr, y_arr)] * values["n_splits"])
        halves, pairs = halvings[s]
        r, c = train_cell(pairs, cell["embedding_dim"], s, spec, cfg, split=values["split"],
                          test_fraction=values["test_fraction"], gap=values["gap"], channels=halves,
                          preprocess=values["preprocess"])
        rows.extend(r)
        cells.append(c)
    data_warnings = [w for w in (constant_input_warning("x", x_arr),
                                 None if y_arr is None else constant_input_warning("y", y_arr)) if w]
    return summarize_dimensionality(rows, record, data, strictness=values["strictness"],
                                    seconds=time.perf_counter() - t0, cells=cells, dropped_channel=dropped,
                                    extra_warnings=data_warnings)


def gather_dimensionality(parts: Sequence[dict[str, Any]], *, strictness: Sequence[float] | None = None,
                          sources: Sequence[str] | None = None) -> DimensionalityResult:
    """Combine partial dimensionality runs (their JSON) and compute the curve as one call would.

    ``strictness`` (the fit setting) defaults to the parts', which must then agree; parts written before
    0.2 state it only through their saturation keys.
    """
    def fit_of(p: Mapping[str, Any]) -> dict[str, Any]:
        return {"strictness": tuple(float(v) for v in (p.get("fit_settings") or {}).get("strictness", p["saturation"]))}

    g = gather_parts(ANALYSIS, parts, sources, {"strictness": strictness}, required=("curve", "saturation"),
                     fit_of=fit_of)
    return summarize_dimensionality([DimensionalityMember.from_dict(m) for m in g.members], g.settings, g.data,
                                    strictness=g.fit["strictness"], seconds=g.seconds, cells=g.cells,
                                    dropped_channel=any(p.get("dropped_channel") for p in parts))


