"""Prototype (DIAGNOSIS.md section 48, issue 23 item 2): MIENF's conditional flow q(m | c) read with the marginal
its own contexts give, p(m) ~ mean_j q(m | c_j), instead of an unconditional flow. On held-out rows

    I >= mean_i [ log q(m_i | c_i) - log (1/n) sum_j q(m_i | c_j) ]

is InfoNCE's bound with the critic log q(m | c): valid for any q, capped at log n, and it cannot read high where
the unconditional flow under-fits (the head-direction cells' +17-26 %, section 46). The trained objective is the
library's (``options.context_side``); this script patches ``member_info`` to also compute the bound on the held-out
rows the trainer evaluates the best state on (the first ``--rows`` of them), and prints it next to the difference of
likelihoods the estimator reports.

    OMP_NUM_THREADS=1 python benchmarks/diagnosis/x26_mienf_contrastive_marginal.py --tasks hd-40-25ms \
        --context y --seed 1
    ... --independent   (two independent 20-neuron populations, as x25_mienf_independent_counts.py)
"""

import argparse
import math
import time
import warnings

import numpy as np
import torch

import neuralmi_core as nmi
from neuralmi_core.estimators import mienf_conditional as mc
from neuralmi_core.suite import select_tasks

warnings.simplefilter("ignore")
p = argparse.ArgumentParser()
p.add_argument("--tasks", nargs="*", default=[])
p.add_argument("--context", default="auto")
p.add_argument("--seed", type=int, default=0)
p.add_argument("--n", type=int, default=5000)
p.add_argument("--rows", type=int, default=1000)
p.add_argument("--independent", action="store_true")
args = p.parse_args()

found: dict = {}
_member_info = mc.ConditionalFlowObjective.member_info


@torch.no_grad()
def _bound(obj, x, y, k, rows, chunk=50):
    m, c = obj._split(x, y)
    m, c = m[k, :rows], c[k, :rows]
    n = len(m)
    const = 0.5 * obj.dim_m * math.log(2 * math.pi)
    table = torch.empty(n, n)  # table[i, j] = log q(m_i | c_j)
    for j0 in range(0, n, chunk):
        cj = c[j0:j0 + chunk]
        b = len(cj)
        z, ladj = obj.conditional[k](cj.repeat_interleave(n, 0)).call_and_ladj(m.repeat(b, 1))
        table[:, j0:j0 + b] = (ladj - 0.5 * (z**2).sum(-1) - const).view(b, n).T
    diag = table.diagonal()
    bound = (diag - (torch.logsumexp(table, 1) - math.log(n))).mean()
    return float(bound), float(diag.mean())


def member_info(self, x, y):
    out = _member_info(self, x, y)
    t0 = time.perf_counter()
    for k, info in enumerate(out):
        b, lc = _bound(self, x, y, k, args.rows)
        info["contrastive_bound_nats"] = b
        found.setdefault("bound", []).append(b)
    found["bound_s"] = time.perf_counter() - t0
    return out


mc.ConditionalFlowObjective.member_info = member_info


def run(name, x, y, truth, settings=None):
    found.clear()
    kw = {"split": "random", **(settings or {})}
    res = nmi.estimate(x, y, estimator="mienf", seed=args.seed, progress=False,
                       options={"context_side": args.context}, **kw)
    b = float(np.mean(found.get("bound", [math.nan])))
    rel = (lambda v: f"{100 * (v / truth - 1):+6.1f} %") if truth else (lambda v: f"{v:+.4f}")
    print(f"{name:26s} truth {truth:.3f}  difference {res.mi_nats:.3f} ({rel(res.mi_nats)})  contrastive bound "
          f"{b:.3f} ({rel(b)})  train {res.mi_train_nats:.3f}  {res.seconds:.0f} s (bound {found.get('bound_s', 0):.0f} s)", flush=True)


for task in select_tasks(args.tasks) if args.tasks else []:
    x, y = task.sampler.sample(args.n, seed=args.seed)
    run(task.name, x, y, task.mi, task.settings)
if args.independent:
    rng = np.random.default_rng(args.seed)
    la, lb = rng.random(args.n), rng.random(args.n)
    centres = np.linspace(0, 1, 20)
    xa = rng.poisson(0.1 + 2 * np.exp(-0.5 * ((la[:, None] - centres) / 0.1) ** 2)).astype(float)
    xb = rng.poisson(0.1 + 2 * np.exp(-0.5 * ((lb[:, None] - centres) / 0.1) ** 2)).astype(float)
    run("independent 20x20 counts", xa, xb, 0.0)
