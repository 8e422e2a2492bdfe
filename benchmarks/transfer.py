"""Transfer entropy on linear Gaussian VAR processes with exact TE: accuracy, 68 % CI coverage, delay, power.

Each process: source X (dx channels) and target Y (dy channels), diagonal AR(1) dynamics, X -> Y coupling
at one planted delay (1-4 bins) with a random dense coupling matrix, no Y -> X link. For each
(process, data set) the TE scan over delays 1..5 (k_source = k_target = 1) is compared with
``var_ground_truth`` at every delay. Printed: per row the exact and estimated TE at the planted delay, its
CI, whether the CI covers, the peak delay, the reverse TE's CI; then the pooled table: median |relative
error| at the planted delay, coverage of the 68 % CI over all (row, delay) pairs and at the planted delay,
peak-delay hit rate, and the reverse CI containing 0 (the 'power / false-positive' view).

The issue's target is N = 20,000 bins and >= 20 (process, data set) pairs; on a shared 2-core CPU use
e.g. ``--n 4000 --processes 4 --datasets 1 --epochs 30`` and say it is reduced.

    python benchmarks/transfer.py --n 4000 --processes 4 --datasets 1 --epochs 30
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from neuralmi_core.analysis.transfer import transfer_entropy, var_ground_truth
from neuralmi_core.synth.var import simulate_var


def make_process(rng: np.random.Generator, dx: int, dy: int, delay: int, strength: float):
    d = dx + dy
    coef = [np.zeros((d, d)) for _ in range(delay)]
    coef[0][np.arange(d), np.arange(d)] = rng.uniform(0.2, 0.6, d)
    c = rng.standard_normal((dy, dx))
    coef[delay - 1][dx:, :dx] += strength * c / np.linalg.norm(c, 2)
    return coef, np.eye(d)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--processes", type=int, default=10)
    ap.add_argument("--datasets", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=50)
    ap.add_argument("--gammas", default="1-5")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    delays = [1, 2, 3, 4, 5]
    rows = []
    print("proc ds dx dy delay  exact    est      ci_low   ci_high  cover peak  rev_ci_low rev_ci_high  s")
    for p in range(a.processes):
        dx, dy, u = int(rng.integers(1, 4)), int(rng.integers(1, 4)), int(rng.integers(1, 5))
        coef, s = make_process(rng, dx, dy, u, 0.6)
        src, tgt = list(range(dx)), list(range(dx, dx + dy))
        truth = [var_ground_truth(coef, s, src, tgt, delay=d) for d in delays]
        for ds in range(a.datasets):
            v = simulate_var(coef, s, a.n, seed=1000 * p + ds)
            t0 = time.perf_counter()
            r = transfer_entropy(v[:, :dx], v[:, dx:], delays=delays, bidirectional=True, gammas=a.gammas,
                                 epochs=a.epochs, progress=False, seed=ds)
            i = delays.index(u)
            cover = [lo <= t <= hi for t, lo, hi in zip(truth, r.ci_low, r.ci_high, strict=True)]
            rows.append({"truth": truth, "te": r.te_nats, "cover": cover, "i": i, "peak": r.peak_delay, "u": u,
                         "rev_zero": r.reverse["ci_low"][i] <= 0 <= r.reverse["ci_high"][i] or
                         r.reverse["ci_high"][i] < 0.01})
            print(f"{p:4d} {ds:2d} {dx:2d} {dy:2d} {u:5d}  {truth[i]:.4f}  {r.te_nats[i]:.4f}  {r.ci_low[i]:.4f}  "
                  f"{r.ci_high[i]:.4f}  {cover[i]!s:5} {r.peak_delay:4d}  {r.reverse['ci_low'][i]:.4f}     "
                  f"{r.reverse['ci_high'][i]:.4f}  {time.perf_counter() - t0:.0f}", flush=True)
    rel = [abs(r["te"][r["i"]] - r["truth"][r["i"]]) / r["truth"][r["i"]] for r in rows]
    print(f"\n{len(rows)} (process, data set) pairs, N = {a.n} bins, gammas {a.gammas}, {a.epochs} epochs")
    print(f"median |rel. error| of TE at the planted delay: {np.median(rel):.3f} (max {np.max(rel):.3f})")
    print(f"68% CI coverage at the planted delay: {np.mean([r['cover'][r['i']] for r in rows]):.2f}")
    print(f"68% CI coverage over all delays: {np.mean([c for r in rows for c in r['cover']]):.2f}")
    print(f"peak delay = planted delay: {np.mean([r['peak'] == r['u'] for r in rows]):.2f}")
    print(f"reverse TE(Y->X) CI contains 0 (or < 0.01 nats): {np.mean([r['rev_zero'] for r in rows]):.2f}")


if __name__ == "__main__":
    main()
