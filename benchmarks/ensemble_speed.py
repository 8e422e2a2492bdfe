"""Ensemble speed: K members trained as one batched ensemble vs one after another, same settings.

    python benchmarks/ensemble_speed.py [--members 10] [--n 2000] [--epochs 20] [--critic separable]

Every member trains for exactly ``--epochs`` epochs (early stopping off) on its own data chunk, with
identical hyper-parameters in both modes, so the ratio is pure throughput. Goal (issue 2): >= 3x for
K = 10 on the 2-core CPU. Prints a table; not a test.
"""

from __future__ import annotations

import argparse
import sys
import time

import torch

from neuralmi_core.estimators import ModelSpec, fit_ensemble
from neuralmi_core.samplers import CorrelatedGaussian
from neuralmi_core.training import TrainConfig, split_member


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--members", type=int, default=10)
    p.add_argument("--n", type=int, default=2000, help="samples per member")
    p.add_argument("--dim", type=int, default=5)
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--critic", default="separable")
    p.add_argument("--estimator", default="infonce")
    p.add_argument("--device", default="cpu")
    args = p.parse_args()
    k = args.members
    x, y = CorrelatedGaussian(args.dim, args.dim, 1.0).sample(args.n * k, seed=0)
    members = [split_member(x[i * args.n:(i + 1) * args.n], y[i * args.n:(i + 1) * args.n], "random", seed=i)
               for i in range(k)]
    spec = ModelSpec(args.estimator, args.critic)
    cfg = TrainConfig(epochs=args.epochs, patience=args.epochs + 1, min_epochs=args.epochs, device=args.device,
                      progress=False)
    fit_ensemble(members[:1], spec, TrainConfig(epochs=1, device=args.device, progress=False))  # warm-up
    t0 = time.perf_counter()
    batched = fit_ensemble(members, spec, cfg)
    t_batched = time.perf_counter() - t0
    t0 = time.perf_counter()
    seq = [fit_ensemble([m], spec, cfg).members[0] for m in members]
    t_seq = time.perf_counter() - t0
    steps = batched.steps_per_epoch * args.epochs
    print(f"K={k} members, {args.n} samples each ({args.dim}+{args.dim}-d), {args.estimator}/{args.critic}, "
          f"batch {batched.batch_size}, {args.epochs} epochs x {batched.steps_per_epoch} steps, "
          f"device {batched.device}, torch threads {torch.get_num_threads()}")
    print(f"{'mode':<14}{'seconds':>9}{'member-steps/s':>16}{'mean MI (nats)':>16}")
    mb = sum(m.mi_test_nats for m in batched.members) / k
    ms = sum(m.mi_test_nats for m in seq) / k
    print(f"{'batched':<14}{t_batched:>9.2f}{k * steps / t_batched:>16.0f}{mb:>16.3f}")
    print(f"{'sequential':<14}{t_seq:>9.2f}{k * steps / t_seq:>16.0f}{ms:>16.3f}")
    ratio = t_seq / t_batched
    print(f"throughput ratio batched/sequential: {ratio:.2f}x  (goal >= 3x: {'met' if ratio >= 3 else 'MISSED'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
