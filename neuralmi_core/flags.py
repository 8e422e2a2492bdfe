"""Every reliability flag and every warning, described once: the CLI help, the report glossary and the docs are made from here.

A flag is a name in a result's ``flags`` field (a JSON interface: names never change). Each entry of
:data:`FLAGS` says who sets it, what it means in one clause (for ``--help``) and in full (for the report
glossary and the documentation), and what to do about it. Adding a flag is one :class:`Flag` entry in
:data:`FLAGS`; the help text of ``neuralmi rigorous``, the report glossary (:mod:`neuralmi_core.report.text`)
and the docs page (:func:`flags_markdown`) pick it up.

Scopes
------
``fit``
    Set by the 1/N extrapolation itself (:func:`~neuralmi_core.analysis.extrapolation.fit_extrapolation`).
    Those with ``unreliable=True`` make ``reliable`` false: do not quote the number.
``interval``
    Set by rigorous mode's headline interval: the fit is fine, but the CI is likely to miss the true MI
    (``misses=True``; the accuracy suite counts a miss under such a flag as flagged, not silent).
``estimate``
    A boolean of a single :func:`~neuralmi_core.estimate` result (its own JSON field, e.g. ``near_ceiling``).

Examples
--------
>>> FLAG["sample_limited"].scope, FLAG["sample_limited"].misses
('interval', True)
>>> [f.name for f in FLAGS if f.unreliable]
['too_few_gammas', 'too_few_gammas_left', 'unstable_without_gamma1']
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

SCOPES = {
    "fit": "the 1/N fit",
    "interval": "the headline interval",
    "estimate": "a single estimate",
}


@dataclass(frozen=True)
class Flag:
    """One flag: its JSON name, who sets it, and its words.

    Attributes
    ----------
    name : str
        The name in the result's ``flags`` (or the JSON field of a single estimate).
    scope : str
        Who sets it: a key of :data:`SCOPES`.
    short : str
        One clause for ``--help`` (no final period).
    meaning : str
        What it means, in full (no final period): the report glossary and the docs.
    action : str
        What to do when it fires (no final period).
    unreliable : bool
        It makes the fit unreliable (``reliable`` is false; no number to quote).
    misses : bool
        The headline CI is likely to miss the true MI.
    """

    name: str
    scope: str
    short: str
    meaning: str
    action: str
    unreliable: bool = False
    misses: bool = False

    def __post_init__(self) -> None:
        if self.scope not in SCOPES:
            raise ValueError(f"flag {self.name!r}: scope must be one of {sorted(SCOPES)}. Got {self.scope!r}.")
        for part in ("short", "meaning", "action"):
            if getattr(self, part).endswith("."):
                raise ValueError(f"flag {self.name!r}: `{part}` must not end with a period (it is joined into sentences)")


FLAGS: tuple[Flag, ...] = (
    Flag("too_few_gammas", "fit", "fewer gammas than min_gammas: partial run, no fit",
         "fewer distinct gammas than min_gammas: no fit (a partial run; gather the parts)",
         "gather every (gamma, seed) part with `neuralmi gather rigorous`, or run more gammas", unreliable=True),
    Flag("too_few_gammas_left", "fit", "still curved after pruning to min_gammas",
         "the MI-vs-gamma curve is still curved after pruning to min_gammas: extrapolation unsafe",
         "give the smallest chunks more samples (more data or a smaller largest gamma) and look at the plot "
         "for a straight stretch at small gamma", unreliable=True),
    Flag("unstable_without_gamma1", "fit", "intercept moves > 20 % of the MI, and beyond its noise, without gamma = 1",
         "the intercept moves by more than shift_tolerance (20 % of the MI, or 0.01 nats when the MI is "
         "under 0.05 nats) when gamma = 1 is left out, and the move is significant (two-sided 5 % t test of the "
         "move over its standard error)",
         "add seeds (more members at every gamma) and check the gamma = 1 members in the plot", unreliable=True),
    Flag("residual_outliers", "fit", "a Pearson residual beyond the Bonferroni 5 % threshold",
         "a member's Pearson residual exceeds the Bonferroni-corrected 5 % normal threshold",
         "a warning only: find the member far from its gamma's mean in the plot; retrain with another seed if "
         "it diverged"),
    Flag("nonfinite_members", "fit", "diverged members left out",
         "some members had no finite MI (training diverged) and were left out of the fit",
         "a warning only: lower the learning rate (lr) or check the inputs for extreme values"),
    Flag("train_test_disagree", "interval",
         "training-subset and held-out intercepts differ by > 20 % of the MI, or 0.02 nats when the MI is "
         "under 0.1",
         "the training-subset and held-out extrapolations disagree by more than 20 % of the MI (0.02 nats "
         "when the MI is under 0.1 nats): a bias the 1/N model does not remove; the CI is wide and may still "
         "miss (more data narrows it)",
         "quote the CI (it includes this systematic error) and say it may miss; more samples narrow it",
         misses=True),
    Flag("sample_limited", "interval",
         "training-subset MI falls by > a fifth of the MI as chunks shrink: still finding the dependence; a lower "
         "bound",
         "the networks fit their own training data better the more data they see (the training-subset MI "
         "falls as the chunks shrink, by more than a fifth of the MI, where over-fitting alone would raise it): "
         "they are still finding the dependence at the full sample, the 1/N model does not hold, and the "
         "true MI is likely above the CI (a lower bound; more data would raise it)",
         "report the MI as a lower bound; more samples would raise it",
         misses=True),
    Flag("far_extrapolation", "interval",
         "the smallest chunks' held-out MI is under a third of the corrected MI: a long extrapolation",
         "the members at the largest gamma of the fit find, on held-out data, less than a third of the corrected "
         "MI: the intercept lies far beyond its members, where the 1/N line's higher-order terms can move it either "
         "way (on the accuracy suite, 22 of the 32 such rows were more than 10 percent off, high or low); the CI "
         "may miss",
         "quote the CI and say it may miss; more samples bring the members closer to the intercept",
         misses=True),
    Flag("infonce_k_bias", "interval",
         "MI within log 5 of log(n_eval) of the smallest members: the bound's own bias, curved in 1/N",
         "the MI is within log(5) of log(n_eval) of the smallest members: InfoNCE is biased low there by "
         "the bound itself, curved in 1/N; the corrected MI is likely low and the CI likely misses",
         "use more samples, fewer gammas, or estimator smile (no log n ceiling)", misses=True),
    Flag("missed_dependence", "interval",
         "MI-NEE or MIENF: the corrected MI is far below a k-NN estimate of the same data, which is biased low",
         "a k-NN (KSG, k = 3) estimate of the full data set (at most 20 features), which is biased low, finds "
         "dependence and the corrected MI of MI-NEE or MIENF is far below it (under 0.85 of it, or the lower "
         "thresholds of the fit_missed_dependence warning below 0.1 nats): the estimator's model class missed part "
         "of the dependence (MIENF's latent, between the components of a mixture) and the CI misses low",
         "use infonce or smile (rigorous); with MIENF, estimate() refits a conditional flow where this happens",
         misses=True),
    Flag("no_density", "interval",
         "MIENF: neither side has a density, and its flows of both read far low on such data",
         "neither side has a density (spike counts; continuous features on a lower-dimensional set, such as the "
         "(cos, sin) of an angle) and MIENF flowed each side as it is, the counts dequantized: on the accuracy suite "
         "every such row (counts against counts, counts against a heading's (cos, sin): 7 tasks, 3 data sets, "
         "estimate mode) read 17-91 percent low, where infonce was within 1-24 percent; the CI misses low",
         "use infonce (its poisson critic for counts against a variable) or smile",
         misses=True),
    Flag("empirical_reference", "interval",
         "MI-NEE: a side without a density got its own training sample as reference, often far off",
         "a side has no density (spike counts; continuous features on a lower-dimensional set) and MI-NEE gave it its "
         "own training sample as reference (option empirical_sides): the MI is then the joint divergence less the "
         "other side's, as a network finds it, with no bound to hold it; on the accuracy suite most such rows were "
         "more than 10 percent off (estimate mode: 33 of 42, where infonce was 17 of 42; rigorous mode: the CI "
         "missed on 8 of 10 tasks); the CI is likely to miss",
         "use infonce (its poisson critic for counts against a variable) or smile",
         misses=True),
    Flag("conditional_flow", "interval",
         "MIENF: a side without a density was only the context of a conditional flow, often far low",
         "a side has no density (spike counts; continuous features on a lower-dimensional set) and MIENF flowed the "
         "other side alone, given it (option context_side): the MI is a difference of two flows' held-out "
         "log-likelihoods, not a bound, and reads low where the conditional flow under-fits; on the accuracy suite "
         "most such rows were more than 10 percent low (estimate mode: 15 of 21, where infonce was 8 of 21; "
         "rigorous mode: the CI missed on 6 of 7 tasks); the CI is likely to miss",
         "use infonce (its poisson critic for counts against a variable) or smile",
         misses=True),
    Flag("near_ceiling", "estimate", "estimate within 10 % of its log(n_eval) ceiling",
         "an InfoNCE estimate is within 10 % of its log(n_eval) ceiling: the bound caps it, not "
         "the data, and the true MI may be higher",
         "use more evaluation samples (eval_size) or estimator smile"),
)

#: The flags by name.
FLAG: dict[str, Flag] = {f.name: f for f in FLAGS}
if len(FLAG) != len(FLAGS):  # pragma: no cover - a table error caught at import
    raise ValueError("neuralmi_core.flags.FLAGS holds a name twice")


def flag_names(scope: str | None = None, *, unreliable: bool | None = None, misses: bool | None = None) -> tuple[str, ...]:
    """Names of the flags of ``scope`` (all when None), optionally only the (un)reliable / missing ones.

    >>> flag_names("interval")
    ('train_test_disagree', 'sample_limited', 'far_extrapolation', 'infonce_k_bias')
    """
    return tuple(f.name for f in FLAGS if (scope is None or f.scope == scope)
                 and (unreliable is None or f.unreliable == unreliable)
                 and (misses is None or f.misses == misses))


def flags_help(indent: int = 27, width: int = 110) -> str:
    """The flags as ``--help`` lines: ``name: short``, wrapped, every line indented by ``indent`` spaces
    except the first (it follows a field name in a two-column list)."""
    lines = []
    pad = " " * indent
    for f in FLAGS:
        if f.scope == "estimate":
            continue
        tail = " (reliable: false)" if f.unreliable else (" (the CI likely misses)" if f.misses else " (a warning)")
        lines += textwrap.wrap(f"{f.name}: {f.short}{tail}", width - indent, subsequent_indent="  ")
    return ("\n" + pad).join(lines)


def glossary_entries() -> list[tuple[str, str]]:
    """(term, text) for the report glossary: one entry per flag, what it means and what to do."""
    return [(f.name, f"flag ({SCOPES[f.scope]}): {f.meaning}. What to do: {f.action}.") for f in FLAGS]


def flags_markdown() -> str:
    """The flags as a Markdown table (Flag, set by, meaning, what to do) for the documentation."""
    rows = ["| Flag | Set by | Effect | Meaning | What to do |", "|---|---|---|---|---|"]
    for f in FLAGS:
        effect = "reliable: false" if f.unreliable else ("CI likely misses" if f.misses else "warning")
        cells = [f"`{f.name}`", SCOPES[f.scope], effect, f.meaning, f.action]
        rows.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(rows) + "\n"


# ---------------------------------------------------------------------------------------------------------------------
# Warnings: the messages a result's ``warnings`` holds (and that are emitted as NeuralMIWarning), each written once.


@dataclass(frozen=True)
class Warn:
    """One warning: a name (for code and docs; the JSON holds only the text), who emits it, and its message.

    ``template`` is the message with :meth:`str.format` fields for the numbers of the run;
    :meth:`text` fills them. The message says what happened and what to do.
    """

    name: str
    source: str
    template: str

    def text(self, **values: object) -> str:
        """The message with ``values`` filled in."""
        return self.template.format(**values)

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(m.group(1) for m in _FIELD.finditer(self.template))


_FIELD = re.compile(r"\{(\w+)(?:![rsa])?(?::[^{}]*)?\}")

WARNINGS: tuple[Warn, ...] = (
    # every analysis
    Warn("constant_input", "every analysis",
         "`{name}` is constant: all {n_features} feature(s) take only {what} in all {n_samples} samples (e.g. units "
         "without spikes). It carries no information, so the true MI is 0 and the estimate is noise; check the "
         "recording and the selection"),
    Warn("diverged", "estimate, dimensionality", "some members produced no finite held-out MI (training diverged)"),
    Warn("network_collapsed", "every trained analysis",
         "{collapsed} of {n_members} networks collapsed to a constant critic under the weight-decay penalty "
         "(training-subset and held-out MI both ~0) and found held-out MI when trained again without it: the "
         "values reported are theirs{rest}. The penalty was too strong for this data and estimator (SMILE more "
         "often than InfoNCE); weight_decay 0.001 or 0 avoids the second training"),
    # estimate()
    Warn("near_ceiling", "estimate",
         "{estimator} estimate {mi:.3f} nats is within 10 % of its log(n_eval) = {ceiling:.3f} ceiling: the true MI "
         "may be higher; use more evaluation samples or another estimator (smile)."),
    Warn("infonce_k_bias_estimate", "estimate",
         "infonce estimate {mi:.3f} nats is within log(20) of log(n_eval) = {ceiling:.3f}: the bound itself is biased "
         "low here (about 6 % at 5 nats on 1000 samples); the true MI is likely higher. Use more evaluation samples "
         "or check with smile."),
    Warn("minee_uniform_dims", "estimate",
         "MI-NEE with the uniform reference is unreliable beyond about {limit} total dimensions (here {dim_x} + "
         "{dim_y}): its three divergences to the uniform box are each large and their errors do not cancel "
         "(benchmarks/accuracy.py). Use the default reference='gaussian'."),
    Warn("small_effective_sample", "estimate",
         "the samples are autocorrelated (decorrelation time {tau} bins, measured on the leading components of X "
         "and Y): the {n_train} training samples are worth about {effective:.0f} independent ones (fewer than "
         "{minimum}), so the network sees little of the dependence and the held-out MI is likely low and noisy. "
         "Use rigorous mode (its 1/N fit and systematic check), a longer recording, or coarser bins"),
    Warn("random_split_leaks", "estimate",
         "split='random' on autocorrelated samples (decorrelation time {tau} bins): neighbours of every held-out "
         "sample are in the training set, so the held-out MI is biased HIGH (+55 % measured on an AR(1) with "
         "lag-1 autocorrelation 0.95). Use split='blocked' with gap >= {gap}"),
    Warn("estimate_train_test_gap", "estimate",
         "the network's training-subset MI ({train:.3f} nats) is more than 20 % above its held-out MI ({test:.3f}): "
         "it has found more dependence than it can generalise from this many samples (too few for this dependence, "
         "over-fitting, or fewer independent samples than rows). The held-out MI is likely below the truth (rows "
         "of the accuracy suite warned this way were 13-39 % low); rigorous mode corrects for N and flags when "
         "it cannot"),
    Warn("fit_missed_dependence", "estimate, rigorous",
         "{estimator} found {mi:.3f} nats, but a k-NN (KSG, k = 3) estimate of the same data, which is biased low, "
         "finds {ksg:.3f}: the data are not independent and this fit missed (part of) their dependence (its model "
         "class cannot represent it, "
         "e.g. MIENF's latent and a dependence through a shared scale as in heavy-tailed data, or between the "
         "components of a mixture, or it did not train). Do not read this as no information; use infonce or smile"),
    Warn("conditional_refit", "estimate",
         "{estimator}'s flows of each side found {joint:.3f} nats, but a k-NN (KSG, k = 3) estimate of the same data, "
         "which is biased low, finds {ksg:.3f}: their jointly Gaussian (or Student-t) latent missed part of the "
         "dependence (as between the components of a mixture). The {mi:.3f} nats reported are {estimator}'s more "
         "general model, fitted again: a conditional flow of {modelled} given {side} and an unconditional one, the "
         "held-out mean of their log-likelihoods' difference (option context_side; not a bound: it reads low where "
         "the conditional flow under-fits). On the accuracy suite's rows refitted this way {estimator} was {low}; "
         "infonce or smile is the check"),
    Warn("flows_untrained", "estimate",
         "{estimator}'s flows did not train ({reason}): the estimate is that of flows at (or near) their "
         "initial identity maps, i.e. about the Gaussian-copula MI of the data. Train longer (epochs, patience), "
         "or use infonce or smile"),
    Warn("dequantized_features", "estimate, rigorous",
         "{estimator} models densities, and {columns} are integer-valued (spike counts, codes): "
         "they were dequantized (Uniform[0, 1) noise added, which leaves the MI unchanged; option dequantize). "
         "On the accuracy suite's spike-count families {estimator} was {low} low, where infonce (the poisson "
         "critic for counts against a variable) was within 1-26 %: prefer infonce for spike counts"),
    Warn("empirical_reference", "estimate, rigorous",
         "{estimator} models densities, and {sides} no density ({reasons}): its reference there is the side's own "
         "training sample (option empirical_sides), so that side's divergence is 0 and the estimate is the joint "
         "divergence less the other side's (D(P_XY||P_X x Q_Y) - D(P_Y||Q_Y) when x is such a side), the MI as a "
         "network finds it. On the accuracy suite's tasks of that kind (spike counts, (cos, sin) of a heading, "
         "a rolled-up line) {estimator} was {low} this way, where infonce (the poisson critic for counts against a "
         "variable) was within 1-26 %: prefer infonce for spike counts"),
    Warn("conditional_flow", "estimate, rigorous",
         "{estimator} models densities, and {side} has no density ({reason}): {estimator} flowed the other side "
         "alone (option context_side), a conditional flow given {side} and an unconditional one, and the estimate is "
         "the held-out mean of their log-likelihoods' difference, which is not a bound: it reads low where the "
         "conditional flow under-fits and high where the unconditional one does. On the accuracy suite's tasks of "
         "that kind (spike counts against the variable they encode, a rolled-up line) {estimator} was {low} this "
         "way, where infonce (the poisson critic for counts against a variable) was within 1-26 %: prefer infonce "
         "for spike counts"),
    Warn("no_density", "estimate, rigorous",
         "{estimator} models densities, and neither side has one ({reasons}): it flowed each side as it is (counts "
         "dequantized). On the accuracy suite's tasks of that kind (counts against counts, counts against a "
         "heading's (cos, sin)) every {estimator} row read {low} low, where infonce was within 1-24 %: the number "
         "is far below the MI; use infonce (the poisson critic for counts) or smile"),
    Warn("lower_dimensional_features", "estimate, rigorous",
         "{estimator} models densities, and the {features} continuous {side} features lie on a set of lower "
         "dimension: their intrinsic dimension reads {dimension:.1f} (TwoNN), where a {features}-d Gaussian sample of "
         "the same size reads {reference:.1f}. Examples: the (cos, sin) of an angle (a circle), a feature that is "
         "a function of others. Such features have no density in {features} dimensions, which {estimator} assumes; "
         "on the accuracy suite's tasks with such features (a rolled-up line, head direction as (cos, sin)) "
         "{estimator} was {off} off, where infonce was within 1.5-10 %: prefer infonce"),
    # rigorous (and lag, which runs it per lag)
    Warn("no_gamma1", "rigorous", "gamma = 1 is not among the gammas: no naive full-data estimate"),
    Warn("small_chunks", "rigorous",
         "chunks smaller than min_chunk={min_chunk} samples at gamma {gammas} (n_samples={n_samples}, smallest chunk "
         "{smallest}): their members may be too noisy or biased for a linear 1/N fit"),
    Warn("members_near_ceiling", "rigorous",
         "infonce members near their log(n_eval) ceiling at gamma {gammas}: the bound caps them, not the data; use "
         "smile or fewer gammas"),
    Warn("train_test_disagree", "rigorous",
         "the training-subset and held-out extrapolations disagree (systematic error {systematic:.3f} nats, in the "
         "CI): the 1/N model does not remove all of the bias; the corrected MI may be off by more than the CI (more "
         "data narrows it)"),
    Warn("sample_limited", "rigorous",
         "the training-subset MI falls by {drop:.3f} nats from gamma {lo} to gamma {hi} (t = {t:.1f}): the networks "
         "find more of the dependence the more data they see, so the full data set likely holds more than the "
         "corrected MI (a lower bound; the CI likely misses low; more data would raise it)"),
    Warn("far_extrapolation", "rigorous",
         "the members at gamma {gamma} (the largest of the fit) find {held:.3f} nats on held-out data, {share:.0%} of "
         "the corrected MI {mi:.3f} nats: the intercept lies far beyond its members, where the 1/N line can miss "
         "either way; the CI may miss (more samples bring the members closer)"),
    Warn("infonce_k_bias", "rigorous",
         "the corrected MI {mi:.3f} nats is within log(5) of log(n_eval) = {log_n_eval:.2f} of the smallest members: "
         "InfoNCE's own bias there is curved in 1/N and the fit cannot remove it; the true MI is likely above the CI "
         "(more samples, fewer gammas or smile)"),
    Warn("no_fit", "rigorous", "no extrapolation: {reason}"),
    Warn("unreliable_fit", "rigorous", "extrapolation unreliable: {flags}"),
    Warn("lag_unreliable", "lag", "the extrapolation is unreliable at lags {lags} (bins): see each lag's flags"),
    Warn("lags_rounded", "lag",
         "lags are run on the bin grid of {bin_width:g} s: {moved}; ask for multiples of the bin width to run the lags "
         "you mean"),
    Warn("peak_at_edge", "lag",
         "the peak is at the edge of the sweep ({lag}): the MI may be larger outside it; widen the lags before "
         "quoting a peak lag"),
    Warn("peak_unlocated", "lag",
         "the peak's confidence range spans the whole sweep ({first} to {last}): the data do not locate a peak lag "
         "(e.g. an instantaneous or slowly varying dependence); do not quote the peak lag"),
    # significance
    Warn("diverged_surrogates", "significance",
         "{n} surrogates produced no finite MI (training diverged) and were left out of the null"),
    Warn("partial_significance", "significance", "a partial run: {n_members} of {expected} members (gather every cell)"),
    Warn("iid_surrogates", "significance",
         "iid surrogates destroy the autocorrelation of Y: on time series their null is too narrow and the p-value "
         "too small; use circular, block or trial surrogates"),
    # contributions
    Warn("not_additive", "contributions",
         "drop-one contributions are not additive: redundant groups each drop little although together they "
         "matter, and synergistic ones can drop more than they carry alone"),
    Warn("no_full_member", "contributions",
         "no full-population member in these parts (part 0 missing): no drop-one contributions"),
    # dimensionality
    Warn("odd_channels", "dimensionality",
         "X has an odd number of channels ({dim_x}): each halving leaves one channel out so that both halves have "
         "{half}"),
    Warn("single_dim", "dimensionality", "a single embedding dim {dims}: no saturation (a partial run; gather the parts)"),
    Warn("no_shared_information", "dimensionality",
         "no shared information: the held-out MI at every embedding dim is below {floor} nats or not significantly "
         "above 0 (largest mean {largest:.4f} nats); no saturation dim is reported"),
    Warn("still_rising", "dimensionality",
         "the MI still rises at the largest embedding dim {dim}: the latent dimensionality may exceed the dims "
         "swept"),
)

#: The warnings by name.
WARNING: dict[str, Warn] = {w.name: w for w in WARNINGS}
if len(WARNING) != len(WARNINGS):  # pragma: no cover - a table error caught at import
    raise ValueError("neuralmi_core.flags.WARNINGS holds a name twice")


def warning_text(warning: str, /, **values: object) -> str:
    """The message of ``warning`` (a name in :data:`WARNING`) with ``values`` filled in (KeyError names a missing one).

    >>> warning_text("no_fit", reason="fewer distinct gammas than min_gammas")
    'no extrapolation: fewer distinct gammas than min_gammas'
    """
    return WARNING[warning].text(**values)


#: Measured range of each density-based estimator's error on the suite's spike-count families (estimate, N = 5000,
#: dequantized; benchmarks/README.md, issue 23), quoted by the ``dequantized_features`` warning.
COUNT_FAMILY_ERROR = {"minee": "18-100 %", "mienf": "15-100 %"}


#: Measured range of each density-based estimator's |error| on the suite's tasks whose continuous features lie on a
#: lower-dimensional set (swissroll-2x1, the head-direction populations, conj-60-50ms; estimate, N = 5000;
#: benchmarks/DIAGNOSIS.md section 31), quoted by the ``lower_dimensional_features`` warning.
MANIFOLD_TASK_ERROR = {"minee": "10-81 %", "mienf": "18-69 %"}


def lower_dimensional_warning(estimator: str, *infos: Mapping[str, Any]) -> str | None:
    """The ``lower_dimensional_features`` warning when a side's continuous features read clearly below the
    dimension of a Gaussian sample of their size (:func:`~neuralmi_core.intrinsic.is_lower_dimensional`), from
    the fits' ``info`` dicts (``intrinsic_*``; one for estimate(), one per cell for rigorous mode: each side is
    judged on the fit with the most rows)."""
    from .intrinsic import check_from_info, is_lower_dimensional

    parts = []
    for side in ("x", "y"):
        checks = [c for c in (check_from_info(i, side) for i in infos) if c]
        # handled: empirical_reference (MI-NEE), conditional_flow or no_density (MIENF) says so
        if not checks or any(f"empirical_{side}" in i or f"context_{side}" in i or i.get("no_density")
                             for i in infos):
            continue
        check = max(checks, key=lambda c: c["rows"])
        if is_lower_dimensional(check):
            parts.append(warning_text("lower_dimensional_features", estimator=estimator, side=side,
                                      features=check["features"], dimension=check["dimension"],
                                      reference=check["reference"], off=MANIFOLD_TASK_ERROR.get(estimator, "often far")))
    return " ".join(parts) if parts else None


def density_fit_warnings(estimator: str, *infos: Mapping[str, Any]) -> list[str]:
    """The density-based estimators' data warnings that a fit records in its ``info`` (one for estimate(), one per
    cell for rigorous mode): ``dequantized_features``, ``empirical_reference``, ``conditional_flow``,
    ``lower_dimensional_features`` and ``no_density``,
    those that apply."""
    found = (dequantized_warning(estimator, *infos), empirical_warning(estimator, *infos),
             conditional_warning(estimator, *infos), lower_dimensional_warning(estimator, *infos),
             no_density_warning(estimator, *infos))
    return [w for w in found if w]


#: Measured range of MIENF's error on the suite's tasks where neither side has a density and it flows both
#: (estimate, N = 5000, three data sets: 21 rows; benchmarks/estimators_table.py), quoted by ``no_density``.
NO_DENSITY_TASK_ERROR = {"mienf": "17-91 %"}


def no_density_reasons(*infos: Mapping[str, Any]) -> str | None:
    """Why neither side had a density, where a fit flowed both sides of such data (MIENF's ``no_density`` info)."""
    return next((str(i["no_density"]) for i in infos if i.get("no_density")), None)


def density_config_flags(*infos: Mapping[str, Any]) -> list[str]:
    """The interval flags of a density-based fit's configuration on data without a density, from the fits' info
    (one per rigorous cell): ``no_density`` where MIENF flowed two sides of which neither has one
    (:func:`no_density_reasons`), ``empirical_reference`` where MI-NEE gave a side its own sample as reference and
    ``conditional_flow`` where MIENF made a side the context of a conditional flow, the last two only where the side
    was judged to lack a density (integer-valued or lower-dimensional), not where the option was asked for: the
    suite measured the former (benchmarks/estimators_table.py)."""
    judged = ("integer-valued", "lower-dimensional")
    found = ["no_density"] if no_density_reasons(*infos) is not None else []
    if any(i.get(f"empirical_{side}") in judged for i in infos for side in "xy"):
        found.append("empirical_reference")
    if any(i.get(f"context_{side}") in judged for i in infos for side in "xy"):
        found.append("conditional_flow")
    return found


def no_density_warning(estimator: str, *infos: Mapping[str, Any]) -> str | None:
    """The ``no_density`` warning when a fit flowed two sides of which neither has a density (MIENF)."""
    reasons = no_density_reasons(*infos)
    if reasons is None:
        return None
    return warning_text("no_density", estimator=estimator, reasons=reasons,
                        low=NO_DENSITY_TASK_ERROR.get(estimator, "far"))


#: Measured range of MI-NEE's error on the suite's tasks whose sides it gives their empirical reference (estimate,
#: N = 5000, 14 tasks; benchmarks/DIAGNOSIS.md sections 44 and 51: the poisson joint critic on the 10 of counts
#: against a variable), quoted by the ``empirical_reference`` warning.
EMPIRICAL_TASK_ERROR = {"minee": "-46 to +6 % off (median |error| 8 %, three data sets)"}


def empirical_warning(estimator: str, *infos: Mapping[str, Any]) -> str | None:
    """The ``empirical_reference`` warning when a fit gave a side its own training sample as reference (MI-NEE's
    ``empirical_sides``); ``infos``: the fits' ``info`` dicts."""
    reasons: dict[str, str] = {}
    for i in infos:
        for side in ("x", "y"):
            if f"empirical_{side}" in i:
                reasons.setdefault(side, str(i[f"empirical_{side}"]))
    if not reasons:
        return None
    sides = "x and y have" if len(reasons) == 2 else f"{next(iter(reasons))} has"
    why = "; ".join(f"{side}: {reason}" for side, reason in reasons.items())
    return warning_text("empirical_reference", estimator=estimator, sides=sides, reasons=why,
                        low=EMPIRICAL_TASK_ERROR.get(estimator, "often far"))


#: Measured range of MIENF's error on the suite's tasks where one side has no density and it flows the other alone
#: (estimate, N = 5000; benchmarks/DIAGNOSIS.md sections 46 and 52), quoted by the ``conditional_flow`` warning.
CONDITIONAL_TASK_ERROR = {"mienf": "2-63 % low (median 11 %, three data sets)"}
#: ... and by the ``conditional_refit`` warning, on the suite's rows where estimate() refitted that way (both sides with
#: a density, the flows of each side missing dependence the k-NN witness finds; section 47).
REFIT_TASK_ERROR = {"mienf": "89 % low to 3 % high (median |error| 11 %, three data sets: the two mixtures within "
                             "12 %, the spirals 51-89 % low)"}


def conditional_warning(estimator: str, *infos: Mapping[str, Any]) -> str | None:
    """The ``conditional_flow`` warning when a fit made a side only the context of a conditional flow of the other
    (MIENF's ``context_side``); ``infos``: the fits' ``info`` dicts."""
    for i in infos:
        for side in ("x", "y"):
            if f"context_{side}" in i and i[f"context_{side}"] != "refit":  # a refit has its own warning
                return warning_text("conditional_flow", estimator=estimator, side=side,
                                    reason=str(i[f"context_{side}"]),
                                    low=CONDITIONAL_TASK_ERROR.get(estimator, "often far off"))
    return None


def dequantized_warning(estimator: str, *infos: Mapping[str, Any]) -> str | None:
    """The ``dequantized_features`` warning when a fit added noise to integer-valued features (MI-NEE, MIENF);
    ``infos``: the fits' ``info`` dicts (one for estimate(), one per cell for rigorous mode)."""
    nx = max((int(i.get("dequantized_x", 0)) for i in infos), default=0)
    ny = max((int(i.get("dequantized_y", 0)) for i in infos), default=0)
    if not nx and not ny:
        return None
    columns = " and ".join(f"{n} {side} feature(s)" for n, side in ((nx, "x"), (ny, "y")) if n)
    return warning_text("dequantized_features", estimator=estimator, columns=columns,
                        low=COUNT_FAMILY_ERROR.get(estimator, "often far"))


def warnings_markdown() -> str:
    """The warnings as a Markdown table (name, emitted by, message with its fields as ‹field›) for the docs."""
    rows = ["| Warning | Emitted by | Message |", "|---|---|---|"]
    for w in WARNINGS:
        message = _FIELD.sub(lambda m: f"‹{m.group(1)}›", w.template).replace("|", "\\|")
        rows.append(f"| `{w.name}` | {w.source} | {message} |")
    return "\n".join(rows) + "\n"


__all__ = ["FLAG", "FLAGS", "SCOPES", "WARNING", "WARNINGS", "Flag", "Warn", "conditional_warning",
           "density_config_flags", "density_fit_warnings", "dequantized_warning", "empirical_warning",
           "no_density_reasons", "no_density_warning", "flag_names", "flags_help",
           "flags_markdown", "glossary_entries", "lower_dimensional_warning", "warning_text", "warnings_markdown"]
