"""The words of the reports: a "how to read this" line under each figure, the glossary, why bins drop.

Kept apart from the page code so that they are easy to review (and to translate) in one place.
"""

from __future__ import annotations

from ..flags import flag_names, glossary_entries

HOW_TO_READ = {
    "rigorous": (
        "Each faint dot is one network trained on one of gamma chunks of the data (N samples per chunk, top "
        "axis); the blue circles are their mean ± sd at each gamma. A finite sample biases the MI roughly in "
        "proportion to 1/N, which is proportional to gamma, so the red line fits MI against gamma and its "
        "value at gamma = 0 (infinite data) is the corrected MI: the red square, with the interval to "
        "quote (also the shaded band). The dotted red lines are the fit's own interval, which ignores the "
        "noise every network shares through the one data set and is too narrow. The black diamond is the "
        "naive estimate of one network on all the data. Hollow circles are gammas outside the linear "
        "region, left out of the fit."
    ),
    "dimensionality": (
        "Each faint dot is one network whose critic squeezes each side through an embedding of the size on "
        "the x axis; the line is the mean ± sd over channel halvings and seeds. The MI rises while the "
        "embedding is smaller than the number of latent dimensions the two sides share and levels off once "
        "it is large enough: the vertical line, the saturation dim, estimates that number. It is a lower "
        "bound: a dimension counts only when its gain beats the spread over halvings, so weakly expressed "
        "dimensions are found only with more data (on the demo model, 5 latent dims: 3-4 found in 6000 "
        "bins, all 5 in 60000; benchmarks/DIAGNOSIS.md section 14). Strictness s "
        "sets how small a gain counts as levelled off (gain below s × sd): s = 0.1 is lenient and calls "
        "saturation late, s = 15 is strict and calls it early; s = 1 is the headline. \"none\" means the "
        "MI was still rising at the largest dim swept: add larger dims."
    ),
}

HOW_TO_READ.update({
    "lag_sweep": (
        "Each point is the bias-corrected MI between X at time t and Y at t + lag (rigorous mode's 1/N "
        "extrapolation at every lag); the band is its confidence interval, the crosses the naive estimate. "
        "Positive lags: Y follows X; negative lags: Y leads. The dashed line marks the peak lag and the red "
        "shading the lags whose interval reaches the peak's lower bound: the data cannot tell them apart "
        "from the peak."
    ),
    "significance": (
        "The grey histogram is the MI the same network finds when the pairing of X and Y is broken by "
        "surrogates that keep each signal's own autocorrelation (e.g. Y shifted in time by more than its "
        "decorrelation time); the red line is the MI of the real pairing. The p-value is the share of "
        "surrogates at or above it, (1 + count) / (1 + surrogates)."
    ),
    "contributions": (
        "Blue: how much MI the population loses when a group (a unit, or a region) is left out; orange: the "
        "MI of that group alone. Sorted by the loss. The losses do not add up to the total: redundant units "
        "each lose little although together they matter, synergistic ones can lose more than they carry alone."
    ),
    "transfer_entropy": (
        "Transfer entropy from X to Y (blue) and, when both directions were run, from Y to X (orange): the "
        "information X's past adds about Y's next bin beyond Y's own past (and Z's, when conditioned), for "
        "each delay between the source bin and the predicted bin. Each point is the difference of two "
        "networks trained on the same data chunks, bias-corrected by the 1/N extrapolation; the bands are "
        "its confidence interval. The dotted line marks the peak delay. A band that contains 0 is no "
        "evidence of transfer (a negative value inside it is not an error). The peak of a scan is biased "
        "upward: quote a surrogate p-value (neuralmi transfer --surrogates) before claiming a link."
    ),
    "conditional_mi": (
        "I(Z; Y) is what the conditioning signal Z tells about Y, I(XZ; Y) what X and Z tell together; their "
        "difference I(X; Y | Z) (blue, with its confidence interval) is what X tells about Y beyond Z. The "
        "terms are trained on the same chunks, so the interval comes from their paired difference. An "
        "interval that contains 0 is no evidence that X adds anything beyond Z."
    ),
})

TARGET = {
    "internal": ("the MI between two random halves of X's channels (each halving splits the selected units "
                 "of X at random into two equal groups; not regions A and B)"),
    "interaction": "the MI between X and Y",
}

