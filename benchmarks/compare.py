"""Compare suite runs side by side: one column per ``benchmarks/suite.py --json`` file, one row per task.

    python benchmarks/compare.py base.json concat.json h64.json [--field rel|mi|train|gap|covered]

Each cell is the mean over the file's data sets (and N, unless ``--n`` picks one) of the chosen field:
``rel`` the relative error of the estimate (default), ``mi`` the estimate, ``train`` the critic's
training-subset MI at the chosen checkpoint (estimate mode), ``gap`` train minus held-out MI, ``covered``
the fraction of data sets whose CI covers the truth (rigorous mode), ``seconds`` the wall time of the
row. Column names are the file names without ``.json``.

Below the table, one line per column pools it: the median and worst |relative error| over tasks with MI > 0
(mean over data sets first), the largest |MI| on MI = 0 tasks, the total seconds and the median over tasks of
the seconds relative to the first column (the runs' own wall times: compare files made under the same load).
``--by-family`` also prints the median |relative error| per family and column. Not a test.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np


def value(row: dict, field: str) -> float:
    if field == "rel":
        return row["rel_error"] if row["truth"] > 0 else row["mi"]
    if field == "gap":
        return row.get("mi_train", math.nan) - row["mi"]
    if field == "train":
        return row.get("mi_train", math.nan)
    if field == "seconds":
        return row.get("seconds", math.nan)
    if field == "covered":
        return float(row["covered"]) if "covered" in row else math.nan
    return row[field]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("files", nargs="+")
    p.add_argument("--field", default="rel", choices=("rel", "mi", "train", "gap", "covered", "seconds"))
    p.add_argument("--n", type=int, default=None, help="only rows with this N")
    p.add_argument("--mode", default=None, help="only rows of this mode")
    p.add_argument("--data-seeds", default=None, help="only these data sets (comma-separated)")
    p.add_argument("--markdown", action="store_true", help="print a markdown table")
    p.add_argument("--by-family", action="store_true", help="also the median |relative error| per family")
    args = p.parse_args(argv)
    cols, tasks, truth = [], [], {}
    cells: dict[tuple[str, str], list[float]] = {}
    rel: dict[tuple[str, str], list[float]] = {}  # |relative error| (MI > 0) or |MI| (MI = 0), for the pooled lines
    secs: dict[tuple[str, str], list[float]] = {}
    family: dict[str, str] = {}
    for f in args.files:
        name = Path(f).stem
        cols.append(name)
        for r in json.loads(Path(f).read_text())["rows"]:
            if (args.n and r["n"] != args.n) or (args.mode and r["mode"] != args.mode) or (
                    args.data_seeds and str(r["data_seed"]) not in args.data_seeds.split(",")):
                continue
            if r["task"] not in tasks:
                tasks.append(r["task"])
            truth[r["task"]] = r["truth"]
            family[r["task"]] = r.get("family", "")
            cells.setdefault((r["task"], name), []).append(value(r, args.field))
            rel.setdefault((r["task"], name), []).append(abs(value(r, "rel")))
            secs.setdefault((r["task"], name), []).append(value(r, "seconds"))
    width = max(10, *(len(c) + 1 for c in cols))
    print(f"{args.field}: mean over data sets" + (f", N={args.n}" if args.n else ""))
    if args.markdown:
        print("| task | true | " + " | ".join(cols) + " |\n|---|---|" + "---|" * len(cols))
    else:
        print(f"{'task':<27}{'true':>7}" + "".join(f"{c:>{width}}" for c in cols))
    for t in tasks:
        out = []
        for c in cols:
            v = cells.get((t, c))
            if not v:
                out.append("")
            elif args.field == "rel" and truth[t] > 0:
                out.append(f"{np.mean(v):+.1%}")
            else:
                out.append(f"{np.mean(v):.3f}")
        if args.markdown:
            print(f"| {t} | {truth[t]:.3f} | " + " | ".join(out) + " |")
        else:
            print(f"{t:<27}{truth[t]:>7.3f}" + "".join(f"{o:>{width}}" for o in out))
    print(pooled_lines(cols, tasks, truth, rel, secs))
    if args.by_family:
        print(family_table(cols, tasks, truth, family, rel))
    return 0


def _mean(v: list[float] | None) -> float:
    return float(np.mean(v)) if v else math.nan


def pooled_lines(cols: list[str], tasks: list[str], truth: dict, rel: dict, secs: dict) -> str:
    """Per column: median / worst |relative error| (MI > 0), largest |MI| (MI = 0), seconds, time ratio."""
    lines = ["", "pooled (mean over data sets per task first):"]
    for c in cols:
        pos = [(t, _mean(rel.get((t, c)))) for t in tasks if truth[t] > 0 and (t, c) in rel]
        zero = [_mean(rel.get((t, c))) for t in tasks if truth[t] == 0 and (t, c) in rel]
        ratios = [_mean(secs.get((t, c))) / _mean(secs.get((t, cols[0]))) for t in tasks
                  if (t, c) in secs and (t, cols[0]) in secs and _mean(secs.get((t, cols[0]))) > 0]
        total = sum(_mean(secs.get((t, c))) for t in tasks if (t, c) in secs)
        if not pos:
            lines.append(f"  {c}: no rows")
            continue
        worst = max(pos, key=lambda tv: tv[1])
        lines.append(f"  {c}: {len(pos)} tasks with MI > 0, median |rel err| {np.median([v for _, v in pos]):.1%}, "
                     f"worst {worst[1]:.1%} ({worst[0]}); MI = 0 tasks: largest |MI| "
                     f"{max(zero) if zero else math.nan:.3f}; {total:.0f} s in all, median time ratio to "
                     f"{cols[0]} {np.median(ratios) if ratios else math.nan:.2f} (max {max(ratios, default=math.nan):.1f})")
    return "\n".join(lines)


def family_table(cols: list[str], tasks: list[str], truth: dict, family: dict, rel: dict) -> str:
    fams = list(dict.fromkeys(family[t] for t in tasks if truth[t] > 0))
    lines = ["", "median |rel err| per family (tasks with MI > 0):",
             "| family | tasks | " + " | ".join(cols) + " |", "|---|---|" + "---|" * len(cols)]
    for f in fams:
        ts = [t for t in tasks if family[t] == f and truth[t] > 0]
        vals = []
        for c in cols:
            v = [_mean(rel.get((t, c))) for t in ts if (t, c) in rel]
            vals.append(f"{np.median(v):.1%}" if v else "")
        lines.append(f"| {f} | {len(ts)} | " + " | ".join(vals) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
