"""The measured accuracy behind "when to trust a number": one table, generated, in three places.

    python benchmarks/trust.py            # re-derive, then write the two generated copies
    python benchmarks/trust.py --check    # exit 1 when a copy is stale (tests/test_report.py runs this)

Reads the rigorous rows of the suite runs in :data:`RUNS` (``benchmarks/suite.py --json`` files in
``benchmarks/diagnosis/``, every member saved), re-derives each row's interval and flags from its members
with today's code (``benchmarks/reflag.py``: the same networks, today's summary), keeps the last run of each
(task, N, data set) in :data:`RUNS` order (later runs are the re-measurements with today's defaults), and
pools them per family (:func:`neuralmi_core.suite.pool`). It writes

* ``neuralmi_core/report/accuracy_table.py``: the table as data, from which the session report's section
  "When to trust these numbers" is drawn (:mod:`neuralmi_core.report.trust`);
* the block between ``<!-- trust-table:start -->`` and ``<!-- trust-table:end -->`` in
  ``benchmarks/README.md``.

Rows are rigorous mode only (the number to quote) at the library defaults (critic ``auto``). A run made
before a default changed for some task is listed in :data:`STALE` for those tasks and left out.
"""

from __future__ import annotations

import argparse
import json
import math
import pprint
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from reflag import rederive  # noqa: E402

from neuralmi_core.suite import flagged, pool, select_tasks  # noqa: E402

#: Suite runs, oldest first; a later run's row replaces an earlier one of the same (task, N, data set).
RUNS = (
    "i1_rig5000_a.json", "i1_rig5000_b.json",  # the standard families, N = 5000, data sets 0-2
    "i2_rig20000_a.json", "i2_rig20000_b.json",  # N = 20000, data set 0
    "i5_20000_s12_a.json", "i5_20000_s12_b.json",  # N = 20000, data sets 1-2
    "i6_20000_a.json", "i6_20000_b.json",  # N = 20000, the tasks not in i2
    "p4_pop_rig5000_s1_poisson_lr4x.json",  # tuned populations, data set 1 (auto = poisson for these)
    "p5_pop_rig5000_s02_auto.json",  # every population family, data sets 0 and 2
    "p6_pop_rig20000_s1_auto.json",  # place2d and hd-40 at N = 20000
    "p7_pop_rig5000_s1_auto.json",  # the other population families and the poisson tasks, data set 1
    "p8_poisson_rig5000_s02_auto.json",  # the poisson tasks, data sets 0 and 2
    "p9_pop_rig20000_s02_auto.json",  # place2d and hd-40 at N = 20000, data sets 0 and 2
    "p10_pop_rig20000_s0_a.json", "p10_pop_rig20000_s0_b.json",  # the other population families and the poisson
    "p10_pop_rig20000_s1_a.json", "p10_pop_rig20000_s1_b.json",  # tasks at N = 20000, data sets 0-2
    "p10_pop_rig20000_s2_a.json", "p10_pop_rig20000_s2_b.json",
    "p10_mixture3_rig5000_s1.json",  # mixture3-2x2 at N = 5000, data set 1 (the one row the table lacked)
    # N = 5000, data sets 3 and 4 of every task but the copula twins: run after far_extrapolation was chosen on the
    # rows above, as a held-out check of the interval and every flag (DIAGNOSIS.md section 35)
    "v1_rig5000_s34_a.json", "v1_rig5000_s34_b.json",
)
#: Runs made before the default critic became ``auto`` (poisson for counts against a variable): their rows
#: of these tasks measured another critic, so they are not evidence for today's defaults.
STALE = dict.fromkeys(RUNS[:8], ("poisson-16x2", "poisson-independent-16x2"))
#: What kind of data a family stands for, for the report (which rows resemble the analysis at hand).
KIND = {"place cells": "counts_vs_variable", "head direction": "counts_vs_variable", "grid cells": "counts_vs_variable",
        "mixed selectivity": "counts_vs_variable", "poisson": "counts_vs_variable",
        "shared latent": "counts_vs_counts", "slow place cells": "slow", "slow head direction": "slow",
        "slow shared latent": "slow"}
TABLE_PY = ROOT / "neuralmi_core" / "report" / "accuracy_table.py"
README = HERE / "README.md"
START, END = "<!-- trust-table:start -->", "<!-- trust-table:end -->"


def collect() -> tuple[list[dict], list[str]]:
    """Today's rows (re-derived, last run wins) and the runs read."""
    families = {t.name: t.family for t in select_tasks()}
    rows: dict[tuple, dict] = {}
    used = []
    for name in RUNS:
        path = HERE / "diagnosis" / name
        if not path.exists():  # listed for a later session: the table says which runs it still lacks
            continue
        used.append(name)
        for row in json.loads(path.read_text())["rows"]:
            if row["mode"] != "rigorous" or not row.get("members") or row["task"] in STALE.get(name, ()):
                continue
            r = rederive(row)
            r["family"] = families.get(r["task"], r.get("family", "?"))
            rows[(r["task"], r["n"], r["data_seed"])] = r
    return sorted(rows.values(), key=lambda r: (r["family"], r["task"], r["n"], r["data_seed"])), used


