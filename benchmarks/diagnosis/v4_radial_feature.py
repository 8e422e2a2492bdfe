"""Experiment (DIAGNOSIS.md section 42, issue 20 item 6): does the critic under-read heavy tails because the
per-feature copula transform hides the joint radial structure?

    OMP_NUM_THREADS=1 python benchmarks/diagnosis/v4_radial_feature.py --tasks student-df1 gauss-dense-5x5 \
        --seeds 0,1,2,3,4 --json v4_radial.json
    python benchmarks/diagnosis/v4_radial_feature.py --summary v4_radial.json          # no training

A multivariate t shares one scale between all its coordinates: its dependence lives in joint extremes, which the
default per-feature rank (copula) transform compresses. Each data set is estimated twice with ``estimate()``
(defaults, ``split="random"``, N = 5000, seed = the data set's): as drawn, and with one more feature per side,
log of that side's Euclidean norm (of the data as drawn). The extra feature is a function of its side, so the MI
is exactly the same; the critic sees the radius after its own rank transform instead of having to rebuild it from
compressed coordinates. Per row: held-out and training-subset MI of both, against the truth and against the data
set's own sample MI (the mean exact pointwise MI, ``v2_sample_mi.sample_mi``; tasks with a closed-form density).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from v2_sample_mi import sample_mi  # noqa: E402

from neuralmi_core import estimate  # noqa: E402
from neuralmi_core.suite import select_tasks  # noqa: E402


def with_radius(a: np.ndarray) -> np.ndarray:
    """``a`` with log of each row's norm appended (a function of the row: the MI is unchanged)."""
    r = np.linalg.norm(a, axis=1, keepdims=True)
    return np.hstack([a, np.log(np.maximum(r, 1e-300))])


def summary(rows: list[dict]) -> None:
    print(f"{'task':<24}{'set':>4}{'truth':>7}{'sample':>8}{'plain':>9}{'radius':>9}   (held-out MI; training "
          "subset in brackets)")
    for r in rows:
        print(f"{r['task']:<24}{r['data_seed']:>4}{r['truth']:>7.3f}{r['sample_mi'] or float('nan'):>8.3f}"
              f"{r['plain']:>9.3f}{r['radius']:>9.3f}   [{r['plain_train']:.3f}, {r['radius_train']:.3f}]")
    print("\nper task, error against the truth (median |.| and mean signed) and against the sample MI (mean signed)")
    for task in dict.fromkeys(r["task"] for r in rows):
        rs = [r for r in rows if r["task"] == task]
        line = f"{task:<24}"
        for key in ("plain", "radius"):
            e = [r[key] / r["truth"] - 1 for r in rs]
            s = [r[key] / r["sample_mi"] - 1 for r in rs if r["sample_mi"]]
            line += (f" {key}: {statistics.median(abs(v) for v in e):.1%} / {statistics.mean(e):+.1%}"
                     + (f", vs sample {statistics.mean(s):+.1%}" if s else "") + ";")
        print(line)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--tasks", nargs="*", default=["student", "gauss-dense-5x5"])
    p.add_argument("--seeds", default="0,1,2,3,4")
    p.add_argument("--n", type=int, default=5000)
    p.add_argument("--json")
    p.add_argument("--summary", help="print the table of a --json file (no training)")
    args = p.parse_args()
    if args.summary:
        summary(json.loads(Path(args.summary).read_text())["rows"])
        return
    rows = []
    for task in select_tasks(args.tasks):
        for s in (int(v) for v in args.seeds.split(",")):
            x, y = task.sampler.sample(args.n, seed=s)
            row = {"task": task.name, "n": args.n, "data_seed": s, "truth": task.mi,
                   "sample_mi": sample_mi(task, args.n, s)}
            for key, (a, b) in (("plain", (x, y)), ("radius", (with_radius(x), with_radius(y)))):
                t0 = time.perf_counter()
                res = estimate(a, b, split="random", seed=s, progress=False)
                row.update({key: res.mi_nats, f"{key}_train": res.mi_train_nats,
                            f"{key}_seconds": time.perf_counter() - t0})
            rows.append(row)
            print(f"{task.name:<24}{s:>4} truth {task.mi:.3f} plain {row['plain']:.3f} radius {row['radius']:.3f}",
                  flush=True)
            if args.json:
                Path(args.json).write_text(json.dumps({"n": args.n, "rows": rows}, indent=1, default=float))
    summary(rows)


if __name__ == "__main__":
    main()
