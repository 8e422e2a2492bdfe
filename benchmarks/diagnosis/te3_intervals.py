"""Issue 21, DIAGNOSIS.md sections 22 and 37: which interval of the paired differences covers the exact TE and CMI?

Refits the saved member pairs of the VAR TE runs (``te3_var20000_{a,b}.json``, data sets 0-1, and its
continuations ``te6_var20000_s2_*`` and ``te7_var20000_s3_*`` with data sets 2 and 3; ``benchmarks/transfer.py``) and of the
Gaussian CMI run (``cmi2_coverage.json``, ``cmi1_baseline.py``) with four intervals of the same WLS intercept, and
prints the 68 % coverage and median half-width of each, per group of rows:

- ``textbook``: the WLS t interval (TE/CMI before 2026-12-05), members read as independent;
- ``shared``: adds one full-data member's variance (the data-set error every gamma shares; rigorous mode's
  statistical part), ``t sqrt(se^2 + scale)``: what TE and CMI quoted from 2026-12-05, CMI still;
- ``linear``: ``shared`` plus z times the distance to the training-subset and held-out intercepts (rigorous
  mode's headline interval until section 33; the column section 22 calls "headline");
- ``quadrature``: that systematic part added in quadrature instead: rigorous mode's headline interval since
  section 33, and what TE quotes since 2026-12-06 (section 37).

    python benchmarks/diagnosis/te3_intervals.py
"""

import json
import sys
from pathlib import Path

import numpy as np
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from neuralmi_core.analysis.extrapolation import fit_extrapolation, headline_interval  # noqa: E402
from neuralmi_core.analysis.rigorous.result import SYSTEMATIC_FLOOR_NATS, SYSTEMATIC_WARN  # noqa: E402

HERE = Path(__file__).resolve().parent
KW = {"confidence": 0.68, "delta": 0.1, "min_gammas": 4}
KINDS = ("textbook", "shared", "linear", "quadrature")


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
        "linear": stat + z * h.systematic_nats,
        "quadrature": (h.ci_high_nats - h.ci_low_nats) / 2,
    }, h.systematic_nats


def te_rows():
    """Rows of the newest VAR run on disk: te7 (data sets 0-3, section 37), te6 (0-2, section 36) or te3 (0-1);
    grouped by data set (the interval of 2026-12-06 was chosen on data sets 0-2, data set 3 held out)."""
    for stem in ("te7_var20000_s3", "te6_var20000_s2", "te3_var20000"):
        files = [HERE / f"{stem}_{h}.json" for h in "ab"]
        if all(p.exists() for p in files):
            break
    out = []
    for p in files:
        for r in json.loads(p.read_text())["rows"]:
            q = np.asarray(r["pairs"], dtype=float)
            sets = "data sets 0-1" if r["dataset"] < 2 else f"data set {r['dataset']}"
            for i, u in enumerate(range(1, len(r["te"]) + 1)):
                m = q[q[:, 2] == u]
                est, half, syst = intervals(m[:, 0], m[:, 3], m[:, 4], m[:, 5])
                group = f"TE, {'planted delay' if i == r['i'] else 'other delays'}, {sets}"
                out.append({"group": group, "truth": r["truth"][i], "est": est, "half": half, "syst": syst})
    return sorted(out, key=lambda r: r["group"])


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
