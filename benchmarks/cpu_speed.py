"""CPU speed of ``estimate()`` and ``rigorous()`` on small data (issue 15): prints tables, not a test.

Tasks (``split="random"``, seed 0, default settings otherwise):

- ``quickstart``: :class:`~neuralmi_core.samplers.LatentViews` — a 10-d correlated latent pair mapped to
  100-d X and 100-d Y by injective non-linear maps, N = 2500, exact MI 3.0 bits (the shape of another
  neural-MI library's quickstart);
- ``gauss5``: 5-d + 5-d correlated Gaussians, N = 4000, 1 nat (1.443 bits).

For each task and mode it prints the wall time, the MI found (bits; rigorous: corrected MI and CI) and
a breakdown recorded by the trainer: epochs run per cell (the slowest member), optimiser steps,
seconds in training steps / evaluation / other, and the member-steps spent on members that had already
stopped (``idle``; zero once stopped members are compacted out of the ensemble).

``--loaded N`` starts N busy processes (pure-Python spin loops) beside the timed run, as on a shared
laptop or login node. The script sets ``OMP_NUM_THREADS`` (``--omp``, default 2) before torch is
imported, as the issue's measurements did; ``--threads`` is passed to the API where it is accepted.

    .venv/bin/python benchmarks/cpu_speed.py                       # both tasks, estimate + rigorous
    .venv/bin/python benchmarks/cpu_speed.py --tasks quickstart --modes rigorous --loaded 2
    .venv/bin/python benchmarks/cpu_speed.py --json out.json
    .venv/bin/python benchmarks/cpu_speed.py --cli                 # also each run through the CLI (issue 23)

Goals (issue 15, idle 2-core CPU): quickstart ``rigorous()`` <= 30 s and ``estimate()`` <= 5 s, with two
busy processes beside it <= 2x the idle time. Record ``uptime`` next to every table: other load on the
machine inflates absolute seconds.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import math
import multiprocessing as mp
import os
import sys
import time


def _spin() -> None:  # a busy process (runs until killed)
    while True:
        pass


def _tasks():
    from neuralmi_core.samplers import CorrelatedGaussian, LatentViews

    return {
        "quickstart": (LatentViews(), 2500),
        "gauss5": (CorrelatedGaussian(5, 5, mi_nats=1.0), 4000),
    }


def _timing_sum(timings: list[dict]) -> dict:
    keys = ("train_s", "eval_s", "other_s", "steps", "member_steps", "idle_member_steps", "evals")
    return {k: sum(t.get(k, 0) for t in timings) for k in keys}


def run_one(task: str, mode: str, args: argparse.Namespace) -> dict:
    import neuralmi_core as nmi
    from neuralmi_core.analysis.rigorous import rigorous

    sampler, n = _tasks()[task]
    x, y = sampler.sample(n, seed=args.data_seed)
    truth_bits = sampler.mutual_information() / math.log(2)
    fn = nmi.estimate if mode == "estimate" else rigorous
    kw: dict = {"split": "random", "seed": 0, "progress": False, "device": "cpu"}
    if mode == "rigorous":
        kw["gammas"] = args.gammas
    if args.threads is not None and "threads" in inspect.signature(fn).parameters:
        kw["threads"] = args.threads
    for item in args.set or []:
        key, _, value = item.partition("=")
        kw[key] = json.loads(value)
    t0 = time.perf_counter()
    cpu0 = time.process_time()
    res = fn(x, y, **kw)
    wall = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    row = {"task": task, "mode": mode, "wall_s": wall, "cpu_s": cpu, "truth_bits": truth_bits,
           "loaded": args.loaded, "threads": args.threads, "omp": os.environ.get("OMP_NUM_THREADS"),
           "settings": {k: v for k, v in kw.items() if k not in ("progress", "device")}}
    if mode == "estimate":
        row.update(mi_bits=res.mi_bits, epochs=max(res.history["epochs_run"]),
                   steps_per_epoch=res.history["steps_per_epoch"], batch_size=res.history["batch_size"])
        cells = [{"epochs": max(res.history["epochs_run"]), "timing": res.history.get("timing", {})}]
    else:
        ln2 = math.log(2)
        row.update(mi_bits=res.mi_bits, ci_bits=[res.ci_low_nats / ln2, res.ci_high_nats / ln2],
                   naive_bits=res.naive_mi_nats / ln2, reliable=res.reliable)
        cells = []
        for c in res.cells:
            ms = [m for m in res.members if (m.gamma, m.seed) == (c["gamma"], c["seed"])]
            cells.append({"gamma": c["gamma"], "seconds": c["seconds"], "epochs": max(m.epochs_run for m in ms),
                          "member_epochs": sum(m.epochs_run for m in ms), "timing": c.get("timing", {})})
        row["cells"] = cells
    row["epochs_max"] = max(c["epochs"] for c in cells)
    row.update(_timing_sum([c["timing"] for c in cells]))
    return row


def run_cli(task: str, mode: str, args: argparse.Namespace, library_row: dict) -> dict:
    """The same run through ``neuralmi <mode>`` in a fresh process (import, loading .npy files, JSON writing
    included): wall time next to the library call's, and whether the numbers agree."""
    import subprocess
    import tempfile

    import numpy as np

    sampler, n = _tasks()[task]
    x, y = sampler.sample(n, seed=args.data_seed)
    with tempfile.TemporaryDirectory() as tmp:
        np.save(f"{tmp}/x.npy", x)
        np.save(f"{tmp}/y.npy", y)
        cmd = [sys.executable, "-m", "neuralmi_core", mode, f"{tmp}/x.npy", f"{tmp}/y.npy", "--split", "random",
               "--seed", "0", "--no-progress", "--device", "cpu", "--json", f"{tmp}/out.json"]
        if mode == "rigorous":
            cmd += ["--gammas", args.gammas]
        if args.threads is not None:
            cmd += ["--threads", str(args.threads)]
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        with open(f"{tmp}/out.json") as fh:
            out = json.load(fh)
    mi = out.get("mi_bits", out.get("mi_nats", float("nan")) / math.log(2))
    lib = library_row["wall_s"]
    return {"task": task, "mode": mode, "cli_wall_s": wall, "library_wall_s": lib, "ratio": wall / lib,
            "goal_s": 1.1 * lib + 3.0, "cli_mi_bits": mi, "library_mi_bits": library_row["mi_bits"]}


