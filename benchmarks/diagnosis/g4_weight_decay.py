"""Experiment (DIAGNOSIS.md section 9): weight decay in estimate mode, N = 5000, data sets 0-2.

    OMP_NUM_THREADS=1 python benchmarks/diagnosis/g4_weight_decay.py 0.01 l2 gauss-sparse-25 xmixture
    OMP_NUM_THREADS=1 python benchmarks/diagnosis/g4_weight_decay.py 1.0 decoupled gauss-sparse-25 xmixture

``l2``: Adam's weight_decay (what the `weight_decay` setting now does); ``decoupled``: AdamW-style shrinking
of the weights by lr * wd before every step. Prints the relative error per data set and the median |rel|.
"""

import statistics
import sys

import torch

import neuralmi_core.training.trainer as trainer
from neuralmi_core import estimate
from neuralmi_core.suite import select_tasks
from neuralmi_core.training.adam import Adam

WD = float(sys.argv[1])
KIND = sys.argv[2]


class DecayedAdam(Adam):
    def step(self):
        if KIND == "decoupled" and WD:
            with torch.no_grad():
                lr = self.param_groups[0]["lr"]
                for p in self.param_groups[0]["params"]:
                    if p.grad is not None:
                        p.mul_(1 - lr * WD)
        super().step()


def make_adam(params, lr, weight_decay=0.0):
    return DecayedAdam(params, lr=lr, weight_decay=WD if KIND == "l2" else 0.0)


trainer.Adam = make_adam
rels = []
for t in select_tasks(sys.argv[3:]):
    out = []
    for seed in (0, 1, 2):
        x, y = t.sampler.sample(5000, seed=seed)
        r = estimate(x, y, split="random", progress=False, seed=seed, threads=1)
        out.append((r.mi_nats - t.mi) / t.mi if t.mi else r.mi_nats)
    rels += [abs(v) for v in out] if t.mi else []
    print(f"wd {WD} {KIND} {t.name:24s} " + " ".join(f"{v:+.3f}" for v in out), flush=True)
print(f"wd {WD} {KIND} median |rel| {statistics.median(rels):.3f}")
