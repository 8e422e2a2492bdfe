"""Latent dimensionality: sweep the separable critic's embedding dim and find where the MI saturates.

Without Y: X's channels are split at random into two equal halves (--n-splits halvings; with an odd
channel count one channel is left out of each) and I(X_A; X_B) is estimated per embedding dim. With Y:
the same sweep for I(X; Y) (interaction dimensionality), --n-splits replicates per dim. The saturation
dim for strictness s is the last dim before the first step whose mean MI gain is below s times the
spread (std over halvings x seeds) at the larger dim. Each (embedding_dim, seed) cell trains as one
batched ensemble and depends on no other cell: one dim is a valid partial run, and
`neuralmi gather dimensionality` combines parts into the numbers of one call. --embedding-dim is
ignored here (the sweep sets it). Default estimator: smile (clip --tau 5).

JSON fields:
  target              "internal" (I(X_A; X_B)) or "interaction" (I(X; Y))
  embedding_dims      dims present; seeds: seeds present; n_splits: halvings / replicates per cell
  curve               per dim: embedding_dim, n_members, mean_nats, std_nats (held-out MI over
                      halvings x seeds), mean_bits, std_bits
  saturation          saturation dim per strictness ("0.1", "1.0", "15.0"; null: not saturated
                      within the dims swept, a single-dim partial run, or no shared information)
  saturation_dim      the saturation dim at strictness 1 (null as above)
  no_shared_information  true when the MI at every dim is below 0.01 nats or not significantly
                      above 0 (one-sided t-test, Bonferroni over dims): no dimensionality is reported
  members             one row per network: embedding_dim, split, seed, n_train, n_test, n_eval,
                      mi_test_nats, mi_train_nats, best_epoch, epochs_run, channels_a, channels_b
                      (X's channel indices of each half; empty for interaction)
  dropped_channel     true when X's odd channel count made each halving leave one channel out
  settings            model and training settings, n_splits, target (parts must agree to be gathered)
  data                n_samples, dim_x, dim_y, sha256 (fingerprint of the inputs)
  cells               per (embedding_dim, seed) cell: seconds, device
  seconds, warnings, inputs, unit_note

Example:
  neuralmi dimensionality x.npy --embedding-dims 1,2,3,4,6,8 --n-splits 5 --json dims.json
  neuralmi dimensionality x.npy --embedding-dims 4 --seed-list 0 --json part_d4_s0.json   # one cell
"""

from __future__ import annotations

import argparse
import sys

from ..analysis.dimensionality import dimensionality
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
from .rigorous import add_seed_arguments

NAME = "dimensionality"
HELP = "latent dimensionality from the MI-vs-embedding-dim saturation (channel halvings of X, or X vs Y)"


def parse_floats(text: str) -> list[float]:
    try:
        return [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers such as '0.1,1,15'; got {text!r}") \
            from None


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_data_arguments(p, y_optional=True)
    add_model_arguments(p, default_estimator="smile")
    add_training_arguments(p)
    g = p.add_argument_group("dimensionality mode")
    g.add_argument("--embedding-dims", default="1,2,3,4,6,8,12,16",
                   help="embedding dims to sweep (default: 1,2,3,4,6,8,12,16); one dim for a partial run")
    g.add_argument("--n-splits", type=int, default=5, help="random channel halvings (or replicates) per dim "
                   "(default: 5)")
    add_seed_arguments(g)
    g.add_argument("--strictness", type=parse_floats, default=[0.1, 1.0, 15.0],
                   help="saturation strictness values (default: 0.1,1,15)")
    p.add_argument("--plot", metavar="OUT.png", default=None, help="also save the MI-vs-dim figure here")
    add_output_arguments(p)


def run(args: argparse.Namespace) -> int:
    x, y = load_xy(args)
    kw = model_kwargs(args)
    kw.pop("embedding_dim")
    res = dimensionality(x, y, **kw, **training_kwargs(args), embedding_dims=args.embedding_dims,
                         n_splits=args.n_splits, n_seeds=args.n_seeds, seeds=args.seed_list,
                         strictness=args.strictness)
    out = res.to_dict()
    out["inputs"] = {"x": args.x, "y": args.y}
    write_json(args.json_out, out)
    if args.plot:
        res.plot().savefig(args.plot, dpi=120, bbox_inches="tight")
    print(f"{res.target}: saturation dim {res.saturation_dim} (s=1); {res.saturation} -> {args.json_out}",
          file=sys.stderr)
    for w in res.warnings:
        print(f"warning: {w}", file=sys.stderr)
    return 0
