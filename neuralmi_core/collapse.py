"""Networks that collapsed to a constant critic: how they are recognised and what a result says about them.

Kept free of torch (result modules import it). :func:`~neuralmi_core.estimators.neural.fit_ensemble` trains a
collapsed member once more without weight decay and records the counts in its fit's ``info`` (``collapsed``,
``retrained_without_weight_decay``, ``still_collapsed``), which every analysis keeps in its cells' ``timing``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: A member whose training-subset and held-out MI at the end of training are both below
#: these (nats) has collapsed to a constant critic: it learned nothing, not even the noise of its training set.
#: Measured (benchmarks/DIAGNOSIS.md section 11): a network trained on independent data over-fits that noise
#: (training-subset MI 3e-3 to 7e-3 nats at N = 5000); the demo's collapsed SMILE critics end at |MI| ~ 1e-7,
#: critics flattened by a far too strong penalty at 1e-4 to 3e-4 (float32 evaluation noise of a near-constant
#: score).
COLLAPSE_TRAIN_NATS = 1e-3
COLLAPSE_TEST_NATS = 1e-3

#: A network trained again without weight decay replaces its collapsed one when its held-out MI is above this
#: (nats; the level below which dimensionality calls a curve 'no shared information').
FOUND_NATS = 0.01


def is_collapsed(member: Any) -> bool:
    """True when ``member`` (a :class:`~neuralmi_core.results.MemberRecord`) ended as a constant critic: the
    last points of its training-subset and held-out curves both below :data:`COLLAPSE_TRAIN_NATS` and
    :data:`COLLAPSE_TEST_NATS` in magnitude. The end of the run, not the checkpoint: the checkpoint of a flat
    critic is the largest of its noise. NaN never counts (divergence is warned about elsewhere)."""
    train = tuple(member.curve_train_nats) or (member.mi_train_nats,)
    test = tuple(member.curve_test_nats) or (member.mi_test_nats,)
    return abs(float(train[-1])) < COLLAPSE_TRAIN_NATS and abs(float(test[-1])) < COLLAPSE_TEST_NATS


def collapse_counts(cells: Any) -> tuple[int, int, int]:
    """(collapsed, retrained, still collapsed) summed over the ``timing`` records of ``cells`` (dicts, or a
    single fit's info dict)."""
    infos = [cells] if isinstance(cells, Mapping) else [dict(c.get("timing") or {}) for c in cells]
    return tuple(sum(int(i.get(k, 0) or 0) for i in infos)  # type: ignore[return-value]
                 for k in ("collapsed", "retrained_without_weight_decay", "still_collapsed"))


def collapse_warning(cells: Any, n_members: int) -> str | None:
    """The ``network_collapsed`` warning when some networks of a run collapsed under the penalty and found
    held-out MI without it (their values replaced the collapsed ones), else None."""
    from .flags import warning_text

    collapsed, recovered, still = collapse_counts(cells)
    if not recovered:
        return None
    rest = (f"; {still} more stayed constant without it too (no dependence found there)" if still else "")
    return warning_text("network_collapsed", collapsed=recovered, n_members=n_members, rest=rest)
