"""Transfer entropy's and conditional MI's declarations: settings, cells, checks and ``--help`` texts.

Both analyses are chain-rule differences of two (TE: ``1 + len(delays)``) trained terms. A *cell* is one
term at one (gamma, seed): ``{"gamma": 3, "seed": 0, "term": 2}`` (id ``g3_s0_d2``). Term 0 is the reduced
term (TE: I(Y_past[, Z_past]; Y_future); CMI: I(Z; Y)), term u the full term (TE: with the source past at
delay u; CMI: term 1, I(XZ; Y)). Every term of a (gamma, seed) trains on the same chunks, splits and
network seed, and does not depend on the other terms, so a long delay scan fans out over jobs like
rigorous cells; the gather pairs the terms per member and extrapolates the difference.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...settings import CRITICS, TRAINED_ESTIMATORS, Bool, Choice, Int, IntList, Optional, Setting, Settings
from ...validation import NeuralMIError
from ..base import Analysis, check_split, seeds_of
from ..rigorous import ANALYSIS as RIGOROUS
from ..rigorous import check_chunk_sizes

RIG_FIT = RIGOROUS.stage("fit")

TE_HELP = """Transfer entropy TE(X -> Y) = I(X_past; Y_future | Y_past[, Z_past]) in nats, per delay, bias-corrected.

