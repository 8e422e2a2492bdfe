"""Critic variants tried on the spirals (DIAGNOSIS.md section 10), patched into the library at run time.

    OMP_NUM_THREADS=1 python benchmarks/diagnosis/i4_spiral_variants.py --variant sym --seeds 0,1 spiral
    OMP_NUM_THREADS=1 python benchmarks/diagnosis/i4_spiral_variants.py --variant gated-first spiral
    OMP_NUM_THREADS=1 python benchmarks/diagnosis/i4_spiral_variants.py --variant ksg spiral gauss-sparse-5x5

Variants: ``none`` (the defaults), ``gated-all`` / ``gated-first`` (hidden layers act(W x) * (V x), in every
layer or the first only), ``sym`` (InfoNCE trained on the mean of its row and column softmax terms; the
reported MI stays the row bound), ``ksg`` (the library's KSG, k = 3), ``mienf`` (``estimator="mienf"``).
Estimate mode, N = 5000 unless ``--n``. Not library code; not a test.
"""

from __future__ import annotations

import argparse
import math
import time

import torch
from torch import nn

from neuralmi_core import bounds
from neuralmi_core.estimators.ksg import ksg_mi
from neuralmi_core.models import layers
from neuralmi_core.suite import parse_option, run_one, select_tasks
from neuralmi_core.training import objective


class Gated(nn.Module):
    def __init__(self, n_members: int, d_in: int, d_out: int, activation: str):
        super().__init__()
        self.lin = layers.BatchedLinear(n_members, d_in, 2 * d_out)
        self.act = layers.ACTIVATIONS[activation]()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a, b = self.lin(x).chunk(2, dim=-1)
        return self.act(a) * b


def patch_gated(first_only: bool) -> None:
    def init(self, n_members, in_features, out_features, hidden=64, n_layers=2, activation="relu"):
        nn.Module.__init__(self)
        mods, width = [], in_features
        for i in range(n_layers):
            if not first_only or i == 0:
                mods.append(Gated(n_members, width, hidden, activation))
            else:
                mods += [layers.BatchedLinear(n_members, width, hidden), layers.ACTIVATIONS[activation]()]
            width = hidden
        mods.append(layers.BatchedLinear(n_members, width, out_features))
        self.net = nn.Sequential(*mods)

    layers.BatchedMLP.__init__ = init


def infonce_symmetric(scores: torch.Tensor) -> bounds.Bound:
    b = scores.shape[-1]
    diag = torch.diagonal(scores, dim1=-2, dim2=-1)
    row = (diag - torch.logsumexp(scores, dim=-1)).mean(-1) + math.log(b)
    col = (diag - torch.logsumexp(scores, dim=-2)).mean(-1) + math.log(b)
    return bounds.Bound(row, -(row + col) / 2)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("tasks", nargs="+")
    ap.add_argument("--variant", default="none", choices=["none", "gated-all", "gated-first", "sym", "ksg", "mienf"])
    ap.add_argument("--seeds", default="0")
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--option", action="append", default=[])
    args = ap.parse_args()
    opts = dict(parse_option(o) for o in args.option)
    if args.variant.startswith("gated"):
        patch_gated(args.variant == "gated-first")
    elif args.variant == "sym":
        objective.infonce = infonce_symmetric
    elif args.variant == "mienf":
        opts["estimator"] = "mienf"
    for task in select_tasks(args.tasks):
        for seed in (int(s) for s in args.seeds.split(",")):
            t0 = time.time()
            if args.variant == "ksg":
                x, y = task.sampler.sample(args.n, seed=seed)
                mi, extra = ksg_mi(x, y, k=3), ""
            else:
                row = run_one(task, args.n, seed, "estimate", opts)
                mi, extra = row["mi"], f" train {row['mi_train']:.3f}"
            print(f"{task.name:28s} {seed} {args.variant} truth {task.mi:.3f} mi {mi:.3f} "
                  f"rel {100 * (mi / task.mi - 1):+.1f}%{extra} {time.time() - t0:.0f}s", flush=True)


if __name__ == "__main__":
    main()
