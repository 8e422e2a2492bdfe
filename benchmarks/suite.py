"""Accuracy suite (issue 13): estimate() and rigorous() on tasks with exact MI; prints a table and pooled figures.

    OMP_NUM_THREADS=1 python benchmarks/suite.py                       # the full grid (hours on a CPU)
    python benchmarks/suite.py --list                                  # tasks, families, true MI
    python benchmarks/suite.py --tasks student sparse-25 --n 5000 --data-seeds 0 --modes estimate
    python benchmarks/suite.py --tasks spiral --option hidden=512 --option n_layers=2 --json out.json

Per row: task, N, data set, mode, true MI, estimate (and for estimate() the critic's training-subset MI),
relative error, for rigorous() the corrected MI, its headline 68 % CI and whether it covers the truth,
flags and warnings (short tags; full text in --json), wall time. Pooled per mode: median and worst
|relative error| over tasks with MI > 0, CI coverage over (task, N, data set) rows, and for MI = 0 tasks
whether the CI contains 0. Samples are i.i.d., so runs use ``split="random"``, except the slow (autocorrelated)
tasks, whose per-task settings run them with ``split="blocked"``. ``--option KEY=VALUE`` passes
an estimator setting to every mode whose function takes it (e.g. hidden=512, critic=concat,
estimator=smile, preprocess=zscore, gammas=1-6; a VALUE starting with { or [ is JSON, e.g.
options={"marginal_hidden": 128}), to compare candidate defaults on the same grid.
Tasks marked * are copula-equivalent to a Gaussian (regression only, SPEC §8). Not a test.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from neuralmi_core.suite import (
    DEFAULT_DATA_SEEDS,
    DEFAULT_NS,
    MODES,
    parse_option,
    pool,
    route_options,
    run_one,
    select_tasks,
)

TAGS = (("ceiling", "ceiling"), ("extrapolations disagree", "train_test_disagree"), ("of log(n_eval)", "infonce_k_bias"),
        ("min_chunk", "small-chunks"), ("unreliable", "unreliable"), ("diverged", "diverged"), ("still rises", "rising"))


def tags(row: dict) -> str:
    out = list(row.get("flags", []))
    for w in row.get("warnings", []):
        out += [t for key, t in TAGS if key in w and t not in out]
    return ",".join(out) or "-"


def fmt_row(r: dict) -> str:
    rel = "" if math.isnan(r["rel_error"]) else f"{r['rel_error']:+.1%}"
    if r["mode"] == "estimate":
        extra = f"train {r['mi_train']:.3f}"
        ci, cov = "", ""
    else:
        extra = f"naive {r['naive']:.3f}"
        ci = f"[{r['ci'][0]:.3f}, {r['ci'][1]:.3f}]"
        cov = "yes" if r["covered"] else "NO"
    star = "*" if r["copula_equivalent"] else " "
    return (f"{r['task'] + star:<27}{r['n']:>6}{r['data_seed']:>4} {r['mode']:<9}{r['truth']:>7.3f}{r['mi']:>8.3f}"
            f"{rel:>8} {extra:<14}{ci:<17}{cov:>4}{r['seconds']:>7.0f}  {tags(r)}")


HEADER = (f"{'task':<27}{'N':>6}{'set':>4} {'mode':<9}{'true':>7}{'est':>8}{'rel':>8} {'train/naive':<14}"
          f"{'68% CI':<17}{'cov':>4}{'sec':>7}  flags")


def print_pool(summary: dict) -> None:
    for mode, s in summary.items():
        line = f"{mode:<9} rows {s['rows']}"
        if not math.isnan(s["median_abs_rel_error"]):
            line += (f": median |rel err| {s['median_abs_rel_error']:.1%} (signed {s['median_signed_rel_error']:+.1%}), "
                     f"worst {s['worst_abs_rel_error']:.1%} ({s['worst']})")
        if mode == "rigorous":
            line += f"; CI covers {s['ci_covers']}/{s['ci_rows']}" if s["ci_rows"] else ""
            miss = s["ci_rows"] - s["ci_covers"]
            line += (f" (misses without a flag: {len(s['unflagged_misses'])}/{miss}"
                     + (f": {', '.join(s['unflagged_misses'])}" if s["unflagged_misses"] else "") + ")") if miss else ""
            line += f"; flagged {s['flagged']} (of which covered {s['flagged_covered']})" if s["ci_rows"] else ""
        if not math.isnan(s["max_abs_estimate_mi0"]):
            line += "; MI = 0: " + (f"CI contains 0 in {s['ci_contains_0']}/{s['ci_rows_mi0']}, " if mode == "rigorous"
                                    else "") + f"largest |estimate| {s['max_abs_estimate_mi0']:.3f}"
        print(line + f"; {s['seconds']:.0f} s", flush=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tasks", nargs="*", default=None, help="substrings of task names (default: all)")
    p.add_argument("--n", default=",".join(map(str, DEFAULT_NS)), help="sample sizes, comma-separated")
    p.add_argument("--data-seeds", default=",".join(map(str, DEFAULT_DATA_SEEDS)), help="data sets, comma-separated")
    p.add_argument("--modes", default=",".join(MODES), help="estimate, rigorous or both (comma-separated)")
    p.add_argument("--option", action="append", default=[], metavar="KEY=VALUE", help="estimator setting (repeat)")
    p.add_argument("--json", default=None, help="write every row (with full warnings) and the pooled figures here")
    p.add_argument("--list", action="store_true", help="list the tasks and exit")
    args = p.parse_args(argv)
    tasks = select_tasks(args.tasks)
    if args.list:
        for t in tasks:
            print(f"{t.name + ('*' if t.copula_equivalent else ''):<27}{t.family:<13}{t.dims:>7}{t.mi:>8.3f} nats  "
                  f"{t.note}")
        return 0
    ns = [int(v) for v in args.n.split(",")]
    seeds = [int(v) for v in args.data_seeds.split(",")]
    modes = [m.strip() for m in args.modes.split(",")]
    bad = [m for m in modes if m not in MODES]
    if bad:
        p.error(f"--modes must be among {MODES}; got {bad}")
    options = dict(parse_option(o) for o in args.option)
    routed = route_options(options, modes)
    print(f"suite: {len(tasks)} tasks x N {ns} x data sets {seeds} x modes {modes}; options {options or 'defaults'} "
          f"(MI in nats)\n{HEADER}", flush=True)
    rows: list[dict] = []
    for task in tasks:
        for n in ns:
            for s in seeds:
                for mode in modes:
                    row = run_one(task, n, s, mode, routed[mode])
                    rows.append(row)
                    print(fmt_row(row), flush=True)
                    if args.json:  # rewritten after every row: a long run that is stopped keeps what it did
                        write_json(args.json, options, rows)
    summary = pool(rows)
    print()
    print_pool(summary)
    if args.json:
        write_json(args.json, options, rows)
    return 0


def write_json(path: str, options: dict, rows: list[dict]) -> None:
    tmp = Path(path).with_name(Path(path).name + ".tmp")
    tmp.write_text(json.dumps({"options": options, "rows": rows, "pooled": pool(rows)}, indent=1, default=float))
    tmp.replace(path)


if __name__ == "__main__":
    sys.exit(main())
