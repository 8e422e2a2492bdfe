"""The density-based estimators' check for features without a density (neuralmi_core.intrinsic)."""

from __future__ import annotations

import numpy as np
import pytest

import neuralmi_core as nmi
from neuralmi_core.flags import lower_dimensional_warning
from neuralmi_core.intrinsic import MAX_FEATURES, is_lower_dimensional, side_dimension, twonn_dimension

N = 3000


def _circle(n: int = N, seed: int = 0, noise: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    th = rng.uniform(0, 2 * np.pi, n)
    return th, np.c_[np.cos(th), np.sin(th)] + noise * rng.standard_normal((n, 2))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_twonn_reads_the_dimension_of_a_curve_and_of_a_density(seed):
    """2000 rows: a circle reads 1 and a 3-d Gaussian 3 (measured spread of the estimate at 2000 rows: sd 0.02 at
    d = 1-2, 0.08 at d = 3; tolerance 0.3, about 4 sd)."""
    rng = np.random.default_rng(seed)
    assert twonn_dimension(_circle(seed=seed)[1], seed=seed) == pytest.approx(1.0, abs=0.3)
    assert twonn_dimension(rng.standard_normal((N, 3)), seed=seed) == pytest.approx(3.0, abs=0.3)


def test_correlated_features_read_like_independent_ones():
    """Whitening: 25 equicorrelated Gaussian features (rho 0.99) read within 15 % of the standard-normal reference
    (0.76 of it without whitening), and a column that is the sum of others lowers the dimension by one."""
    rng = np.random.default_rng(0)
    cov = np.full((25, 25), 0.99)
    np.fill_diagonal(cov, 1.0)
    check = side_dimension(rng.multivariate_normal(np.zeros(25), cov, N), np.ones(25, bool))
    assert check["dimension"] > 0.85 * check["reference"] and not is_lower_dimensional(check)
    z = rng.standard_normal((N, 3))
    dependent = side_dimension(np.c_[z, z.sum(1)], np.ones(4, bool))
    assert dependent["dimension"] == pytest.approx(3.0, abs=0.3) and is_lower_dimensional(dependent)


def test_what_the_check_calls_lower_dimensional():
    rng = np.random.default_rng(0)
    th, circle = _circle()
    every = np.ones(2, bool)
    assert is_lower_dimensional(side_dimension(circle, every))
    assert is_lower_dimensional(side_dimension(np.c_[th, th**2], every))  # a feature that is a function of another
    assert not is_lower_dimensional(side_dimension(_circle(noise=0.01)[1], every))  # 1 % noise: a 2-d density
    assert not is_lower_dimensional(side_dimension(rng.standard_cauchy((N, 2)), every))  # heavy tails: a density
    # not checked: a single continuous column, too many of them, too few rows
    assert side_dimension(circle, np.array([True, False])) is None
    wide = MAX_FEATURES + 1
    assert side_dimension(rng.standard_normal((200, wide)), np.ones(wide, bool)) is None
    assert side_dimension(circle[:50], every) is None
    assert not is_lower_dimensional(None)


def test_the_warning_judges_each_side_on_the_fit_with_the_most_rows():
    small = {"intrinsic_features_y": 2, "intrinsic_rows_y": 300, "intrinsic_dim_y": 2.0, "intrinsic_ref_y": 2.0}
    large = {"intrinsic_features_y": 2, "intrinsic_rows_y": 2000, "intrinsic_dim_y": 1.0, "intrinsic_ref_y": 2.0}
    text = lower_dimensional_warning("mienf", small, large)
    assert text and "2 continuous y features" in text and "1.0" in text and "18-69 %" in text
    assert lower_dimensional_warning("mienf", large | {"intrinsic_rows_y": 100}, small) is None
    assert lower_dimensional_warning("mienf", {}) is None


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("estimator", ["mienf", "minee"])
def test_density_estimators_warn_on_features_without_a_density(estimator):
    """Y = (cos, sin) of an angle that X carries: estimate() with MIENF warns ``lower_dimensional_features`` naming
    the y side when it keeps a flow of each side (``context_side: none``), and by default makes y the context of a
    conditional flow of x and says so (``conditional_flow``) instead; MI-NEE gives that side its empirical reference
    and says so (``empirical_reference``); with a 2-d Gaussian Y neither does; infonce does not check."""
    th, circle = _circle()
    rng = np.random.default_rng(1)
    x = np.c_[th + 0.3 * rng.standard_normal(N), rng.standard_normal(N)]
    kw = dict(epochs=2, split="random", seed=0, progress=False)
    res = nmi.estimate(x, circle, estimator=estimator, **kw)
    hits = [w for w in res.warnings if "lie on a set of lower dimension" in w]
    if estimator == "minee":
        assert not hits and res.history["timing"]["empirical_y"] == "lower-dimensional"
        hits = [w for w in res.warnings if "y has no density (y: lower-dimensional)" in w]
        assert len(hits) == 1 and "empirical_x" not in res.history["timing"]
    else:
        assert not hits and res.history["timing"]["context_y"] == "lower-dimensional"
        assert len([w for w in res.warnings if "y has no density (lower-dimensional)" in w]) == 1
        flows = nmi.estimate(x, circle, estimator=estimator, options={"context_side": "none"}, **kw)
        hits = [w for w in flows.warnings if "lie on a set of lower dimension" in w]
        assert len(hits) == 1 and "continuous y features" in hits[0] and "continuous x" not in hits[0]
    assert res.history["timing"]["intrinsic_dim_y"] < 1.3 < res.history["timing"]["intrinsic_dim_x"]
    plain = nmi.estimate(x, rng.standard_normal((N, 2)), estimator=estimator, **kw)
    assert not any("lower dimension" in w or "no density" in w for w in plain.warnings)
    info = nmi.estimate(x, circle, estimator="infonce", **kw)
    assert not any("lower dimension" in w for w in info.warnings)
    assert "intrinsic_dim_y" not in info.history["timing"]


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_rigorous_mode_carries_the_warning():
    th, circle = _circle(n=1500)
    x = np.c_[th, np.random.default_rng(2).standard_normal(1500)]
    res = nmi.rigorous(x, circle, estimator="mienf", gammas="1-3", min_gammas=3, epochs=2, split="random",
                       progress=False, options={"context_side": "none"})
    assert any("continuous y features lie on a set of lower dimension" in w for w in res.warnings)


def test_the_check_and_dequantization_agree_on_which_columns_are_counts():
    """A column integer-valued on the training rows but not on the held-out ones is continuous for both: the
    check judges it (with the other continuous column: 2 features), and dequantization leaves it alone."""
    from neuralmi_core.estimators.neural import dequantize_members, dimension_info
    from neuralmi_core.training.data import MemberData

    rng = np.random.default_rng(3)
    counts = rng.poisson(2.0, (N + 200, 1)).astype(float)
    half_integer = counts.copy()
    half_integer[N:] += 0.5  # integer on the training rows only
    x = np.c_[half_integer, rng.standard_normal(N + 200)]
    y = rng.standard_normal((N + 200, 2))
    member = MemberData(x[:N], y[:N], x[N:], y[N:])
    info = dimension_info(member, seed=0)
    assert info["intrinsic_features_x"] == 2 and info["intrinsic_features_y"] == 2
    _, dq = dequantize_members([member], seed=0)
    assert dq.get("dequantized_x", 0) == 0  # an empty dict when nothing was dequantized
    only_counts = MemberData(np.c_[counts[:N], x[:N, 1]], y[:N], np.c_[counts[N:], x[N:, 1]], y[N:])
    assert "intrinsic_features_x" not in dimension_info(only_counts, seed=0)  # one continuous column: unchecked
    assert dequantize_members([only_counts], seed=0)[1]["dequantized_x"] == 1


def test_the_reference_is_the_seeded_standard_normal_sample():
    d, n = 3, 500
    ref = np.random.default_rng([7, d, n]).standard_normal((n, d))
    assert side_dimension(np.random.default_rng(0).standard_normal((n, d)), np.ones(d, bool), seed=7)["reference"] \
        == round(twonn_dimension(ref, seed=7), 3)
