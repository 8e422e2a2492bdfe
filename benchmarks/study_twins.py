"""Reference truths for the non-zero cells of the study benchmark (issue 22 item 5): long twins of its sessions.

``study_planted.py`` knows exactly which cells are 0 (uncoupled pairs, contrasts off the planted pairs). A
coupled pair's count MI has no closed form: the sidecar's latent MI is only an upper bound. This script measures
it. For every session of archives ``--seed`` .. ``--seed + --archives - 1`` of a ``study_planted.py`` run (same
arguments), it re-draws the session, then simulates a **twin**: the same units (tuning vectors, rates) and
couplings (jitter factors, genotype, condition factor), ``--twin-duration`` seconds long (default 1500 s, 5x the
session). Each coupled (pair, condition) is measured on the twin with the same rigorous fit. The twin's
estimate is the session's reference truth; its CI is about sqrt(5) narrower than the session's.

``--score MAIN.json ... --twins TWINS.json ...`` then prints, for the coupled cells:

* **sessions**: how often a session's 68 % CI covers its twin's value;
* **per-session condition contrasts** (running - rest, both fits reliable, as in the session report): how often
  the 68 % and 95 % CIs cover the twin's contrast, for the condition pair (planted, truth > 0) and for the
  other coupled pairs;
* **the group mean**: the population mean of a (pair, condition, genotype) cell, estimated by the mean over all
  twins of that genotype (both genotypes for pairs other than ``--group-pair``, whose truth does not depend
  on it), and how often the study's pooled 95 % CI (random effects, HKSJ) of that cell covers it, over every
  archive of the main runs; likewise the wt - ko contrast of the group pair against the twins' difference.

The reference is itself an estimate (rigorous mode at 5x the bins; its mean's standard error is printed): a
coverage below nominal can come from the session fits' bias or from the reference's. Run:

    python benchmarks/study_twins.py --archives 5 --subjects 4 --duration 300 --json twins.json
    python benchmarks/study_twins.py --score main_a.json main_b.json --twins twins.json
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from study_planted import CONDITIONS, archive_options, binned, fit  # noqa: E402
from study_planted import parse as parse_planted  # noqa: E402

from neuralmi_core.study import study_dataset  # noqa: E402
from neuralmi_core.study.conditions import contrast  # noqa: E402
from neuralmi_core.synth.network import (  # noqa: E402
    GENOTYPES,
    build_network_nwbfile,
    make_network_params,
    simulate_network_session,
)
from neuralmi_core.synth.nwb import write_nwb  # noqa: E402

Z95 = 1.959963984540054


def parse(argv=None) -> argparse.Namespace:
    extra = argparse.ArgumentParser(add_help=False)
    extra.add_argument("--twin-duration", type=float, default=1500.0, help="seconds per twin")
    extra.add_argument("--score", nargs="+", metavar="MAIN_JSON", help="score these study_planted.py runs")
    extra.add_argument("--twins", nargs="+", metavar="TWIN_JSON", help="against these twin runs")
    known, rest = extra.parse_known_args(argv)
    args = parse_planted(rest)
    for k, v in vars(known).items():
        setattr(args, k, v)
    return args


def twin_rows(args: argparse.Namespace) -> list[dict]:
    """One rigorous row per coupled (pair, condition) of each session's twin."""
    coupled = args.coupled.split(",")
    options = archive_options(args)
    rows, t0 = [], time.time()
    n = 2 * args.subjects
    for k in range(args.archives):
        seeds = np.random.SeedSequence(args.seed + k, spawn_key=(2,)).generate_state(n, dtype=np.uint32)
        for j in range(n):
            genotype, session = GENOTYPES[j % 2], f"sub-{j + 1:02d}_ses-01_ecephys"
            session_seed = int(seeds[j])
            original = simulate_network_session(make_network_params(options), session_seed, genotype)
            twin_seed = int(np.random.SeedSequence([session_seed, 7]).generate_state(1)[0])
            twin = simulate_network_session(make_network_params({**options, "duration_s": args.twin_duration}),
                                            twin_seed, genotype, tuning_of=original)
            for pair in coupled:  # the twin's planted couplings are the session's
                a = original.truth["pairs"][pair]["mi_counts_upper_bound_nats_by_bin_width"]
                assert twin.truth["pairs"][pair]["mi_counts_upper_bound_nats_by_bin_width"] == a
            with tempfile.TemporaryDirectory() as tmp:
                path = write_nwb(build_network_nwbfile(twin, f"{j + 1:02d}", "01"), Path(tmp) / "twin.nwb")
                counts, region, masks = binned(path, args)
            for pair, c in itertools.product(coupled, CONDITIONS):
                a, b = pair.split("-")
                res = fit(counts[masks[c]][:, region == a], counts[masks[c]][:, region == b], args)
                rows.append({"archive_seed": args.seed + k, "session": session, "genotype": genotype,
                             "pair": pair, "condition": c, "n_bins": int(masks[c].sum()), "mi_nats": res.mi_nats,
                             "ci_low_nats": res.ci_low_nats, "ci_high_nats": res.ci_high_nats,
                             "reliable": bool(res.reliable)})
            print(f"archive {args.seed + k} {session} ({genotype}): "
                  + ", ".join(f"{r['pair']}/{r['condition']} {r['mi_nats']:.3f}" for r in rows[-2 * len(coupled):])
                  + f" ({time.time() - t0:.0f} s)", flush=True)
    return rows


def _cover(lo: float, hi: float, truth: float) -> bool:
    return bool(lo <= truth <= hi)


