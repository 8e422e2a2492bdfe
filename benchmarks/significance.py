"""Calibration and power of shuffle significance (issue 12; not a test: prints a table).

Null: X and Y independent AR(1) processes (coefficient --phi), so any MI is chance. For each surrogate
method, --datasets data sets each give one p-value; a calibrated test gives uniform p-values (KS test
against the uniform, on the mid-points of the p-value grid k / (1 + n_surrogates)) and rejects at alpha
= 0.05 in 5 % of data sets. Power: Y = X + noise (--coupling) with the same autocorrelation; the share of
data sets with p <= 0.05.

Run:  OMP_NUM_THREADS=1 python benchmarks/significance.py [--datasets 100] [--n 800] [--phi 0.95]
      [--surrogates 19] [--methods circular,block,iid] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np
from scipy import stats

from neuralmi_core.analysis.significance import significance


def ar1(n: int, d: int, phi: float, rng: np.random.Generator) -> np.ndarray:
    e = rng.standard_normal((n, d))
    a = np.zeros_like(e)
    for t in range(1, n):
        a[t] = phi * a[t - 1] + e[t]
    return a


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--datasets", type=int, default=100)
    ap.add_argument("--n", type=int, default=800)
    ap.add_argument("--dims", type=int, default=1)
    ap.add_argument("--phi", type=float, default=0.95)
    ap.add_argument("--coupling", type=float, default=0.5, help="Y = X + noise / coupling in the power runs")
    ap.add_argument("--surrogates", type=int, default=19)
    ap.add_argument("--methods", default="circular,block,iid")
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--hidden", type=int, default=8)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    kw = dict(epochs=args.epochs, hidden=args.hidden, n_layers=1, patience=5, batch_size=128, progress=False,
              time_unit="bins", n_surrogates=args.surrogates, alpha=0.05)
    step = 1 / (1 + args.surrogates)
    print(f"# {args.datasets} data sets of {args.n} samples, AR(1) phi={args.phi}, {args.surrogates} surrogates, "
          f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}, load {os.getloadavg()[0]:.1f}")
    print(f"{'method':10s} {'null KS p':>10s} {'reject@.05':>11s} {'power':>7s} {'seconds':>8s}")
    rows = []
    for method in args.methods.split(","):
        t0 = time.perf_counter()
        p_null, p_dep = [], []
        for k in range(args.datasets):
            rng = np.random.default_rng(10_000 + k)
            x, y = ar1(args.n, args.dims, args.phi, rng), ar1(args.n, args.dims, args.phi, rng)
            p_null.append(significance(x, y, surrogate=method, seed=k, **kw).p_value)
            y_dep = x + ar1(args.n, args.dims, args.phi, rng) / args.coupling
            p_dep.append(significance(x, y_dep, surrogate=method, seed=k, **kw).p_value)
        p_null, p_dep = np.array(p_null), np.array(p_dep)
        ks = stats.kstest(p_null - step / 2, stats.uniform(0, 1).cdf).pvalue
        row = {"method": method, "ks_p": float(ks), "reject_rate": float(np.mean(p_null <= 0.05)),
               "power": float(np.mean(p_dep <= 0.05)), "seconds": time.perf_counter() - t0,
               "p_null": p_null.tolist(), "p_dependent": p_dep.tolist()}
        rows.append(row)
        print(f"{method:10s} {row['ks_p']:10.3f} {row['reject_rate']:11.2f} {row['power']:7.2f} {row['seconds']:8.0f}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"args": vars(args), "rows": rows}, fh, indent=1)


if __name__ == "__main__":
    main()
