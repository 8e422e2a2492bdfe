"""KSG (k = 3, at most 5000 rows: the witness of ``estimation.missed_dependence_warning``) on every suite task with
at most 20 features, against the MI-NEE and MIENF estimate rows: would a witness rule above 0.1 nats separate the
far-off rows from the accurate ones? (DIAGNOSIS.md section 32)

    python benchmarks/diagnosis/x19_ksg_witness.py --json diagnosis/x19_ksg.json
"""
import json
import os
import sys

import numpy as np

from neuralmi_core.estimation import WITNESS_MAX_DIMS
from neuralmi_core.estimators.ksg import ksg_mi

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from x18_intrinsic_dim import suite_samples  # noqa: E402


def main() -> None:
    args, samples = suite_samples("0,1")
    rows = []
    for task, s, x, y in samples:
        if x.shape[1] + y.shape[1] > WITNESS_MAX_DIMS:
            continue
        pick = np.random.default_rng(0).permutation(len(x))[:5000]  # estimate()'s seed 0, as the warning
        k = ksg_mi(np.asarray(x, float)[pick], np.asarray(y, float)[pick], k=3, seed=0)
        rows.append({"task": task.name, "data_seed": s, "truth": task.mi, "ksg": k})
        print(f"{task.name:26s} set {s} truth {task.mi:.3f} ksg {k:.3f}", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
