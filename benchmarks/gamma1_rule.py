"""Candidate rules for the ``unstable_without_gamma1`` flag, measured on every row of the trust table.

    python benchmarks/gamma1_rule.py [--max-gammas all,5,3] [--list]

``unstable_without_gamma1`` marks a rigorous fit unreliable (the study layer then leaves the row out of its
pooling) when refitting the 1/N line without the gamma = 1 members moves the intercept by more than 20 % of
the MI (0.01 nats under 0.05 nats). The test has no notion of the noise of that move: with few gammas and one
seed, the intercept without gamma = 1 is an extrapolation from gammas 2..G alone, and its scatter alone can
exceed 20 % of a small MI. The rules compared (each keeps the 20 % materiality threshold):

* ``before``: the rule above, alone (the library's rule until 2026-12-04);
* ``hausman`` (the library's rule since, read from each refitted row's flags; ``fit_extrapolation(shift_alpha=
  0.05)``): also require the move to be significant: larger than the two-sided 5 % t quantile (df of the fit
  without gamma = 1) times the standard error of the move (``shift_se_nats`` of the fit). Under the linear model both
  intercepts are unbiased and the full fit is the efficient one, so (Hausman) Var(a_without - a) =
  Var(a_without) - Var(a) = s^2 ([(X_w' W X_w)^-1]_00 - [(X' W X)^-1]_00), with s^2 the residual variance of
  the fit without gamma = 1 for both (the members under test do not inflate the noise they are tested
  against; the difference of the two fits' own squared standard errors can be negative);
* ``ci``: also require the move to exceed the headline CI's half-width (the interval would not contain the
  intercept without gamma = 1).

The trust table's rows (``benchmarks/trust.py``: today's defaults, saved members, re-derived with today's code)
were run with gammas 1-10 (one seed). ``--max-gammas 5`` refits each row from its members with gamma <= 5 only
(min_gammas 5), which is what a run with ``gammas: [1, 2, 3, 4, 5]`` would have trained: the workflow's small
configurations and the demo. For every setting and rule it prints how often the flag fires, on rows whose CI
covers the truth (false alarms: the study would drop a good row) and on rows it misses, the coverage of the
rows left reliable, and how many of those are more than 10 % off, with and without a "likely misses" flag
(``train_test_disagree``, ``sample_limited``, ``infonce_k_bias``). Not a test; re-derives, never trains.
"""

from __future__ import annotations

import argparse
import math
import sys
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from flag_rules import rows_of  # noqa: E402
from trust import RUNS, collect  # noqa: E402

from neuralmi_core.analysis.extrapolation import FLAG_GAMMA1, UNRELIABLE  # noqa: E402
from neuralmi_core.analysis.rigorous import summarize_rigorous  # noqa: E402
from neuralmi_core.analysis.rigorous.result import RigorousMember  # noqa: E402
from neuralmi_core.suite import MISS_FLAGS, score  # noqa: E402

RULES = ("before", "hausman", "ci")


def saved_members() -> dict[tuple, list[dict]]:
    """The saved members of every trust-table run's rigorous rows, by (task, N, data set); a later run wins."""
    return {key: r["members"] for key, r in rows_of(tuple(RUNS)).items()}


def gamma1_statistics(res) -> dict | None:
    """The move of the intercept without gamma = 1 and its standard error, as the fit stored them, the 20 %
    tolerance, the headline CI's half-width, and whether the library's flag fired (None: no refit without
    gamma = 1)."""
    fit = res.fits[res.extrapolate]
    if not (fit.fitted and math.isfinite(fit.intercept_without_gamma1_nats)):
        return None
    a = fit.intercept_nats
    return {"shift": abs(fit.intercept_without_gamma1_nats - a), "tol": 0.2 * max(abs(a), 0.05),
            "se_shift": fit.shift_se_nats, "half": (res.ci_high_nats - res.ci_low_nats) / 2,
            "library": FLAG_GAMMA1 in fit.flags}


