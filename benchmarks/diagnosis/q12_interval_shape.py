"""Issue 20 item 6 (DIAGNOSIS.md sections 16 and 33): the headline interval's shape, re-measured on the whole trust
table. For every rigorous row of ``benchmarks/trust.py`` (today's code re-derives each row's interval and flags
from its saved members), the half-width is split into its statistical part ``t sqrt(se^2 + scale)`` and its
systematic part ``z systematic`` (z the normal quantile at 68 %; today's half-width is sqrt(stat^2 + (z syst)^2)),
and candidate intervals are scored with the same centre and the same flags:

- ``linear``: stat + z syst (issue 13 to 2026-12-06);
- ``quadrature``: sqrt(stat^2 + (z syst)^2) (before issue 13, and today);
- ``stat + c z syst`` for c = 0.5, 0.75.

Printed per candidate, over the rows with MI > 0: coverage, its binomial sd, flags on covered rows, misses
without a flag, rows more than 10 % off without a flag, the median half-width as a share of the linear form's; then the
rows each candidate loses against the linear form. Flags do not depend on the half-width (``rigorous/result.py``), so
they are the same for every candidate. Re-derives from saved members; never trains.

    python benchmarks/diagnosis/q12_interval_shape.py [--n 5000|20000]
"""

import argparse
import math
import sys
from pathlib import Path

import numpy as np
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from trust import collect  # noqa: E402

from neuralmi_core.suite import flagged  # noqa: E402

Z = float(stats.norm.ppf(0.84))


def parts(row: dict) -> tuple[float, float]:
    """(statistical, z * systematic) parts of the row's half-width (nats)."""
    half = (row["ci"][1] - row["ci"][0]) / 2
    zs = Z * float(row["systematic"])
    return math.sqrt(max(half * half - zs * zs, 0.0)), zs


CANDIDATES = {
    "linear (before)": lambda s, zs: s + zs,
    "quadrature (today)": lambda s, zs: math.hypot(s, zs),
    "stat + 0.75 z syst": lambda s, zs: s + 0.75 * zs,
    "stat + 0.5 z syst": lambda s, zs: s + 0.5 * zs,
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=None, help="only rows of this N")
    args = ap.parse_args()
    rows, used = collect()
    rows = [r for r in rows if r["truth"] > 0 and (args.n is None or r["n"] == args.n)]
    print(f"{len(rows)} rows with MI > 0 from {len(used)} runs; z = {Z:.4f}")
    print("| interval | covered | sd | flags on covered rows | misses without a flag | > 10 % off, no flag "
          "| median half-width / linear's |")
    print("|---|---|---|---|---|---|---|")
    before = {}
    for name, form in CANDIDATES.items():
        cov, flag_cov, unflagged_miss, far_unflagged, ratio = [], 0, [], [], []
        for r in rows:
            s, zs = parts(r)
            h = form(s, zs)
            ratio.append(h / (s + zs) if s + zs > 0 else 1.0)
            c = abs(r["mi"] - r["truth"]) <= h
            cov.append(c)
            f = flagged(r)
            flag_cov += int(c and f)
            key = f"{r['task']} N={r['n']} set {r['data_seed']} ({r['rel_error']:+.1%})"
            if not c and not f:
                unflagged_miss.append(key)
            if abs(r["rel_error"]) > 0.10 and not f:
                far_unflagged.append(key)
            if name.startswith("linear"):
                before[key] = c
            elif before.get(key) and not c:
                print(f"    {name} loses {key}{' (flagged)' if f else ''}")
        k, n = sum(cov), len(cov)
        print(f"| {name} | {k}/{n} = {k / n:.1%} | {math.sqrt(0.68 * 0.32 / n):.1%} | {flag_cov}/{k} = "
              f"{flag_cov / max(k, 1):.1%} | {len(unflagged_miss)} | {'; '.join(far_unflagged) or '-'} "
              f"| {np.median(ratio):.2f} |")


if __name__ == "__main__":
    main()
