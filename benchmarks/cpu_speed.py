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
    .venv/bin/python benchmarks/cpu_speed.py --cli --reps 2        # also each run through the CLI (issue 23)
    .venv/bin/python benchmarks/cpu_speed.py --flops               # achieved GFLOP/s against sgemm (issue 23)

``--cli`` (issue 23 item 4) runs every task and mode also as ``neuralmi <mode> X.npy Y.npy --split random
--seed 0`` in a fresh process (import, loading, JSON writing included), library and CLI alternating
(library first on even repetitions, CLI first on odd ones, ``--reps``), and prints both wall times, their
ratio, the goal (1.1 x library + 3 s), the CLI's seconds outside the analysis call (its start, imports of
torch and scipy, loading and writing: CLI wall minus the result's own ``seconds``) and the MI of both.

``--flops`` (issue 23 item 5) counts the matmul FLOPs of one training step and one evaluation of one member
with torch's ``FlopCounterMode`` (the critic as built by the library at the run's batch size and evaluation
size: every batched Linear's forward 2*B*in*out and its backward, the score matrix of InfoNCE), multiplies
them by the member-steps and member-evaluations the trainer recorded, divides by the seconds it spent in
training steps and in evaluation (and all of them by the call's CPU seconds), and prints those achieved GFLOP/s next to sgemm measured in the same run
with the same thread count, per CPU second (with one thread: what the core gave, whatever the load):
``torch.bmm`` at the critic's own shapes (K members x B x hidden x hidden, the
first layer) and ``torch.mm`` of a 2048 x 2048 square.

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
import resource
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
    keys = ("train_s", "eval_s", "other_s", "steps", "member_steps", "idle_member_steps", "evals", "member_evals")
    return {k: sum(t.get(k, 0) for t in timings) for k in keys}


def member_flops(dx: int, dy: int, batch: int, n_eval: int, settings: dict) -> tuple[float, float]:
    """Matmul FLOPs of one member: one training step (forward and backward, batch ``batch``) and one evaluation
    (the held-out and the training-subset sample, ``n_eval`` each), counted by torch's FlopCounterMode on the
    objective the library builds for ``settings`` (critic ``auto`` on continuous data: ``separable``)."""
    import dataclasses

    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from neuralmi_core.estimators.neural import ModelSpec, build_objective
    from neuralmi_core.training.trainer import estimate_sets

    fields = {f.name for f in dataclasses.fields(ModelSpec)}
    spec = ModelSpec(**{k: v for k, v in settings.items() if k in fields})
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        obj = build_objective(spec, 1, dx, dy)
        x, y = torch.randn(1, batch, dx), torch.randn(1, batch, dy)
        if hasattr(obj, "prepare"):
            obj.prepare(type("Data", (), {"x_train": x, "y_train": y, "n_train": [batch]})())
        obj.train()
        with FlopCounterMode(display=False) as fc:
            loss, _ = obj.training_loss(x, y)
            loss.sum().backward()
        train = fc.get_total_flops()
        obj.eval()
        xe, ye = torch.randn(1, n_eval, dx), torch.randn(1, n_eval, dy)
        with torch.no_grad(), FlopCounterMode(display=False) as fc:
            estimate_sets(obj, [(xe, ye), (xe, ye)])  # as the trainer scores them (MI-NEE shares a term)
        return float(train), float(fc.get_total_flops())


def achieved_flops(row: dict, dx: int, dy: int) -> dict:
    """Training and evaluation FLOPs of a row (sum over its cells) and the GFLOP/s they were done at."""
    cache: dict = {}
    train = evals = 0.0
    for c in row["cells"]:
        key = (c["batch_size"], c["n_eval"])
        if key not in cache:
            cache[key] = member_flops(dx, dy, *key, row["settings"])
        per_step, per_eval = cache[key]
        train += per_step * c["timing"].get("member_steps", 0)
        evals += per_eval * c["timing"].get("member_evals", 0)
    return {"train_gflop": train / 1e9, "eval_gflop": evals / 1e9,
            "train_gflops": train / 1e9 / max(row.get("train_s", 0), 1e-9),
            "eval_gflops": evals / 1e9 / max(row.get("eval_s", 0), 1e-9), "shapes": sorted(cache),
            "gflops_per_cpu_s": (train + evals) / 1e9 / max(row.get("cpu_s", 0), 1e-9)}


