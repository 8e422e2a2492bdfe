"""What a shorter early-stopping patience would change, exactly, without retraining (prints tables).

Patience only decides *when* a member stops: up to that epoch its training is the same (same seed, same
batches; stopped members are compacted out without touching the others). So one run at the longest
patience, with every member's full held-out and training-subset curves kept, gives the exact result of
every shorter patience by replaying the trainer's rule (centred moving average of ``smooth_window``
evaluations, best centre, stop after ``patience`` evaluations without improvement, never before
``min_epochs``) on the recorded curves. The replay is checked against the trained numbers at the
longest patience (``replay check``) and can be checked against a real run (``--verify P``).

For each patience the script fits rigorous mode (gamma 1..10, default extrapolation and CI) on every task
and data set, and reports the pooled median |relative error|, the worst, the CI coverage and the
member-steps trained (the work; proportional to CPU time). ``--suite accuracy`` replays single
``estimate()`` fits (blocked split) on the tasks of ``benchmarks/accuracy.py`` instead.

    OMP_NUM_THREADS=1 python benchmarks/early_stopping.py --suite rigorous --json es_rig.json
    OMP_NUM_THREADS=1 python benchmarks/early_stopping.py --suite hard --data-seeds 0,1,2,3
    python benchmarks/early_stopping.py --load es_rig.json es_hard.json --patience 40,30,20,15,10
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

from neuralmi_core.analysis.plan import chunk_indices, derive_seed
from neuralmi_core.analysis.rigorous import RigorousMember, summarize_rigorous
from neuralmi_core.estimators import ModelSpec, fit_ensemble
from neuralmi_core.samplers import CorrelatedGaussian, LatentViews
from neuralmi_core.training import TrainConfig, split_member

CG = CorrelatedGaussian
SUITES = {
    # the data sets of benchmarks/rigorous.py
    "rigorous": [
        ("gauss 5+5, 1 nat", CG(5, 5, mi_nats=1.0), 4000),
        ("gauss 10+10, 2 nats", CG(10, 10, mi_nats=2.0), 4000),
        ("gauss 20+20, 2 nats", CG(20, 20, mi_nats=2.0), 4000),
        ("gauss 10+10 mixed cube, 1 nat", CG(10, 10, mi_nats=1.0, mix=True, transform="cube"), 4000),
        ("gauss 5+5 asinh, 0.5 nat", CG(5, 5, mi_nats=0.5, transform="asinh"), 4000),
        ("gauss 10+10 (2 pairs), 3 nats", CG(10, 10, mi_nats=3.0, n_pairs=2), 6000),
    ],
    # harder dependence, built from CorrelatedGaussian, and the issue-15 quickstart shape
    "hard": [
        ("sparse 25+25 (2 pairs), 2 nats", CG(25, 25, mi_nats=2.0, n_pairs=2), 4000),
        ("spiral 5+5 strong, 1 nat", CG(5, 5, mi_nats=1.0, spiral=0.5), 4000),
        ("dense 25+25 mixed, 3 nats", CG(25, 25, mi_nats=3.0, mix=True), 4000),
        ("latent views 10->100, 3 bits", LatentViews(), 2500),
    ],
}


def train_task(name: str, sampler, n: int, data_seed: int, args: argparse.Namespace, single: bool = False) -> dict:
    """Train every (gamma, data_seed) cell as rigorous() does (split random) and keep full curves.

    ``single``: one member as ``estimate(x, y, seed=data_seed)`` trains it (blocked split), for the
    accuracy suite.
    """
    x, y = sampler.sample(n, seed=data_seed)
    spec = ModelSpec(args.estimator, hidden=args.hidden)
    base = TrainConfig(patience=args.train_patience, max_curve_points=10**6, progress=False, device="cpu",
                       **({"lr": args.lr} if args.lr else {}))
    cells = []
    for gamma in range(1, 2 if single else args.max_gamma + 1):
        if single:
            members = [split_member(x, y, "blocked", 0.2, gap=10, seed=data_seed)]
            cfg = dataclasses.replace(base, seed=data_seed)
        else:
            members = [split_member(x[idx], y[idx], "random", 0.2, gap=10, seed=derive_seed(data_seed, gamma, c))
                       for c, idx in enumerate(chunk_indices(n, gamma, "random", data_seed))]
            cfg = dataclasses.replace(base, seed=derive_seed(data_seed, gamma))
        t0 = time.perf_counter()
        fit = fit_ensemble(members, spec, cfg, preprocessing="copula")
        cells.append({"gamma": gamma, "seconds": time.perf_counter() - t0, "steps_per_epoch": fit.steps_per_epoch,
                      "members": [{"n_train": m.n_train, "n_test": m.n_test, "n_eval": m.n_eval,
                                   "mi_test": m.mi_test_nats, "mi_train": m.mi_train_nats,
                                   "epochs_run": m.epochs_run, "best_epoch": m.best_epoch,
                                   "test": list(m.curve_test_nats), "train": list(m.curve_train_nats)}
                                  for m in fit.members]})
    return {"task": name, "truth": sampler.mutual_information(), "n": n, "data_seed": data_seed, "cells": cells,
            "train_patience": args.train_patience, "epochs": base.epochs, "min_epochs": base.min_epochs,
            "smooth_window": base.smooth_window, "hidden": args.hidden, "estimator": args.estimator}


def replay(test: list[float], train: list[float], patience: int, epochs: int, min_epochs: int,
           smooth_window: int, min_gain: float = 0.0, floor: float = 0.0) -> tuple[float, float, int, int]:
    """The trainer's checkpoint and stopping rule on one member's recorded curves (float32, as trained).

    ``min_gain`` (``TrainConfig.min_gain``) and ``floor`` (nats): only a new best more than
    ``max(min_gain * |value|, floor)`` above the value at the last reset of the patience resets it."""
    t = torch.tensor(test, dtype=torch.float32)
    h = smooth_window // 2
    best, best_eval, anchor, since, stop = -math.inf, -1, -math.inf, 0, min(len(test), epochs)
    for epoch in range(min(len(test), epochs)):
        center = max(epoch - h, 0)
        smooth = float(torch.nan_to_num(t[max(center - h, 0): epoch + 1, None].mean(0), nan=-math.inf)[0])
        improved = smooth > best
        if improved:
            best, best_eval = smooth, center
        if improved and smooth > anchor + (max(min_gain * abs(anchor), floor) if math.isfinite(anchor) else 0.0):
            anchor, since = smooth, 0
        else:
            since += 1
        if epoch + 1 >= min_epochs and since >= patience:
            stop = epoch + 1
            break
    lo = max(best_eval - h, 0)
    te = np.asarray(test, dtype=np.float32)[lo: best_eval + h + 1]
    tr = np.asarray(train, dtype=np.float32)[lo: best_eval + h + 1]
    return float(te.mean()), float(tr.mean()), best_eval + 1, stop


def evaluate(runs: list[dict], patience: int) -> tuple[list[dict], int, int]:
    """Rigorous fits of every run at ``patience``; also the member-steps and the replay mismatches."""
    rows, work, mismatch = [], 0, 0
    for run in runs:
        members = []
        for cell in run["cells"]:
            for c, m in enumerate(cell["members"]):
                te, tr, best, stop = replay(m["test"], m["train"], patience, run["epochs"], run["min_epochs"],
                                            run["smooth_window"])
                if patience == run["train_patience"] and (te, tr, stop) != (m["mi_test"], m["mi_train"],
                                                                           m["epochs_run"]):
                    mismatch += 1
                work += stop * cell["steps_per_epoch"]
                members.append(RigorousMember(gamma=cell["gamma"], chunk=c, seed=run["data_seed"],
                                              n_train=m["n_train"], n_test=m["n_test"], n_eval=m["n_eval"],
                                              mi_test_nats=te, mi_train_nats=tr, best_epoch=best,
                                              epochs_run=stop))
        truth = run["truth"]
        if len(members) == 1:  # a single estimate (accuracy suite)
            mi = members[0].mi_test_nats
            rows.append({"task": run["task"], "data_seed": run["data_seed"], "truth": truth, "mi": mi, "naive": mi,
                         "rel": abs(mi - truth) / truth, "covers": False, "half": float("nan")})
            continue
        res = summarize_rigorous(members, {"estimator": run["estimator"]}, {"n_samples": run["n"]})
        rows.append({"task": run["task"], "data_seed": run["data_seed"], "truth": truth, "mi": res.mi_nats,
                     "naive": res.naive_mi_nats, "rel": abs(res.mi_nats - truth) / truth,
                     "covers": bool(res.ci_low_nats <= truth <= res.ci_high_nats),
                     "half": (res.ci_high_nats - res.ci_low_nats) / 2})
    return rows, work, mismatch


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--suite", default="rigorous", choices=sorted(SUITES) + ["accuracy"],
                   help="rigorous, hard (rigorous mode), or accuracy (single estimates on benchmarks/_tasks.py)")
    p.add_argument("--tasks", default=None, help="comma-separated task indices of the suite (default: all)")
    p.add_argument("--data-seeds", default="0,1,2,3")
    p.add_argument("--estimator", default="infonce")
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--lr", type=float, default=None)
    p.add_argument("--max-gamma", type=int, default=10)
    p.add_argument("--train-patience", type=int, default=40, help="patience of the one training run")
    p.add_argument("--patience", default="40,30,20,15,10", help="patience values to replay")
    p.add_argument("--load", nargs="*", default=None, help="replay these saved runs instead of training")
    p.add_argument("--json", default=None, help="save the runs (with curves) here")
    p.add_argument("--resume", default=None, help="start from the runs saved in this file (skips them)")
    args = p.parse_args(argv)
    if args.load:
        runs = [r for f in args.load for r in json.load(open(f))]
    else:
        if args.suite == "accuracy":
            sys.path.insert(0, str(Path(__file__).resolve().parent))
            from _tasks import accuracy_tasks

            tasks = [(t.name, t.sampler, t.n) for t in accuracy_tasks()]
        else:
            tasks = SUITES[args.suite]
        chosen = range(len(tasks)) if args.tasks is None else [int(i) for i in args.tasks.split(",")]
        runs = json.load(open(args.resume)) if args.resume else []
        done = {(r["task"], r["data_seed"]) for r in runs}
        for ds in (int(s) for s in args.data_seeds.split(",")):
            for i in chosen:
                name, sampler, n = tasks[i]
                if (name, ds) in done:
                    continue
                t0 = time.perf_counter()
                runs.append(train_task(name, sampler, n, ds, args, single=args.suite == "accuracy"))
                print(f"trained {name} (data seed {ds}) in {time.perf_counter() - t0:.0f} s", file=sys.stderr,
                      flush=True)
                if args.json:
                    with open(args.json, "w") as fh:
                        json.dump(runs, fh)
    patiences = [int(v) for v in args.patience.split(",")]
    print(f"{len(runs)} runs: " + ", ".join(sorted({r['task'] for r in runs})))
    print(f"{'patience':>8}{'median |rel|':>14}{'worst':>8}{'CI covers':>11}{'mean CI half':>14}"
          f"{'member-steps':>14}{'vs longest':>11}")
    base_work = None
    per_task = {}
    for pat in patiences:
        rows, work, mismatch = evaluate(runs, pat)
        base_work = base_work or work
        rels = [r["rel"] for r in rows]
        cov = sum(r["covers"] for r in rows)
        print(f"{pat:>8}{statistics.median(rels):>14.1%}{max(rels):>8.1%}{cov:>6}/{len(rows):<4}"
              f"{statistics.mean(r['half'] for r in rows):>14.3f}{work:>14}{work / base_work:>11.0%}"
              + (f"  replay check: {mismatch} mismatches" if mismatch else ""))
        per_task[pat] = rows
    print("\nper task (corrected MI, nats, mean over data sets; CI coverage):")
    tasks = sorted({r["task"] for r in runs}, key=[r["task"] for r in runs].index)
    print(f"{'task':<34}{'truth':>7}" + "".join(f"{'p=' + str(p):>16}" for p in patiences))
    for t in tasks:
        line = f"{t:<34}"
        for j, pat in enumerate(patiences):
            rs = [r for r in per_task[pat] if r["task"] == t]
            if j == 0:
                line += f"{rs[0]['truth']:>7.3f}"
            line += f"{statistics.mean(r['mi'] for r in rs):>10.3f} {sum(r['covers'] for r in rs)}/{len(rs)}  "
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