DROP_REASONS = {
    "outside_observed": "bins outside the session's analysed intervals (restrict_to)",
    "unobserved_units": "bins where a selected unit was not being recorded (outside its obs_intervals)",
    "nan": "bins where a selected signal is missing (NaN, e.g. gaps in the position tracking)",
}

GLOSSARY = [
    ("MI", "mutual information, in bits (log base 2) or nats (natural log); 1 nat = 1.443 bits."),
    ("corrected MI (mi)", "the MI extrapolated to infinite data (gamma = 0) from networks trained on 1/gamma of "
     "the data; the number to report."),
    ("CI (ci_low, ci_high)", "the confidence interval of the corrected MI at the stated level (68 % is about "
     "± 1 standard error). It combines the fit's error, the shared noise (shared_se) and the systematic error; "
     "quote this one."),
    ("PI (pi_low, pi_high)", "prediction interval: where one new network trained on all the data would land. "
     "Wider than the CI; not an error bar of the corrected MI."),
    ("fit CI (fit_ci_low, fit_ci_high)", "the textbook interval of the fit's intercept, which treats the networks "
     "as independent. They share one data set, so it is too narrow; kept for comparison only."),
    ("se", "standard error of the intercept from the fit alone (same caveat as the fit CI)."),
    ("shared_se", "spread of one full-data network about the fit: bounds the sampling noise of the data set "
     "that every network shares, which the fit cannot see."),
    ("systematic", "how far the corrected MI moves when the training-subset or the held-out MI is extrapolated "
     "instead of their mean: error of the 1/N model, a bias of unknown sign, added to the CI's half-width. "
     "Above 20 % of the MI (0.02 nats when the MI is under 0.1) the flag train_test_disagree fires: "
     "the CI may still miss."),
    ("naive MI", "mean held-out MI of the networks trained on all the data (gamma = 1): the uncorrected estimate."),
    ("slope", "change of the MI per unit gamma: the finite-sample bias of one full-data estimate."),
    ("gamma", "the number of chunks the data were split into for one set of networks; each chunk holds "
     "N = samples / gamma samples."),
    ("gammas used", "the gammas inside the linear region of the 1/N fit (the largest gammas are dropped while "
     "the curve bends)."),
    ("reliable / flags", "reliable is false when a flag makes the 1/N fit unsafe ("
     + ", ".join(flag_names(unreliable=True)) + "): do not quote that MI. Other flags say the CI is likely to miss ("
     + ", ".join(flag_names(misses=True)) + ") or are warnings ("
     + ", ".join(flag_names("fit", unreliable=False, misses=False)) + "); each is explained under its own name."),
    ("held-out MI", "the network's MI on samples it was not trained on (a blocked split with a gap for time "
     "series); training-subset MI is the same network on samples it saw."),
    ("embedding dim", "the size of the vectors the separable critic maps each side to; it caps how many "
     "shared dimensions the critic can see."),
    ("saturation dim", "the smallest embedding dim after which the MI stops rising: the estimated number of "
     "shared latent dimensions, a lower bound (weakly expressed dimensions are found only with more data)."),
    ("strictness s", "a gain of the MI from one embedding dim to the next counts as none when it is below s "
     "times its spread: s = 0.1 lenient, 1 headline, 15 strict."),
    ("window, lag", "X stacks the current and previous window - 1 bins; X at bin t is paired with Y at bin "
     "t + lag. Both in bins, and in seconds (times the bin width)."),
    ("peak lag", "the lag with the largest corrected MI (X at t, Y at t + lag; negative: Y leads); its "
     "confidence range spans the neighbouring lags whose CI reaches the peak's lower CI bound."),
    ("p-value", "the share of surrogates whose MI reaches the observed MI, (1 + count) / (1 + surrogates): "
     "small when the real pairing carries more than the signals' own slow fluctuations produce by chance."),
    ("surrogates", "copies of the data whose X-Y pairing is broken while each signal keeps its "
     "autocorrelation (circular shifts, block or trial shuffles); trained like the real data."),
    ("drop-one contribution", "the MI of the whole population minus the MI without one group; not additive "
     "over groups (redundancy, synergy)."),
    ("dropped bins", "bins left out before training because a selected signal was not observed or missing "
     "there (X and Y are dropped together so they stay paired)."),
]

# One entry per flag, from the one table of them (neuralmi_core.flags).
GLOSSARY += glossary_entries()

__all__ = ["DROP_REASONS", "GLOSSARY", "HOW_TO_READ", "TARGET"]