def sgemm_gflops(threads: int | None, members: int, batch: int, hidden: int, dx: int) -> dict:
    """GFLOP/s of torch.bmm at the critic's shapes and of a large square torch.mm, with the run's threads."""
    import torch

    from neuralmi_core.threads import torch_threads

    def rate(fn, flops: float) -> float:  # per CPU second of the process: with one thread, what the core gave
        fn()
        n, t0 = 0, time.process_time()
        while time.process_time() - t0 < 1.0 or n < 3:
            fn()
            n += 1
        return flops * n / (time.process_time() - t0) / 1e9

    g = torch.Generator().manual_seed(0)
    out = {}
    with torch_threads(threads) as n:
        out["threads"] = n
        a, b = torch.randn(members, batch, hidden, generator=g), torch.randn(members, hidden, hidden, generator=g)
        out[f"bmm {members}x{batch}x{hidden}x{hidden}"] = rate(lambda: torch.bmm(a, b), 2.0 * members * batch * hidden**2)
        a1, b1 = torch.randn(members, batch, dx, generator=g), torch.randn(members, dx, hidden, generator=g)
        out[f"bmm {members}x{batch}x{dx}x{hidden}"] = rate(lambda: torch.bmm(a1, b1), 2.0 * members * batch * dx * hidden)
        sq = torch.randn(2048, 2048, generator=g)
        out["mm 2048^3"] = rate(lambda: torch.mm(sq, sq), 2.0 * 2048**3)
    return out


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
        cells = [{"epochs": max(res.history["epochs_run"]), "timing": res.history.get("timing", {}),
                  "batch_size": res.history["batch_size"], "n_eval": res.members[0].n_eval}]
    else:
        ln2 = math.log(2)
        row.update(mi_bits=res.mi_bits, ci_bits=[res.ci_low_nats / ln2, res.ci_high_nats / ln2],
                   naive_bits=res.naive_mi_nats / ln2, reliable=res.reliable)
        cells = []
        for c in res.cells:
            ms = [m for m in res.members if (m.gamma, m.seed) == (c["gamma"], c["seed"])]
            cells.append({"gamma": c["gamma"], "seconds": c["seconds"], "epochs": max(m.epochs_run for m in ms),
                          "member_epochs": sum(m.epochs_run for m in ms), "timing": c.get("timing", {}),
                          "batch_size": c["batch_size"], "n_eval": ms[0].n_eval})
    row["cells"] = cells
    row["epochs_max"] = max(c["epochs"] for c in cells)
    row.update(_timing_sum([c["timing"] for c in cells]))
    row["dx"], row["dy"] = x.shape[1], y.shape[1]
    if args.flops:
        row["flops"] = achieved_flops(row, x.shape[1], y.shape[1])
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
        for item in args.set or []:  # the same extra settings as the library call
            key, _, value = item.partition("=")
            value = json.loads(value)
            if isinstance(value, dict):  # options={"k": v} -> --option k=v
                for k, v in value.items():
                    cmd += ["--option", f"{k}={v}"]
            else:
                cmd += [f"--{key.replace('_', '-')}", str(value)]
        t0 = time.perf_counter()
        cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(cmd, check=True, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = cpu1.ru_utime + cpu1.ru_stime - cpu0.ru_utime - cpu0.ru_stime
        with open(f"{tmp}/out.json") as fh:
            out = json.load(fh)
    mi = out.get("mi_bits")
    mi = math.nan if mi is None else mi  # NaN is written as null
    lib = library_row["wall_s"]
    return {"task": task, "mode": mode, "cli_wall_s": wall, "library_wall_s": lib, "ratio": wall / lib,
            "goal_s": 1.1 * lib + 3.0, "cli_mi_bits": mi, "library_mi_bits": library_row["mi_bits"],
            "cli_cpu_s": cpu, "cli_analysis_s": out.get("seconds"), "cli_outside_s": wall - out.get("seconds", math.nan)}


def cli_verdict(rows: list[dict]) -> str:
    """Per (task, mode): the median library and CLI wall times over the repetitions, the goal computed from the
    library's median (1.1 x + 3 s) and whether the CLI's median meets it. The median, because one run's seconds
    on a shared 2-core machine vary by up to 2x between identical repetitions (measured: 28-56 s)."""
    import statistics

    groups: dict[tuple[str, str], list[dict]] = {}
    for row in rows:
        groups.setdefault((row["task"], row["mode"]), []).append(row["cli"])
    lines = [f"\nmedian over repetitions\n{'task':<11}{'mode':<10}{'reps':>5}{'library s':>10}{'CLI s':>8}"
             f"{'ratio':>7}{'goal s':>8}  goal met"]
    for (task, mode), cs in groups.items():
        lib = statistics.median(c["library_wall_s"] for c in cs)
        cli = statistics.median(c["cli_wall_s"] for c in cs)
        goal = 1.1 * lib + 3.0
        lines.append(f"{task:<11}{mode:<10}{len(cs):>5}{lib:>10.1f}{cli:>8.1f}{cli / lib:>7.2f}{goal:>8.1f}  "
                     f"{'yes' if cli <= goal else 'no'}")
    return "\n".join(lines)


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
    p.add_argument("--reps", type=int, default=1, help="repetitions of every run (with --cli: library and CLI "
                   "alternate which goes first)")
    p.add_argument("--flops", action="store_true", help="also print the achieved matmul GFLOP/s of training and "
                   "evaluation next to sgemm measured in the same run (issue 23 item 5)")
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
        for rep in range(args.reps):
            for task in args.tasks.split(","):
                for mode in args.modes.split(","):
                    if args.cli and rep % 2 == 1:  # alternate: the CLI first on odd repetitions
                        cli = run_cli(task, mode, args, {"wall_s": math.nan, "mi_bits": math.nan})
                    row = run_one(task, mode, args)
                    row["rep"] = rep
                    if args.cli:
                        if rep % 2 == 0:
                            cli = run_cli(task, mode, args, row)
                        lib = row["wall_s"]
                        cli.update(library_wall_s=lib, ratio=cli["cli_wall_s"] / lib, goal_s=1.1 * lib + 3.0,
                                   library_cpu_s=row["cpu_s"], cpu_ratio=cli["cli_cpu_s"] / row["cpu_s"],
                                   library_mi_bits=row["mi_bits"], order="library, CLI" if rep % 2 == 0 else "CLI, library")
                        row["cli"] = cli
                    rows.append(row)
                    print(_fmt(row), flush=True)
    finally:
        for b in busy:
            b.kill()
    if args.cli:
        print(f"\n{'task':<11}{'mode':<10}{'order':<14}{'library s':>10}{'CLI s':>8}{'ratio':>7}{'goal s':>8}"
              f"{'outside call s':>15}{'lib cpu s':>10}{'CLI cpu s':>10}{'ratio':>7}  MI bits library / CLI")
        for row in rows:
            c = row["cli"]
            print(f"{c['task']:<11}{c['mode']:<10}{c['order']:<14}{c['library_wall_s']:>10.1f}{c['cli_wall_s']:>8.1f}"
                  f"{c['ratio']:>7.2f}{c['goal_s']:>8.1f}{c['cli_outside_s']:>15.1f}{c['library_cpu_s']:>10.1f}"
                  f"{c['cli_cpu_s']:>10.1f}{c['cpu_ratio']:>7.2f}  {c['library_mi_bits']:.4f} / "
                  f"{c['cli_mi_bits']:.4f}", flush=True)
        print(cli_verdict(rows), flush=True)
    if args.flops:
        from neuralmi_core.estimators.neural import ModelSpec

        hidden = next((r["settings"].get("hidden") for r in rows if "hidden" in r["settings"]), None) or ModelSpec().hidden
        ref = sgemm_gflops(args.threads, 10, 256, hidden, rows[0]["dx"])
        print(f"\nachieved matmul GFLOP/s (FlopCounterMode counts x member-steps / trainer seconds; and all of them per "
              f"CPU second of the call) against sgemm measured now per CPU second with {ref.pop('threads')} thread(s): "
              + ", ".join(f"{k} {v:.1f}" for k, v in ref.items()))
        print(f"{'task':<11}{'mode':<10}{'train GFLOP':>12}{'train s':>9}{'GFLOP/s':>9}{'eval GFLOP':>12}{'eval s':>8}"
              f"{'GFLOP/s':>9}{'cpu s':>8}{'GFLOP/cpu s':>12}  (batch, n_eval) shapes")
        for row in rows:
            f = row["flops"]
            print(f"{row['task']:<11}{row['mode']:<10}{f['train_gflop']:>12.1f}{row['train_s']:>9.1f}"
                  f"{f['train_gflops']:>9.1f}{f['eval_gflop']:>12.1f}{row['eval_s']:>8.1f}{f['eval_gflops']:>9.1f}"
                  f"{row['cpu_s']:>8.1f}{f['gflops_per_cpu_s']:>12.1f}  {f['shapes']}")
            row["sgemm_gflops"] = ref
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
