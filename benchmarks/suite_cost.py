"""CPU cost of rigorous() on accuracy-suite tasks (N = 5000): the old one-hidden-layer critic against the default.

    OMP_NUM_THREADS=1 python benchmarks/suite_cost.py [--tasks student-df2-5 gauss-sparse-25] [--repeats 2]

Prints, per task and critic depth, CPU seconds (``time.process_time``, one thread), wall seconds, epochs
trained over all members, the corrected MI and its error, and the ratio of the default's CPU time to the
one-hidden-layer critic's, measured in one run (issue 13's goal: at most 2x). Say how loaded the machine
was when you quote it. Not a test.
"""

from __future__ import annotations

import argparse
import statistics
import time

import neuralmi_core as nmi
from neuralmi_core.suite import select_tasks


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tasks", nargs="*", default=["student-df2-5", "gauss-sparse-25", "poisson-16"])
    p.add_argument("--n", type=int, default=5000)
    p.add_argument("--repeats", type=int, default=2)
    args = p.parse_args()
    print(f"{'task':<24}{'n_layers':>9}{'cpu s':>8}{'wall s':>8}{'epochs':>8}{'MI':>8}{'rel':>8}")
    for task in select_tasks(args.tasks):
        x, y = task.sampler.sample(args.n, seed=0)
        cpu: dict[int, list[float]] = {1: [], 2: []}
        for _ in range(args.repeats):
            for layers in (1, 2):
                c0, w0 = time.process_time(), time.perf_counter()
                r = nmi.rigorous(x, y, split="random", progress=False, seed=0, n_layers=layers, threads=1)
                c, w = time.process_time() - c0, time.perf_counter() - w0
                cpu[layers].append(c)
                epochs = sum(m.epochs_run for m in r.members)
                print(f"{task.name:<24}{layers:>9}{c:>8.1f}{w:>8.1f}{epochs:>8}{r.mi_nats:>8.3f}"
                      f"{(r.mi_nats - task.mi) / task.mi:>+8.1%}", flush=True)
        ratio = statistics.median(cpu[2]) / statistics.median(cpu[1])
        print(f"{task.name:<24} CPU ratio n_layers 2 / 1 (median of {args.repeats}): {ratio:.2f}x", flush=True)


if __name__ == "__main__":
    main()
