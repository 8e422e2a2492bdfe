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
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..settings import (
    BOUND_ESTIMATORS,
    EMBEDDING_CRITICS,
    FloatList,
    Int,
    IntList,
    Optional,
    Setting,
    Settings,
    api,
)
from ..validation import NeuralMIError, as_2d_samples, check_paired, constant_input_warning
from .base import Analysis, check_split, gather_parts, seeds_of
from .dimensionality_result import DimensionalityMember, DimensionalityResult, summarize_dimensionality
from .plan import channel_halves, derive_seed, fingerprint
from .saturation import STRICTNESS

if TYPE_CHECKING:
    from ..estimators import ModelSpec
    from ..training import TrainConfig

DEFAULT_DIMS = (1, 2, 3, 4, 6, 8, 12, 16)


CLI_HELP = """Latent dimensionality: sweep the separable critic's embedding dim and find where the MI saturates.

Without Y: X's channels are split at random into two equal halves (--n-splits halvings; with an odd
channel count one channel is left out of each) and I(X_A; X_B) is estimated per embedding dim. With Y:
the same sweep for I(X; Y) (interaction dimensionality), --n-splits replicates per dim. The saturation
dim for strictness s is the last dim before the first step whose mean MI gain is below s times the
spread (std over halvings x seeds) at the larger dim. Each (embedding_dim, seed) cell trains as one
batched ensemble and depends on no other cell: one dim is a valid partial run, and
`neuralmi gather dimensionality` combines parts into the numbers of one call. The sweep sets the
embedding dim (there is no --embedding-dim here). Default estimator: smile (clip --tau 5).

JSON fields:
  target              "internal" (I(X_A; X_B)) or "interaction" (I(X; Y))
  embedding_dims      dims present; seeds: seeds present; n_splits: halvings / replicates per cell
  curve               per dim: embedding_dim, n_members, mean_nats, std_nats (held-out MI over
                      halvings x seeds), mean_bits, std_bits
  saturation          saturation dim per strictness s, keyed as --strictness writes s ("0.1", "1", "15";
                      earlier outputs used "1.0" and "15.0": renamed to match the config and the
                      report's saturation_dim_s0.1/_s1/_s15 columns); null: not saturated within the
                      dims swept, a single-dim partial run, or no shared information
  saturation_dim      the saturation dim at strictness 1 (null as above)
  no_shared_information  true when the MI at every dim is below 0.01 nats or not significantly above 0
                      (one-sided t-test, Bonferroni over the dims): no dimensionality is reported
  members             one row per network: embedding_dim, halving (index of the channel halving or
                      replicate; called `split` before 0.2), seed, n_train, n_test, n_eval,
                      mi_test_nats, mi_train_nats, best_epoch, epochs_run, channels_a, channels_b
                      (X's channel indices of each half; empty for interaction)
  dropped_channel     true when X's odd channel count made each halving leave one channel out
  settings            model and training settings, n_splits, target (parts must agree to be gathered)
  fit_settings        strictness (the only setting used when parts are gathered)
  data                n_samples, dim_x, dim_y, sha256 (fingerprint of the inputs)
  cells               per (embedding_dim, seed) cell: seconds, device
  selection           how X (and Y) were cut from their files: specs, window, lag in bins and seconds,
                      bins kept and dropped (by reason), and the label of every feature column (e.g.
                      the unit id); null for plain arrays passed to the Python API
  seconds, warnings, inputs, unit_note

Example:
  neuralmi dimensionality x.npy --embedding-dims 1,2,3,4,6,8 --n-splits 5 --json dims.json
  neuralmi dimensionality x.npy --embedding-dims 4 --seeds 0 --json part_d4_s0.json   # one cell
"""


