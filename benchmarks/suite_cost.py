"""CPU cost of rigorous() on accuracy-suite tasks (N = 5000): the defaults before issue 13 against today's.

    OMP_NUM_THREADS=1 python benchmarks/suite_cost.py [--tasks student-df2-5 gauss-sparse-25] [--repeats 2]

"before" is ``n_layers=1, weight_decay=0`` (the defaults before issue 13, on today's trainer), "now" the
defaults. Prints, per task and setting, CPU seconds (``time.process_time``, one thread), wall seconds,
epochs trained over all members, the corrected MI and its error, and the ratio of the two CPU times
measured in one run. Say how loaded the machine was when you quote it. Not a test.
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
    print(f"{'task':<24}{'defaults':>9}{'cpu s':>8}{'wall s':>8}{'epochs':>8}{'MI':>8}{'rel':>8}")
    settings = {"before": {"n_layers": 1, "weight_decay": 0.0}, "now": {}}
    for task in select_tasks(args.tasks):
        x, y = task.sampler.sample(args.n, seed=0)
        cpu: dict[str, list[float]] = {k: [] for k in settings}
        for _ in range(args.repeats):
            for name, kw in settings.items():
                c0, w0 = time.process_time(), time.perf_counter()
                r = nmi.rigorous(x, y, split="random", progress=False, seed=0, threads=1, **kw)
                c, w = time.process_time() - c0, time.perf_counter() - w0
                cpu[name].append(c)
                epochs = sum(m.epochs_run for m in r.members)
                print(f"{task.name:<24}{name:>9}{c:>8.1f}{w:>8.1f}{epochs:>8}{r.mi_nats:>8.3f}"
                      f"{(r.mi_nats - task.mi) / task.mi:>+8.1%}", flush=True)
        ratio = statistics.median(cpu["now"]) / statistics.median(cpu["before"])
        print(f"{task.name:<24} CPU ratio now / before (median of {args.repeats}): {ratio:.2f}x", flush=True)


if __name__ == "__main__":
    main()
