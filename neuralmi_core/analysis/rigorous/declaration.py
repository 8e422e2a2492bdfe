"""Rigorous mode's declaration: its settings, cells, checks and ``neuralmi rigorous --help`` text."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ...flags import flags_help
from ...settings import (
    CRITICS,
    TRAINED_ESTIMATORS,
    Choice,
    Float,
    Int,
    IntList,
    Optional,
    Setting,
    Settings,
)
from ...validation import (
    NeuralMIError,
)
from ..base import Analysis, check_split, seeds_of
from .result import EXTRAPOLATE

if TYPE_CHECKING:
    pass


MIN_CHUNK_SAMPLES = 20  # a chunk smaller than this cannot be split and trained: refused up front
SEEDS_HELP = "seeds; each retrains every member with other initialisations (and other chunks when random)"


CLI_HELP = """Bias-corrected I(X; Y) with error bars: train on 1/gamma of the data for gamma = 1..G, extrapolate to 1/N = 0.

For each gamma the samples are split into gamma disjoint chunks (contiguous for --split blocked, random
for --split random; see --chunking) and one network is trained per chunk (train/test split inside the
chunk). Every (gamma, seed) cell trains as one batched ensemble and depends on no other cell, so a
workflow may run one cell per job (--gammas 3 --seeds 1) and combine the parts with
`neuralmi gather rigorous`: the gathered JSON holds the same numbers as one call with all cells.
The members' MI is regressed on gamma by weighted least squares (weights 1/gamma) over the linear region
(the largest gammas are dropped while the quadratic fit has |a2/a1| >= --delta and a resolved a2,
keeping --min-gammas); the intercept at gamma = 0 is the corrected MI. The member MI regressed is by
default the mean of the training-subset and held-out MI (--extrapolate), whose first-order biases cancel.

