"""The accuracy suite: task list, option routing, one tiny run per mode, pooled figures."""

from __future__ import annotations

import math

import numpy as np
import pytest

from neuralmi_core.suite import TASKS, parse_option, pool, route_options, run_one, select_tasks
from neuralmi_core.validation import NeuralMIError


def test_task_list_covers_the_families_with_exact_mi():
    names = [t.name for t in TASKS]
    assert len(set(names)) == len(names)
    assert len({t.family for t in TASKS}) >= 12
    assert any(t.mi == 0 for t in TASKS) and any(t.mi >= 4 for t in TASKS)
    for t in TASKS:
        x, y = t.sampler.sample(50, seed=1)
        assert x.shape == (50, t.sampler.dim_x) and y.shape == (50, t.sampler.dim_y), t.name
        # the recording-shaped families' MI costs seconds to a minute each (quadrature + MC); it is checked,
        # on cheaper instances, in tests/test_populations.py
        recorded = type(t.sampler).__module__.endswith("populations")
        assert np.isfinite(x).all() and np.isfinite(y).all() and (recorded or t.mi >= 0), t.name


def test_select_tasks():
    assert [t.name for t in select_tasks(["student-df2"])] == ["student-df2-5x5", "asinh-student-df2-3x3"]
    assert len(select_tasks(None)) == len(TASKS)
    with pytest.raises(NeuralMIError, match="'nope' matches no task"):
        select_tasks(["nope"])


@pytest.mark.parametrize("text,expected", [("hidden=512", ("hidden", 512)), ("lr=1e-3", ("lr", 1e-3)),
                                           ("critic=concat", ("critic", "concat")), ("variational=true",
                                                                                      ("variational", True)),
                                           ("gammas=1-6", ("gammas", "1-6")),
                                           ('options={"marginal_hidden": 128}', ("options", {"marginal_hidden": 128})),
                                           ("dims=[1, 2]", ("dims", [1, 2])), ("batch_size=none", ("batch_size", None)),
                                           ("preprocess=none", ("preprocess", "none")),
                                           ("preprocess=None", ("preprocess", "none"))])
def test_parse_option(text, expected):
    assert parse_option(text) == expected


def test_route_options():
    routed = route_options({"hidden": 512, "gammas": "1-6"}, ["estimate", "rigorous"])
    assert routed == {"estimate": {"hidden": 512}, "rigorous": {"hidden": 512, "gammas": "1-6"}}
    with pytest.raises(NeuralMIError, match="'gammas' is not a keyword of estimate()"):
        route_options({"gammas": "1-6"}, ["estimate"])
    with pytest.raises(NeuralMIError, match="KEY=VALUE"):
        parse_option("hidden")
    with pytest.raises(NeuralMIError, match="'options'.*does not parse"):
        parse_option("options={ref_ratio: 1}")


def test_run_one_rows_and_pool():
    task = select_tasks(["independent-5x5"])[0]
    tiny = {"epochs": 3, "hidden": 8, "device": "cpu"}
    est = run_one(task, 300, 0, "estimate", tiny)
    rig = run_one(task, 300, 0, "rigorous", {**tiny, "gammas": "1-3", "min_gammas": 3, "min_chunk": 50})
    assert est["truth"] == 0 and math.isnan(est["rel_error"]) and "mi_train" in est
    assert set(rig["intercepts"]) == {"average", "train", "test"} and len(rig["ci"]) == 2
    assert rig["covered"] == (rig["ci"][0] <= 0 <= rig["ci"][1])
    summary = pool([est, rig])
    assert summary["rigorous"]["ci_rows_mi0"] == 1 and summary["rigorous"]["ci_rows"] == 0


def test_pool_figures():
    def row(mode, truth, mi, covered=None, task="t"):
        r = {"task": task, "n": 5000, "data_seed": 0, "mode": mode, "truth": truth, "mi": mi, "seconds": 1.0,
             "rel_error": (mi - truth) / truth if truth else math.nan}
        if covered is not None:
            r["covered"] = covered
        return r

    rows = [row("estimate", 1.0, 0.9), row("estimate", 1.0, 0.6, task="bad"), row("estimate", 2.0, 2.1),
            row("rigorous", 1.0, 0.95, True), row("rigorous", 1.0, 0.7, False), row("rigorous", 0.0, 0.01, True),
            {**row("rigorous", 1.0, 0.5, False, task="flagged"), "flags": ["train_test_disagree"]},
            {**row("estimate", 1.0, 0.1, task="copula"), "copula_equivalent": True}]
    s = pool(rows)
    assert s["estimate"]["median_abs_rel_error"] == pytest.approx(0.1)
    assert s["estimate"]["worst_abs_rel_error"] == pytest.approx(0.4) and s["estimate"]["worst"].startswith("bad")
    assert (s["rigorous"]["ci_covers"], s["rigorous"]["ci_rows"]) == (1, 3)
    assert s["rigorous"]["unflagged_misses"] == ["t N=5000 seed 0"]
    assert s["estimate"]["rows"] == 3  # the copula-equivalent row is left out
    assert (s["rigorous"]["ci_contains_0"], s["rigorous"]["ci_rows_mi0"]) == (1, 1)
    assert s["rigorous"]["max_abs_estimate_mi0"] == pytest.approx(0.01)
