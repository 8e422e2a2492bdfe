"""Re-derive the rigorous rows' flags and CIs from the member tables saved in suite JSON, with today's code.

    python benchmarks/reflag.py benchmarks/diagnosis/i1_rig5000_*.json [--json out.json]

``benchmarks/suite.py --json`` keeps every rigorous member (gamma, seed, chunk, sizes, training-subset and
held-out MI). A change to the summary (a flag's threshold, the interval) is then measured on the same
trained networks without training again: this prints, per row, the flags stored in the file and the flags
and CI that :func:`~neuralmi_core.analysis.rigorous.summarize_rigorous` gives now, and the pooled figures
(coverage, misses without a flag, flagged rows that covered anyway). Rows without members (runs before
they were saved) are skipped. Not a test.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from suite import print_pool  # noqa: E402  (benchmarks/suite.py: the same pooled line)

from neuralmi_core.analysis.rigorous import summarize_rigorous  # noqa: E402
from neuralmi_core.analysis.rigorous.result import RigorousMember  # noqa: E402
from neuralmi_core.suite import pool, score  # noqa: E402


def rederive(row: dict) -> dict:
    members = [RigorousMember.from_dict(m) for m in row["members"]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = summarize_rigorous(members, {"estimator": row.get("options", {}).get("estimator", "infonce")},
                                 {"n_samples": row["n"]}, confidence=row.get("confidence", 0.68))
    kept = {k: v for k, v in row.items() if k != "members"}  # the members stay in the source file
    return score({**kept, "mi": res.mi_nats, "ci": [res.ci_low_nats, res.ci_high_nats], "flags": list(res.flags),
                  "warnings": list(res.warnings), "systematic": res.systematic_nats, "stored_flags": row["flags"]})


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="+", type=Path)
    ap.add_argument("--json", type=Path, help="write the re-derived rows and pooled figures here")
    args = ap.parse_args(argv)
    rows = []
    for path in args.files:
        data = json.loads(path.read_text())
        rows += [r for r in data["rows"] if r["mode"] == "rigorous" and r.get("members")]
    if not rows:
        print("no rigorous rows with saved members in these files", file=sys.stderr)
        return 1
    new = [rederive(r) for r in rows]
    print(f"{'task':26s} {'N':>6s} set {'rel':>7s} {'68% CI':17s} cov  stored flags -> flags now")
    for r in sorted(new, key=lambda r: (r["task"], r["n"], r["data_seed"])):
        rel = f"{r['rel_error']:+.1%}" if r["truth"] > 0 else f"{r['mi']:+.3f}"
        print(f"{r['task'][:26]:26s} {r['n']:6d} {r['data_seed']:3d} {rel:>7s} [{r['ci'][0]:.3f}, {r['ci'][1]:.3f}] "
              f"{'yes' if r['covered'] else 'NO ':3s}  {','.join(r['stored_flags']) or '-'} -> {','.join(r['flags']) or '-'}")
    summary = pool(new)
    print_pool(summary)
    if args.json:
        args.json.write_text(json.dumps({"rows": new, "pooled": summary}, indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
