"""Issue 20, DIAGNOSIS.md section 38: how much of a rigorous row's error is its data set's, how much the estimator's?

For every rigorous row of the accuracy table (``benchmarks/trust.py``'s ``collect``: the latest row per (task, N,
data set), its interval and flags re-derived by today's code) whose task has a closed-form density (the Gaussian and Student-t families, and their MI-preserving
transforms, whose base sample is drawn with the same seed), the data set's own **sample MI** is the mean of the
exact pointwise MI, log p(x, y) - log p(x) - log p(y), over the rows the estimator saw. Its distance to the truth
is the data set's sampling error (what the CI's shared part, one full-data member's variance, stands for), and
the estimate's distance to it is the estimator's own error on that data set.

Prints one line per row, and per task the mean and spread of both parts, next to the rows' median statistical
half-width (``t sqrt(se^2 + shared_se^2)``, the part of the CI meant for the data set and the members' scatter,
recovered from the quoted CI and the systematic part)::

    python benchmarks/diagnosis/v2_sample_mi.py [--tasks student gauss-dense]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from scipy import stats

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))
sys.path.insert(0, str(HERE.parent))

import trust  # noqa: E402

from neuralmi_core import distributions as D  # noqa: E402
from neuralmi_core.suite import TASKS  # noqa: E402


def _logpdf(sampler, z: np.ndarray, idx: slice) -> np.ndarray:
    """Exact log-density of coordinates ``idx`` of ``sampler``'s (X, Y) at ``z`` (a marginal of an elliptical law)."""
    if isinstance(sampler, D.MultiNormal):
        return stats.multivariate_normal(np.zeros(z.shape[1]), sampler.cov[idx, idx]).logpdf(z)
    return stats.multivariate_t(np.zeros(z.shape[1]), sampler.dispersion[idx, idx], df=sampler.df).logpdf(z)


def sample_mi(task, n: int, seed: int) -> float | None:
    """Mean exact pointwise MI over the data set ``task`` draws with ``n`` rows and ``seed``; None without a density."""
    s = task.sampler
    if isinstance(s, D.Transformed):
        s = s.base  # the same seed draws the same base sample; the maps preserve the pointwise MI
    if not isinstance(s, (D.MultiNormal, D.MultiStudentT)):
        return None
    x, y = s.sample(n, seed)
    dx = s.dim_x
    z = np.hstack([x, y])
    full = slice(0, z.shape[1])
    pmi = _logpdf(s, z, full) - _logpdf(s, x, slice(0, dx)) - _logpdf(s, y, slice(dx, z.shape[1]))
    return float(pmi.mean())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", nargs="*", default=None, help="task name prefixes (default: every task with a density)")
    a = ap.parse_args()
    tasks = {t.name: t for t in TASKS}
    out = []
    print("| task | N | data set | truth | sample MI (vs truth) | estimate (vs truth) | estimate - sample MI | "
          "stat. half-width | CI covers truth / sample MI | flags |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in trust.collect()[0]:  # the accuracy table's rows: re-derived with today's interval, last run wins
        t = tasks.get(r["task"])
        if t is None or (a.tasks and not any(r["task"].startswith(p) for p in a.tasks)) or r["truth"] <= 0:
            continue
        s = sample_mi(t, r["n"], r["data_seed"])
        if s is None:
            continue
        truth, est = r["truth"], r["mi"]
        lo, hi = r["ci"]
        # the CI is sqrt(stat^2 + (z systematic)^2) wide on each side (extrapolation.headline_interval)
        stat = np.sqrt(max(((hi - lo) / 2) ** 2 - (stats.norm.ppf(0.5 + r["confidence"] / 2) * r["systematic"]) ** 2, 0))
        row = {"task": r["task"], "n": r["n"], "data": (s - truth) / truth, "est": (est - s) / truth,
               "total": (est - truth) / truth, "stat": stat / truth, "cov": lo <= truth <= hi, "cov_s": lo <= s <= hi}
        out.append(row)
        print(f"| {r['task']} | {r['n']} | {r['data_seed']} | {truth:.4f} | {s:.4f} ({row['data']:+.1%}) | "
              f"{est:.4f} ({row['total']:+.1%}) | {row['est']:+.1%} | {row['stat']:.1%} | "
              f"{'y' if row['cov'] else 'N'} / {'y' if row['cov_s'] else 'N'} | {', '.join(r['flags']) or '-'} |")
    print("\nPer task and N (relative to the truth): the data set's part (sample MI - truth) and the estimator's")
    print("(estimate - sample MI), mean and sd over the data sets; the median statistical half-width.\n")
    print("| task | N | data sets | data: mean, sd | estimator: mean, sd | median stat. half-width | covers truth | covers "
          "sample MI |")
    print("|---|---|---|---|---|---|---|---|")
    for key in dict.fromkeys((o["task"], o["n"]) for o in out):
        g = [o for o in out if (o["task"], o["n"]) == key]
        d, e = np.array([o["data"] for o in g]), np.array([o["est"] for o in g])
        print(f"| {key[0]} | {key[1]} | {len(g)} | {d.mean():+.1%}, {d.std(ddof=1) if len(g) > 1 else 0:.1%} | "
              f"{e.mean():+.1%}, {e.std(ddof=1) if len(g) > 1 else 0:.1%} | {np.median([o['stat'] for o in g]):.1%} | "
              f"{sum(o['cov'] for o in g)}/{len(g)} | {sum(o['cov_s'] for o in g)}/{len(g)} |")
    d, e = np.array([o["data"] for o in out]), np.array([o["est"] for o in out])
    print(f"\nAll {len(out)} rows: data part sd {d.std(ddof=1):.1%} (mean {d.mean():+.1%}); estimator part mean "
          f"{e.mean():+.1%}, median |.| {np.median(np.abs(e)):.1%}; CI covers the truth in "
          f"{sum(o['cov'] for o in out)}, the sample MI in {sum(o['cov_s'] for o in out)}")


if __name__ == "__main__":
    main()
