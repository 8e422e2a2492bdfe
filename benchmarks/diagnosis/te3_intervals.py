"""Issue 21, DIAGNOSIS.md section 22: which interval of the paired differences covers the exact TE and CMI?

Refits the saved member pairs of the VAR TE run (``te3_var20000_{a,b}.json``, ``benchmarks/transfer.py``) and of the
Gaussian CMI run (``cmi2_coverage.json``, ``cmi1_baseline.py``) with four intervals of the same WLS intercept, and
prints the 68 % coverage and median half-width of each, per group of rows:

- ``textbook``: the WLS t interval (TE/CMI before 2026-12-05), members read as independent;
- ``shared``: adds one full-data member's variance (the data-set error every gamma shares; rigorous mode's
  statistical part), ``t sqrt(se^2 + scale)``: what TE and CMI quote since 2026-12-05;
- ``headline``: ``shared`` plus z times the distance to the training-subset and held-out intercepts (rigorous
  mode's headline interval);
- ``quadrature``: the systematic part added in quadrature instead (rigorous mode before issue 13).

    python benchmarks/diagnosis/te3_intervals.py
"""

import json
import math
import sys
from pathlib import Path

import numpy as np
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from neuralmi_core.analysis.extrapolation import fit_extrapolation, headline_interval  # noqa: E402
from neuralmi_core.analysis.rigorous.result import SYSTEMATIC_FLOOR_NATS, SYSTEMATIC_WARN  # noqa: E402

HERE = Path(__file__).resolve().parent
KW = {"confidence": 0.68, "delta": 0.1, "min_gammas": 4}
KINDS = ("textbook", "shared", "headline", "quadrature")


def intervals(g, d, dtr, dte):
    """Intercept and the half-width of each interval kind for one set of member differences."""
    fit = fit_extrapolation(g, d, **KW)
    alts = [fit_extrapolation(g, a, **KW) for a in (dtr, dte)]
    h = headline_interval(fit, alts)
    shared = headline_interval(fit)  # no alternatives: the statistical part alone
    stat = (shared.ci_high_nats - shared.ci_low_nats) / 2
    z = stats.norm.ppf(0.84)
    return fit.intercept_nats, {
        "textbook": (fit.ci_high_nats - fit.ci_low_nats) / 2,
        "shared": stat,
        "headline": (h.ci_high_nats - h.ci_low_nats) / 2,
        "quadrature": math.sqrt(stat**2 + (z * h.systematic_nats) ** 2),
    }, h.systematic_nats


def te_rows():
    out = []
    for f in ("te3_var20000_a.json", "te3_var20000_b.json"):
        p = HERE / f
        if not p.exists():
            continue
        for r in json.loads(p.read_text())["rows"]:
            q = np.asarray(r["pairs"], dtype=float)
            for i, u in enumerate(range(1, len(r["te"]) + 1)):
                m = q[q[:, 2] == u]
                est, half, syst = intervals(m[:, 0], m[:, 3], m[:, 4], m[:, 5])
                group = "TE, planted delay" if i == r["i"] else "TE, other delays"
                out.append({"group": group, "truth": r["truth"][i], "est": est, "half": half, "syst": syst})
    return out


def cmi_rows():
    out = []
    p = HERE / "cmi2_coverage.json"
    if p.exists():
        for r in json.loads(p.read_text())["rows"]:
            q = np.asarray(r["pairs"], dtype=float)
            est, half, syst = intervals(q[:, 0], q[:, 2], q[:, 3], q[:, 4])
            group = "CMI = 0" if r["c"] == 0 else f"CMI, c = {r['c']}"
            out.append({"group": group, "truth": r["truth"], "est": est, "half": half, "syst": syst})
    return out


def main() -> None:
    rows = te_rows() + cmi_rows()
    print("| rows | n | " + " | ".join(f"{k}: covers (median half-width)" for k in KINDS)
          + " | median systematic | train_test_disagree fires | misses of `shared` flagged |")
    print("|---|---|" + "---|" * len(KINDS) + "---|---|---|")
    groups = list(dict.fromkeys(r["group"] for r in rows))
    for grp in [*groups, "all"]:
        rs = [r for r in rows if grp in ("all", r["group"])]
        cells = []
        for k in KINDS:
            cov = np.mean([abs(r["est"] - r["truth"]) <= r["half"][k] for r in rs])
            cells.append(f"{cov:.0%} ({np.median([r['half'][k] for r in rs]):.4f})")
        flag = [r["syst"] > SYSTEMATIC_WARN * max(abs(r["est"]), SYSTEMATIC_FLOOR_NATS) for r in rs]  # rigorous's rule
        miss = [f for r, f in zip(rs, flag, strict=True) if abs(r["est"] - r["truth"]) > r["half"]["shared"]]
        print(f"| {grp} | {len(rs)} | " + " | ".join(cells) + f" | {np.median([r['syst'] for r in rs]):.4f} | "
              f"{sum(flag)} | {sum(miss)} of {len(miss)} |")


if __name__ == "__main__":
    main()
