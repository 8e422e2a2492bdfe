"""Dimensionality mode's declaration: its settings, cells, checks and ``neuralmi dimensionality --help`` text."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ...settings import (
    BOUND_ESTIMATORS,
    EMBEDDING_CRITICS,
    FloatList,
    Int,
    IntList,
    Optional,
    Setting,
    Settings,
)
from ...validation import NeuralMIError
from ..base import Analysis, check_split, seeds_of
from ..saturation import STRICTNESS

if TYPE_CHECKING:
    pass

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
    defaults = {"estimator": "smile", "weight_decay": 0.001}
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