def fires(s: dict | None, rule: str) -> bool:
    if s is None or not s["shift"] > s["tol"]:
        return False
    if rule == "before":
        return True
    if rule == "hausman":  # the library's rule: the 20 % move and its t test (fit_extrapolation's shift_alpha)
        return s["library"]
    return s["shift"] > s["half"]


def rows_at(rows: list[dict], members: dict, max_gamma: int | None) -> list[dict]:
    out = []
    for r in rows:
        ms = [RigorousMember.from_dict(m) for m in members[(r["task"], r["n"], r["data_seed"])]]
        if max_gamma is not None:
            ms = [m for m in ms if m.gamma <= max_gamma]
        k = len({m.gamma for m in ms})
        if k < 3:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = summarize_rigorous(ms, {"estimator": r.get("options", {}).get("estimator", "infonce")},
                                     {"n_samples": r["n"]}, confidence=r.get("confidence", 0.68),
                                     min_gammas=min(5, k))
        s = gamma1_statistics(res)
        other = [f for f in res.fits[res.extrapolate].flags if f in UNRELIABLE and f != FLAG_GAMMA1]
        row = score({"task": r["task"], "n": r["n"], "data_seed": r["data_seed"], "truth": r["truth"],
                     "mi": res.mi_nats, "ci": [res.ci_low_nats, res.ci_high_nats]})
        out.append({**row, "stats": s, "other_unreliable": bool(other), "fitted": res.fits[res.extrapolate].fitted,
                    "miss_flag": bool(set(res.flags) & set(MISS_FLAGS))})
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--max-gammas", default="all,5,3", help="refit from members with gamma <= G ('all': as run)")
    ap.add_argument("--list", action="store_true", help="also print every row where a rule fires")
    args = ap.parse_args(argv)
    base, _ = collect()
    members = saved_members()
    for spec in args.max_gammas.split(","):
        mg = None if spec == "all" else int(spec)
        rows = [r for r in rows_at(base, members, mg) if r["fitted"]]
        cov = sum(r["covered"] for r in rows)
        print(f"\ngammas {'as run (1-10)' if mg is None else f'1-{mg}'}: {len(rows)} fitted rows, {cov} covered by "
              f"their 68 % CI ({cov / len(rows):.1%}); {sum(r['truth'] == 0 for r in rows)} with MI = 0")
        print(f"{'rule':<9}{'fires':>6}{'on covered':>12}{'on missed':>11}{'reliable rows':>15}{'covered':>9}"
              f"{'>10 % off reliable':>20}{'  of them with no flag at all':>29}")
        for rule in RULES:
            f = [fires(r["stats"], rule) for r in rows]
            fc = sum(x and r["covered"] for x, r in zip(f, rows, strict=True))
            fm = sum(x and not r["covered"] for x, r in zip(f, rows, strict=True))
            rel = [r for x, r in zip(f, rows, strict=True) if not x and not r["other_unreliable"]]
            rc = sum(r["covered"] for r in rel)
            big = [r for r in rel if r["truth"] > 0 and abs(r["rel_error"]) > 0.10]
            silent = sum(not r["miss_flag"] for r in big)
            print(f"{rule:<9}{sum(f):>6}{fc:>12}{fm:>11}{len(rel):>15}{rc / max(len(rel), 1):>9.1%}{len(big):>20}"
                  f"{silent:>29}")
            if args.list and rule != "before":
                for x, r in zip(f, rows, strict=True):
                    s = r["stats"]
                    if s and s["shift"] > s["tol"]:
                        print(f"    {'FIRES' if x else 'quiet'} {r['task']:<28} N={r['n']:<6} set {r['data_seed']} "
                              f"err {r['error']:+.3f} covered {r['covered']!s:5} shift {s['shift']:.3f} tol "
                              f"{s['tol']:.3f} se {s['se_shift']:.3f} half {s['half']:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