def score(main_files: list[str], twin_files: list[str]) -> int:
    twins = [r for f in twin_files for r in json.loads(Path(f).read_text())["rows"]]
    twin = {(r["archive_seed"], r["session"], r["pair"], r["condition"]): r for r in twins}
    runs = [json.loads(Path(f).read_text()) for f in main_files]
    args = argparse.Namespace(**runs[0]["args"])
    coupled = args.coupled.split(",")

    # the population mean of each coupled cell, from every twin
    ref: dict[tuple[str, str, str], tuple[float, float, int]] = {}
    for pair, c, g in itertools.product(coupled, CONDITIONS, GENOTYPES):
        v = [r["mi_nats"] for r in twins if r["pair"] == pair and r["condition"] == c
             and (r["genotype"] == g or pair != args.group_pair)]
        ref[pair, c, g] = (float(np.mean(v)), float(np.std(v, ddof=1) / math.sqrt(len(v))), len(v))

    sess, sess_rel, cond = [], [], {"planted": ([], []), "other": ([], [])}
    pooled, group_diff, twin_half = [], [], []
    for run in runs:
        a = argparse.Namespace(**run["args"])
        for k in sorted({r["archive"] for r in run["rows"]}):
            rows = [r for r in run["rows"] if r["archive"] == k]
            seed = a.seed + k
            by = {(r["session"], r["pair"], r["condition"]): r for r in rows}
            for (s, pair, c), r in by.items():
                t = twin.get((seed, s, pair, c))
                if t is None:
                    continue
                twin_half.append((t["ci_high_nats"] - t["ci_low_nats"]) / (r["ci_high_nats"] - r["ci_low_nats"]))
                ok = _cover(r["ci_low_nats"], r["ci_high_nats"], t["mi_nats"])
                sess.append(ok)
                if r["reliable"]:
                    sess_rel.append(ok)
                if c != "running":
                    continue
                q = by[s, pair, "rest"]
                if not (r["reliable"] and q["reliable"]):
                    continue
                truth = t["mi_nats"] - twin[seed, s, pair, "rest"]["mi_nats"]
                d, sd, lo, hi, *_ = contrast(r["mi_nats"], r["ci_low_nats"], r["ci_high_nats"], q["mi_nats"],
                                             q["ci_low_nats"], q["ci_high_nats"], confidence=0.68)
                which = "planted" if pair == args.condition_pair else "other"
                cond[which][0].append(_cover(lo, hi, truth))
                cond[which][1].append(abs(d - truth) <= Z95 * sd)
            ds = study_dataset(rows, group_by="genotype", contrasts=["wt-ko"], unit="nats")
            for an in ds["analysis"].values:
                pair, c = str(an).split("/")
                if pair not in coupled:
                    continue
                for g in ds["group"].values:
                    cell = ds.sel(analysis=an, group=g)
                    lo, hi = float(cell["pooled_ci_low"]), float(cell["pooled_ci_high"])
                    if math.isfinite(lo):
                        pooled.append((pair, c, str(g), _cover(lo, hi, ref[pair, c, str(g)][0])))
                if pair == args.group_pair:
                    cell = ds.sel(analysis=an, contrast="wt-ko")
                    lo, hi = float(cell["diff_ci_low"]), float(cell["diff_ci_high"])
                    if math.isfinite(lo):
                        group_diff.append(_cover(lo, hi, ref[pair, c, "wt"][0] - ref[pair, c, "ko"][0]))

    def frac(v: list[bool]) -> str:
        return f"{sum(v)}/{len(v)} = {100 * np.mean(v):.0f} %" if v else "-"

    print("Reference group means (mean over twins, nats, +- its standard error, twins):")
    for (pair, c, g), (m, se, nn) in ref.items():
        if g == "wt" or pair == args.group_pair:
            print(f"  {pair}/{c}" + (f" {g}" if pair == args.group_pair else "") + f": {m:.3f} +- {se:.3f} ({nn})")
    print(f"\ntwin CI width / session CI width: median {np.median(twin_half):.2f}")
    print("| coupled cells against the twins | covered | nominal |\n|---|---|---|")
    print(f"| session 68 % CI covers its twin's MI (all rows) | {frac(sess)} | 68 % |")
    print(f"| the same, reliable rows (the ones the study pools) | {frac(sess_rel)} | 68 % |")
    for which, label in (("planted", f"condition pair {args.condition_pair}"), ("other", "other coupled pairs")):
        print(f"| running - rest 68 % CI covers the twins' contrast, {label} | {frac(cond[which][0])} | 68 % |")
        print(f"| running - rest 95 % CI covers the twins' contrast, {label} | {frac(cond[which][1])} | 95 % |")
    print(f"| pooled 95 % CI of a coupled (pair, condition, group) cell covers the group mean | "
          f"{frac([p[3] for p in pooled])} | 95 % |")
    for pair, c in itertools.product(coupled, CONDITIONS):
        v = [p[3] for p in pooled if p[0] == pair and p[1] == c]
        print(f"|   {pair}/{c} | {frac(v)} | 95 % |")
    print(f"| wt - ko 95 % CI of {args.group_pair} covers the twins' difference | {frac(group_diff)} | 95 % |")
    return 0


def main(argv=None) -> int:
    args = parse(argv)
    if args.score:
        return score(args.score, args.twins or [])
    rows = twin_rows(args)
    if args.json:
        Path(args.json).write_text(json.dumps({"args": vars(args), "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
