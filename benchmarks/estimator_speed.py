"""Wall time of ``estimate()`` per estimator on the same tasks, in one run (issue 23 item 3): a table, not a test.

For every task and every estimator (default: infonce, smile, minee, mienf) it runs ``nmi.estimate(x, y,
estimator=E, split="random", seed=0)`` at default settings otherwise and prints the wall time, the MI found
against the truth, the epochs run (the slowest member), the optimiser steps, the trainer's seconds in
training steps and in evaluation, the seconds per epoch, and two ratios to InfoNCE on the same task: of the
wall time and of the seconds per epoch (the part of the cost that does not depend on when early stopping
fires), and the process's CPU seconds with their ratio (with ``--omp 1`` the least load-dependent of the
three: on a machine shared with other jobs the wall time counts the time spent waiting for a core). The
estimators run in turn, in reversed order on every second repetition (``--reps``), so that a
change of load during the run falls on all of them; the ratios are the evidence, the seconds depend on the
machine's load (printed before and after).

Tasks (suite names, ``neuralmi_core.suite``; N = 5000 unless ``--n``): ``gauss-dense-5x5`` (0.593 nats) and
``asinh-student-df2-3x3`` (0.291 nats), the two tasks of issue 23's table.

    .venv/bin/python benchmarks/estimator_speed.py                              # both tasks, 4 estimators
    .venv/bin/python benchmarks/estimator_speed.py --omp 1 --estimators infonce,minee --reps 2
    .venv/bin/python benchmarks/estimator_speed.py --set minee:options='{"ref_ratio": 5}' --json out.json
    .venv/bin/python benchmarks/estimator_speed.py --flops --set epochs=2       # the FLOP ratios alone, quickly

Goal (issue 23 item 3): MI-NEE and MIENF estimates <= 3x the time of an InfoNCE estimate at default
settings on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time

TASKS = ("gauss-dense-5x5", "asinh-student-df2-3x3")
ESTIMATORS = ("infonce", "smile", "minee", "mienf")


def run_one(task_name: str, estimator: str, args: argparse.Namespace, extra: dict) -> dict:
    import neuralmi_core as nmi
    from neuralmi_core.suite import select_tasks

    task = select_tasks([task_name])[0]
    x, y = task.sampler.sample(args.n, seed=args.data_seed)
    kw = {"split": "random", "seed": 0, "progress": False, "device": "cpu", **extra}
    t0, cpu0 = time.perf_counter(), time.process_time()
    res = nmi.estimate(x, y, estimator=estimator, **kw)
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    timing = res.history.get("timing", {})
    epochs = max(res.history["epochs_run"])
    shape = {"batch": res.history["batch_size"], "steps_per_epoch": res.history["steps_per_epoch"],
             "n_eval": res.members[0].n_eval, "dx": x.shape[1], "dy": y.shape[1]}
    if args.flops:  # matmul work of one member's epoch, counted (benchmarks/cpu_speed.py, member_flops)
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        from cpu_speed import member_flops

        per_step, per_eval = member_flops(shape["dx"], shape["dy"], shape["batch"], shape["n_eval"],
                                          {"estimator": estimator, **extra})
        shape["gflop_per_epoch"] = (per_step * shape["steps_per_epoch"] + per_eval) / 1e9
    return {"task": task_name, "estimator": estimator, "wall_s": wall, "cpu_s": cpu, "truth_nats": task.mi, "mi_nats": res.mi_nats,
            "epochs": epochs, "steps": timing.get("steps"), "train_s": timing.get("train_s"),
            "eval_s": timing.get("eval_s"), "s_per_epoch": wall / max(epochs, 1),
            "settings": {k: v for k, v in kw.items() if k not in ("progress", "device")},
            "load": os.getloadavg()[0], **shape}


def _extra(args: argparse.Namespace, estimator: str) -> dict:
    """``--set [ESTIMATOR:]KEY=JSON`` keywords that apply to ``estimator``."""
    out = {}
    for item in args.set or []:
        key, _, value = item.partition("=")
        target, _, key = key.rpartition(":")
        if not target or target == estimator:
            out[key] = json.loads(value)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tasks", default=",".join(TASKS))
    p.add_argument("--estimators", default=",".join(ESTIMATORS), help="the first is the reference of the ratios "
                   "where infonce is not among them")
    p.add_argument("--n", type=int, default=5000)
    p.add_argument("--data-seed", type=int, default=0)
    p.add_argument("--reps", type=int, default=1, help="repetitions, the order of the estimators reversed on every "
                   "second one (default 1)")
    p.add_argument("--omp", default="2", help="OMP_NUM_THREADS set before torch is imported ('' leaves it)")
    p.add_argument("--set", action="append", metavar="[EST:]KEY=JSON", help="extra estimate() keyword, for every "
                   "estimator or only EST's, e.g. minee:options='{\"ref_ratio\": 5}'")
    p.add_argument("--flops", action="store_true", help="also count the matmul GFLOP of one member's epoch (a "
                   "training epoch and the two evaluations) with torch's FlopCounterMode: the load-free ratio")
    p.add_argument("--json", default=None, help="also write the rows as JSON here")
    args = p.parse_args(argv)
    if args.omp and "torch" not in sys.modules:
        os.environ["OMP_NUM_THREADS"] = args.omp
    import neuralmi_core  # noqa: F401  (first: it picks OpenMP's wait policy before torch starts OpenMP)

    torch = importlib.import_module("torch")  # after neuralmi_core, as in cpu_speed.py

    estimators = args.estimators.split(",")
    ref = "infonce" if "infonce" in estimators else estimators[0]
    load = os.getloadavg()
    print(f"estimator_speed: torch {torch.__version__}, {os.cpu_count()} CPUs, OMP_NUM_THREADS="
          f"{os.environ.get('OMP_NUM_THREADS')}, N = {args.n}, load average before {load[0]:.2f} {load[1]:.2f} "
          f"{load[2]:.2f}")
    rows = []
    for rep in range(args.reps):
        order = estimators if rep % 2 == 0 else estimators[::-1]
        for task in args.tasks.split(","):
            for est in order:
                row = run_one(task, est, args, _extra(args, est))
                row["rep"] = rep
                rows.append(row)
                print(f"  rep {rep} {task} {est}: {row['wall_s']:.1f} s, MI {row['mi_nats']:.4f}, {row['epochs']} epochs "
                      f"(load {row['load']:.2f})", flush=True)
    print(f"\n{'task':<23}{'estimator':<10}{'truth':>7}{'MI':>8}{'wall s':>9}{'epochs':>7}{'steps':>7}{'train s':>9}"
          f"{'eval s':>8}{'s/epoch':>9}{'x ' + ref:>11}{'/epoch':>8}{'cpu s':>8}{'x cpu':>7}"
          + (f"{'GFLOP/ep':>9}{'x':>7}" if args.flops else ""))
    for task in args.tasks.split(","):
        base = [r for r in rows if r["task"] == task and r["estimator"] == ref]
        for est in estimators:
            for r in (r for r in rows if r["task"] == task and r["estimator"] == est):
                b = next(x for x in base if x["rep"] == r["rep"])
                r["ratio_wall"] = r["wall_s"] / b["wall_s"]
                r["ratio_epoch"] = r["s_per_epoch"] / b["s_per_epoch"]
                r["ratio_cpu"] = r["cpu_s"] / b["cpu_s"]
                flops = f"{r['gflop_per_epoch']:>9.2f}{r['gflop_per_epoch'] / b['gflop_per_epoch']:>7.1f}" if args.flops else ""
                print(f"{task:<23}{est:<10}{r['truth_nats']:>7.3f}{r['mi_nats']:>8.4f}{r['wall_s']:>9.1f}{r['epochs']:>7}"
                      f"{r['steps'] or 0:>7}{r['train_s'] or 0:>9.1f}{r['eval_s'] or 0:>8.1f}{r['s_per_epoch']:>9.3f}"
                      f"{r['ratio_wall']:>11.2f}{r['ratio_epoch']:>8.2f}{r['cpu_s']:>8.1f}{r['ratio_cpu']:>7.2f}{flops}")
    load = os.getloadavg()
    print(f"load average after {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
