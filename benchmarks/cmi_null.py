"""Calibration of the conditional-MI local-permutation test under the null (issue 21 item 3; prints a table).

Null: Z (--dz channels) ~ N(0, I); X = A Z + noise (--dx channels), Y = B Z + noise (--dy channels), A and B random
with spectral norm 1.5, so Z drives both and X, Y are dependent, but I(X; Y | Z) = 0 exactly. Each data set is
tested by ``conditional_mi_test`` twice, on the same observed statistic (the full-data paired difference
I(XZ; Y) - I(Z; Y)):

- ``local``: X permuted within its k = 5 nearest Z neighbours (the library's test: keeps X-Z and Z-Y);
- ``global``: k = N - 1, i.e. X permuted over all rows (an i.i.d. shuffle of X: breaks X-Z as well).

Per null: the KS test of the p-values against the uniform (on the mid-points of the p-value grid), the share of
data sets with p <= 0.05 and <= 0.1, the mean null and observed statistic. Each data set's lines are appended to
--jsonl as they finish (a rerun resumes; ``--first`` starts at a data set so two processes can split the work).

Run:  OMP_NUM_THREADS=1 python benchmarks/cmi_null.py [--datasets 100] [--n 1000] [--jsonl out.jsonl]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from transfer_null import load_rows, record, table  # noqa: E402

from neuralmi_core.analysis.transfer import conditional_mi_test  # noqa: E402


def draw(seed: int, n: int, dx: int, dy: int, dz: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)

    def mat(r: int, c: int) -> np.ndarray:
        m = rng.standard_normal((r, c))
        return 1.5 * m / np.linalg.norm(m, 2)

    a, b = mat(dx, dz), mat(dy, dz)
    z = rng.standard_normal((n, dz))
    return z @ a.T + rng.standard_normal((n, dx)), z @ b.T + rng.standard_normal((n, dy)), z


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--datasets", type=int, default=100)
    ap.add_argument("--first", type=int, default=0, help="start at this data set (the same draws)")
    ap.add_argument("--n", type=int, default=1000, help="samples per data set")
    ap.add_argument("--dims", type=int, nargs=3, default=[3, 1, 2], metavar=("DX", "DY", "DZ"))
    ap.add_argument("--surrogates", type=int, default=19)
    ap.add_argument("--epochs", type=int, default=15)
    ap.add_argument("--jsonl", default=None, help="append one line per (data set, null); resumes from it")
    ap.add_argument("--table-only", action="store_true", help="print the table of --jsonl and stop")
    a = ap.parse_args()
    done = load_rows(a.jsonl)
    if not a.table_only:
        print(f"# OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}, load {os.getloadavg()[0]:.1f}; "
              f"n {a.n}, dims {a.dims}, {a.surrogates} surrogates", flush=True)
        have = {(x["dataset"], x["surrogate"]) for x in done}
        for k in range(a.first, a.datasets):
            x, y, z = draw(100 + k, a.n, *a.dims)
            for null, kk in (("local", 5), ("global", a.n - 1)):
                if (k, null) in have:
                    continue
                t0 = time.perf_counter()
                r = conditional_mi_test(x, y, z, n_surrogates=a.surrogates, k=kk, seed=k, epochs=a.epochs, hidden=16,
                                        embedding_dim=8, eval_size=256, progress=False, device="cpu")
                record({"dataset": k, "surrogate": null, "k": kk}, r, t0, done, a.jsonl)
    print(table(done, a.surrogates, ("local", "global"), "CMI"))


if __name__ == "__main__":
    main()
