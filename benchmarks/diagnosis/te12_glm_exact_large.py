"""Issue 21, DIAGNOSIS.md section 39: the two critics on larger target populations, against an exact TE.

``te9_glm_exact.py`` measured networks of 4-8 neurons a side. Here: 6 source and 15 target neurons, link
probability 0.4 (40-43 links), planted delay 2, i.i.d. source (``source_history=False``), simulation seeds
300-301, one data set each of 10,000 bins (``counts_seed`` 0). The exact TE uses 100,000 Monte Carlo bins (the
sum over the source's counts is exact; ``glm_transfer_entropy``). Each data set runs ``transfer_entropy`` on
delays [2, 3], one way, k_target 5, 50 epochs, seed 0, once with each critic. Rows: ``te12_glm_exact_large.jsonl``::

    OMP_NUM_THREADS=1 python benchmarks/diagnosis/te12_glm_exact_large.py --out te12_glm_exact_large.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from neuralmi_core.analysis.transfer import transfer_entropy  # noqa: E402
from neuralmi_core.synth.glm import glm_te_log_ratio, glm_transfer_entropy, simulate_glm  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="te12_glm_exact_large.jsonl")
    a = ap.parse_args()
    with Path(a.out).open("a") as out:
        for p in (0, 1):
            kw = {"n_source": 6, "n_target": 15, "delay": 2, "gain": 1.0, "p_link": 0.4, "source_history": False,
                  "seed": 300 + p}
            net = simulate_glm(10_000, counts_seed=0, **kw)
            te, se = glm_transfer_entropy(net, n_bins=100_000)
            sample = float(glm_te_log_ratio(net).mean())
            print(f"network {p}: {len(net.links)} links, exact TE {te:.4f} +- {se:.4f}, sample TE {sample:.4f}",
                  flush=True)
            for critic in ("poisson", "separable"):
                t0 = time.perf_counter()
                r = transfer_entropy(net.x, net.y, critic=critic, delays=[2, 3], bidirectional=False, epochs=50,
                                     k_target=5, progress=False, seed=0)
                row = {"net": p, "links": len(net.links), "critic": critic, "truth": te, "truth_se": se,
                       "sample_te": sample, "te": r.te_nats, "ci_low": r.ci_low, "ci_high": r.ci_high,
                       "seconds": time.perf_counter() - t0}
                out.write(json.dumps(row) + "\n")
                out.flush()
                print(f"  {critic:<9} TE {r.te_nats[0]:.4f} [{r.ci_low[0]:.4f}, {r.ci_high[0]:.4f}] "
                      f"({100 * (r.te_nats[0] / te - 1):+.1f} %), delay 3 {r.te_nats[1]:+.4f}", flush=True)


if __name__ == "__main__":
    main()
