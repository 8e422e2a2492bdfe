"""Take a rigorous run apart: which member MI extrapolates where, and which part of the headline CI is how big.

    python benchmarks/ci_parts.py run.json [more.json ...] [--markdown]

Reads ``benchmarks/suite.py --json`` files and prints, per rigorous row: the truth, the intercepts of the
three fits (``average`` = the headline, ``train`` = training-subset MI, ``test`` = held-out MI), the naive
full-data MI, the parts of the headline interval (``fit_se``: the fit's standard error; ``shared``: the
shared data-set noise; ``syst``: the train/held-out disagreement), the CI half-width, the error and the
error in half-widths, and the per-gamma mean training-subset and held-out MI at gamma 1, 5 and 10.
A miss with small ``syst`` and both intercepts on the same side of the truth is a bias that no part of
the interval represents. Not a test.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

COLS = ("task", "N", "set", "true", "average", "train", "test", "naive", "fit_se", "shared", "syst", "half", "error",
        "err/half", "covers", "train g1/5/10", "held-out g1/5/10")


def per_gamma(d: dict, g: int) -> float:
    return d.get(str(g), d.get(g, math.nan))


def cells(r: dict) -> list[str]:
    it = r["intercepts"]
    half = (r["ci"][1] - r["ci"][0]) / 2
    err = r["mi"] - r["truth"]
    tr = "/".join(f"{per_gamma(r['per_gamma_train'], g):.3f}" for g in (1, 5, 10))
    te = "/".join(f"{per_gamma(r['per_gamma_test'], g):.3f}" for g in (1, 5, 10))
    return [r["task"], str(r["n"]), str(r["data_seed"]), f"{r['truth']:.3f}", f"{it['average']:.3f}",
            f"{it['train']:.3f}", f"{it['test']:.3f}", f"{r['naive']:.3f}", f"{r['se']:.3f}", f"{r['shared_se']:.3f}",
            f"{r['systematic']:.3f}", f"{half:.3f}", f"{err:+.3f}", f"{err / half:+.1f}", "yes" if r["covered"] else "NO",
            tr, te]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("files", nargs="+")
    p.add_argument("--markdown", action="store_true")
    args = p.parse_args(argv)
    rows = [r for f in args.files for r in json.loads(Path(f).read_text())["rows"] if r["mode"] == "rigorous"]
    table = [cells(r) for r in rows]
    if args.markdown:
        print("| " + " | ".join(COLS) + " |\n|" + "---|" * len(COLS))
        for c in table:
            print("| " + " | ".join(c) + " |")
        return 0
    widths = [max(len(h), *(len(c[i]) for c in table)) if table else len(h) for i, h in enumerate(COLS)]
    print("  ".join(h.rjust(w) for h, w in zip(COLS, widths, strict=True)))
    for c in table:
        print("  ".join(v.rjust(w) for v, w in zip(c, widths, strict=True)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
