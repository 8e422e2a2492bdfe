"""Per-unit (or per-group) contributions: who in population X carries the information about Y?

Two numbers per group of X's columns (a unit, or all units of a region, location or quality class):

- ``drop``: the MI of the full population minus the MI without the group (the group's columns held
  constant, which carries no information and keeps every member's input size, so the full population and
  every drop-one population train as one ensemble);
- ``alone``: the MI of the group by itself (its columns, padded with constant columns to the widest
  group, again one ensemble).

Each is a held-out MI (as :func:`neuralmi_core.estimate` computes it, without its weight averaging),
averaged over ``n_seeds`` independently initialised networks whose spread is reported. Drop-one
contributions are not additive: with redundancy (two units carrying the same information) each drop is
small although together they matter; with synergy a drop can exceed the group's MI alone. Read them as
"how much the population loses without this group", never as a share of the total.
"""

from .compute import column_groups, contributions, gather_contributions, train_cell
from .declaration import ANALYSIS, NOT_ADDITIVE, PARTS, ContributionsAnalysis
from .result import ContributionMember, ContributionsResult, summarize_contributions

__all__ = ["ANALYSIS", "ContributionMember", "ContributionsAnalysis", "ContributionsResult", "NOT_ADDITIVE", "PARTS", "column_groups", "contributions", "gather_contributions", "summarize_contributions", "train_cell"]
