"""Every reliability flag, described once: the CLI help, the report glossary and the docs are made from here.

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

import textwrap
from dataclasses import dataclass

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
    Flag("unstable_without_gamma1", "fit", "intercept moves > 20 % of the MI without gamma = 1",
         "the intercept moves by more than shift_tolerance (20 % of the MI, or 0.01 nats when the MI is "
         "under 0.05 nats) when gamma = 1 is left out",
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
         "training-subset MI falls by > half the MI as chunks shrink: still finding the dependence; a lower "
         "bound",
         "the networks fit their own training data better the more data they see (the training-subset MI "
         "falls as the chunks shrink, by more than half the MI, where over-fitting alone would raise it): "
         "they are still finding the dependence at the full sample, the 1/N model does not hold, and the "
         "true MI is likely above the CI (a lower bound; more data would raise it)",
         "report the MI as a lower bound; more samples would raise it",
         misses=True),
    Flag("infonce_k_bias", "interval",
         "MI within log 10 of log(n_eval) of the smallest members: the bound's own bias, curved in 1/N",
         "the MI is within log(10) of log(n_eval) of the smallest members: InfoNCE is biased low there by "
         "the bound itself, curved in 1/N; the corrected MI is likely low and the CI likely misses",
         "use more samples, fewer gammas, or estimator smile (no log n ceiling)", misses=True),
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
    ('train_test_disagree', 'sample_limited', 'infonce_k_bias')
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


__all__ = ["FLAG", "FLAGS", "SCOPES", "Flag", "flag_names", "flags_help", "flags_markdown", "glossary_entries"]