class DimensionalityAnalysis(Analysis):
    name = "dimensionality"
    help = "latent dimensionality from the MI-vs-embedding-dim saturation (channel halvings of X, or X vs Y)"
    description = CLI_HELP
    y = "optional"
    defaults = {"estimator": "smile"}
    exclude = ("embedding_dim",)
    estimators = BOUND_ESTIMATORS
    critics = EMBEDDING_CRITICS
    why_estimators = " (a variational bound with a critic whose embedding size is swept; minee and mienf have none)"
    why_critics = " (a critic with an embedding to sweep)"
    cell_keys = (("embedding_dim", "d"), ("seed", "s"))
    run = "neuralmi_core.analysis.dimensionality:dimensionality"
    gather = "neuralmi_core.analysis.dimensionality:gather_dimensionality"
    result = "neuralmi_core.analysis.dimensionality:DimensionalityResult"
    own = Settings([
        Setting("embedding_dims", DEFAULT_DIMS, IntList(1), "embedding dims to sweep, e.g. '1-6' or '1,2,4,8'; one "
                "dim for a partial run", stage="cells"),
        Setting("n_splits", 5, Int(1), "random halvings of X's channels (or replicates, with Y) per dim and seed, "
                "trained as one ensemble"),
        Setting("seeds", None, Optional(IntList(0)), "seeds, e.g. '0,3' (default: seed .. seed + n_seeds - 1); "
                "the halvings depend on the seed, not on the dim", stage="cells", aliases=("--seed-list",)),
        Setting("n_seeds", 1, Int(1), "number of seeds when `seeds` is not given", stage="cells", config=False),
        Setting("seed", 0, Int(0), "first seed when `seeds` is not given", stage="cells", config=False),
        Setting("strictness", STRICTNESS, FloatList(0.0), "saturation strictness values s: saturated when the "
                "MI gain is below s times its spread", stage="fit"),
    ])

    def cells(self, values: Mapping[str, Any]) -> list[dict[str, int]]:
        return [{"embedding_dim": d, "seed": s} for d in values["embedding_dims"] for s in seeds_of(values)]

    def cell_settings(self, cell: Mapping[str, int]) -> dict[str, Any]:
        return {"embedding_dims": (cell["embedding_dim"],), "seeds": (cell["seed"],)}

    def check_more(self, values: Mapping[str, Any], has_y: bool, pre: str) -> None:
        seeds_of(values)

    def check_data(self, n_samples: int, values: Mapping[str, Any], info: Mapping[str, Any]) -> dict[str, Any]:
        check_split(n_samples, values)
        if not info.get("use_y") and info.get("n_features_x", 2) < 2:
            raise NeuralMIError(f"X selects {info.get('n_features_x')} feature; the dimensionality sweep halves X's "
                                f"features and needs at least 2.")
        return {"n_samples": n_samples, "x_alone": not info.get("use_y")}

    def check_config(self, values: Mapping[str, Any]) -> None:
        if len(values["embedding_dims"]) < 2:
            raise NeuralMIError(f"`embedding_dims` holds {len(values['embedding_dims'])} dim; a saturation curve "
                                f"needs at least 2")


ANALYSIS = DimensionalityAnalysis()


def train_cell(pairs: Sequence[tuple[np.ndarray, np.ndarray]], embedding_dim: int, seed: int, spec: ModelSpec,
               config: TrainConfig, *, split: str, test_fraction: float, gap: int,
               channels: Sequence[tuple[np.ndarray, np.ndarray]] | None = None, preprocess: str = "copula"
               ) -> tuple[list[DimensionalityMember], dict]:
    """Train one (embedding_dim, seed) cell: one member per (a, b) pair in ``pairs``, as one ensemble."""
    from ..estimators import fit_ensemble
    from ..training import split_member

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
def dimensionality(x: Any, y: Any = None, estimator: str = "smile", critic: str = "separable",
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
    from ..estimators.neural import setup_training

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



__all__ = ["ANALYSIS", "DEFAULT_DIMS", "DimensionalityAnalysis", "DimensionalityMember", "DimensionalityResult", "dimensionality", "gather_dimensionality", "summarize_dimensionality", "train_cell"]
