"""Experiment (DIAGNOSIS.md section 44, issue 23 item 2): MI-NEE with the empirical joint of each count block as
its reference.

    OMP_NUM_THREADS=1 python benchmarks/diagnosis/x23_minee_empirical.py --json x23_minee_empirical.json
    python benchmarks/diagnosis/x23_minee_empirical.py --summary x23_minee_empirical.json   # no training

Section 41 drew each count column of the reference from its own empirical marginal, independently of the other
columns: D(P_X||Q_X) became the total correlation of the population (0.4-3.9 nats), and its under-fit inflated
the difference of the three terms (+103 %, +534 %). Here every side whose features are all few-valued (at most
max(2, n_train / 20) distinct training values: spike counts) draws its reference rows whole, from that member's
training rows, independently of the other side. Then Q_X = P_X (the training sample's joint), D(P_X||Q_X) = 0
exactly and its critic is switched off (``--keep-marginal`` keeps it, to see what it would estimate), and

    I(X; Y) = D(P_XY || P_X x Q_Y) - D(P_Y || Q_Y)

still holds for any Q_Y: with a Gaussian Q_Y this is the entropic decomposition h(Y) - h(Y|X) in divergences;
with both sides counts it is the Donsker-Varadhan bound on D(P_XY || P_X x P_Y) (MINE with a resampled reference).
A side with continuous features keeps the Gaussian reference. Counts are not dequantized.
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
KEEP_MARGINAL = False
FORCE = ""  # "x", "y" or "xy": sides drawn as whole rows whatever their values (--force)


class EmpiricalReferenceMINEE(minee.MINEEObjective):
    """The Gaussian reference, with each all-discrete side drawn as whole training rows."""

    @torch.no_grad()
    def prepare(self, data) -> None:
        super().prepare(data)
        n = torch.as_tensor(data.n_train)
        self._emp_n = n.clone()
        self._emp, self._emp_on = [], []
        for block in (data.x_train, data.y_train):
            on = True
            for i in range(block.shape[0]):
                bi = block[i, : int(n[i])]
                for j in range(block.shape[-1]):
                    on = on and torch.unique(bi[:, j]).numel() <= max(2, int(n[i]) // 20)
            on = on or "xy"[len(self._emp)] in FORCE
            self._emp.append(block.clone())
            self._emp_on.append(on)

    def _draw(self, k, m, generator, device, dtype):
        out = super()._draw(k, m, generator, device, dtype)
        if not getattr(self, "_emp_on", None) or not any(self._emp_on):
            return out
        parts = [out[..., : self.dim_x], out[..., self.dim_x:]]
        for s, (emp, on) in enumerate(zip(self._emp, self._emp_on, strict=True)):
            u = torch.rand(k, m, generator=generator, device=generator.device).to(device=device, dtype=torch.float64)
            if not on:
                continue
            idx = (u * self._emp_n.to(device=device, dtype=torch.float64)[:, None]).long().clamp_max(emp.shape[1] - 1)
            parts[s] = emp.to(device=device, dtype=dtype).gather(1, idx[..., None].expand(-1, -1, emp.shape[-1]))
        return torch.cat(parts, -1)

    def _critics(self, z):
        c = super()._critics(z)
        if KEEP_MARGINAL or not getattr(self, "_emp_on", None):
            return c
        keep = torch.tensor([1.0, 0.0 if self._emp_on[0] else 1.0, 0.0 if self._emp_on[1] else 1.0],
                            dtype=c.dtype, device=c.device)
        return c * keep[:, None, None]


def summary(rows: list[dict], baseline: Path) -> None:
    base = {r["task"]: r for r in json.loads(baseline.read_text())["rows"]}
    print(f"{'task':<27}{'truth':>7}{'default':>9}{'empirical':>10}   d_xy / d_x / d_y   seconds (default, this)")
    for r in rows:
        b = base[r["task"]]
        info = r["member_info"][0]
        rel = "" if r["truth"] == 0 else f"{r['rel_error']:+.1%}"
        brel = "" if r["truth"] == 0 else f"{b['rel_error']:+.1%}"
        if r["truth"] == 0:
            rel, brel = f"{r['mi']:.3f}", f"{b['mi']:.3f}"
        print(f"{r['task']:<27}{r['truth']:>7.3f}{brel:>9}{rel:>10}   {info['d_xy_nats']:.2f} / {info['d_x_nats']:.2f} / "
              f"{info['d_y_nats']:.2f}   {b['seconds']:.0f}, {r['seconds']:.0f}")
    new = {**base, **{r["task"]: r for r in rows}}
    med = statistics.median(abs(r["rel_error"]) for r in new.values() if r["truth"] > 0)
    med0 = statistics.median(abs(r["rel_error"]) for r in base.values() if r["truth"] > 0)
    print(f"median |error| over the suite tasks with MI > 0 (data set {rows[0].get('data_seed', '?')}): default "
          f"{med0:.1%}, with this reference on the count tasks {med:.1%}")


def main() -> None:
    global KEEP_MARGINAL, FORCE
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--keep-marginal", action="store_true", help="train the marginal critic of an empirical side too")
    p.add_argument("--force", default="", help="x, y or xy: these sides draw whole training rows as their reference "
                   "whatever their values (a side without a density, such as (cos, sin) of a heading)")
    p.add_argument("--tasks", default=",".join(COUNT_TASKS))
    p.add_argument("--data-seed", type=int, default=0)
    p.add_argument("--json", help="write the rows here")
    p.add_argument("--summary", help="print the table of a --json file (no training)")
    p.add_argument("--baseline", default=str(HERE / "x7_est5000_s0_minee_mh128_now.json"),
                   help="the default's rows on the same tasks and data set")
    args = p.parse_args()
    if args.summary:
        summary(json.loads(Path(args.summary).read_text())["rows"], Path(args.baseline))
        return
    KEEP_MARGINAL, FORCE = args.keep_marginal, args.force
    minee.MINEEObjective = EmpiricalReferenceMINEE  # build_objective constructs this class
    opts = {"dequantize": False}
    rows = []
    t0 = time.time()
    for task in select_tasks(args.tasks.split(",")):
        row = run_one(task, 5000, args.data_seed, "estimate", {"estimator": "minee", "options": opts})
        row["data_seed"] = args.data_seed
        rows.append(row)
        rel = "" if math.isnan(row["rel_error"]) else f"{row['rel_error']:+.1%}"
        info = row["member_info"][0]
        print(f"{task.name:<27}{row['truth']:>7.3f}{row['mi']:>8.3f} {rel:>8} {row['seconds']:6.0f} s   "
              f"{info['d_xy_nats']:.2f} / {info['d_x_nats']:.2f} / {info['d_y_nats']:.2f}", flush=True)
        if args.json:
            Path(args.json).write_text(json.dumps({"options": opts, "keep_marginal": KEEP_MARGINAL, "force": FORCE, "rows": rows},
                                                  indent=1, default=float))
    print(f"{time.time() - t0:.0f} s")
    summary(rows, Path(args.baseline))


if __name__ == "__main__":
    main()
