"""Rigorous mode with every fit weight-averaged against the trust table's rows of the same data sets.

    python benchmarks/diagnosis/q5_compare.py q5_rig5000_s1_wa1.json q5_rig5000_s1_wa1_rest.json

Re-derives the given runs' rows with today's code (``benchmarks/reflag.py``), takes the trust table's rows
(``benchmarks/trust.py``) of the same (task, N, data set), and prints both per row and pooled.
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import json  # noqa: E402

from reflag import rederive  # noqa: E402
from trust import collect  # noqa: E402

from neuralmi_core.suite import flagged, pool  # noqa: E402


def cell(r: dict) -> str:
    """One row's error and coverage (``F``: flagged); for MI = 0, the estimate and whether the CI contains 0."""
    if r["truth"] == 0:
        return f"{r['mi']:+.3f} {'0 in' if r['ci'][0] <= 0 <= r['ci'][1] else 'MISS'}"
    return f"{100 * r['rel_error']:+6.1f}% {'cov' if r['covered'] else 'MISS'}{'F' if flagged(r) else ' '}"


def main(names: list[str]) -> None:
    new = {}
    for name in names:
        path = Path(name) if Path(name).exists() else HERE / name
        for row in json.loads(path.read_text())["rows"]:
            r = rederive(row)
            new[(r["task"], r["n"], r["data_seed"])] = r
    old = {(r["task"], r["n"], r["data_seed"]): r for r in collect()[0]}
    keys = sorted(k for k in new if k in old)
    print(f"{'task':28s} {'today':>16s} {'averaged':>16s}")
    for k in keys:
        print(f"{k[0]:28s} {cell(old[k]):>16s} {cell(new[k]):>16s}")
    for label, rows in (("today", [old[k] for k in keys]), ("averaged", [new[k] for k in keys])):
        rows = [r for r in rows if not r.get("copula_equivalent")]
        p = pool(rows)["rigorous"]
        print(f"{label:9s} rows {p['rows']}: median |err| {100 * p['median_abs_rel_error']:.1f} %, CI covers "
              f"{p['ci_covers']}/{p['ci_rows']}, flagged {p['flagged']} (covered {p['flagged_covered']}), "
              f"misses without a flag {len(p['unflagged_misses'])}, MI = 0: {p['ci_contains_0']} contain 0")


if __name__ == "__main__":
    main(sys.argv[1:])