def _fmt(row: dict) -> str:
    mi = f"{row['mi_bits']:.3f}"
    if row["mode"] == "rigorous":
        mi += f" [{row['ci_bits'][0]:.2f}, {row['ci_bits'][1]:.2f}]"
    t = row
    idle = (f"{t['idle_member_steps'] / max(t['member_steps'] + t['idle_member_steps'], 1):.0%}"
            if t.get("member_steps") else "-")
    return (f"{row['task']:<11}{row['mode']:<10}{row['loaded']:>4}{row['wall_s']:>9.1f}{row['cpu_s']:>8.1f}"
            f"{t.get('train_s', 0):>8.1f}{t.get('eval_s', 0):>7.1f}{t.get('other_s', 0):>7.1f}"
            f"{row['epochs_max']:>7}{int(t.get('steps', 0)):>7}{idle:>6}  {row['truth_bits']:.3f}  {mi}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tasks", default="quickstart,gauss5")
    p.add_argument("--modes", default="estimate,rigorous")
    p.add_argument("--gammas", default="1-10")
    p.add_argument("--loaded", type=int, default=0, help="busy processes beside the timed run (default 0)")
    p.add_argument("--threads", type=int, default=None, help="threads= passed to the API (if it takes it)")
    p.add_argument("--omp", default="2", help="OMP_NUM_THREADS set before torch is imported ('' leaves it)")
    p.add_argument("--data-seed", type=int, default=0)
    p.add_argument("--set", action="append", metavar="KEY=JSON", help="extra API keyword, e.g. hidden=64")
    p.add_argument("--json", default=None, help="also write the rows as JSON here")
    p.add_argument("--cli", action="store_true", help="also time each run through `neuralmi <mode>` in a fresh "
                   "process and print it next to the library call (goal: CLI <= 1.1x library + 3 s)")
    p.add_argument("--wait-policy", default=None, help="OMP_WAIT_POLICY to set before torch is imported "
                   "(default: the library's choice)")
    args = p.parse_args(argv)
    if args.omp and os.environ.get("OMP_NUM_THREADS") != args.omp and "torch" not in sys.modules:
        os.environ["OMP_NUM_THREADS"] = args.omp
    if args.wait_policy:
        os.environ["OMP_WAIT_POLICY"] = args.wait_policy
    import neuralmi_core  # noqa: F401  (first: it picks OpenMP's wait policy before torch starts OpenMP)

    torch = importlib.import_module("torch")  # after neuralmi_core, whose import does not load torch itself

    load = os.getloadavg()
    print(f"cpu_speed: torch {torch.__version__}, {os.cpu_count()} CPUs, OMP_NUM_THREADS="
          f"{os.environ.get('OMP_NUM_THREADS')}, OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')}, load average "
          f"before {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    busy = [mp.Process(target=_spin, daemon=True) for _ in range(args.loaded)]
    for b in busy:
        b.start()
    rows = []
    print(f"{'task':<11}{'mode':<10}{'busy':>4}{'wall s':>9}{'cpu s':>8}{'train':>8}{'eval':>7}{'other':>7}"
          f"{'epochs':>7}{'steps':>7}{'idle':>6}  truth  MI bits")
    try:
        for task in args.tasks.split(","):
            for mode in args.modes.split(","):
                row = run_one(task, mode, args)
                rows.append(row)
                print(_fmt(row), flush=True)
    finally:
        for b in busy:
            b.kill()
    if args.cli:
        print(f"\n{'task':<11}{'mode':<10}{'library s':>10}{'CLI s':>8}{'ratio':>7}{'goal s':>8}  MI bits library / CLI")
        for row in rows:
            c = run_cli(row["task"], row["mode"], args, row)
            row["cli"] = c
            print(f"{c['task']:<11}{c['mode']:<10}{c['library_wall_s']:>10.1f}{c['cli_wall_s']:>8.1f}{c['ratio']:>7.2f}"
                  f"{c['goal_s']:>8.1f}  {c['library_mi_bits']:.4f} / {c['cli_mi_bits']:.4f}", flush=True)
    load = os.getloadavg()
    print(f"load average after {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    for row in rows:
        if row["mode"] == "rigorous":
            print(f"\n{row['task']} rigorous, per cell: gamma, seconds, epochs (slowest member), member-epochs, "
                  f"train/eval s")
            for c in row["cells"]:
                tm = c["timing"]
                print(f"  gamma {c['gamma']:>2}: {c['seconds']:>6.1f} s, {c['epochs']:>4} epochs, "
                      f"{c['member_epochs']:>5} member-epochs, train {tm.get('train_s', float('nan')):.1f} s, "
                      f"eval {tm.get('eval_s', float('nan')):.1f} s")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
