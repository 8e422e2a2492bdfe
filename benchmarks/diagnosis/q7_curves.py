"""``benchmarks/suite.py`` with each estimate row's whole held-out curve (issue 20, DIAGNOSIS.md section 24).

Weight averaging (``estimate()``'s default) smooths the held-out curve so much that at N = 20000 it keeps
creeping up by tiny amounts and resets the early-stopping patience for up to 2.4x the epochs. A stopping rule
that only differs in *when it stops* can be scored offline on the curve of a default run: it stops at or before
the default epoch, and the reported MI is the mean of the held-out curve over the smoothing window around the
best centre. This adds ``curve_test`` (every epoch's held-out MI, per member) to every estimate row:

    OMP_NUM_THREADS=1 python benchmarks/diagnosis/q7_curves.py --n 20000 --data-seeds 0 --modes estimate \\
        --tasks gauss student --json q7_est20000_s0_curves_a.json

and ``q7_stopping.py`` scores stopping rules on those rows.
"""

import dataclasses
import functools
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import neuralmi_core.suite as core_suite  # noqa: E402
import neuralmi_core.training.trainer as trainer  # noqa: E402

_train = trainer._train


def _whole_curve(objective, data, cfg, desc):
    return _train(objective, data, dataclasses.replace(cfg, max_curve_points=10**6), desc)


trainer._train = _whole_curve
_estimate = core_suite.estimate
_last = {}


@functools.wraps(_estimate)  # keeps estimate()'s signature, which --option routing reads
def _keep(*args, **kwargs):
    res = _estimate(*args, **kwargs)
    _last["curves"] = [list(m.curve_test_nats) for m in res.members]
    _last["patience"] = res.params.get("patience")
    return res


core_suite.estimate = _keep  # run_one looks estimate up in its module at call time
_run_one = core_suite.run_one


def _run_one_with_curve(*args, **kwargs):
    _last.clear()
    row = _run_one(*args, **kwargs)
    if "curves" in _last:
        row["curve_test"] = _last["curves"]
        row["patience"] = _last["patience"]
    return row


import suite  # noqa: E402

suite.run_one = _run_one_with_curve  # suite.py calls the run_one it imported by name

if __name__ == "__main__":
    sys.exit(suite.main(sys.argv[1:]))
