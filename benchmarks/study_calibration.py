"""Calibration of the study layer (neuralmi_core.study) on simulated archives (no training; prints a table).

Model (MI in bits): groups A and B of --subjects animals each, 1 to --max-sessions sessions per animal;
session j of animal a in group g of analysis (pair) p gives

    y = mu[p, g] + u_a + v_aj + e_aj,   u_a ~ N(0, sd_subject²), v_aj ~ N(0, sd_session²),
    e_aj ~ N(0, s_aj²),  s_aj ~ Uniform(0.03, 0.12),

written as a summary.csv row with its 68 % CI y ± z_0.84 s_aj (confidence 0.68, as `neuralmi gather
rigorous` writes by default), and then read back by study_dataset like any archive.

1. Coverage (--archives archives of one analysis): share of archives whose pooled CI for group A covers
   mu_A, and whose A-B contrast CI covers mu_A - mu_B (0.1 bits), for the HKSJ (default) and z CIs.
   The band printed is the central 99 % binomial range of the hit count of a CI with exactly nominal
   coverage over that many archives.
2. FDR (--archives archives of --pairs analyses, --planted of them with mu = 0.15 bits in both groups, the
   rest mu = 0): the pooled one-sided test (MI > 0) per analysis and group, Benjamini-Hochberg at 0.05
   over the whole study; the false discovery proportion averaged over archives (should be <= 0.05) and
   the power (share of planted tests found).

Run:  OMP_NUM_THREADS=1 python benchmarks/study_calibration.py [--archives 200] [--subjects 6] [--seed 0]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy import stats

from neuralmi_core.study import pool_by_subject, study_dataset
from neuralmi_core.study.pooling import contrast

Z68 = stats.norm.ppf(0.84)


def archive_rows(rng: np.random.Generator, mus: dict[tuple[str, str], float], subjects: int, max_sessions: int,
                 sd_subject: float, sd_session: float) -> list[dict]:
    rows = []
    groups = sorted({g for _, g in mus})
    analyses = sorted({a for a, _ in mus})
    for g in groups:
        for a_i in range(subjects):
            subj = f"{g}{a_i}"
            n_ses = int(rng.integers(1, max_sessions + 1))
            u = {a: rng.normal(0, sd_subject) for a in analyses}
            for j in range(n_ses):
                for a in analyses:
                    s = rng.uniform(0.03, 0.12)
                    y = mus[a, g] + u[a] + rng.normal(0, sd_session) + rng.normal(0, s)
                    rows.append({"session": f"{subj}_ses{j}", "subject": subj, "genotype": g, "analysis": a,
                                 "mode": "rigorous", "mi_bits": y, "ci_low_bits": y - Z68 * s,
                                 "ci_high_bits": y + Z68 * s, "confidence": 0.68, "reliable": True,
                                 "status": "ok"})
    return rows


def binomial_band(n: int, p: float = 0.95, level: float = 0.99) -> tuple[float, float]:
    lo, hi = stats.binom.interval(level, n, p)
    return lo / n, hi / n


def coverage(args: argparse.Namespace) -> None:
    rng = np.random.default_rng(args.seed)
    mu = {("AB", "A"): 0.3, ("AB", "B"): 0.2}
    hits = {("hksj", "mean"): 0, ("hksj", "diff"): 0, ("z", "mean"): 0, ("z", "diff"): 0}
    flat_hits = 0
    for _ in range(args.archives):
        rows = archive_rows(rng, mu, args.subjects, args.max_sessions, args.sd_subject, args.sd_session)
        by = {g: [r for r in rows if r["genotype"] == g] for g in ("A", "B")}
        for ci in ("hksj", "z"):
            p = {g: pool_by_subject([r["mi_bits"] for r in rs],
                                    [(r["ci_high_bits"] - r["ci_low_bits"]) / (2 * Z68) for r in rs],
                                    [r["subject"] for r in rs], ci=ci) for g, rs in by.items()}
            hits[ci, "mean"] += p["A"].ci_low <= 0.3 <= p["A"].ci_high
            c = contrast(p["A"], p["B"])
            hits[ci, "diff"] += c.ci_low <= 0.1 <= c.ci_high
        # the mistake the hierarchy avoids: every session as an independent animal
        from neuralmi_core.study import pool

        rs = by["A"]
        f = pool([r["mi_bits"] for r in rs], [(r["ci_high_bits"] - r["ci_low_bits"]) / (2 * Z68) for r in rs])
        flat_hits += f.ci_low <= 0.3 <= f.ci_high
    lo, hi = binomial_band(args.archives)
    print(f"coverage of 95 % CIs over {args.archives} archives ({args.subjects} animals per group, 1-"
          f"{args.max_sessions} sessions each, sd_subject {args.sd_subject}, sd_session {args.sd_session}); "
          f"exact-nominal 99 % band {lo:.3f}-{hi:.3f}")
    print("| CI | pooled group mean | contrast A-B |\n|---|---|---|")
    for ci in ("hksj", "z"):
        print(f"| {ci} | {hits[ci, 'mean'] / args.archives:.3f} | {hits[ci, 'diff'] / args.archives:.3f} |")
    print(f"| sessions as animals (flat, hksj) | {flat_hits / args.archives:.3f} | - |")


def fdr(args: argparse.Namespace) -> None:
    rng = np.random.default_rng(args.seed + 1)
    names = [f"pair{i:02d}" for i in range(args.pairs)]
    planted = set(names[:args.planted])
    mus = {(a, g): (0.15 if a in planted else 0.0) for a in names for g in ("A", "B")}
    fdp, power, n_true = [], [], 2 * len(planted)
    for _ in range(args.archives):
        rows = archive_rows(rng, mus, args.subjects, args.max_sessions, args.sd_subject, args.sd_session)
        ds = study_dataset(rows, group_by="genotype")
        found = ds["q_value"] <= 0.05
        is_true = np.array([[a in planted for _ in ds["group"].values] for a in ds["analysis"].values])
        n_found = int(found.sum())
        false = int((found.values & ~is_true).sum())
        fdp.append(false / n_found if n_found else 0.0)
        power.append(int((found.values & is_true).sum()) / n_true)
    fam = ds.attrs["family_pooled"]
    print(f"\nFDR over {args.archives} archives: {args.pairs} analyses x 2 groups, {args.planted} planted "
          f"(0.15 bits), family per archive: {fam}")
    print("| mean FDP | archives with a false discovery | power |\n|---|---|---|")
    print(f"| {np.mean(fdp):.3f} | {np.mean(np.array(fdp) > 0):.3f} | {np.mean(power):.3f} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--archives", type=int, default=200)
    ap.add_argument("--subjects", type=int, default=6)
    ap.add_argument("--max-sessions", type=int, default=4)
    ap.add_argument("--sd-subject", type=float, default=0.08)
    ap.add_argument("--sd-session", type=float, default=0.04)
    ap.add_argument("--pairs", type=int, default=15)
    ap.add_argument("--planted", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    t0 = time.perf_counter()
    coverage(args)
    fdr(args)
    print(f"\n{time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
