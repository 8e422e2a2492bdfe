"""Compare suite runs side by side: one column per ``benchmarks/suite.py --json`` file, one row per task.

    python benchmarks/compare.py base.json concat.json h64.json [--field rel|mi|train|gap|covered]

Each cell is the mean over the file's data sets (and N, unless ``--n`` picks one) of the chosen field:
``rel`` the relative error of the estimate (default), ``mi`` the estimate, ``train`` the critic's
training-subset MI at the chosen checkpoint (estimate mode), ``gap`` train minus held-out MI, ``covered``
the fraction of data sets whose CI covers the truth (rigorous mode). Column names are the file names
without ``.json``. Not a test.
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
    if field == "covered":
        return float(row["covered"]) if "covered" in row else math.nan
    return row[field]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("files", nargs="+")
    p.add_argument("--field", default="rel", choices=("rel", "mi", "train", "gap", "covered"))
    p.add_argument("--n", type=int, default=None, help="only rows with this N")
    p.add_argument("--mode", default=None, help="only rows of this mode")
    p.add_argument("--data-seeds", default=None, help="only these data sets (comma-separated)")
    p.add_argument("--markdown", action="store_true", help="print a markdown table")
    args = p.parse_args(argv)
    cols, tasks, truth = [], [], {}
    cells: dict[tuple[str, str], list[float]] = {}
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
            cells.setdefault((r["task"], name), []).append(value(r, args.field))
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
