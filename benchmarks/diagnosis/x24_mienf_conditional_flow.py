"""Prototype (DIAGNOSIS.md section 45, issue 23 item 2): MI of spike counts as a difference of two flows' likelihoods,
I = E[log p(y | x) - log p(y)], a conditional neural-spline flow (zuko, context = the other side) and an
unconditional one, both trained by likelihood on 80 % of N = 5000 rows (data set 0), early stopping on the
held-out likelihood (patience 15), the MI the held-out mean. Not MIENF's construction (a flow on each side and a
Gaussian latent): a stand-in for a side without a density, which MIENF cannot flow.

    OMP_NUM_THREADS=1 python benchmarks/diagnosis/x24_mienf_conditional_flow.py place1d-40-50ms,place2d-50-100ms
    OMP_NUM_THREADS=1 python benchmarks/diagnosis/x24_mienf_conditional_flow.py hd-40-25ms --swap  # model the counts

The modelled side (y; ``--swap``: the task's x) is dequantized when it holds integers and Gaussianised per column
(ranks); the context side is log1p of the counts, z-scored. 3 NSF transforms; conditional hyper-networks 2 x 128,
marginal 2 x 64; Adam 1e-3, batch 128.
"""

import sys

import numpy as np
import torch
import zuko
from scipy.stats import norm, rankdata

from neuralmi_core.suite import select_tasks

torch.set_num_threads(1)


def gauss(a):
    return norm.ppf((rankdata(a, axis=0) - 0.5) / len(a))


for name in sys.argv[1].split(","):
    task = select_tasks([name])[0]
    x, y = task.sampler.sample(5000, seed=0)
    if "--swap" in sys.argv:
        x, y = y, x
    x = np.log1p(x) if np.all(x >= 0) else x
    rng = np.random.default_rng(0)
    idx = rng.permutation(len(x))
    tr, te = idx[:4000], idx[4000:]
    if np.all(y == np.round(y)):  # counts on the modelled side: dequantize, then Gaussianise the marginals
        y = y + np.random.default_rng(1).random(y.shape)
    eta = gauss(y)
    xt = torch.tensor((x - x[tr].mean(0)) / (x[tr].std(0) + 1e-9), dtype=torch.float32)
    et = torch.tensor(eta, dtype=torch.float32)
    torch.manual_seed(0)
    dy = eta.shape[1]
    cond = zuko.flows.NSF(dy, context=x.shape[1], transforms=3, hidden_features=(128, 128))
    marg = zuko.flows.NSF(dy, transforms=3, hidden_features=(64, 64))
    opt = torch.optim.Adam(list(cond.parameters()) + list(marg.parameters()), 1e-3)
    best, bad, best_mi = -1e9, 0, 0
    trt = torch.as_tensor(tr)
    for ep in range(300):
        epochs = ep + 1
        perm = torch.randperm(len(tr))
        for b in range(0, len(tr), 128):
            i = trt[perm[b:b + 128]]
            loss = -(cond(xt[i]).log_prob(et[i]).mean() + marg().log_prob(et[i]).mean())
            opt.zero_grad()
            loss.backward()
            opt.step()
        with torch.no_grad():
            lc = cond(xt[te]).log_prob(et[te])
            lm = marg().log_prob(et[te])
            score = (lc + lm).mean().item()
            mi = (lc - lm).mean().item()
        if score > best + 1e-3:
            best, bad, best_mi = score, 0, mi
        else:
            bad += 1
        if bad > 15:
            break
    print(f"{name:28s} truth {task.mi:.3f} conditional-flow {best_mi:.3f} {best_mi / max(task.mi, 1e-9) - 1:+.1%} "
          f"(epochs {epochs})", flush=True)
