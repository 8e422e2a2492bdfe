"""Experiment (DIAGNOSIS.md section 41, issue 23 item 2): MI-NEE with a discrete reference for count columns.

    OMP_NUM_THREADS=1 python benchmarks/diagnosis/x20_minee_discrete.py --json x20_minee_discrete.json
    OMP_NUM_THREADS=1 python benchmarks/diagnosis/x20_minee_discrete.py --marginal-hidden 256 --json ...
    python benchmarks/diagnosis/x20_minee_discrete.py --summary x20_minee_discrete.json   # no training

MI-NEE's default view of spike counts adds Uniform[0, 1) noise (``dequantize``) and measures the three divergences
against a Gaussian reference. The idea tried here keeps the counts as they are (``dequantize=False``) and draws
every few-valued column of the reference (at most max(2, n_train / 20) distinct training values: the count
columns; continuous columns keep the Gaussian) from that column's empirical training marginal, independently
of the other columns. It is still a product reference Q_X x Q_Y, so I(X; Y) = D(P_XY||Q) - D(P_X||Q_X) -
D(P_Y||Q_Y) holds; D(P_X||Q_X) is then the total correlation of X's count columns, which the critics see on
the lattice itself instead of through the noise.

The reference is a subclass of the package's ``MINEEObjective`` put in place of it for the run; estimate mode,
defaults otherwise, N = 5000, data set 0, the 14 suite tasks with integer-valued features (the other 18 tasks
have no few-valued column, so their rows are the default's bit for bit).
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import time
from pathlib import Path

import torch

import neuralmi_core.estimators.minee as minee
from neuralmi_core.suite import run_one, select_tasks

COUNT_TASKS = ("poisson-16x2 poisson-independent-16x2 place1d-40-50ms place1d-200-25ms place2d-50-100ms hd-40-25ms "
               "hd-20-100ms grid-60-3mod conj-60-50ms shared-gauss2-30x30 shared-track-20x20 slow-place2d-50-tau50 "
               "slow-hd-40-tau50 slow-shared-gauss1-tau20").split()
HERE = Path(__file__).resolve().parent


class DiscreteReferenceMINEE(minee.MINEEObjective):
    """The Gaussian reference, with few-valued columns drawn from their empirical training marginals."""

    @torch.no_grad()
    def prepare(self, data) -> None:
        super().prepare(data)
        z = torch.cat([data.x_train, data.y_train], dim=-1)  # (K, n_max, D)
        n = torch.as_tensor(data.n_train, device=z.device)
        k, _, d = z.shape
        mask = torch.zeros(k, d, dtype=torch.bool, device=z.device)
        for i in range(k):
            zi = z[i, : int(n[i])]
            for j in range(d):
                mask[i, j] = torch.unique(zi[:, j]).numel() <= max(2, int(n[i]) // 20)
        self._emp, self._emp_n, self._emp_mask = z.clone(), n.clone(), mask

    def _draw(self, k, m, generator, device, dtype):
        out = super()._draw(k, m, generator, device, dtype)
        emp = getattr(self, "_emp", None)
        if emp is None or not bool(self._emp_mask.any()):
            return out
        d = self.dim_x + self.dim_y
        u = torch.rand(k, m, d, generator=generator, device=generator.device).to(device=device, dtype=torch.float64)
        idx = (u * self._emp_n.to(device=device, dtype=torch.float64)[:, None, None]).long().clamp_max(emp.shape[1] - 1)
        return torch.where(self._emp_mask[:, None, :].to(device), emp.to(device=device, dtype=dtype).gather(1, idx), out)


def summary(rows: list[dict], baseline: Path) -> None:
    base = {r["task"]: r for r in json.loads(baseline.read_text())["rows"]}
    print(f"{'task':<27}{'truth':>7}{'default':>9}{'discrete':>10}   d_xy / d_x / d_y (discrete)")
    for r in rows:
        b = base[r["task"]]
        info = r["member_info"][0]
        rel = "" if r["truth"] == 0 else f"{r['rel_error']:+.1%}"
        brel = "" if r["truth"] == 0 else f"{b['rel_error']:+.1%}"
        print(f"{r['task']:<27}{r['truth']:>7.3f}{brel:>9}{rel:>10}   {info['d_xy_nats']:.2f} / {info['d_x_nats']:.2f} / "
              f"{info['d_y_nats']:.2f}")
    new = {**base, **{r["task"]: r for r in rows}}
    med = statistics.median(abs(r["rel_error"]) for r in new.values() if r["truth"] > 0)
    med0 = statistics.median(abs(r["rel_error"]) for r in base.values() if r["truth"] > 0)
    print(f"median |error| over the 30 suite tasks with MI > 0 (data set 0): default {med0:.1%}, with this reference "
          f"on the count tasks {med:.1%}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--marginal-hidden", type=int, default=0, help="MI-NEE option marginal_hidden (0: the default)")
    p.add_argument("--json", help="write the rows here")
    p.add_argument("--summary", help="print the table of a --json file (no training)")
    p.add_argument("--baseline", default=str(HERE / "x7_est5000_s0_minee_mh128_now.json"),
                   help="the default's rows on the same tasks (data set 0)")
    args = p.parse_args()
    if args.summary:
        summary(json.loads(Path(args.summary).read_text())["rows"], Path(args.baseline))
        return
    minee.MINEEObjective = DiscreteReferenceMINEE  # build_objective constructs this class
    opts = {"dequantize": False, **({"marginal_hidden": args.marginal_hidden} if args.marginal_hidden else {})}
    rows = []
    t0 = time.time()
    for task in select_tasks(COUNT_TASKS):
        row = run_one(task, 5000, 0, "estimate", {"estimator": "minee", "options": opts})
        rows.append(row)
        rel = "" if math.isnan(row["rel_error"]) else f"{row['rel_error']:+.1%}"
        print(f"{task.name:<27}{row['truth']:>7.3f}{row['mi']:>8.3f} {rel:>8} {row['seconds']:6.0f} s", flush=True)
        if args.json:
            Path(args.json).write_text(json.dumps({"options": opts, "rows": rows}, indent=1, default=float))
    print(f"{time.time() - t0:.0f} s")
    summary(rows, Path(args.baseline))


if __name__ == "__main__":
    main()
