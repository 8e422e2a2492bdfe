"""Candidate thresholds of rigorous mode's three thresholded "likely misses" flags, measured on every row of the trust
table.

    python benchmarks/flag_rules.py [--ratios 0.1,0.2,0.3] [--drops 0.2,0.3,0.5] [--shares 0,0.25,0.333,0.4,0.5]

Reads the rows of :data:`trust.RUNS` (``benchmarks/trust.py``: today's defaults, last run of each task, N and
data set wins) and, from each row's saved members, the two statistics the flags threshold:

* ``infonce_k_bias``: fires when ``e^MI >= ratio * K`` (K the smallest members' ``n_eval``), i.e. the margin
  ``log K - MI <= -log(ratio)``;
* ``sample_limited``: fires when the training-subset MI falls with gamma (t < -3) by more than ``drop`` times
  ``max(|MI|, 0.1)`` over the gammas of the fit;
* ``far_extrapolation``: fires when the members at the largest gamma of the fit find, on held-out data, less than
  ``share`` times the MI (MI > 0.1 nats; share 0: off). The (ratio, drop) grid uses today's share, the share
  sweep today's ratio and drop.

``train_test_disagree`` is kept as it fired. For each (ratio, drop) it prints the flags on rows whose CI
covered the truth (the false-alarm rate; goal <= 15 %), the misses left without a flag, and the rows more
than 10 % off left without one (goal: none). Then the same statistics of the rows measured with the
``separable`` critic on the populations (``p1``/``p4`` runs, not today's default there but what a user who
sets ``critic: separable`` gets), which a rule must still flag. Not a test; re-derives, never trains.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from reflag import rederive  # noqa: E402
from trust import RUNS, collect  # noqa: E402

from neuralmi_core.analysis.extrapolation import training_mi_trend  # noqa: E402
from neuralmi_core.analysis.rigorous.result import (  # noqa: E402
    FAR_SHARE,
    TREND_DROP,
    TREND_T,
    RigorousMember,
    smallest_chunks_share,
)
from neuralmi_core.results import K_BIAS_RATIO as _RATIOS  # noqa: E402

K_BIAS_RATIO = _RATIOS["rigorous"]

SEPARABLE = ("p1_pop_rig5000_s1.json", "p4_pop_rig5000_s1_separable.json")


def statistics(row: dict, members: list[dict]) -> dict:
    """The k-bias margin and the training-subset fall (fraction of the MI, and its t) of one row."""
    ms = [RigorousMember.from_dict(m) for m in members]
    used = row.get("gammas_used") or sorted({m.gamma for m in ms})
    lo, hi = used[0], used[-1]
    fit = [m for m in ms if lo <= m.gamma <= hi]
    slope, t = training_mi_trend([m.gamma for m in fit], [m.mi_train_nats for m in fit])
    share = smallest_chunks_share(ms, hi, row["mi"])
    return {"margin": math.log(min(m.n_eval for m in ms)) - row["mi"],
            "drop": -slope * (hi - lo) / max(abs(row["mi"]), 0.1), "t": t, "share": share}


def flagged(row: dict, ratio: float, drop: float, share: float = FAR_SHARE) -> bool:
    return (row["margin"] <= -math.log(ratio) or (row["t"] < -TREND_T and row["drop"] > drop)
            or row["share"] < share or "train_test_disagree" in row["flags"])


def line(pos: list[dict], covered: int, ratio: float, drop: float, share: float) -> str:
    fc = sum(flagged(r, ratio, drop, share) and r["covered"] for r in pos)
    mu = sum(not flagged(r, ratio, drop, share) and not r["covered"] for r in pos)
    big = [f"{r['task']} N={r['n']} set {r['data_seed']} ({r['rel_error']:+.1%})" for r in pos
           if abs(r["rel_error"]) > 0.10 and not flagged(r, ratio, drop, share)]
    return (f"{ratio:5.2f} {drop:5.2f} {share:5.3f}  {fc:3d}/{covered} = {fc / covered:5.1%}       {mu:3d}"
            f"                {len(big)}  {'; '.join(big)}")


def rows_of(names: tuple[str, ...]) -> dict[tuple, dict]:
    """The rigorous rows with saved members of these runs, by (task, N, data set); a later run wins."""
    out = {}
    for name in names:
        path = HERE / "diagnosis" / name
        if path.exists():
            for r in json.loads(path.read_text())["rows"]:
                if r["mode"] == "rigorous" and r.get("members"):
                    out[(r["task"], r["n"], r["data_seed"])] = r
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ratios", default="0.1,0.2,0.3")
    ap.add_argument("--drops", default="0.2,0.3,0.5")
    ap.add_argument("--shares", default="0,0.25,0.333,0.4,0.5")
    args = ap.parse_args(argv)
    rows, used = collect()
    saved = rows_of(tuple(used))
    pos = [{**r, **statistics(r, saved[(r["task"], r["n"], r["data_seed"])]["members"])}
           for r in rows if r["truth"] > 0]
    covered = sum(r["covered"] for r in pos)
    print(f"{len(pos)} rows with MI > 0 from {len(used)} runs; {covered} covered by their 68 % CI")
    head = f"{'ratio':>5s} {'drop':>5s} {'share':>5s}  flags on covered rows   misses unflagged   >10 % off unflagged"
    print(head)
    for ratio in map(float, args.ratios.split(",")):
        for drop in map(float, args.drops.split(",")):
            print(line(pos, covered, ratio, drop, FAR_SHARE))
    print(f"\nfar_extrapolation's share at today's ratio {K_BIAS_RATIO} and drop {TREND_DROP}:\n{head}")
    for share in map(float, args.shares.split(",")):
        print(line(pos, covered, K_BIAS_RATIO, TREND_DROP, share))
    print("\nseparable critic on the populations (must stay flagged where > 10 % off):")
    for key, raw in sorted(rows_of(SEPARABLE).items()):
        if raw["truth"] <= 0:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = rederive(raw)
        s = statistics(r, raw["members"])
        print(f"  {key[0]:22s} {r['rel_error']:+6.1%} covered {'yes' if r['covered'] else 'no ':3s} "
              f"margin {s['margin']:.2f} drop {s['drop']:.2f} t {s['t']:6.1f} share {s['share']:.2f}")
    missing = [r for r in RUNS if r not in used]
    if missing:
        print("\nruns listed in trust.RUNS but not made yet:", ", ".join(missing))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
