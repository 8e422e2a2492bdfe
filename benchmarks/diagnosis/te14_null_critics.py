"""Issue 21, DIAGNOSIS.md section 40: the TE surrogate test under the null on spikes, with each critic.

Two independent Poisson GLM populations (4 + 4 neurons, every neuron with the self-history filter of
:func:`~neuralmi_core.synth.glm.simulate_glm`, no link, no drive; 3000 bins of 20 ms; simulation seeds 300-339),
each tested by ``transfer_entropy_test`` (delay 1, k_target 3, 9 circular shifts of the source in [20, 2980],
15 epochs, hidden 16, embedding_dim 8, eval_size 256, seed = data set index) once with ``critic="poisson"``
(what ``auto`` picks on spikes) and once with ``critic="separable"``: the shifts depend on the seed and the
length only, so both critics see the same data and the same shifts. ``benchmarks/transfer_null.py --family
glm`` runs the same test with 19 shifts and ``auto`` on 400 other data sets::

    OMP_NUM_THREADS=1 python benchmarks/diagnosis/te14_null_critics.py --out te14_null_critics.jsonl
    python benchmarks/diagnosis/te14_null_critics.py --summary te14_null_critics.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from neuralmi_core.analysis.transfer import transfer_entropy_test  # noqa: E402
from neuralmi_core.synth.glm import simulate_glm  # noqa: E402

SHIFTS = 9


def run(out: Path, first: int, count: int) -> None:
    for k in range(first, first + count):
        net = simulate_glm(3000, n_source=4, n_target=4, gain=0.0, seed=100 + k)
        for critic in ("poisson", "separable"):
            r = transfer_entropy_test(net.x, net.y, critic=critic, n_surrogates=SHIFTS, delays=[1], k_target=3,
                                      min_shift=20, seed=k, epochs=15, hidden=16, embedding_dim=8, eval_size=256,
                                      progress=False, device="cpu")
            row = {"k": k, "critic": critic, "p_value": r["p_value"], "obs": r["observed_nats"],
                   "null": list(r["null_nats"]), "shifts": r["shifts"]}
            with out.open("a") as f:
                f.write(json.dumps(row) + "\n")


def summary(path: str) -> None:
    rows = [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]
    print("| critic | data sets | KS p (uniform) | p <= 0.1 | p <= 0.2 | mean observed (nats) | mean null (nats) |")
    print("|---|---|---|---|---|---|---|")
    for c in ("poisson", "separable"):
        r = [x for x in rows if x["critic"] == c]
        p = np.array([x["p_value"] for x in r])
        ks = stats.kstest(p - 0.5 / (1 + SHIFTS), "uniform").pvalue
        print(f"| {c} | {len(r)} | {ks:.3f} | {np.mean(p <= 0.1):.0%} | {np.mean(p <= 0.2):.0%} | "
              f"{np.mean([x['obs'] for x in r]):+.4f} | {np.mean([np.mean(x['null']) for x in r]):+.4f} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="te14_null_critics.jsonl")
    ap.add_argument("--first", type=int, default=200)
    ap.add_argument("--datasets", type=int, default=40)
    ap.add_argument("--summary", metavar="JSONL")
    a = ap.parse_args()
    if a.summary:
        summary(a.summary)
    else:
        run(Path(a.out), a.first, a.datasets)


if __name__ == "__main__":
    main()
