"""Issue 21, DIAGNOSIS.md section 39: does rigorous mode's ``train_test_disagree`` rule mark the TE rows that are off?

Rigorous mode flags a result whose systematic part (the largest distance from the intercept to the intercepts of
the training-subset and of the held-out fit) exceeds ``SYSTEMATIC_WARN`` x max(|MI|, ``SYSTEMATIC_FLOOR_NATS``).
Transfer entropy has computed that systematic part since 2026-12-06 (its headline interval) but raises no flag.
This script applies the rule, unchanged, to every TE row with an exact truth on disk, at the planted delay, and
counts where it fires: rows off by more than 10 %, rows the 68 % CI misses, and covered rows (false alarms).

- VAR: the 40 (process, data set) pairs of ``te7_var20000_s3_{a,b}.json`` (``benchmarks/transfer.py``, N = 20,000);
- spikes: the Poisson GLM networks with an i.i.d. source and exact TE (``te9_glm_exact.jsonl``,
  ``te9_glm_exact.py``, N = 10,000), and the same data with ``critic="poisson"`` (``te9_glm_exact_poisson.jsonl``).

It also scores each series rigorous mode's ``extrapolate`` setting can regress, on the same rows.

No training::

    python benchmarks/diagnosis/te10_flag_rule.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from neuralmi_core.analysis.extrapolation import fit_extrapolation, headline_interval  # noqa: E402
from neuralmi_core.analysis.rigorous.result import SYSTEMATIC_FLOOR_NATS, SYSTEMATIC_WARN  # noqa: E402
from neuralmi_core.analysis.transfer.declaration import TRANSFER_ENTROPY  # noqa: E402

HERE = Path(__file__).resolve().parent
_DEFAULTS = TRANSFER_ENTROPY.check({"estimator": "infonce", "critic": "auto"}, has_y=True)
POISSON = "te9_glm_exact_poisson.jsonl"  # the same rows with critic="poisson" (te9_glm_exact.py --critic poisson)
KW = {k: _DEFAULTS[k] for k in ("confidence", "delta", "min_gammas")}


def score(g, mid, train, test, truth: float, extrapolate: str = "average") -> dict:
    """One row scored as rigorous mode's ``extrapolate`` setting would: the chosen series is fitted, the
    alternatives are the training-subset and held-out series other than it (both for ``average``)."""
    series = {"average": mid, "train": train, "test": test}
    fit = fit_extrapolation(np.asarray(g), np.asarray(series[extrapolate]), **KW)
    alts = [fit_extrapolation(np.asarray(g), np.asarray(series[k]), **KW) for k in ("train", "test") if k != extrapolate]
    h = headline_interval(fit, alts)
    te = fit.intercept_nats
    return {"err": te / truth - 1, "covered": h.ci_low_nats <= truth <= h.ci_high_nats,
            "flag": h.systematic_nats > SYSTEMATIC_WARN * max(abs(te), SYSTEMATIC_FLOOR_NATS),
            "ratio": h.systematic_nats / max(abs(te), SYSTEMATIC_FLOOR_NATS),
            "half": (h.ci_high_nats - h.ci_low_nats) / 2 / truth}


def var_rows(extrapolate: str = "average") -> list[dict]:
    out = []
    for h in "ab":
        for r in json.loads((HERE / f"te7_var20000_s3_{h}.json").read_text())["rows"]:
            q = np.asarray(r["pairs"], dtype=float)
            m = q[q[:, 2] == r["i"] + 1]
            out.append(score(m[:, 0], m[:, 3], m[:, 4], m[:, 5], r["truth"][r["i"]], extrapolate))
    return out


def glm_rows(extrapolate: str = "average", name: str = "te9_glm_exact.jsonl") -> list[dict]:
    out = []
    for line in (HERE / name).read_text().splitlines():
        if not line.strip():
            continue
        r = json.loads(line)
        m = [q for q in r["pairs"] if q["delay"] == r["delay"]]
        cols = [[q[c] for q in m] for c in ("gamma", "diff_nats", "diff_train_nats", "diff_test_nats")]
        out.append(score(*cols, r["truth"], extrapolate))
    return out


def main() -> None:
    print(f"rule: systematic part > {SYSTEMATIC_WARN} x max(|TE|, {SYSTEMATIC_FLOOR_NATS} nats), at the planted "
          "delay\n")
    print("| family | rows | off by > 10 %: flagged | CI misses: flagged | covered rows flagged (false alarms) "
          "| systematic / max(|TE|, floor): median [max] |")
    print("|---|---|---|---|---|---|")
    families = [("VAR, N = 20,000", var_rows), ("Poisson GLM, N = 10,000", glm_rows)]
    if (HERE / POISSON).exists():
        families.append(("Poisson GLM, critic poisson", lambda how="average": glm_rows(how, POISSON)))
    for name, fn in families:
        rows = fn()
        off = [r for r in rows if abs(r["err"]) > 0.10]
        miss = [r for r in rows if not r["covered"]]
        cov = [r for r in rows if r["covered"]]
        ratios = [r["ratio"] for r in rows]
        print(f"| {name} | {len(rows)} | {sum(r['flag'] for r in off)} of {len(off)} | "
              f"{sum(r['flag'] for r in miss)} of {len(miss)} | {sum(r['flag'] for r in cov)} of {len(cov)} | "
              f"{np.median(ratios):.2f} [{max(ratios):.2f}] |")
    print("\nThe same rows with each series rigorous mode's `extrapolate` can regress (headline interval: the "
          "statistical part and, in quadrature, the distance to the training-subset and held-out fits other than "
          "the one chosen)\n")
    print("| family | extrapolate | median error (signed) | median \\|error\\| | within 10 % | 68 % CI covers "
          "| median half-width, share of TE |")
    print("|---|---|---|---|---|---|---|")
    for name, fn in families:
        for how in ("average", "train", "test"):
            rows = fn(how)
            e = np.array([r["err"] for r in rows])
            print(f"| {name} | {how} | {100 * np.median(e):+.1f} % | {100 * np.median(abs(e)):.1f} % | "
                  f"{int((abs(e) <= 0.1).sum())} of {len(e)} | {sum(r['covered'] for r in rows)} of {len(rows)} | "
                  f"{100 * np.median([r['half'] for r in rows]):.0f} % |")


if __name__ == "__main__":
    main()
