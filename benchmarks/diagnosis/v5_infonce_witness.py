"""Would a k-NN witness flag InfoNCE's rigorous rows that are more than 10 % off? (issue 20 item 6; DIAGNOSIS.md
section 50.)

    OMP_NUM_THREADS=1 python benchmarks/diagnosis/v5_infonce_witness.py [--ranks] [--json F]   # KSG on each row's data
    python benchmarks/diagnosis/v5_infonce_witness.py --summary F                    # the tables, no KSG

MI-NEE and MIENF flag ``missed_dependence`` where the corrected MI is under 0.85 of a KSG (k = 3) estimate of the
same data (``neuralmi_core.estimation.misses_witness``; at most 20 features, 5000 rows). InfoNCE has no witness.
For every rigorous InfoNCE row of the accuracy table (``benchmarks/trust.py``: re-derived with today's code), this
draws the row's data again (the task's sampler, N, data set), runs the same witness and prints, per threshold r,
the rows with MI > 0 that ``corrected MI < r * KSG`` would flag: how many of them are covered by their CI (false
alarms), which rows more than 10 % off stay unflagged, and the ratio MI / KSG of the two rows today's flags miss.
``--ranks``: KSG on each feature's ranks over N (the copula of the data; InfoNCE's critic sees their normal scores)
instead of the data as drawn, which heavy tails bias less. About a minute either way on one core.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import numpy as np  # noqa: E402
from trust import collect  # noqa: E402

from neuralmi_core.estimation import WITNESS_MAX_DIMS  # noqa: E402
from neuralmi_core.estimators.ksg import ksg_mi  # noqa: E402
from neuralmi_core.suite import flagged, select_tasks  # noqa: E402

RATIOS = (0.85, 0.90, 0.92, 0.95, 0.97, 1.0)


def _ranks(a: np.ndarray) -> np.ndarray:
    return np.argsort(np.argsort(a, axis=0, kind="stable"), axis=0) / len(a)


def measure(path: Path | None, ranks: bool = False) -> list[dict]:
    tasks = {t.name: t for t in select_tasks()}
    out = []
    rows = [r for r in collect()[0] if r["truth"] > 0]
    for i, r in enumerate(rows):
        task = tasks[r["task"]]
        x, y = task.sampler.sample(r["n"], seed=r["data_seed"])
        item = {k: r[k] for k in ("task", "family", "n", "data_seed", "truth", "mi", "rel_error", "covered")}
        item["flagged"] = flagged(r)
        if x.shape[1] + y.shape[1] <= WITNESS_MAX_DIMS:
            t0 = time.perf_counter()
            keep = np.random.default_rng(r["data_seed"]).permutation(len(x))[:5000]  # as witness_nats draws
            xs, ys = (_ranks(x[keep]), _ranks(y[keep])) if ranks else (x[keep], y[keep])
            item["ksg"] = float(ksg_mi(xs, ys, k=3, seed=r["data_seed"]))
            item["ksg_seconds"] = round(time.perf_counter() - t0, 2)
        else:
            item["ksg"] = None
        out.append(item)
        print(f"{i + 1}/{len(rows)} {r['task']} N={r['n']} set {r['data_seed']}: mi {r['mi']:.3f} "
              f"ksg {item['ksg'] if item['ksg'] is None else round(item['ksg'], 3)}", flush=True)
        if path:
            path.write_text(json.dumps({"rows": out}, indent=1))
    return out


def summary(rows: list[dict]) -> list[str]:
    pos = [r for r in rows if r["truth"] > 0]
    seen = [r for r in pos if r["ksg"] is not None]
    covered = [r for r in pos if r["covered"]]
    base = sum(r["flagged"] and r["covered"] for r in pos)
    lines = [f"{len(pos)} rows with MI > 0, {len(seen)} with at most {WITNESS_MAX_DIMS} features (witnessed); "
             f"{len(covered)} covered, {base} of them flagged today",
             f"{'r':>5s}  {'fires':>6s}  {'on covered rows':>16s}  {'flags on covered rows':>22s}  >10 % off unflagged"]
    for ratio in RATIOS:
        fire = [r for r in seen if r["mi"] < ratio * r["ksg"]]
        fc = sum(r["covered"] for r in fire)
        new_fc = sum(r["covered"] and not r["flagged"] for r in fire)
        left = [r for r in pos if abs(r["rel_error"]) > 0.1 and not r["flagged"] and r not in fire]
        lines.append(f"{ratio:5.2f}  {len(fire):6d}  {fc:16d}  {base + new_fc:>10d}/{len(covered)} = "
                     f"{(base + new_fc) / len(covered):5.1%}  " + "; ".join(
                         f"{r['task']} N={r['n']} set {r['data_seed']} ({r['rel_error']:+.1%})" for r in left))
    lines.append("")
    lines.append("rows more than 10 % off that no flag of today catches, and the witness's view of them:")
    for r in pos:
        if abs(r["rel_error"]) > 0.1 and not r["flagged"]:
            ratio = "no witness" if r["ksg"] is None else f"MI / KSG {r['mi'] / r['ksg']:.3f}"
            lines.append(f"  {r['task']} N={r['n']} set {r['data_seed']}: {r['rel_error']:+.1%}, truth {r['truth']:.3f}, "
                         f"MI {r['mi']:.3f}, KSG {r['ksg'] if r['ksg'] is None else round(r['ksg'], 3)}: {ratio}")
    lines.append("")
    lines.append("MI / KSG per family (witnessed rows): min, median, max; rows > 10 % off")
    fams: dict[str, list[dict]] = {}
    for r in seen:
        fams.setdefault(r["family"], []).append(r)
    for fam, mine in fams.items():
        q = sorted(r["mi"] / r["ksg"] for r in mine)
        lines.append(f"  {fam:22s} {len(mine):3d} rows  {q[0]:.3f} {q[len(q) // 2]:.3f} {q[-1]:.3f}  "
                     f"{sum(abs(r['rel_error']) > 0.1 for r in mine)}")
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", type=Path, help="write the rows here as they come")
    ap.add_argument("--summary", type=Path, help="read rows written by --json; run no KSG")
    ap.add_argument("--ranks", action="store_true", help="KSG on each feature's ranks (ties broken by order)")
    args = ap.parse_args(argv)
    rows = json.loads(args.summary.read_text())["rows"] if args.summary else measure(args.json, args.ranks)
    print("\n".join(summary(rows)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
