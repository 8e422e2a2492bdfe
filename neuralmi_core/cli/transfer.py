"""Transfer entropy TE(X -> Y) = I(X_past; Y_future | Y_past[, Z_past]) in nats, per delay, with a 1/N-extrapolated CI.

X, Y (and --z) are time series on the same bins (rows = bins; NaN rows are dropped bins, never inside a
window). Both chain-rule terms are trained on the same contiguous chunks and seeds; the per-chunk
difference is extrapolated in 1/N (settings as in `neuralmi rigorous`). The headline is the TE at the
peak delay; the per-delay curve is in the JSON (te_nats, ci_low, ci_high, delays, peak_delay_range;
with --bidirectional also reverse and difference_nats). A negative TE whose CI contains 0 means
"no evidence of transfer", not an error. --surrogates N adds a p-value from N circular shifts of the
source only (beyond its decorrelation time), the maximum over delays as statistic.

Example:
  neuralmi transfer binned.nc:spikes[region=A] binned.nc:spikes[region=B] --delays 1-10 --bidirectional --json te.json
"""

from __future__ import annotations

import argparse

from ..settings import from_args
from .common import add_output_arguments, add_settings_arguments, write_result

NAME = "transfer"
HELP = "transfer entropy X -> Y per delay, bias-corrected with a CI (nats)"


def _settings():
    """The transfer_entropy analysis's settings, less those this command declares itself (--delays, ...)."""
    from ..analysis.transfer.declaration import TRANSFER_ENTROPY

    return TRANSFER_ENTROPY.settings.without("delays", "k_source", "k_target", "horizon", "bidirectional", "terms")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("x", metavar="X", help="source time series: file.npy, file.npz[:key] or binned.nc:var[selector]")
    p.add_argument("y", metavar="Y", help="target time series, same bins as X")
    p.add_argument("--z", default=None, metavar="Z", help="condition on this signal's past too (e.g. another region)")
    p.add_argument("--delays", default="1-5", help="interaction delays in bins, e.g. '1-10' or '1,3,5' (default 1-5)")
    p.add_argument("--k-source", dest="k_source", type=int, default=1, help="source history length, bins (default 1)")
    p.add_argument("--k-target", dest="k_target", type=int, default=1, help="target history length, bins (default 1)")
    p.add_argument("--horizon", type=int, default=1, help="predict the target this many bins ahead (default 1)")
    p.add_argument("--bidirectional", action="store_true", help="also TE(Y -> X) and the paired difference")
    p.add_argument("--surrogates", type=int, default=0, metavar="N",
                   help="add a p-value from N source-only circular-shift surrogates (gamma = 1; default 0: none)")
    add_settings_arguments(p, _settings(), "transfer entropy")
    add_output_arguments(p, plot=True)


def load_series(spec: str, name: str):
    from ..io.select import select_xy
    from ..validation import as_2d_samples

    return as_2d_samples(name, select_xy(spec, None, window=1, lag=0).x, source=spec)


def load_series_on_bins(x_spec: str, y_spec: str, z_spec: str | None):
    """X, Y (and Z) on their common valid bins, and the bin of every row (missing bins are gaps)."""
    from ..io.select import select_xy
    from ..validation import as_2d_samples
    from .analysis import align_z

    sel = select_xy(x_spec, y_spec)
    sel.x, sel.y = as_2d_samples("X", sel.x, source=x_spec), as_2d_samples("Y", sel.y, source=y_spec)
    z = align_z(sel, z_spec) if z_spec else None
    return sel.x, sel.y, z, sel.bins


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from ..analysis.transfer import transfer_entropy, transfer_entropy_test
    from ..analysis.transfer.compute import _on_grid

    x, y, z, bins = load_series_on_bins(args.x, args.y, args.z)
    settings = from_args(args, _settings())
    kw = {"delays": args.delays, "k_source": args.k_source, "k_target": args.k_target, "horizon": args.horizon}
    res = transfer_entropy(x, y, z, bidirectional=args.bidirectional, time_index=bins, **kw, **settings)
    if args.surrogates:
        xg, yg = _on_grid(x, bins), _on_grid(y, bins)
        zg = None if z is None else _on_grid(z, bins)
        test = transfer_entropy_test(xg, yg, zg, n_surrogates=args.surrogates, **kw, **settings)
        test["shifts"] = [int(v) for v in np.asarray(test["shifts"])]
        res.data["surrogate_test"] = test
        res.data["p_value"] = test["p_value"]
    write_result(args, res, {"x": args.x, "y": args.y, "z": args.z})
    return 0
