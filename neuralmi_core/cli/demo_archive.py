"""Write a synthetic NWB archive with known ground truth (DANDI layout, a .truth.json sidecar per file).

Two populations (units column `region` = A/B, `quality` = good/mua) driven by smooth latents with a known
number of shared and private dimensions, Poisson spikes, a 2-d position driven by the shared latents (with
gaps), trials, and the generating parameters in scratch/neuralmi_synth_params. See neuralmi_core.synth.

Example:
  neuralmi demo-archive --out resources/demo_archive --sessions 2 --seed 0
"""

from __future__ import annotations

import argparse
import sys

NAME = "demo-archive"
HELP = "write a synthetic NWB archive with known latent dimensionality and MI bounds"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", required=True, metavar="DIR", help="archive folder (created)")
    p.add_argument("--sessions", type=int, default=2, help="number of sessions (default: 2)")
    p.add_argument("--seed", type=int, default=0, help="archive seed (default: 0)")
    p.add_argument("--duration", type=float, default=600.0, help="seconds per session (default: 600)")
    p.add_argument("--units-per-region", type=int, default=40, help="units in each of A and B (default: 40)")
    p.add_argument("--shared-dims", type=int, default=3, help="latent dims shared by A and B (default: 3)")
    p.add_argument("--private-dims", type=int, default=2, help="private latent dims per region (default: 2)")
    p.add_argument("--mean-rate", type=float, default=10.0, help="mean firing rate in Hz (default: 10)")
    p.add_argument("--timescale", type=float, default=0.3, help="latent timescale in s (default: 0.3)")
    p.add_argument(
        "--shared-noise",
        type=float,
        default=0.5,
        help="std of each region's fast noise on the shared drive; larger = less shared MI (default: 0.5)",
    )


def run(args: argparse.Namespace) -> int:
    from ..synth import generate_archive

    paths = generate_archive(
        args.out,
        n_sessions=args.sessions,
        seed=args.seed,
        duration_s=args.duration,
        n_units_a=args.units_per_region,
        n_units_b=args.units_per_region,
        n_shared=args.shared_dims,
        n_private_a=args.private_dims,
        n_private_b=args.private_dims,
        mean_rate_hz=args.mean_rate,
        timescale_s=args.timescale,
        shared_noise=args.shared_noise,
    )
    for p in paths:
        print(p)
    print(f"wrote {len(paths)} sessions under {args.out}", file=sys.stderr)
    return 0
