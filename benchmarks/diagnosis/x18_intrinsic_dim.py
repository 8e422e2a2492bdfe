"""The density-based estimators' check for features without a density (``neuralmi_core.intrinsic``) on every side
of every suite task: the TwoNN intrinsic dimension of the continuous columns against a standard-normal sample of
the same shape, and whether ``lower_dimensional_features`` fires (DIAGNOSIS.md section 31). No training.

    python benchmarks/diagnosis/x18_intrinsic_dim.py [--n 5000] [--seeds 0,1,2] [--json out.json]
"""
import argparse
import json

import numpy as np

from neuralmi_core.estimators.neural import integer_columns
from neuralmi_core.intrinsic import is_lower_dimensional, side_dimension
from neuralmi_core.suite import select_tasks


def suite_samples(seeds: str):
    """The command line (--n, --seeds, --json) and every suite task's sample per data set: (args, [(task, seed, x,
    y), ...] lazily). Shared with x19_ksg_witness.py."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--seeds", default=seeds)
    ap.add_argument("--json")
    args = ap.parse_args()

    def samples():
        for task in select_tasks(None):
            for s in [int(v) for v in args.seeds.split(",")]:
                yield (task, s, *task.sampler.sample(args.n, seed=s))

    return args, samples()


def main() -> None:
    args, samples = suite_samples("0,1,2")
    rows = []
    for task, s, x, y in samples:
        row = {"task": task.name, "data_seed": s, "truth": task.mi}
        text = []
        for side, a in (("x", x), ("y", y)):
            a = np.asarray(a, dtype=np.float64)
            check = side_dimension(a, ~integer_columns(a), seed=s)
            row[side] = check
            row[f"fires_{side}"] = is_lower_dimensional(check)
            text.append(f"{side}: D {a.shape[1]:3d} " + (
                f"cont {check['features']:2d} id {check['dimension']:6.2f} ref {check['reference']:6.2f} "
                f"ratio {check['dimension'] / check['reference']:.2f} {'FIRES' if row[f'fires_{side}'] else ''}"
                if check else "(not checked)"))
        rows.append(row)
        print(f"{task.name:26s} set {s}  " + "   ".join(text), flush=True)
    fired = [r for r in rows if r["fires_x"] or r["fires_y"]]
    ratios = [r[s]["dimension"] / r[s]["reference"] for r in rows for s in ("x", "y")
              if r[s] and not r[f"fires_{s}"]]
    print(f"\n{len(rows)} rows; fires on {len(fired)}: {sorted({r['task'] for r in fired})}; sides checked and not "
          f"firing: ratio {min(ratios):.2f}-{max(ratios):.2f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
