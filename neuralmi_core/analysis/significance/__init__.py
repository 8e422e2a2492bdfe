"""Shuffle significance: is the MI above what each signal's own autocorrelation produces by chance?

The observed statistic is the held-out MI of one trained member (as :func:`neuralmi_core.estimate`
computes it). The null distribution comes from surrogates that break the X-Y pairing but keep each
signal's own temporal structure, each trained exactly like the observed member (same network, same
training, same train/test split) as extra members of the batched ensemble:

- ``circular`` (default): Y shifted circularly against X by an offset drawn uniformly from
  [min_shift, n - min_shift]; the default ``min_shift`` is twice the longer decorrelation time of X and Y
  (the first lag at which their mean autocorrelation falls below 1/e), measured and reported;
- ``block``: Y cut into blocks of ``block_length`` (default four decorrelation times) and the blocks
  permuted;
- ``trial``: whole trials of Y permuted among trials (each cropped to the shortest trial), when the
  session has trials;
- ``iid``: every sample of Y permuted independently. It destroys the autocorrelation, so on
  autocorrelated signals its null is too narrow and its p-values too small (``benchmarks/
  significance.py`` measures this); kept to show that, never the default.

p-value: ``(1 + #{null >= observed}) / (1 + n_null)`` (Phipson & Smyth 2010), never 0. The surrogates
split into cells of ``surrogates_per_cell`` members that train as independent jobs and are gathered by
:func:`gather_significance`.

References: Phipson, B. & Smyth, G. K. (2010). Permutation p-values should never be zero. Stat. Appl.
Genet. Mol. Biol. 9(1). Theiler, J. et al. (1992). Testing for nonlinearity in time series: the method
of surrogate data. Physica D 58, 77-94.
"""

from .compute import decorrelation_bins, gather_significance, significance, surrogate_rows, train_cell
from .declaration import ANALYSIS, METHODS, SignificanceAnalysis
from .result import QUANTILES, SignificanceResult, SurrogateMember, summarize_significance

__all__ = ["ANALYSIS", "METHODS", "QUANTILES", "SignificanceAnalysis", "SignificanceResult", "SurrogateMember", "decorrelation_bins", "gather_significance", "significance", "summarize_significance", "surrogate_rows", "train_cell"]
