"""Issue 21, conditional MI's reduced term (DIAGNOSIS.md section 21): I(X; Y | Z) on Gaussian data with a closed form,
the reduced term trained on Z alone (``reduced_x: none``) or on X with its rows shuffled beside Z (``permuted``), in
one run on the same data, chunks and seeds.

Data: Z (dz channels) ~ N(0, I); X = A Z + noise (dx channels, noise variance 1); Y = B Z + c * C X + noise (dy
channels). ``c = 0`` is the null (X and Y independent given Z, CMI = 0); ``c > 0`` plants a conditional dependence.
A, B, C are random with unit spectral norm times 1.5 (Z explains most of X and Y). The exact CMI comes from the
joint covariance: I(X;Y|Z) = I(XZ; Y) - I(Z; Y), each term the Gaussian closed form.

    OMP_NUM_THREADS=1 python benchmarks/diagnosis/cmi1_baseline.py --datasets 6 --c 0 0.3 --json cmi1.json

Rows saved since 2026-12-05 carry each member's paired differences (``pairs``: gamma, chunk, difference of the
average, of the training-subset and of the held-out MI), so an interval can be refitted from them.
"""

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from neuralmi_core.analysis.transfer import conditional_mi  # noqa: E402
from neuralmi_core.distributions import gaussian_mi  # noqa: E402


def _mat(rng, r, c, scale=1.5):
    m = rng.standard_normal((r, c))
    return scale * m / np.linalg.norm(m, 2)


def draw(seed: int, n: int, dx: int, dy: int, dz: int, c: float):
    rng = np.random.default_rng(seed)
    a, b, cc = _mat(rng, dx, dz), _mat(rng, dy, dz), _mat(rng, dy, dx)
    # joint covariance of (X, Y, Z): Z = e_z; X = A Z + e_x; Y = B Z + c C X + e_y
    lin = np.zeros((dx + dy + dz, dx + dy + dz))  # rows: X, Y, Z as linear maps of (e_x, e_y, e_z)
    lin[:dx, :dx] = np.eye(dx)
    lin[:dx, dx + dy:] = a
    lin[dx:dx + dy, dx + dy:] = b + c * cc @ a
    lin[dx:dx + dy, :dx] = c * cc
    lin[dx:dx + dy, dx:dx + dy] = np.eye(dy)
    lin[dx + dy:, dx + dy:] = np.eye(dz)
    s = lin @ lin.T
    ix, iy, iz = np.arange(dx), np.arange(dx, dx + dy), np.arange(dx + dy, dx + dy + dz)

    def mi(a, b):  # I(A; B) of the Gaussian with covariance s
        i = np.r_[a, b]
        return gaussian_mi(s[np.ix_(i, i)], len(a))

    truth = mi(np.r_[ix, iz], iy) - mi(iz, iy)  # chain rule: I(X; Y | Z) = I(XZ; Y) - I(Z; Y)
    e = rng.standard_normal((n, dx + dy + dz))
    v = e @ lin.T
    return v[:, ix], v[:, iy], v[:, iz], float(truth)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--datasets", type=int, default=6)
    ap.add_argument("--c", type=float, nargs="+", default=[0.0, 0.3])
    ap.add_argument("--dims", type=int, nargs=3, default=[10, 2, 2], metavar=("DX", "DY", "DZ"))
    ap.add_argument("--epochs", type=int, default=50)
    ap.add_argument("--modes", nargs="+", default=["none", "permuted"], choices=("none", "permuted"),
                    help="the reduced_x settings run on each data set")
    ap.add_argument("--json")
    a = ap.parse_args()
    rows = []
    print("c     ds  truth    reduced_x  CMI      [68 % CI]           covers  s")
    for c in a.c:
        for ds in range(a.datasets):
            x, y, z, truth = draw(ds, a.n, *a.dims, c)
            for mode in a.modes:
                t0 = time.time()
                r = conditional_mi(x, y, z, seed=ds, epochs=a.epochs, progress=False, reduced_x=mode)
                cov = bool(r.ci_low_nats <= truth <= r.ci_high_nats)
                rows.append({"c": c, "dataset": ds, "truth": truth, "reduced_x": mode, "mi": r.mi_nats,
                             "ci_low": r.ci_low_nats, "ci_high": r.ci_high_nats, "covers": cov,
                             "full": r.mi_full_nats, "reduced": r.mi_reduced_nats, "s": time.time() - t0,
                             "flags": list(r.flags),
                             "pairs": [[q["gamma"], q["chunk"], q["diff_nats"], q["diff_train_nats"],
                                        q["diff_test_nats"]] for q in r.pairs]})
                print(f"{c:<5} {ds:2d}  {truth:.4f}   {mode:<9}  {r.mi_nats:+.4f}  [{r.ci_low_nats:+.4f}, "
                      f"{r.ci_high_nats:+.4f}]  {cov!s:<6}  {time.time() - t0:.0f}", flush=True)
                if a.json:
                    Path(a.json).write_text(json.dumps({"settings": vars(a), "rows": rows}, indent=1))
    print("\nc     reduced_x  mean error  median |error|  68 % CI covers")
    for c in a.c:
        for mode in a.modes:
            rs = [r for r in rows if r["c"] == c and r["reduced_x"] == mode]
            err = np.array([r["mi"] - r["truth"] for r in rs])
            print(f"{c:<5} {mode:<9}  {err.mean():+.4f}     {np.median(np.abs(err)):.4f}          "
                  f"{sum(r['covers'] for r in rs)}/{len(rs)}")


if __name__ == "__main__":
    main()
