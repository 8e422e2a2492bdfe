"""Fixed batch 256 against the automatic batch size on large data sets (prints a table; not a test).

``batch_size=None`` trains with 256 up to 32,767 training samples and doubles with every doubling of the
training set beyond (``auto_batch_size``), so it only matters for large data. This compares
``estimate()`` (and with ``--rigorous``, ``rigorous()``) with ``batch_size=256`` and ``batch_size=None``
on correlated Gaussians with known MI, over several data sets: mean estimate, its spread, the error,
the optimiser steps and the seconds.

    OMP_NUM_THREADS=1 python benchmarks/batch_size.py                       # N = 50k and 100k, 1 and 4 nats
    OMP_NUM_THREADS=1 python benchmarks/batch_size.py --n 60000 --mi 2 --rigorous --seeds 0
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import neuralmi_core as nmi
from neuralmi_core.samplers import CorrelatedGaussian
from neuralmi_core.training.trainer import auto_batch_size


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", default="50000,100000")
    p.add_argument("--mi", default="1,4", help="MI in nats of 10+10-d correlated Gaussians")
    p.add_argument("--dim", type=int, default=10)
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--estimator", default="infonce")
    p.add_argument("--rigorous", action="store_true", help="rigorous() (gamma 1-10) instead of estimate()")
    p.add_argument("--epochs", type=int, default=300)
    args = p.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",")]
    mode = "rigorous" if args.rigorous else "estimate"
    print(f"batch size: {mode}, {args.estimator}, {args.dim}+{args.dim}-d Gaussians, split random, data seeds {seeds}")
    print(f"{'N':>8}{'MI':>6}{'batch':>10}{'mean est':>10}{'sd':>8}{'mean err':>10}{'|err| max':>10}{'steps':>8}"
          f"{'sec':>8}")
    for n in (int(v) for v in args.n.split(",")):
        for mi in (float(v) for v in args.mi.split(",")):
            task = CorrelatedGaussian(args.dim, args.dim, mi_nats=mi)
            for batch in (256, None):
                ests, steps, secs = [], [], []
                for s in seeds:
                    x, y = task.sample(n, seed=s)
                    t0 = time.perf_counter()
                    kw = dict(estimator=args.estimator, split="random", seed=s, batch_size=batch, progress=False,
                              epochs=args.epochs)
                    if args.rigorous:
                        res = nmi.rigorous(x, y, **kw)
                        steps.append(sum(c["timing"]["steps"] for c in res.cells))
                    else:
                        res = nmi.estimate(x, y, **kw)
                        steps.append(res.history["timing"]["steps"])
                    secs.append(time.perf_counter() - t0)
                    ests.append(res.mi_nats)
                errs = [e - mi for e in ests]
                label = "256" if batch else f"auto {auto_batch_size(int(0.8 * n))}"
                sd = statistics.stdev(ests) if len(ests) > 1 else float("nan")
                print(f"{n:>8}{mi:>6.1f}{label:>10}{statistics.mean(ests):>10.3f}{sd:>8.3f}"
                      f"{statistics.mean(errs):>10.3f}{max(abs(e) for e in errs):>10.3f}{statistics.mean(steps):>8.0f}"
                      f"{statistics.mean(secs):>8.1f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
