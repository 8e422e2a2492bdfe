"""Lag sweep: bias-corrected I(X_t; Y_{t+lag}) with its confidence interval at every lag, and the peak lag.

For each lag in ``lags`` X at time bin t is paired with Y at bin t + lag (negative lags: Y leads X), on
the same set of X bins at every lag (those whose partner bin exists at every lag), so that lags differ
only in the pairing. At each lag the corrected MI comes from rigorous mode's 1/N extrapolation
(:mod:`.rigorous`): the samples are cut into gamma chunks for gamma in ``gammas`` and one member is
trained per chunk. A (gamma, seed) *cell* trains the chunks of every lag as one batched ensemble
(lags x gamma members), so the sweep costs what one rigorous run per gamma costs on a larger ensemble,
and cells are independent workflow jobs gathered by :func:`gather_lag_sweep`.

The peak lag is the lag of the largest corrected MI; its confidence range is the run of neighbouring
lags whose CI reaches the peak's lower CI bound (lags the data cannot tell apart from the peak).
"""

from .compute import gather_lag_sweep, lag_pairs, lag_sweep, train_cell
from .declaration import ANALYSIS, Lags, LagSweepAnalysis, lags_in_bins
from .result import LagMember, LagSweepResult, summarize_lag_sweep

__all__ = ["ANALYSIS", "LagMember", "LagSweepAnalysis", "LagSweepResult", "Lags", "gather_lag_sweep", "lag_pairs", "lag_sweep", "lags_in_bins", "summarize_lag_sweep", "train_cell"]
