"""Score early-stopping rules offline on the held-out curves of ``q7_curves.py`` (DIAGNOSIS.md section 24).

The trainer resets its patience whenever the smoothed held-out MI beats its best. A rule with a threshold
resets it only when the smoothed MI is a new best *and* beats the value at the last reset by more than
``max(rel * |value|, floor)`` nats; the checkpoint is still the best smoothed value. Such a rule stops at or
before the default one, so a default run's curve is enough to replay it exactly (checked: threshold 0 gives
each row's epochs, best epoch and MI). Prints, per rule, the median |relative error| over the i.i.d. rows with MI > 0 (no copula twins), the
epochs, and the rows whose MI moved:

    python benchmarks/diagnosis/q7_stopping.py benchmarks/diagnosis/q7_est20000_s0_curves_*.json
"""

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from early_stopping import replay as replay_curves  # noqa: E402

from neuralmi_core.training import TrainConfig  # noqa: E402

SMOOTH_WINDOW, MIN_EPOCHS = TrainConfig().smooth_window, TrainConfig().min_epochs  # the trainer's own rule


def replay(curve, patience, rel=0.0, floor=0.0):
    """(epochs run, best epoch (1-based), reported MI) of one member's run under a threshold rule."""
    mi, _, best, stop = replay_curves(curve, curve, patience, len(curve), MIN_EPOCHS, SMOOTH_WINDOW, rel, floor)
    return stop, best, mi


def iid(row):
    return row["truth"] > 0 and not row["task"].startswith("slow-") and not row.get("copula_equivalent")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("files", nargs="+")
    p.add_argument("--rel", type=float, nargs="*", default=[0.0, 0.001, 0.002, 0.005, 0.01])
    p.add_argument("--floor", type=float, nargs="*", default=[0.0, 0.001, 0.002])
    p.add_argument("--rows", action="store_true", help="print every row under each rule")
    args = p.parse_args(argv)
    rows = [r for f in args.files for r in json.load(open(f))["rows"] if "curve_test" in r]
    # threshold 0 must give the trainer's own numbers
    for r in rows:
        got = [replay(cv, r["patience"]) for cv in r["curve_test"]]
        mi = float(np.mean([g[2] for g in got]))
        if [g[0] for g in got] != r["epochs_run"] or [g[1] for g in got] != r["best_epoch"] or abs(mi - r["mi"]) > 1e-6:
            sys.exit(f"replay does not reproduce {r['task']} N={r['n']} seed {r['data_seed']}: {got} vs "
                     f"{r['epochs_run']} {r['best_epoch']} {r['mi']}")
    print(f"{len(rows)} rows replayed exactly at threshold 0; {sum(iid(r) for r in rows)} i.i.d. with MI > 0")
    base_ep = sum(sum(r["epochs_run"]) for r in rows)
    print(f"{'rel':>6} {'floor':>6} {'median|err|':>11} {'mean|err|':>9} {'epochs':>7} {'x default':>9} "
          f"{'moved':>5} {'worse>0.5pt':>11} {'MI=0 max|MI|':>12}")
    for rel in args.rel:
        for floor in args.floor:
            errs, eps, moved, worse, zero = [], 0, 0, 0, 0.0
            lines = []
            for r in rows:
                got = [replay(cv, r["patience"], rel, floor) for cv in r["curve_test"]]
                mi = float(np.mean([g[2] for g in got]))
                eps += sum(g[0] for g in got)
                if r["truth"] == 0:
                    zero = max(zero, abs(mi))
                    continue
                e_new, e_old = abs(mi / r["truth"] - 1), abs(r["mi"] / r["truth"] - 1)
                if abs(mi - r["mi"]) > 1e-6:
                    moved += 1
                    worse += e_new > e_old + 0.005
                if iid(r):
                    errs.append(e_new)
                lines.append(f"    {r['task']:<26} N={r['n']:<6} s{r['data_seed']} epochs {r['epochs_run']} -> "
                             f"{[g[0] for g in got]}  err {100 * (r['mi'] / r['truth'] - 1):+6.1f} -> "
                             f"{100 * (mi / r['truth'] - 1):+6.1f} %")
            print(f"{rel:>6} {floor:>6} {100 * np.median(errs):>10.2f}% {100 * np.mean(errs):>8.2f}% {eps:>7} "
                  f"{eps / base_ep:>9.2f} {moved:>5} {worse:>11} {zero:>12.4f}")
            if args.rows:
                print("\n".join(lines))


if __name__ == "__main__":
    main()
