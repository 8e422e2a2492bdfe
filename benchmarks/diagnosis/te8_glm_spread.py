"""Issue 21, DIAGNOSIS.md section 37: is TE's wide interval on spikes needed? The spread of TE between data sets.

The Poisson GLM has no exact TE, so its coverage cannot be counted. What can be measured is how far TE moves
between data sets of one network and between training seeds, against the half-widths of the two intervals
(``shared``: the statistical part, what TE quoted until 2026-12-06; ``headline``: with the systematic part, today).
Network 2 of ``benchmarks/transfer.py --family glm`` (6 source and 5 target neurons, planted delay 1, gain 1.0,
simulation seed 102) is simulated for ``4 x 10,000`` bins and cut into four data sets of 10,000; each runs the
benchmark's settings (k_target 5, gammas 1-5, 30 epochs) on delays 1-2, one way. Rows go to a JSONL file::

    OMP_NUM_THREADS=1 python benchmarks/diagnosis/te8_glm_spread.py --parts 0,1 --seeds 0 --out a.jsonl &
    OMP_NUM_THREADS=1 python benchmarks/diagnosis/te8_glm_spread.py --parts 2,3 --seeds 0 --out b.jsonl
    python benchmarks/diagnosis/te8_glm_spread.py --summary a.jsonl b.jsonl

Rows of 2026-12-06 (data sets 0-3 with seed 0, and seeds 1-2 on data sets 0-2): ``te8_glm_spread.jsonl``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from neuralmi_core.analysis.transfer import transfer_entropy  # noqa: E402
from neuralmi_core.analysis.transfer.compute import _fit  # noqa: E402
from neuralmi_core.synth.glm import simulate_glm  # noqa: E402

N_PART = 10_000


def run(part: int, seed: int) -> dict:
    net = simulate_glm(4 * N_PART, n_source=6, n_target=5, delay=1, gain=1.0, seed=102)
    sl = slice(part * N_PART, (part + 1) * N_PART)
    t0 = time.perf_counter()
    r = transfer_entropy(net.x[sl], net.y[sl], delays=[1, 2], bidirectional=False, epochs=30, k_target=5,
                         progress=False, seed=seed)
    p = [m for m in r.pairs if m["delay"] == 1]
    _, lo, hi, _ = _fit([m["gamma"] for m in p], [m["diff_nats"] for m in p], r.fit_settings)  # no alternatives
    return {"part": part, "seed": seed, "links": len(net.links), "te": r.te_nats[0], "headline": [r.ci_low[0],
            r.ci_high[0]], "shared": [lo, hi], "te_delay2": r.te_nats[1], "seconds": time.perf_counter() - t0}


def summary(files: list[str]) -> None:
    rows = [json.loads(line) for f in files for line in Path(f).read_text().splitlines() if line.strip()]
    print("| data set | seed | TE at delay 1 | shared CI (half-width) | headline CI (half-width) | TE at delay 2 |")
    print("|---|---|---|---|---|---|")
    for r in sorted(rows, key=lambda r: (r["part"], r["seed"])):
        hs, hh = (r["shared"][1] - r["shared"][0]) / 2, (r["headline"][1] - r["headline"][0]) / 2
        print(f"| {r['part']} | {r['seed']} | {r['te']:.4f} | [{r['shared'][0]:.4f}, {r['shared'][1]:.4f}] ({hs:.4f}) | "
              f"[{r['headline'][0]:.4f}, {r['headline'][1]:.4f}] ({hh:.4f}) | {r['te_delay2']:+.4f} |")
    te = np.array([r["te"] for r in rows if r["seed"] == 0])
    print(f"\nseed 0 over {te.size} data sets: TE mean {te.mean():.4f}, sd {te.std(ddof=1):.4f}; median half-widths "
          f"shared {np.median([(r['shared'][1] - r['shared'][0]) / 2 for r in rows]):.4f}, headline "
          f"{np.median([(r['headline'][1] - r['headline'][0]) / 2 for r in rows]):.4f} (a 68 % interval's half-width "
          "should be about one sd of TE between data sets)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--parts", default="0,1,2,3")
    ap.add_argument("--seeds", default="0")
    ap.add_argument("--out", default=None)
    ap.add_argument("--summary", nargs="+", default=None)
    a = ap.parse_args()
    if a.summary:
        summary(a.summary)
        return
    for part in map(int, a.parts.split(",")):
        for seed in map(int, a.seeds.split(",")):
            row = run(part, seed)
            print(json.dumps(row), flush=True)
            if a.out:
                with open(a.out, "a") as fh:
                    fh.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
