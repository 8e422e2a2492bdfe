"""Conditional MI I(X; Y | Z) = I(XZ; Y) - I(Z; Y) in nats, with a paired 1/N-extrapolated CI.

Both terms are trained on the same chunks, splits and seeds; their per-member difference is extrapolated
(settings as in `neuralmi rigorous`). A negative value whose CI contains 0 means "no evidence", not an
error. --surrogates N adds a p-value from N local permutations of X within the k nearest Z neighbours
(within categories when Z is discrete), which keeps the X-Z and Z-Y dependences.

Example:
  neuralmi conditional binned.nc:spikes[region=A] binned.nc:spikes[region=B] --z behaviour.nc:speed --json cmi.json
"""

from __future__ import annotations

import argparse

from ..settings import from_args
from .common import add_output_arguments, add_settings_arguments, write_result
from .transfer import load_series_on_bins


def _settings():
    from ..analysis.transfer.declaration import CONDITIONAL_MI

    return CONDITIONAL_MI.settings.without("terms")

NAME = "conditional"
HELP = "conditional MI I(X; Y | Z), bias-corrected with a CI (nats)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("x", metavar="X", help="samples of X: file.npy, file.npz[:key] or binned.nc:var[selector]")
    p.add_argument("y", metavar="Y", help="samples of Y, same rows as X")
    p.add_argument("--z", required=True, metavar="Z", help="the conditioning signal, same rows as X")
    p.add_argument("--surrogates", type=int, default=0, metavar="N",
                   help="add a p-value from N local permutations of X within Z neighbourhoods (default 0: none)")
    p.add_argument("--k-perm", dest="k_perm", type=int, default=5, help="Z neighbours for the local permutation")
    add_settings_arguments(p, _settings(), "conditional MI")
    add_output_arguments(p)


def run(args: argparse.Namespace) -> int:
    from ..analysis.transfer import conditional_mi, conditional_mi_test

    x, y, z, _ = load_series_on_bins(args.x, args.y, args.z)
    settings = from_args(args, _settings())
    res = conditional_mi(x, y, z, **settings)
    if args.surrogates:
        test = conditional_mi_test(x, y, z, n_surrogates=args.surrogates, k=args.k_perm, **settings)
        res.data["surrogate_test"] = test
        res.data["p_value"] = test["p_value"]
    write_result(args, res, {"x": args.x, "y": args.y, "z": args.z})
    return 0
