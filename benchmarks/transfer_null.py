"""Calibration of the transfer-entropy surrogate test under the null (issue 21 item 4; not a test: prints a table).

Null: X and Y independent AR(1) processes (coefficients --phi-x, --phi-y; no coupling), so TE(X -> Y) is 0
and a calibrated test gives uniform p-values. ``--family glm``: X and Y two independent Poisson GLM populations
(--glm-neurons neurons each, 20 ms bins, every neuron with the self-history filter of
:func:`~neuralmi_core.synth.glm.simulate_glm`, no link, no drive), tested with ``critic="auto"``, which resolves
to the Poisson critic on spike counts. Each data set is tested with every null of
``transfer_entropy_test`` on the same observed statistic (the maximum over --delays of the full-data paired
difference I(X_past Y_past; Y_future) - I(Y_past; Y_future)):

- ``circular``: the source alone circularly shifted beyond its decorrelation time (the library's test);
- ``iid_source``: the source's rows permuted i.i.d. (destroys the source's autocorrelation);
- ``iid_target``: the target's rows permuted i.i.d. before windows are built (NeuralMI's permutation test:
  destroys the target's own history).

Per null: the KS test of the p-values against the uniform (on the mid-points of the grid k / (1 +
n_surrogates), so the grid itself is not read as miscalibration), the share of data sets with p <= 0.05
and <= 0.1, the mean null and observed statistic. Each data set's line is appended to --jsonl as it
finishes, so a run stopped early still gives a table (`--table-only` prints it from that file).

Run:  OMP_NUM_THREADS=1 python benchmarks/transfer_null.py [--datasets 100] [--n 1000] [--jsonl out.jsonl]
      OMP_NUM_THREADS=1 python benchmarks/transfer_null.py --family glm --n 3000 --k-target 3 --nulls circular
      python benchmarks/transfer_null.py --pool a.jsonl b.jsonl     # one table of several runs
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
from scipy import stats

from neuralmi_core.analysis.transfer.compute import TE_SURROGATES, transfer_entropy_test
from neuralmi_core.synth.glm import simulate_glm
from neuralmi_core.synth.var import simulate_var


def table(rows: list[dict], n_surrogates: int, nulls: tuple[str, ...] = TE_SURROGATES, what: str = "TE") -> str:
    out = [f"| null | data sets | KS p (uniform) | p <= 0.05 | p <= 0.1 | mean null {what} (nats) | mean observed (nats) |",
           "|---|---|---|---|---|---|---|"]
    for null in nulls:
        r = [x for x in rows if x["surrogate"] == null]
        if not r:
            continue
        p = np.array([x["p_value"] for x in r])
        mid = p - 0.5 / (1 + n_surrogates)  # the p-value grid's mid-points: uniform under a calibrated null
        ks = stats.kstest(mid, "uniform").pvalue
        out.append(f"| {null} | {len(r)} | {ks:.3f} | {np.mean(p <= 0.05):.0%} | {np.mean(p <= 0.1):.0%} | "
                   f"{np.mean([np.mean(x['null_nats']) for x in r]):+.4f} | "
                   f"{np.mean([x['observed_nats'] for x in r]):+.4f} |")
    return "\n".join(out)


def load_rows(jsonl: str | None) -> list[dict]:
    """The rows already written to ``jsonl`` (none when it is not given or not there yet)."""
    if not jsonl or not Path(jsonl).exists():
        return []
    return [json.loads(line) for line in Path(jsonl).read_text().splitlines() if line.strip()]


def record(row: dict, r: dict, t0: float, done: list[dict], jsonl: str | None) -> None:
    """Complete ``row`` with the test result ``r`` and its time, keep it, append it to ``jsonl`` and print it."""
    row.update(p_value=r["p_value"], observed_nats=r["observed_nats"], null_nats=list(r["null_nats"]),
               seconds=time.perf_counter() - t0)
    done.append(row)
    if jsonl:
        with open(jsonl, "a") as f:
            f.write(json.dumps(row) + "\n")
    print(f"data set {row['dataset']:3d} {row['surrogate']:10s} p {row['p_value']:.3f} observed "
          f"{row['observed_nats']:+.4f} ({row['seconds']:.0f} s)", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--datasets", type=int, default=100)
    ap.add_argument("--first", type=int, default=0, help="index of the first data set (a second, independent batch)")
    ap.add_argument("--n", type=int, default=1000, help="bins per data set")
    ap.add_argument("--phi-x", type=float, default=0.7)
    ap.add_argument("--phi-y", type=float, default=0.5)
    ap.add_argument("--surrogates", type=int, default=19)
    ap.add_argument("--delays", default="1")
    ap.add_argument("--nulls", default=",".join(TE_SURROGATES))
    ap.add_argument("--epochs", type=int, default=15)
    ap.add_argument("--family", choices=("ar1", "glm"), default="ar1")
    ap.add_argument("--glm-neurons", type=int, default=4, help="neurons per population (--family glm)")
    ap.add_argument("--k-target", type=int, default=1, help="target history (bins)")
    ap.add_argument("--jsonl", default=None, help="append one line per (data set, null); resumes from it")
    ap.add_argument("--table-only", action="store_true", help="print the table of --jsonl and stop")
    ap.add_argument("--pool", nargs="+", metavar="JSONL", help="print one table of the rows of these files and stop")
    a = ap.parse_args()
    if a.pool:
        print(table([r for f in a.pool for r in load_rows(f)], a.surrogates))
        return
    nulls = [s.strip() for s in a.nulls.split(",") if s.strip()]
    done = load_rows(a.jsonl)
    if not a.table_only:
        what = (f"AR(1) phi {a.phi_x}/{a.phi_y}" if a.family == "ar1" else
                f"two independent GLM populations of {a.glm_neurons} neurons")
        print(f"# OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}, load {os.getloadavg()[0]:.1f}; "
              f"{what}, n {a.n}, {a.surrogates} surrogates, delays {a.delays}, k_target {a.k_target}", flush=True)
        have = {(x["dataset"], x["surrogate"]) for x in done}
        coef, s = [np.array([[a.phi_x, 0.0], [0.0, a.phi_y]])], np.eye(2)
        for k in range(a.first, a.first + a.datasets):
            if a.family == "ar1":
                v = simulate_var(coef, s, a.n, seed=100 + k)
                x, y = v[:, :1], v[:, 1:]
            else:
                net = simulate_glm(a.n, n_source=a.glm_neurons, n_target=a.glm_neurons, gain=0.0, seed=100 + k)
                x, y = net.x, net.y
            for null in nulls:
                if (k, null) in have:
                    continue
                t0 = time.perf_counter()
                r = transfer_entropy_test(x, y, n_surrogates=a.surrogates, delays=a.delays, seed=k,
                                          k_target=a.k_target, surrogate=null, epochs=a.epochs, hidden=16,
                                          embedding_dim=8, eval_size=256, progress=False, device="cpu")
                record({"dataset": k, "surrogate": null, "critic": r["critic"]}, r, t0, done, a.jsonl)
    print(table(done, a.surrogates))


if __name__ == "__main__":
    main()
