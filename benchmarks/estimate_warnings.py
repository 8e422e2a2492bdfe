"""Which warnings `estimate()` gives, on i.i.d. data (where the time-series ones must stay quiet) and on
autocorrelated data (where it must not be silent when it is off by more than 20 %): issue 20 item 5.

    OMP_NUM_THREADS=1 python benchmarks/estimate_warnings.py                 # suite tasks + AR(1) rows, N = 5000
    OMP_NUM_THREADS=1 python benchmarks/estimate_warnings.py --tasks gauss --ar 0.95 --json out.json

Rows: the accuracy suite's tasks (i.i.d. samples, `split="random"` as in `benchmarks/suite.py`, data seed 0)
and 5+5-d Gaussian AR(1) series with exact MI 1 nat (each coordinate pair an AR(1) with coefficient a and
correlated innovations, so the stationary marginal is the correlated Gaussian: the per-sample MI is
-1/2 sum log(1 - r^2)), with the blocked split (the default) and with `split="random"`. Per row: truth,
estimate, relative error, training-subset MI and its ratio to the held-out MI, and the warnings fired (by
name, from the registry in `neuralmi_core/flags.py`). Defaults everywhere. Not a test.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import time
import warnings

import numpy as np

import neuralmi_core as nmi
from neuralmi_core.flags import WARNINGS
from neuralmi_core.suite import select_tasks


def ar1_pairs(n: int, a: float, mi_nats: float = 1.0, pairs: int = 5, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``pairs`` coordinate pairs (x_i, y_i), each z_t = a z_{t-1} + sqrt(1 - a^2) e_t with e_t ~ N(0, [[1, r],
    [r, 1]]): stationary N(0, [[1, r], [r, 1]]), total MI ``mi_nats`` split evenly over the pairs."""
    r = math.sqrt(1.0 - math.exp(-2.0 * mi_nats / pairs))
    rng = np.random.default_rng(seed)
    chol = np.linalg.cholesky(np.array([[1.0, r], [r, 1.0]]))
    e = rng.standard_normal((n + 500, pairs, 2)) @ chol.T
    z = np.empty_like(e)
    z[0] = e[0]
    s = math.sqrt(1.0 - a * a)
    for t in range(1, len(e)):
        z[t] = a * z[t - 1] + s * e[t]
    z = z[500:]
    return z[:, :, 0], z[:, :, 1]


_PATTERNS = [(w.name, re.compile(re.sub(r"\\\{[^}]*\\\}", ".*?", re.escape(w.template)) + "$", re.S))
             for w in WARNINGS]


def names(texts) -> list[str]:
    out = []
    for t in texts:
        hit = next((n for n, p in _PATTERNS if p.match(t)), None)
        out.append(hit or t[:30])
    return out


def run(label: str, truth: float, x, y, **kw) -> dict:
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = nmi.estimate(x, y, **kw)
    err = (res.mi_nats - truth) / truth if truth > 0 else float("nan")
    row = {"data": label, "truth_nats": truth, "mi_nats": res.mi_nats, "rel_error": err,
           "mi_train_nats": res.mi_train_nats, "warnings": names(res.warnings), "seconds": time.perf_counter() - t0}
    print(f"{label:34s} {truth:6.3f} {res.mi_nats:7.3f} {100 * err:+7.1f} % {res.mi_train_nats:7.3f} "
          f"{res.mi_nats / res.mi_train_nats if res.mi_train_nats else float('nan'):6.2f}  "
          f"{', '.join(row['warnings']) or '-'}", flush=True)
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tasks", nargs="*", default=None, help="suite task name patterns (default: all; none: --tasks)")
    ap.add_argument("--ar", type=float, nargs="*", default=[0.5, 0.9, 0.95, 0.99], help="AR(1) coefficients")
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    print(f"{'data':34s} {'truth':>6s} {'est.':>7s} {'error':>9s} {'train':>7s} {'ratio':>6s}  warnings (nats)")
    rows = []
    if args.tasks is None or args.tasks:
        for task in select_tasks(args.tasks):
            x, y = task.sampler.sample(args.n, seed=0)
            kw = {"split": "random", **getattr(task, "settings", {})}  # slow tasks: their blocked split
            rows.append(run(f"{task.name} ({'slow' if task.family.startswith('slow') else 'iid'}, {kw['split']})",
                            task.mi, x, y, **kw))
    for a in args.ar:
        x, y = ar1_pairs(args.n, a)
        for split in ("blocked", "random"):
            rows.append(run(f"AR(1) a={a} 5+5 ({split})", 1.0, x, y, split=split))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=1)


if __name__ == "__main__":
    main()
