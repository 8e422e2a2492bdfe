"""Write a synthetic NWB archive with known ground truth (DANDI layout, a .truth.json sidecar per file).

Two populations (units column `region` = A/B, `quality` = good/mua) driven by smooth latents with a known
number of shared and private dimensions, Poisson spikes, a 2-d position driven by the shared latents (with
gaps), trials, and the generating parameters in scratch/neuralmi_synth_params. With --imaging-sessions N,
N two-photon imaging sessions follow (sub-XX_ses-YY_ophys.nwb, own subjects): region A's units recorded as
ROIs (dF/F at 30 Hz, 10 % non-cells with is_cell = 0, plane in VISp), the same position and trials, no
units. See neuralmi_core.synth and docs/ophys.md.

With --kind study the ephys sessions are a small study with planted structure instead
(neuralmi_core.synth.network, docs/study.md): --regions (units column `region`), of which the --coupled pairs
share latents and the others nothing (MI exactly 0); intervals tables `running` and its complement `rest`
during which the --condition-pair's latent MI is --condition-factor times larger; subjects alternating
genotype wt / ko (NWB Subject.genotype) with the --group-pair's latent MI --group-factor times the wild
type's in ko; and a per-session jitter of every coupling (--jitter: sd of the log latent MI). Each sidecar
states every planted quantity. One switch (not a separate command) so that --sessions, --seed, --duration,
--imaging-sessions and the workflow's `demo_archive: options:` work the same for both kinds.

Example:
  neuralmi demo-archive --out resources/demo_archive --sessions 2 --seed 0
  neuralmi demo-archive --out resources/demo_archive --sessions 2 --imaging-sessions 1 --rois 200
  neuralmi demo-archive --out study --kind study --sessions 4 --sessions-per-subject 1 --regions A,B,C \
      --coupled A-B,B-C --condition-pair A-B --group-pair B-C --duration 240
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
    p.add_argument(
        "--kind",
        choices=("ecephys", "study"),
        default="ecephys",
        help="ephys sessions: two regions A/B (ecephys, the default) or a study with planted structure (study)",
    )
    p.add_argument(
        "--sessions-per-subject",
        type=int,
        default=None,
        help="sessions per sub-XX folder (default: 2; with --kind study 1: one animal per session)",
    )
    p.add_argument(
        "--units-per-region", type=int, default=None, help="units in each region (default: 40; study: 30)"
    )
    p.add_argument(
        "--shared-dims",
        type=int,
        default=None,
        help="latent dims shared by A and B (default: 3; study: by each coupled pair, 2)",
    )
    p.add_argument("--private-dims", type=int, default=None, help="private latent dims per region (default: 2)")
    p.add_argument("--mean-rate", type=float, default=10.0, help="mean firing rate in Hz (default: 10)")
    p.add_argument("--timescale", type=float, default=0.3, help="latent timescale in s (default: 0.3)")
    p.add_argument("--gain", type=float, default=1.2, help="tuning gain: each unit's log rate is gain times its "
                   "latent drive, so a larger gain puts more of the latents into the spike counts (default: 1.2)")
    p.add_argument(
        "--shared-noise",
        type=float,
        default=None,
        help="std of each region's fast noise on the shared drive; larger = less shared MI (default: 0.5; "
        "study: 1.0, the coupling of the wild type outside the condition)",
    )
    study = p.add_argument_group("--kind study (planted structure; refused without it)")
    study.add_argument("--regions", default=None, help="comma-separated region names (default: A,B,C)")
    study.add_argument("--coupled", default=None, help="pairs that share latents, e.g. A-B,B-C (the default)")
    study.add_argument(
        "--condition-pair", default=None, help="coupled pair whose MI changes in `running` (default: A-B)"
    )
    study.add_argument(
        "--condition-factor", type=float, default=None, help="its latent MI in running / at rest (default: 2)"
    )
    study.add_argument(
        "--group-pair", default=None, help="coupled pair whose MI differs between genotypes (default: B-C)"
    )
    study.add_argument(
        "--group-factor", type=float, default=None, help="its latent MI in ko / in wt (default: 0.5)"
    )
    study.add_argument(
        "--jitter",
        type=float,
        default=None,
        help="session-to-session sd of the log latent MI of every coupled pair (default: 0.1)",
    )


#: per --kind: option -> the generator's fields it sets (SynthParams for ecephys, NetworkParams for study); an
#: option missing from a kind's table is refused for that kind (the study table holds every option)
FIELDS = {
    "ecephys": {"units_per_region": ("n_units_a", "n_units_b"), "shared_dims": ("n_shared",),
                "private_dims": ("n_private_a", "n_private_b"), "shared_noise": ("shared_noise",)},
    "study": {"units_per_region": ("n_units",), "shared_dims": ("dims_per_pair",), "private_dims": ("n_private",),
              "shared_noise": ("shared_noise",), "regions": ("regions",), "coupled": ("coupled",),
              "condition_pair": ("condition_pair",), "condition_factor": ("condition_mi_factor",),
              "group_pair": ("group_pair",), "group_factor": ("group_mi_factor",), "jitter": ("jitter_sd",)},
}


def run(args: argparse.Namespace) -> int:
    from ..synth import generate_archive
    from ..validation import NeuralMIError

    fields = FIELDS[args.kind]
    given = {k: getattr(args, k) for k in FIELDS["study"] if getattr(args, k) is not None}
    bad = sorted(f"--{k.replace('_', '-')}" for k in given if k not in fields)
    if bad:
        raise NeuralMIError(f"demo-archive: {', '.join(bad)} need(s) --kind study")
    options = {f: v for k, v in given.items() for f in fields[k]}
    imaging = {"n_rois": args.rois} if args.rois is not None else None
    if args.kind == "study":
        from ..synth.network import generate_study_archive

        generate, per_subject = generate_study_archive, 1
    else:
        generate, per_subject = generate_archive, 2
    paths = generate(
        args.out,
        n_sessions=args.sessions,
        seed=args.seed,
        sessions_per_subject=args.sessions_per_subject or per_subject,
        imaging_sessions=args.imaging_sessions,
        imaging=imaging,
        duration_s=args.duration,
        mean_rate_hz=args.mean_rate,
        timescale_s=args.timescale,
        gain=args.gain,
        **options,
    )
    for p in paths:
        print(p)
    print(f"wrote {len(paths)} sessions under {args.out}", file=sys.stderr)
    return 0
