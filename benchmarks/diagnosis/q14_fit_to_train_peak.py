"""DIAGNOSIS.md section 34: fit only up to the gamma where the training-subset MI peaks (at least MING gammas).

Re-derives every row of the trust table (``benchmarks/trust.py``) from its saved members twice, with today's
summary: as saved, and with the members above the cut left out. Prints the rows whose error moves by more than 2
points or whose coverage or flag changes, then the pooled figures of both arms. Measured, not adopted. Never trains.

    python benchmarks/diagnosis/q14_fit_to_train_peak.py [MING]
"""

import collections
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import trust  # noqa: E402
from reflag import rederive  # noqa: E402

from neuralmi_core.suite import flagged  # noqa: E402


def saved_rows() -> dict[tuple, dict]:
    """The rigorous rows with members of the trust table's runs, by (task, N, data set); a later run wins."""
    raw = {}
    for name in trust.RUNS:
        path = trust.HERE / "diagnosis" / name
        if not path.exists():
            continue
        for row in json.loads(path.read_text())["rows"]:
            if row["mode"] == "rigorous" and row.get("members") and row["task"] not in trust.STALE.get(name, ()):
                raw[(row["task"], row["n"], row["data_seed"])] = row
    return raw


def cut(row: dict, min_gammas: int) -> int:
    """The gamma where the mean training-subset MI peaks, but at least the min_gammas-th gamma."""
    by = collections.defaultdict(list)
    for m in row["members"]:
        if np.isfinite(m["mi_train_nats"]):
            by[m["gamma"]].append(m["mi_train_nats"])
    gs = sorted(by)
    peak = gs[int(np.argmax([np.mean(by[g]) for g in gs]))]
    return max(peak, gs[min(min_gammas, len(gs)) - 1])


def summary(rows: list[dict], label: str) -> None:
    rows = [r for r in rows if r["truth"] > 0 and not r.get("copula_equivalent")]
    err = np.array([abs(r["rel_error"]) for r in rows])
    cov = [r["covered"] for r in rows]
    fc = sum(1 for r in rows if r["covered"] and flagged(r))
    far = [f"{r['task']} N={r['n']} s{r['data_seed']} {r['rel_error']:+.1%}" for r in rows
           if abs(r["rel_error"]) > 0.1 and not flagged(r)]
    print(f"{label}: rows {len(rows)} median {np.median(err):.2%} mean {err.mean():.2%} covered {sum(cov)}/{len(cov)} "
          f"= {np.mean(cov):.1%}, flags on covered {fc}/{sum(cov)}; > 10 % off without a flag: {far or '-'}")


def main() -> None:
    min_gammas = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    fam = {t.name: t.family for t in trust.select_tasks()}
    today, shortened = [], []
    for key, row in sorted(saved_rows().items()):
        a = rederive(row)
        c = cut(row, min_gammas)
        b = rederive(dict(row, members=[m for m in row["members"] if m["gamma"] <= c]))
        a["family"] = b["family"] = fam.get(row["task"], "?")
        today.append(a)
        shortened.append(b)
        if a["truth"] > 0 and (abs(a["rel_error"] - b["rel_error"]) > 0.02 or a["covered"] != b["covered"]
                               or flagged(a) != flagged(b)):
            def tag(r):
                return ("C" if r["covered"] else "-") + ("F" if flagged(r) else " ")
            print(f"{key[0]:28s} N={key[1]:5d} s{key[2]} cut {c:2d}: {a['rel_error']:+.1%} {tag(a)} -> "
                  f"{b['rel_error']:+.1%} {tag(b)}")
    summary(today, "today")
    summary(shortened, f"cut at the training-subset peak (at least {min_gammas} gammas)")


if __name__ == "__main__":
    main()
