"""Issue 21, DIAGNOSIS.md section 40: the TE surrogate statistic under the null on spikes, with each critic.

Two independent Poisson GLM populations (4 + 4 neurons, every neuron with the self-history filter of
:func:`~neuralmi_core.synth.glm.simulate_glm`, no link, no drive; 3000 bins of 20 ms; simulation seeds 300-339),
and the statistic of ``transfer_entropy_test`` (delay 1, k_target 3, k_source 1, gamma 1, 15 epochs, hidden 16,
embedding_dim 8, eval_size 256, blocked split, training seed = data set index) for the observed alignment and 9
circular shifts of the source drawn uniformly in [20, 2980], once with ``critic="poisson"`` (what ``auto`` picks
on spikes) and once with ``critic="separable"`` on the same data and shifts. ``benchmarks/transfer_null.py --family
glm`` runs the library's test itself (19 shifts, ``auto``)::

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

from neuralmi_core.analysis.transfer.compute import _check, _te_direction  # noqa: E402
from neuralmi_core.estimators.neural import setup_training  # noqa: E402
from neuralmi_core.synth.glm import simulate_glm  # noqa: E402

SHIFTS = 9


def _stat(x: np.ndarray, y: np.ndarray, values: dict, spec, cfg) -> float:
    """``transfer_entropy_test``'s statistic at delay 1 (k_source 1, k_target 3, horizon 1)."""
    return max(r["diff_nats"] for r in _te_direction(x, y, None, [1], values, spec, cfg, 1, 3, 1))


def run(out: Path, first: int, count: int) -> None:
    for k in range(first, first + count):
        net = simulate_glm(3000, n_source=4, n_target=4, gain=0.0, seed=100 + k)
        x, y = net.x.astype(float), net.y.astype(float)
        shifts = [int(s) for s in np.random.default_rng(k).integers(20, 2980, SHIFTS)]
        for critic in ("poisson", "separable"):
            values = _check("infonce", critic, {"split": "blocked", "epochs": 15, "hidden": 16, "embedding_dim": 8,
                                                "eval_size": 256, "progress": False, "device": "cpu"})
            values = dict(values, gammas=(1,), seeds=(k,), n_seeds=None)
            spec, cfg, _ = setup_training(values)

            row = {"k": k, "critic": critic, "obs": _stat(x, y, values, spec, cfg),
                   "null": [_stat(np.roll(x, s, 0), y, values, spec, cfg) for s in shifts]}
            with out.open("a") as f:
                f.write(json.dumps(row) + "\n")


def summary(path: str) -> None:
    rows = [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]
    print("| critic | data sets | KS p (uniform) | p <= 0.1 | p <= 0.2 | mean observed (nats) | mean null (nats) |")
    print("|---|---|---|---|---|---|---|")
    for c in ("poisson", "separable"):
        r = [x for x in rows if x["critic"] == c]
        p = np.array([(1 + sum(np.array(x["null"]) >= x["obs"])) / (1 + SHIFTS) for x in r])
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
