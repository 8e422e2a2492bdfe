"""Experiment (DIAGNOSIS.md section 9): held-out InfoNCE of the averaged critic of K seeds vs the members' mean.

    OMP_NUM_THREADS=1 python benchmarks/diagnosis/g6_averaged_critic.py 4 gauss-sparse-25 student-df2

InfoNCE is concave in the critic, so the averaged critic's bound is at least the members' mean bound.
Run at n_layers 2, weight_decay 0 (the defaults of that moment).
"""

import sys
import time

import torch

import neuralmi_core.estimators.neural as neural
from neuralmi_core import estimate
from neuralmi_core.bounds import infonce
from neuralmi_core.suite import select_tasks

captured = {}
train_ensemble = neural.train_ensemble


def spy(objective, data, config, desc="training"):
    fit = train_ensemble(objective, data, config, desc=desc)
    captured["objective"], captured["data"] = objective, data
    return fit


neural.train_ensemble = spy
k = int(sys.argv[1])
for t in select_tasks(sys.argv[2:]):
    for seed in (0, 1):
        x, y = t.sampler.sample(5000, seed=seed)
        t0 = time.time()
        res = estimate(x, y, split="random", progress=False, seed=seed, n_seeds=k, threads=1, weight_decay=0.0)
        obj, data = captured["objective"], captured["data"]
        obj.eval()
        with torch.no_grad():
            scores = obj.critic(data.x_eval, data.y_eval)  # (K, n, n): the same held-out set for every seed
            kept = infonce(scores).mi.mean().item()
            averaged = infonce(scores.mean(0, keepdim=True)).mi.item()
        print(f"{t.name:26s} seed {seed} truth {t.mi:.3f} members(smoothed) {res.mi_nats:.3f} "
              f"members(kept) {kept:.3f} avg-critic {averaged:.3f} {time.time() - t0:.0f}s", flush=True)
