"""Issue 20 item 6 (DIAGNOSIS.md section 26): does a curvature of the members' MI in gamma (1/N) single out the
rows the linear 1/N fit overshoots (xmixture-5x5, N = 5000)? For every trust-table row with MI > 0 (the rows of
``benchmarks/trust.py``), a quadratic in gamma is fitted by least squares to the members of the gammas used, for
the average, the held-out and the training-subset MI; printed: the t statistic of the quadratic term of each,
beside the row's error, coverage and whether today's flags fire. Re-derives from saved members; never trains.

    python benchmarks/diagnosis/q11_curvature.py
"""

import math
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flag_rules import flagged, rows_of, statistics  # noqa: E402
from trust import collect  # noqa: E402


def curvature_t(gammas: np.ndarray, values: np.ndarray) -> float:
    """t statistic of c in the least-squares fit values = a + b gamma + c gamma^2."""
    design = np.stack([np.ones_like(gammas), gammas, gammas * gammas], 1)
    beta, *_ = np.linalg.lstsq(design, values, rcond=None)
    resid = values - design @ beta
    s2 = resid @ resid / max(len(values) - 3, 1)
    return float(beta[2] / math.sqrt(s2 * np.linalg.inv(design.T @ design)[2, 2]))


def main() -> None:
    rows, used = collect()
    saved = rows_of(tuple(used))
    out = []
    for r in rows:
        if r["truth"] <= 0:
            continue
        members = saved[(r["task"], r["n"], r["data_seed"])]["members"]
        used_g = r.get("gammas_used") or sorted({m["gamma"] for m in members})
        ms = [m for m in members if used_g[0] <= m["gamma"] <= used_g[-1]]
        g = np.array([m["gamma"] for m in ms], float)
        t = {key: curvature_t(g, np.array([0.5 * (m["mi_train_nats"] + m["mi_test_nats"]) if key == "average"
                                           else m[f"mi_{key}_nats"] for m in ms]))
             for key in ("average", "test", "train")}
        fl = flagged({**r, **statistics(r, members)}, 0.2, 0.2)
        out.append((t["average"], r, t, fl))
    print(f"{'task':26s} {'N':>6s} set   error covered flagged   t(average) t(held-out) t(train)")
    for _, r, t, fl in sorted(out, key=lambda o: o[0]):
        print(f"{r['task']:26s} {r['n']:6d} {r['data_seed']:3d} {r['rel_error']:+7.1%} {'yes' if r['covered'] else 'no':>7s}"
              f" {'yes' if fl else 'no':>7s} {t['average']:+10.1f} {t['test']:+11.1f} {t['train']:+8.1f}")
    cov = [o for o in out if o[1]["covered"]]
    print(f"\n{len(out)} rows; covered rows with |t(average)| >= 1: {sum(abs(o[0]) >= 1 for o in cov)} of {len(cov)}")


if __name__ == "__main__":
    main()