JSON fields (every *_nats field also has a *_bits twin = nats / ln 2):
  mi_nats                  corrected MI (intercept); null when there is no fit (see fit_reason)
  ci_low_nats, ci_high_nats  confidence interval of the corrected MI at level `confidence` (quote this):
                           the fit's error, the data-set noise all members share and the systematic
                           error combined in quadrature: half-width
                           sqrt(t^2 (se^2 + shared_se^2) + (z systematic)^2)
  pi_low_nats, pi_high_nats  prediction interval for one new full-data member (the CI plus one member's noise)
  fit_ci_low_nats, fit_ci_high_nats  textbook t-interval of the WLS intercept (members taken as independent;
                           too narrow on real training, kept for comparison)
  shared_se_nats           sd of one full-data member about the fit (bounds the shared sampling noise)
  systematic_nats          largest distance from mi_nats to the "train" and "test" extrapolations
  se_nats                  standard error of the intercept (of the fit)
  slope_nats               d MI / d gamma of the fit (nats per unit gamma)
  naive_mi_nats            uncorrected full-data estimate: mean held-out MI of the gamma = 1 members
  bracket_low_nats, bracket_high_nats  range spanned by the "train" and "test" extrapolations, each
                           widened by its CI: both should reach the true MI if the bias is purely a/N, so
                           a wide bracket shows bias the fit does not model (quote it when it is wide)
  confidence               interval level (default 0.68)
  extrapolate              member MI that was regressed: "average" (default: mean of the two below, whose
                           first-order biases cancel), "train" (training-subset MI at the best held-out
                           checkpoint) or "test" (held-out MI)
  reliable                 false when a flag below makes the extrapolation unsafe
  flags                    {flags}
  fit_reason               why there is no fit (empty string when there is one)
  gammas, seeds            cells present; gammas_used / gammas_dropped: inside / outside the linear region
  members                  one row per network: gamma, chunk (0-based), seed, n_train, n_test, n_eval,
                           mi_test_nats (held-out MI at the best checkpoint), mi_train_nats (training-subset
                           MI at that checkpoint), best_epoch, epochs_run
  per_gamma                gamma, n_members, mean_nats, std_nats of the extrapolated member MI
  fits                     the full fit for each choice of member MI ("average", "train", "test"): intercept_nats,
                           slope_nats, se_nats, ci_*/pi_*_nats, scale_nats2 (residual variance of a gamma = 1
                           member, nats^2), df, n_points, gammas_used, gammas_dropped, curvature_ratio (|a2/a1|),
                           intercept_without_gamma1_nats, max_abs_residual, cov_params (intercept, slope),
                           flags, reliable, reason, delta, min_gammas
  settings                 model and training settings (parts must agree to be gathered)
  fit_settings             confidence, extrapolate, delta, min_gammas, min_chunk
  data                     n_samples, dim_x, dim_y, sha256 (fingerprint of X and Y)
  cells                    per (gamma, seed) cell: seconds, device, ceiling_nats
  selection                how X and Y were cut from their files: specs, window, lag in bins and seconds,
                           bins kept and dropped (by reason), and the label of every feature column
                           (e.g. the unit id)
  seconds, warnings, inputs (the X and Y arguments), unit_note

Example:
  neuralmi rigorous x.npy y.npz:pos --split random --gammas 1-10 --n-seeds 2 --json out.json
  neuralmi rigorous x.npy y.npy --gammas 3 --seeds 1 --json part_g3_s1.json   # one workflow cell
""".replace("{flags}", flags_help())  # each flag's words live once, in neuralmi_core.flags


class RigorousAnalysis(Analysis):
    name = "rigorous"
    help = "bias-corrected I(X; Y) with a confidence interval (1/N extrapolation over data fractions)"
    description = CLI_HELP
    y = "required"
    estimators = TRAINED_ESTIMATORS
    critics = CRITICS
    why_estimators = " (trained estimators: the baselines have no members to extrapolate)"
    cell_keys = (("gamma", "g"), ("seed", "s"))
    run = "neuralmi_core.analysis.rigorous:rigorous"
    gather = "neuralmi_core.analysis.rigorous:gather_rigorous"
    result = "neuralmi_core.analysis.rigorous:RigorousResult"
    own = Settings([
        Setting("gammas", tuple(range(1, 11)), IntList(1), "data fractions: gamma disjoint chunks, one member "
                "each; '1-10', '1,2,4' or one gamma for a partial run", stage="cells"),
        Setting("seeds", None, Optional(IntList(0)), f"{SEEDS_HELP}; e.g. '0,3' or '0-4' (default: seed .. "
                "seed + n_seeds - 1)", stage="cells", aliases=("--seed-list",)),
        Setting("n_seeds", 1, Int(1), "number of seeds when `seeds` is not given", stage="cells", config=False),
        Setting("seed", 0, Int(0), "first seed when `seeds` is not given", stage="cells", config=False),
        Setting("chunking", "auto", Choice(("auto", "contiguous", "random")), "how chunks are cut: auto "
                "(contiguous for split blocked, random for split random), contiguous or random"),
        Setting("confidence", 0.68, Float(0.0, 1.0, low_open=True, high_open=True),
                "level of the confidence and prediction intervals", stage="fit"),
        Setting("extrapolate", "average", Choice(EXTRAPOLATE), "member MI regressed on gamma: the mean of the "
                "training-subset and held-out MI (average), the training-subset MI at the best held-out "
                "checkpoint (train) or the held-out MI (test)", stage="fit"),
        Setting("delta", 0.1, Float(0.0, low_open=True), "linear-region threshold on |a2/a1| (only a resolved "
                "a2 prunes)", stage="fit"),
        Setting("min_gammas", 5, Int(3), "fewest gammas kept by the linear-region search", stage="fit"),
        Setting("min_chunk", 1000, Int(1), "warn when a chunk holds fewer samples than this", stage="fit"),
    ])

    def cells(self, values: Mapping[str, Any]) -> list[dict[str, int]]:
        return [{"gamma": g, "seed": s} for g in values["gammas"] for s in seeds_of(values)]

    def cell_settings(self, cell: Mapping[str, int]) -> dict[str, Any]:
        return {"gammas": (cell["gamma"],), "seeds": (cell["seed"],)}

    def check_more(self, values: Mapping[str, Any], has_y: bool, pre: str) -> None:
        seeds_of(values)

    data_settings = ("gammas", "min_chunk", "split", "test_fraction", "gap")

    def check_data(self, n_samples: int, values: Mapping[str, Any], info: Mapping[str, Any]) -> dict[str, Any]:
        gammas = values["gammas"]
        check_chunk_sizes(n_samples, gammas)
        for g in gammas:
            check_split(n_samples // g, values, f"at gamma {g} each chunk holds {n_samples // g} samples: ")
        return {"gammas": list(gammas), "smallest_chunk": n_samples // max(gammas),
                "gammas_below_min_chunk": [g for g in gammas if n_samples // g < values["min_chunk"]]}

    def check_config(self, values: Mapping[str, Any]) -> None:
        if len(values["gammas"]) < values["min_gammas"]:
            raise NeuralMIError(f"`gammas` holds {len(values['gammas'])} gamma(s) but `min_gammas` is "
                                f"{values['min_gammas']}; the fit needs at least min_gammas gammas")


ANALYSIS = RigorousAnalysis()


def check_chunk_sizes(n_samples: int, gammas: Sequence[int]) -> None:
    """Refuse gammas whose chunks hold fewer than :data:`MIN_CHUNK_SAMPLES` samples (names the largest gamma)."""
    top = max(gammas)
    if n_samples // top < MIN_CHUNK_SAMPLES:
        raise NeuralMIError(f"`gammas` up to {top} leave chunks of {n_samples // top} samples (n_samples={n_samples}); "
                            f"each chunk needs at least {MIN_CHUNK_SAMPLES}. Use fewer gammas.")

