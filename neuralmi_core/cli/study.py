"""Archive-level statistics from summary.csv: pooled MI per analysis and group, contrasts, corrections.

  neuralmi study SUMMARY.csv --out study.nc [--group-by COLUMN] [--contrast A-B ...] [--correction fdr_bh]
      [--unit bits|nats] [--method dl|pm] [--ci hksj|z] [--confidence 0.95] [--json OUT.json]

Every row with a confidence interval (rigorous MI, transfer entropy, conditional MI) is an effect with
standard error (ci_high - ci_low) / (2 z), the interval read as symmetric and normal; rows of failed
sessions, without a finite CI or with an unreliable fit are left out (the netCDF says why, per row).
Sessions are pooled within each subject, then subjects within each group by a random-effects model
(statsmodels), so k counts animals. Contrasts A-B are differences of two groups' pooled estimates; the
pooled tests (MI > 0) and the contrasts are each corrected over the whole study (Benjamini-Hochberg by
default). Prints one line per analysis and group: pooled MI [CI], tau^2, I^2, k subjects (sessions).
The netCDF (and the JSON, if asked) is written atomically. See docs/study.md.
"""

from __future__ import annotations

import argparse
import sys

NAME = "study"
HELP = "pool the archive's per-session MI across sessions and animals (random effects), contrasts, FDR"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("summary", metavar="SUMMARY.csv", help="the archive's summary.csv (`neuralmi report archive`)")
    p.add_argument("--out", required=True, metavar="study.nc", help="write the study Dataset here (netCDF)")
    p.add_argument("--group-by", metavar="COLUMN", default=None,
                   help="column of SUMMARY.csv naming each session's group (default: one group, 'all')")
    p.add_argument("--contrast", action="append", default=[], metavar="A-B",
                   help="difference between groups A and B of --group-by; repeatable")
    p.add_argument("--correction", default="fdr_bh",
                   help="multiple-comparison correction (statsmodels multipletests: fdr_bh, holm, bonferroni, "
                   "fdr_by, ..., none; default: fdr_bh)")
    p.add_argument("--unit", choices=("bits", "nats"), default=None, help="MI unit (default: the summary's)")
    p.add_argument("--method", choices=("dl", "pm"), default="dl",
                   help="between-study variance: DerSimonian-Laird or Paule-Mandel (default: dl)")
    p.add_argument("--ci", choices=("hksj", "z"), default="hksj",
                   help="pooled CI: Hartung-Knapp-Sidik-Jonkman t (default) or normal z")
    p.add_argument("--confidence", type=float, default=0.95, help="confidence level of the CIs (default: 0.95)")
    p.add_argument("--json", dest="json_out", metavar="OUT.json", default=None,
                   help="also write the pooled table, contrasts, left-out rows and settings as JSON")


def _fmt(v: float | None) -> str:
    return "nan" if v is None else f"{v:.3g}"


def run(args: argparse.Namespace) -> int:
    from ..io.arrays import write_json
    from ..study import contrast_table, pooled_table, read_summary_csv, study_dataset, write_study

    rows = read_summary_csv(args.summary)
    ds = study_dataset(rows, group_by=args.group_by, contrasts=args.contrast, correction=args.correction,
                       unit=args.unit, method=args.method, ci=args.ci, confidence=args.confidence,
                       where=args.summary)
    u = ds.attrs["unit"]
    table = pooled_table(ds)
    contrasts = contrast_table(ds)
    conf = f"{args.confidence:.0%}"
    print(f"{'analysis':<24} {'group':<14} {f'pooled MI ({u}) [{conf} CI]':<34} {'tau2':>8} {'I2':>5} "
          f"{'k subj (sess)':>14}")
    for r in table:
        ci = f"{_fmt(r['pooled_mi'])} [{_fmt(r['pooled_ci_low'])}, {_fmt(r['pooled_ci_high'])}]"
        i2 = "nan" if r["i2"] is None else f"{r['i2']:.0%}"
        print(f"{r['analysis']:<24} {r['group']:<14} {ci:<34} {_fmt(r['tau2']):>8} {i2:>5} "
              f"{r['k_subjects']:>6} ({r['k_sessions']})")
    for c in contrasts:
        print(f"{c['analysis']:<24} {c['contrast']:<14} diff {_fmt(c['diff'])} [{_fmt(c['diff_ci_low'])}, "
              f"{_fmt(c['diff_ci_high'])}] p={_fmt(c['diff_p'])} q={_fmt(c['diff_q'])}")
    write_study(ds, args.out)
    if args.json_out:
        left_out = [{"analysis": str(a), "session": str(s), "reason": str(ds["excluded"].sel(analysis=a, session=s)
                                                                          .item())}
                    for a in ds["analysis"].values for s in ds["session"].values
                    if ds["excluded"].sel(analysis=a, session=s).item()]
        write_json(args.json_out, {"settings": dict(ds.attrs), "pooled": table, "contrasts": contrasts,
                                   "left_out": left_out, "summary": args.summary, "netcdf": args.out})
    print(f"{ds.attrs['n_rows_used']} of {ds.attrs['n_rows']} rows pooled; {ds.attrs['family_pooled']}; "
          f"{ds.attrs['family_contrasts']} -> {args.out}", file=sys.stderr)
    return 0
