"""Issue 23 item 1: why MIENF returns ~0 on the heavy-tailed ``asinh-student-df2-3x3`` (DIAGNOSIS.md section 13).

For each task and data set (N = 5000, split="random", seed 0) it prints, in one run: the truth, MIENF's held-out
and training-subset MI, its best epoch and epochs run, the Gaussian MI of the copula normal scores (what flows
left at their initial identity maps report), the Gaussian MI after the non-Gaussianising map exp(2 u) of every
copula score (a latent that does carry the dependence linearly), KSG (k = 3), seconds, and the warnings.
Optional ``--set KEY=VALUE`` settings (e.g. ``lr=2e-3``, ``weight_decay=0``, ``"options={'latent':'student'}"``
for the Student-t latent, section 13's cure) are passed to the estimate; the latent and its nu are printed.

    OMP_NUM_THREADS=1 python benchmarks/diagnosis/m1_mienf.py [--data 0 1] [--tasks ...] [--set lr=2e-3]
"""

from __future__ import annotations

import argparse
import ast
import time
import warnings

import numpy as np
from scipy.stats import norm, rankdata

import neuralmi_core as nmi
from neuralmi_core.estimators.gaussian import gaussian_mi
from neuralmi_core.estimators.ksg import ksg_mi
from neuralmi_core.suite import select_tasks

TASKS = ["asinh-student-df2-3x3", "gauss-dense-5x5", "student-df2-5x5", "gauss-sparse-5x5"]


def copula_scores(a: np.ndarray) -> np.ndarray:
    """Per-column ranks to standard normal scores (what ``preprocess='copula'`` does)."""
    return norm.ppf(rankdata(a, axis=0) / (len(a) + 1))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", nargs="+", default=TASKS)
    ap.add_argument("--data", nargs="+", type=int, default=[0, 1])
    ap.add_argument("--set", nargs="*", default=[], help="KEY=VALUE estimate settings")
    ap.add_argument("--n", type=int, default=5000)
    args = ap.parse_args()
    extra = {k: ast.literal_eval(v) for k, v in (s.split("=", 1) for s in args.set)}
    print("task | data | truth | mienf | mienf train | best/run | latent nu | gauss copula | exp(2u) latent | ksg | s | "
          "warnings")
    for task in select_tasks(args.tasks):
        for d in args.data:
            x, y = task.sampler.sample(args.n, seed=d)
            u, v = copula_scores(x), copula_scores(y)
            t0 = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                r = nmi.estimate(x, y, estimator="mienf", split="random", seed=0, progress=False, **extra)
            sec = time.perf_counter() - t0
            m = r.members[0]
            names = [w.split(":")[0][:40] for w in r.warnings]
            print(f"{task.name} | {d} | {task.mi:.3f} | {r.mi_nats:.4f} | {r.mi_train_nats:.4f} | "
                  f"{m.best_epoch}/{m.epochs_run} | {m.info.get('latent', 'gaussian')} {m.info.get('nu')} | "
                  f"{gaussian_mi(u, v):.4f} | "
                  f"{gaussian_mi(np.exp(2 * u), np.exp(2 * v)):.4f} | {ksg_mi(x, y, k=3, seed=0):.4f} | "
                  f"{sec:.0f} | {names}", flush=True)
            print("   held-out curve", np.round(m.curve_test_nats[:12], 4).tolist(), flush=True)


if __name__ == "__main__":
    main()
