"""Bias-corrected I(X; Y) with error bars: train on 1/gamma of the data for gamma = 1..G, extrapolate to 1/N = 0.

For each gamma the samples are split into gamma disjoint chunks (contiguous for --split blocked, random
for --split random; see --chunking) and one network is trained per chunk (train/test split inside the
chunk). Every (gamma, seed) cell trains as one batched ensemble and depends on no other cell, so a
workflow may run one cell per job (--gammas 3 --seed-list 1) and combine the parts with
`neuralmi gather rigorous`: the gathered JSON holds the same numbers as one call with all cells.
The members' MI is regressed on gamma by weighted least squares (weights 1/gamma) over the linear region
(the largest gammas are dropped while the quadratic fit has |a2/a1| >= --delta and a resolved a2,
keeping --min-gammas); the intercept at gamma = 0 is the corrected MI. The member MI regressed is by
default the mean of the training-subset and held-out MI (--extrapolate), whose first-order biases cancel.

JSON fields (every *_nats field also has a *_bits twin = nats / ln 2):
  mi_nats                  corrected MI (intercept); null when there is no fit (see fit_reason)
  ci_low_nats, ci_high_nats  confidence interval of the corrected MI at level `confidence` (quote this):
                           the fit's error, the data-set noise all members share and the systematic
                           error combined: half-width sqrt(t^2 (se^2 + shared_se^2) + (z systematic)^2)
  pi_low_nats, pi_high_nats  prediction interval for one new full-data member (the CI plus one member's noise)
  fit_ci_low_nats, fit_ci_high_nats  textbook t-interval of the WLS intercept (members taken as independent;
                           too narrow on real training, kept for comparison)
  shared_se_nats           sd of one full-data member about the fit (bounds the shared sampling noise)
  systematic_nats          largest distance from mi_nats to the "train" and "test" extrapolations
  se_nats                  standard error of the intercept (of the fit)
  slope_nats               d MI / d gamma of the fit (nats per unit gamma)
  naive_mi_nats            uncorrected full-data estimate: mean held-out MI of the gamma = 1 members
  bracket_low_nats, bracket_high_nats  range spanned by the "train" and "test" extrapolations, each
                           widened by its CI: both should reach the true MI if the bias is purely a/N, so
                           a wide bracket shows bias the fit does not model (quote it when it is wide)
  confidence               interval level (default 0.68)
  extrapolate              member MI that was regressed: "average" (default: mean of the two below, whose
                           first-order biases cancel), "train" (training-subset MI at the best held-out
                           checkpoint) or "test" (held-out MI)
  reliable                 false when a flag below makes the extrapolation unsafe
  flags                    too_few_gammas (fewer gammas than min_gammas: partial run, no fit),
                           too_few_gammas_left (still curved after pruning to min_gammas),
                           unstable_without_gamma1 (intercept moves > 20 % without gamma = 1),
                           residual_outliers (a Pearson residual beyond the Bonferroni 5 % threshold),
                           nonfinite_members (diverged members left out)
  fit_reason               why there is no fit (empty string when there is one)
  gammas, seeds            cells present; gammas_used / gammas_dropped: inside / outside the linear region
  members                  one row per network: gamma, chunk (0-based), seed, n_train, n_test, n_eval,
                           mi_test_nats (held-out MI at the best checkpoint), mi_train_nats (training-subset
                           MI at that checkpoint), best_epoch, epochs_run
  per_gamma                gamma, n_members, mean_nats, std_nats of the extrapolated member MI
  fits                     the full fit for each choice of member MI ("average", "train", "test"): intercept_nats,
                           slope_nats, se_nats, ci_*/pi_*_nats, scale_nats2 (residual variance of a gamma = 1
                           member, nats^2), df, n_points, gammas_used, gammas_dropped, curvature_ratio (|a2/a1|),
                           intercept_without_gamma1_nats, max_abs_residual, cov_params (intercept, slope),
                           flags, reliable, reason, delta, min_gammas
  settings                 model and training settings (parts must agree to be gathered)
  fit_settings             confidence, extrapolate, delta, min_gammas, min_chunk
  data                     n_samples, dim_x, dim_y, sha256 (fingerprint of X and Y)
  cells                    per (gamma, seed) cell: seconds, device, ceiling_nats
  seconds, warnings, inputs (the X and Y arguments), unit_note

Example:
  neuralmi rigorous x.npy y.npz:pos --split random --gammas 1-10 --seeds 2 --json out.json
  neuralmi rigorous x.npy y.npy --gammas 3 --seed-list 1 --json part_g3_s1.json   # one workflow cell
"""

from __future__ import annotations

import argparse
import sys

from ..analysis.rigorous import rigorous
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

NAME = "rigorous"
HELP = "bias-corrected I(X; Y) with a confidence interval (1/N extrapolation over data fractions)"


def add_seed_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("--seeds", dest="n_seeds", type=int, default=None,
                   help="train every member with seeds SEED .. SEED+N-1 (default: 1 seed, --seed)")
    g.add_argument("--seed-list", default=None, help="explicit seeds, e.g. '0,3' or '0-4'")


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_data_arguments(p)
    add_model_arguments(p)
    add_training_arguments(p)
    g = p.add_argument_group("rigorous mode")
    g.add_argument("--gammas", default="1-10", help="data fractions: '1-10' (default), '1,2,4', or one gamma "
                   "for a partial run")
    add_seed_arguments(g)
    g.add_argument("--confidence", type=float, default=0.68, help="interval level (default: 0.68)")
    g.add_argument("--extrapolate", choices=("average", "train", "test"), default="average",
                   help="member MI to extrapolate: the mean of training-subset and held-out MI (default), the "
                   "training-subset MI at the best held-out checkpoint, or the held-out MI")
    g.add_argument("--delta", type=float, default=0.1, help="linear-region threshold on |a2/a1| (default: 0.1)")
    g.add_argument("--min-gammas", type=int, default=5, help="fewest gammas kept in the fit (default: 5)")
    g.add_argument("--min-chunk", type=int, default=1000, help="warn below this many samples per chunk "
                   "(default: 1000)")
    g.add_argument("--chunking", choices=("auto", "contiguous", "random"), default="auto",
                   help="how chunks are cut (auto: contiguous for --split blocked, random for --split random)")
    p.add_argument("--plot", metavar="OUT.png", default=None, help="also save the MI-vs-1/N figure here")
    add_output_arguments(p)


def run(args: argparse.Namespace) -> int:
    x, y = load_xy(args)
    kw = training_kwargs(args)
    res = rigorous(x, y, **model_kwargs(args), **kw, gammas=args.gammas, n_seeds=args.n_seeds,
                   seeds=args.seed_list, confidence=args.confidence, extrapolate=args.extrapolate,
                   delta=args.delta, min_gammas=args.min_gammas, min_chunk=args.min_chunk,
                   chunking=args.chunking)
    out = res.to_dict()
    out["inputs"] = {"x": args.x, "y": args.y}
    write_json(args.json_out, out)
    if args.plot:
        res.plot().savefig(args.plot, dpi=120, bbox_inches="tight")
    if res.fit.fitted:
        print(f"{res.mi_nats:.4f} nats [{res.ci_low_nats:.4f}, {res.ci_high_nats:.4f}] ({res.confidence:.0%} CI), "
              f"{res.mi_bits:.4f} bits; naive {res.naive_mi_nats:.4f} nats -> {args.json_out}", file=sys.stderr)
    else:
        print(f"{len(res.members)} members written, no fit ({res.fit_reason}) -> {args.json_out}", file=sys.stderr)
    return 0