def _pct(v: float) -> float | None:
    return None if v is None or not math.isfinite(v) else round(100 * v, 1)


def summarize(rows: list[dict], used: list[str]) -> dict:
    """The table as data: pooled figures, per family, and the rows."""
    def figures(mine: list[dict]) -> dict:
        p = pool(mine).get("rigorous", {})
        return {"rows": p.get("rows", 0), "median_abs_error_pct": _pct(p.get("median_abs_rel_error")),
                "worst_abs_error_pct": _pct(p.get("worst_abs_rel_error")), "worst": p.get("worst", ""),
                "ci_covers": p.get("ci_covers", 0), "ci_rows": p.get("ci_rows", 0),
                "flagged": p.get("flagged", 0), "flagged_covered": p.get("flagged_covered", 0),
                "unflagged_misses": p.get("unflagged_misses", []),
                "zero_rows": p.get("rows", 0) - p.get("ci_rows", 0), "ci_contains_0": p.get("ci_contains_0", 0)}

    fams = sorted({r["family"] for r in rows if not r.get("copula_equivalent")})
    return {
        "generated_by": "python benchmarks/trust.py", "runs": used, "missing_runs": [r for r in RUNS if r not in used],
        "mode": "rigorous", "confidence": 0.68,
        "pooled": figures(rows),
        "families": [{"family": f, "kind": KIND.get(f, "continuous"),
                      "tasks": sorted({r["task"] for r in rows if r["family"] == f}),
                      "sizes": sorted({r["n"] for r in rows if r["family"] == f}),
                      **figures([r for r in rows if r["family"] == f])} for f in fams],
        "rows": [{"task": r["task"], "family": r["family"], "n": r["n"], "data_seed": r["data_seed"],
                  "truth_nats": round(r["truth"], 4), "error_pct": _pct(r["rel_error"]),
                  "error_nats": round(r["error"], 4), "covered": r["covered"], "flagged": flagged(r),
                  "flags": sorted(r["flags"])} for r in rows if not r.get("copula_equivalent")],
    }


def table_py(data: dict) -> str:
    return ('"""The measured accuracy of rigorous mode per benchmark family: GENERATED by `python benchmarks/trust.py`\n'
            'from the suite runs it names (do not edit; the session report\'s "When to trust these numbers" is drawn\n'
            'from it, and tests/test_report.py checks that it is up to date)."""\n\n'
            f"TABLE = {pprint.pformat(data, width=116, sort_dicts=False)}\n")


def _cov(f: dict) -> str:
    return f"{f['ci_covers']}/{f['ci_rows']}" if f["ci_rows"] else "–"


def table_md(data: dict) -> str:
    p = data["pooled"]
    lines = [START, "",
             f"Generated by `python benchmarks/trust.py` from {len(data['runs'])} suite runs in `diagnosis/` "
             "(rigorous mode, library defaults, every row's interval and flags re-derived from its saved members "
             "with today's code). \"Flagged\": a flag that says the interval is likely to miss fired."
             + (f" Runs listed in `trust.py` but not made yet: {', '.join(data['missing_runs'])}."
                if data["missing_runs"] else ""), "",
             "| family | tasks | N | rows | median abs error | worst | 68 % CI covers | flagged (of which covered) | "
             "misses without a flag | MI = 0: CI contains 0 |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for f in data["families"] + [{"family": "**all**", "tasks": [], "sizes": [], **p}]:
        med = "–" if f["median_abs_error_pct"] is None else f"{f['median_abs_error_pct']:.1f} %"
        worst = "–" if f["worst_abs_error_pct"] is None else f"{f['worst_abs_error_pct']:.1f} %"
        zero = f"{f['ci_contains_0']}/{f['zero_rows']}" if f["zero_rows"] else "–"
        lines.append(f"| {f['family']} | {', '.join(f['tasks'])} | {', '.join(map(str, f['sizes']))} | {f['rows']} | "
                     f"{med} | {worst} | {_cov(f)} | {f['flagged']} ({f['flagged_covered']}) | "
                     f"{', '.join(f['unflagged_misses']) or '–'} | {zero} |")
    lines += ["", END]
    return "\n".join(lines)


def readme_with(block: str, start: str = START, end: str = END) -> str:
    """benchmarks/README.md with the block between the ``start`` and ``end`` markers replaced by ``block``."""
    text = README.read_text()
    if start not in text or end not in text:
        raise SystemExit(f"{README}: no {start} ... {end} block to fill")
    head, rest = text.split(start, 1)
    return head + block + rest.split(end, 1)[1]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="exit 1 when a generated copy is stale; write nothing")
    args = ap.parse_args(argv)
    data = summarize(*collect())
    want = {TABLE_PY: table_py(data), README: readme_with(table_md(data))}
    stale = [p for p, text in want.items() if not p.exists() or p.read_text() != text]
    if args.check:
        for p in stale:
            print(f"stale: {p.relative_to(ROOT)} (run python benchmarks/trust.py)")
        return 1 if stale else 0
    for p in stale:
        p.write_text(want[p])
        print(f"wrote {p.relative_to(ROOT)}")
    print(table_md(data))
    return 0


if __name__ == "__main__":
    sys.exit(main())
