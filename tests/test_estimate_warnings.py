"""Issue 20 item 5: estimate() is not silent on autocorrelated samples, and stays quiet on i.i.d. ones."""

from __future__ import annotations

import importlib.util
import math
import warnings
from pathlib import Path

import numpy as np
import pytest

import neuralmi_core as nmi
from neuralmi_core.estimation import MIN_EFFECTIVE_TRAIN, time_series_warnings, train_test_gap_warning
from neuralmi_core.samplers import CorrelatedGaussian

_spec = importlib.util.spec_from_file_location("estimate_warnings", Path(__file__).parents[1] / "benchmarks" /
                                               "estimate_warnings.py")
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)


def test_the_ar1_series_has_the_correlated_gaussian_marginal_and_its_autocorrelation():
    x, y = bench.ar1_pairs(20000, 0.9, mi_nats=1.0)
    r = math.sqrt(1 - math.exp(-0.4))
    assert np.allclose(x.std(axis=0), 1, atol=0.08) and np.allclose(y.std(axis=0), 1, atol=0.08)
    assert np.allclose([np.corrcoef(x[:, i], y[:, i])[0, 1] for i in range(5)], r, atol=0.05)
    assert np.allclose([np.corrcoef(x[1:, i], x[:-1, i])[0, 1] for i in range(5)], 0.9, atol=0.03)


@pytest.mark.parametrize("a, split, expected", [
    (0.95, "blocked", {"small_effective_sample"}),
    (0.95, "random", {"small_effective_sample", "random_split_leaks"}),
    (0.5, "random", {"random_split_leaks"}),
    (0.0, "random", set()),
    (0.0, "blocked", set()),
])
def test_time_series_warnings_follow_the_measured_decorrelation_time(a, split, expected):
    x, y = bench.ar1_pairs(5000, a)
    got = set(bench.names(time_series_warnings(x, y, split, 4000, 10)))
    assert got == expected


def test_iid_suite_shaped_data_never_get_a_time_series_warning():
    """Over 20 i.i.d. data sets of the 1-nat Gaussian the decorrelation time is 1: no warning at all."""
    sampler = CorrelatedGaussian(5, 5, mi_nats=1.0)
    for seed in range(20):
        x, y = sampler.sample(5000, seed=seed)
        assert time_series_warnings(x, y, "random", 4000, 0) == ()


def test_effective_sample_text_names_tau_and_size():
    x, y = bench.ar1_pairs(5000, 0.95)
    (text,) = time_series_warnings(x, y, "blocked", 4000, 10)
    assert "decorrelation time" in text and f"fewer than {MIN_EFFECTIVE_TRAIN}" in text


@pytest.mark.parametrize("train, test, fires", [(1.09, 0.37, True), (0.57, 0.48, False), (0.005, -0.001, False),
                                                (0.21, 0.125, False), (float("nan"), 0.1, False),
                                                (2.99, 2.12, True), (1.03, 0.93, False), (0.78, 0.62, True)])
def test_train_test_gap_rule(train, test, fires):
    assert (train_test_gap_warning(train, test) is not None) is fires


def test_estimate_on_an_autocorrelated_series_says_so():
    x, y = bench.ar1_pairs(3000, 0.95)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = nmi.estimate(x, y, epochs=15, hidden=32, split="random")
    assert {"small_effective_sample", "random_split_leaks"} <= set(bench.names(res.warnings))
