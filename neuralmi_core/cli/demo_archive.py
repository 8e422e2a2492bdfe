"""Write a synthetic NWB archive with known ground truth (DANDI layout, a .truth.json sidecar per file).

Two populations (units column `region` = A/B, `quality` = good/mua) driven by smooth latents with a known
number of shared and private dimensions, Poisson spikes, a 2-d position driven by the shared latents (with
gaps), trials, and the generating parameters in scratch/neuralmi_synth_params. With --imaging-sessions N,
N two-photon imaging sessions follow (sub-XX_ses-YY_ophys.nwb, own subjects): region A's units recorded as
ROIs (dF/F at 30 Hz, 10 % non-cells with is_cell = 0, plane in VISp), the same position and trials, no
units. See neuralmi_core.synth and docs/ophys.md.

Example:
  neuralmi demo-archive --out resources/demo_archive --sessions 2 --seed 0
  neuralmi demo-archive --out resources/demo_archive --sessions 2 --imaging-sessions 1 --rois 200
"""

from __future__ import annotations

import argparse
import sys

NAME = "demo-archive"
HELP = "write a synthetic NWB archive with known latent dimensionality and MI bounds"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", required=True, metavar="DIR", help="archive folder (created)")
    p.add_argument("--sessions", type=int, default=2, help="number of sessions (default: 2)")
    p.add_argument(
        "--imaging-sessions",
        type=int,
        default=0,
        help="two-photon imaging sessions written after the ephys ones (default: 0)",
    )
    p.add_argument(
        "--rois",
        type=int,
        default=None,
        help="ROIs per imaging session, ~10%% of them non-cells (default: 200; needs --imaging-sessions)",
    )
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
        imaging_sessions=args.imaging_sessions,
        imaging={"n_rois": args.rois} if args.rois is not None else None,
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
