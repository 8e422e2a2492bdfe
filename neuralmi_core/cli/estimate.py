"""Estimate I(X; Y) in nats (and bits) with a neural or baseline estimator; write every field as JSON.

JSON fields: mi_nats, mi_bits, mi_std_nats, mi_std_bits, mi_train_nats, estimator, critic, n_train,
n_test, n_eval, n_seeds, seed, seconds, split, device, ceiling_nats, near_ceiling, history (best_epoch,
epochs_run, training curves), params, members (per-network records), warnings.

Example:
  neuralmi estimate x.npy y.npz:pos --estimator smile --epochs 200 --json out.json
"""

from __future__ import annotations

import argparse
import sys

from ..estimate import estimate
from .common import (
    add_data_arguments,
    add_model_arguments,
    add_output_arguments,
    add_training_arguments,
    load_xy,
    model_kwargs,
    training_kwargs,
    write_json,
)

NAME = "estimate"
HELP = "estimate I(X; Y) once (held-out MI, no bias correction)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_data_arguments(p)
    add_model_arguments(p)
    add_training_arguments(p)
    p.add_argument("--n-seeds", type=int, default=1, help="independent networks trained as one ensemble; "
                   "the estimate is their mean (default: 1)")
    add_output_arguments(p)


def run(args: argparse.Namespace) -> int:
    x, y = load_xy(args)
    res = estimate(x, y, **model_kwargs(args), **training_kwargs(args), n_seeds=args.n_seeds, k=args.k)
    out = res.to_dict()
    out["inputs"] = {"x": args.x, "y": args.y}
    write_json(args.json_out, out)
    print(f"{res.mi_nats:.4f} nats ({res.mi_bits:.4f} bits) [{res.estimator}] -> {args.json_out}", file=sys.stderr)
    return 0