X, Y (and --z) are time series on the same bins; bins dropped by masks are gaps that no window crosses.
For the predicted bin y[t + horizon] the target past is y[t-k_target+1 .. t] (and Z on those bins with
--z, to separate a direct link from a common drive); the source past at delay u is the k_source bins of
X ending u bins before the predicted bin. TE(u) = I(X_past(u) Y_past; Y_future) - I(X~ Y_past; Y_future),
where X~ is the source past with its rows shuffled within each chunk (--reduced-source permuted, the default):
I(X~ Y_past; Y_future) = I(Y_past; Y_future) exactly, and both networks see inputs of the same size, so the
capacity bias of the wider input cancels in the difference instead of pulling TE below 0 (without it, TE at
a delay with no transfer came out 0.01-0.02 nats below 0 with CIs excluding 0; benchmarks/DIAGNOSIS.md
section 20; --reduced-source none gives the plain reduced term). Both terms are trained on the same
contiguous chunks, splits and seeds (paired members) for every gamma in --gammas, and the per-member
DIFFERENCE is extrapolated in 1/N (rigorous mode's fit), so the CI comes from the paired spread, with one
full-data member's variance added for the data set's own error, which every gamma's chunks share, and, in
quadrature, the distance to the fits of the training-subset and held-out differences (rigorous mode's
headline interval; with the paired spread alone the 68 % CI covered the exact TE of VAR processes in 45 % of
pairs, with the shared error 60 %: benchmarks/DIAGNOSIS.md sections 22 and 37). --critic auto is poisson when
source and target both hold spike counts (it models the target's next counts given the pasts; one critic for
both terms and directions), else separable: on Poisson GLM networks with an exact TE (30 data sets, 10,000
bins) separable read TE 11 % high, poisson 0 % (median), with 26 of 30 CIs covering either way (section 39). The
headline is the TE at
the peak delay; peak_delay_range lists the delays whose CI overlaps the peak's. --bidirectional adds TE(Y -> X) on the
same cells and the paired difference TE(X->Y) - TE(Y->X) at the peak delay, with its CI. A negative TE
whose CI contains 0 means "no evidence of transfer", not an error. The peak of a scan is biased upward; for a p-value use
`neuralmi transfer --surrogates N` (source-only circular shifts, maximum over delays).

Cells (workflow jobs): one per (gamma, seed, term), term 0 the target-history term and term u the full
term at delay u (ids g3_s0_d0, g3_s0_d2, ...); `--terms` restricts a run to some terms and `neuralmi
gather transfer_entropy` combines the parts into the numbers of one call.

JSON fields (nats):
  mi_nats, ci_low_nats, ci_high_nats   TE at the peak delay and its CI; confidence
  peak_delay, peak_delay_range, delays (bins); te_nats, ci_low, ci_high (per delay)
  reverse {te_nats, ci_low, ci_high, flags}, difference_nats, difference_ci_low_nats, difference_ci_high_nats
  members (per term: direction, gamma, chunk, seed, term, n_train, n_test, mi_train_nats, mi_test_nats,
  mi_nats), pairs (direction, gamma, chunk, seed, delay, mi_full_nats, mi_reduced_nats, diff_nats, and the
  differences of the training-subset and held-out MI diff_train_nats, diff_test_nats), flags, warnings,
  settings, fit_settings, data, cells (gamma, seed, term, seconds, fit_info: each fit's record, e.g. the
  density estimators' dequantized_x / empirical_x / context_x), seconds, selection

Example:
  neuralmi transfer-entropy 'binned.nc:spikes[region=A]' 'binned.nc:spikes[region=B]' --delays 1-10 \\
      --bidirectional --json te.json
"""

CMI_HELP = """Conditional MI I(X; Y | Z) = I(XZ; Y) - I(Z; Y) in nats, bias-corrected, with a paired CI.

Both terms are trained on the same chunks, splits and seeds (paired members) for every gamma in
--gammas; the per-member difference is extrapolated in 1/N (rigorous mode's fit; the CI adds one full-data
member's variance for the data set's shared error, as TE's does, but not TE's distance to the
training-subset and held-out fits, which over-covered CMI: benchmarks/DIAGNOSIS.md section 37). --z is required (e.g.
running speed: "what does region A tell about B beyond running speed?"); Z is taken on X's bins. A
negative value whose CI contains 0 means "no evidence", not an error. For a p-value use
`neuralmi conditional --surrogates N` (local permutation of X within Z neighbourhoods).

Cells: one per (gamma, seed, term), term 0 = I(Z; Y), term 1 = I(XZ; Y) (ids g3_s0_t0, g3_s0_t1).

JSON fields (nats):
  mi_nats, ci_low_nats, ci_high_nats, confidence; mi_full_nats (I(XZ;Y)), mi_reduced_nats (I(Z;Y)), both
  1/N-extrapolated; members (per term), pairs (gamma, chunk, seed, mi_full_nats, mi_reduced_nats,
  diff_nats, diff_train_nats, diff_test_nats), flags, warnings, settings, fit_settings, data, cells (gamma,
  seed, term, seconds, fit_info), seconds, selection

Example:
  neuralmi conditional-mi 'binned.nc:spikes[region=A]' 'binned.nc:spikes[region=B]' --z 'binned.nc:speed' \\
      --json cmi.json
"""

_CELLS_SETTINGS = (
    RIGOROUS.own["gammas"].with_default((1, 2, 3, 4, 5)),
    *(RIGOROUS.own[k] for k in ("seeds", "n_seeds", "seed")),
)
_FIT = (RIG_FIT["confidence"], RIG_FIT["delta"], RIG_FIT["min_gammas"].with_default(4))


class _ChainRule(Analysis):
    """What TE and CMI share: cells of (gamma, seed, term), the gamma checks of rigorous mode."""

    y = "required"
    z = "required"
    estimators = TRAINED_ESTIMATORS
    critics = CRITICS
    why_estimators = " (trained estimators: the baselines have no members to extrapolate)"

    def all_terms(self, values: Mapping[str, Any]) -> tuple[int, ...]:
        raise NotImplementedError

    def cells(self, values: Mapping[str, Any]) -> list[dict[str, int]]:
        terms = values.get("terms") or self.all_terms(values)
        return [{"gamma": g, "seed": s, "term": t} for g in values["gammas"] for s in seeds_of(values)
                for t in terms]

    def cell_settings(self, cell: Mapping[str, int]) -> dict[str, Any]:
        return {"gammas": (cell["gamma"],), "seeds": (cell["seed"],), "terms": (cell["term"],)}

    def check_more(self, values: Mapping[str, Any], has_y: bool, pre: str) -> None:
        seeds_of(values)
        bad = set(values.get("terms") or ()) - set(self.all_terms(values))
        if bad:
            raise NeuralMIError(f"{pre}`terms` {sorted(bad)} are not terms of this run; expected some of "
                                f"{list(self.all_terms(values))}.")

    def check_config(self, values: Mapping[str, Any]) -> None:
        if len(values["gammas"]) < values["min_gammas"]:
            raise NeuralMIError(f"`gammas` holds {len(values['gammas'])} gamma(s) but `min_gammas` is "
                                f"{values['min_gammas']}; the fit needs at least min_gammas gammas")


class TransferEntropyAnalysis(_ChainRule):
    name = "transfer_entropy"
    help = "transfer entropy X -> Y per delay (and Y -> X), bias-corrected with paired CIs; optional --z"
    description = TE_HELP
    z = "optional"
    windowed = False
    cell_keys = (("gamma", "g"), ("seed", "s"), ("term", "d"))
    run = "neuralmi_core.analysis.transfer.compute:transfer_entropy"
    gather = "neuralmi_core.analysis.transfer.compute:gather_transfer_entropy"
    result = "neuralmi_core.analysis.transfer.result:TransferEntropyResult"
    own = Settings([
        Setting("critic", "auto", Choice(CRITICS),
                "critic of both terms: auto (poisson when source and target both hold spike counts, modelling the "
                "target's next counts given the pasts; else separable; benchmarks/DIAGNOSIS.md section 39), "
                "separable g(x).h(y), bilinear, concat (joint MLP), hybrid, or poisson"),
        Setting("delays", (1, 2, 3, 4, 5), IntList(1), "interaction delays u in bins: the source past ends u bins "
                "before the predicted target bin ('1-10', '1,3,5' or a list)"),
        Setting("k_source", 1, Int(1), "source history length (bins)"),
        Setting("k_target", 1, Int(1), "target history length (bins; also Z's history with --z)"),
        Setting("horizon", 1, Int(1), "predict the target this many bins after the present bin"),
        Setting("bidirectional", False, Bool(), "also TE(Y -> X) on the same cells and the paired difference"),
        Setting("reduced_source", "permuted", Choice(("permuted", "none")),
                "what the reduced term (0) sees in the source's place: 'permuted', the source past with its rows "
                "shuffled (same inputs, no source information, so the networks' capacity bias cancels in the "
                "difference); 'none', no source columns (before 2026-12-05)"),
        *_CELLS_SETTINGS,
        Setting("terms", None, Optional(IntList(0)), "train only these terms (0: target history only; u: the full "
                "term at delay u) of the run, for a workflow job; gather the parts (default: all)",
                stage="cells", config=False),
        *_FIT,
    ])

    def all_terms(self, values: Mapping[str, Any]) -> tuple[int, ...]:
        return (0, *values["delays"])

    def check_more(self, values: Mapping[str, Any], has_y: bool, pre: str) -> None:
        super().check_more(values, has_y, pre)
        if values["split"] != "blocked":
            raise NeuralMIError(f"{pre}`split` must be 'blocked' for transfer_entropy (time series: windows are "
                                f"built inside contiguous chunks). Got {values['split']!r}.")

    data_settings = ("delays", "k_source", "k_target", "horizon", "gammas", "split", "test_fraction", "gap")

    def check_data(self, n_samples: int, values: Mapping[str, Any], info: Mapping[str, Any]) -> dict[str, Any]:
        span = window_span(values)
        n_windows = n_samples - span
        if n_windows < 20 * max(values["gammas"]):
            raise NeuralMIError(f"`delays` up to {max(values['delays'])} with `k_source` {values['k_source']}, "
                                f"`k_target` {values['k_target']} and `horizon` {values['horizon']} need {span} bins "
                                f"of history per window; {n_samples} bins leave {n_windows} windows, fewer than 20 "
                                f"per chunk at gamma {max(values['gammas'])}. Use fewer gammas or shorter histories.")
        check_chunk_sizes(n_windows, values["gammas"])
        for g in values["gammas"]:
            check_split(n_windows // g, values, f"at gamma {g} each chunk holds about {n_windows // g} windows: ")
        return {"delays": list(values["delays"]), "window_span_bins": span, "n_windows": n_windows}

    def selection_inputs(self, selection: Any) -> dict[str, Any]:
        return {"time_index": selection.bins}


def window_span(values: Mapping[str, Any]) -> int:
    """Bins a TE window covers beyond its first: history of target and source, horizon and largest delay."""
    lo = max(values["k_target"] - 1, max(values["delays"]) - values["horizon"] + values["k_source"] - 1, 0,
             values["horizon"] - min(values["delays"]))
    return lo + values["horizon"]


class ConditionalMIAnalysis(_ChainRule):
    name = "conditional_mi"
    help = "conditional MI I(X; Y | Z) = I(XZ; Y) - I(Z; Y), bias-corrected with a paired CI; needs --z"
    description = CMI_HELP
    cell_keys = (("gamma", "g"), ("seed", "s"), ("term", "t"))
    run = "neuralmi_core.analysis.transfer.compute:conditional_mi"
    gather = "neuralmi_core.analysis.transfer.compute:gather_conditional_mi"
    result = "neuralmi_core.analysis.transfer.result:ConditionalMIResult"
    own = Settings([
        Setting("critic", "auto", Choice(CRITICS),
                "critic of both terms: auto (separable; on spike counts poisson was not closer to the exact value: "
                "benchmarks/DIAGNOSIS.md section 39), separable g(x).h(y), bilinear, concat (joint MLP), hybrid, "
                "or poisson (Y's counts modelled given XZ and given Z)"),
        Setting("reduced_x", "none", Choice(("permuted", "none")),
                "what the reduced term (0) sees in X's place: 'none', Z alone, I(Z; Y); 'permuted', X with its rows "
                "shuffled beside Z, I(X~ Z; Y) = I(Z; Y) with the full term's input width (measured 0.008 nats "
                "lower on Gaussian data, so not the default; unlike transfer entropy's reduced_source)"),
        *_CELLS_SETTINGS,
        Setting("terms", None, Optional(IntList(0)), "train only these terms (0: I(Z;Y), 1: I(XZ;Y)) of the run, "
                "for a workflow job; gather the parts (default: both)", stage="cells", config=False),
        *_FIT,
    ])

    def all_terms(self, values: Mapping[str, Any]) -> tuple[int, ...]:
        return (0, 1)

    data_settings = ("gammas", "split", "test_fraction", "gap")

    def check_data(self, n_samples: int, values: Mapping[str, Any], info: Mapping[str, Any]) -> dict[str, Any]:
        check_chunk_sizes(n_samples, values["gammas"])
        for g in values["gammas"]:
            check_split(n_samples // g, values, f"at gamma {g} each chunk holds {n_samples // g} samples: ")
        return {"gammas": list(values["gammas"]), "smallest_chunk": n_samples // max(values["gammas"])}


TRANSFER_ENTROPY = TransferEntropyAnalysis()
CONDITIONAL_MI = ConditionalMIAnalysis()
