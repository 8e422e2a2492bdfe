"""Saturation-dim logic and the planning helpers (gamma lists, chunks, halvings, seeds)."""

from __future__ import annotations

import numpy as np
import pytest

from neuralmi_core.analysis.base import seeds_of
from neuralmi_core.analysis.plan import channel_halves, chunk_indices, derive_seed, resolve_chunking
from neuralmi_core.analysis.saturation import (
    curve_summary,
    indistinguishable_from_zero,
    saturation_dim,
    saturation_table,
)
from neuralmi_core.settings import parse_int_list
from neuralmi_core.validation import NeuralMIError

DIMS = [1, 2, 3, 4, 6, 8]
MEAN = [1.0, 2.0, 3.0, 3.05, 3.04, 3.1]
STD = [0.1] * 6


@pytest.mark.parametrize("s,expected", [(0.1, 4), (1.0, 3), (15.0, 1)])
def test_saturation_dim_depends_on_strictness(s, expected):
    # gains 1.0, 1.0, 0.05, -0.01, 0.06 against s * 0.1: lenient s waits for the first non-positive gain
    assert saturation_dim(DIMS, MEAN, STD, s) == expected


def test_never_saturating_curve_gives_none():
    assert saturation_dim([1, 2, 3], [1.0, 2.0, 3.0], [0.01] * 3, 1.0) is None
    assert saturation_dim([4], [1.0], [0.1], 1.0) is None


def test_nan_std_counts_as_zero():
    assert saturation_dim([1, 2, 3], [1.0, 2.0, 2.0], [np.nan] * 3, 1.0) == 2


def test_table_and_summary():
    rows = curve_summary([1, 1, 2, 2], [1.0, 1.2, 2.0, 2.2])
    assert [r["embedding_dim"] for r in rows] == [1, 2]
    assert rows[0]["mean_nats"] == pytest.approx(1.1)
    table = saturation_table(rows, (1.0, 15.0))
    assert set(table) == {"1", "15"}  # keyed as the CLI, config and CSV columns write s


@pytest.mark.parametrize(
    "args,message",
    [
        (([1, 2], [1.0], [0.1, 0.1], 1.0), "equal lengths"),
        (([2, 1], [1.0, 2.0], [0.1, 0.1], 1.0), "strictly increasing"),
        (([1, 2], [1.0, 2.0], [0.1, 0.1], 0.0), "`strictness`"),
    ],
)
def test_saturation_bad_input(args, message):
    with pytest.raises(NeuralMIError, match=message):
        saturation_dim(*args)


@pytest.mark.parametrize(
    "spec,expected",
    [("1-10", tuple(range(1, 11))), ("1,2,4", (1, 2, 4)), ("1-3,8", (1, 2, 3, 8)), ("4,2,2", (2, 4)), (3, (3,)),
     ([5, 1], (1, 5))],
)
def test_parse_int_list(spec, expected):
    assert parse_int_list(spec, "gammas") == expected


@pytest.mark.parametrize("spec", ["", "a", "3-1", "0", "1,,x", [0]])
def test_parse_int_list_rejects(spec):
    with pytest.raises(NeuralMIError, match="gammas"):
        parse_int_list(spec, "gammas")


def test_chunks_are_disjoint_and_cover():
    for mode in ("contiguous", "random"):
        chunks = chunk_indices(103, 4, mode, seed=1)
        assert len(chunks) == 4
        allidx = np.concatenate(chunks)
        assert sorted(allidx.tolist()) == list(range(103))
        assert max(map(len, chunks)) - min(map(len, chunks)) <= 1
    contiguous = chunk_indices(10, 2, "contiguous")
    assert contiguous[0].tolist() == [0, 1, 2, 3, 4]
    assert chunk_indices(10, 2, "random", seed=1)[0].tolist() == chunk_indices(10, 2, "random", seed=1)[0].tolist()
    assert resolve_chunking("auto", "blocked") == "contiguous" and resolve_chunking("auto", "random") == "random"


def test_channel_halves_equal_size_and_odd_drop():
    halves, dropped = channel_halves(7, 3, seed=0)
    assert dropped
    for a, b in halves:
        assert len(a) == len(b) == 3 and not set(a) & set(b)
    again, _ = channel_halves(7, 5, seed=0)
    assert all((x[0] == y[0]).all() for x, y in zip(halves, again[:3], strict=True))  # split j depends on (seed, j)
    assert not channel_halves(8, 2)[1]
    with pytest.raises(NeuralMIError, match="n_channels"):
        channel_halves(1, 2)


def test_seeds():
    assert seeds_of({"seed": 3, "n_seeds": 2, "seeds": None}) == (3, 4)
    assert seeds_of({"seed": 0, "n_seeds": 1, "seeds": (0, 3)}) == (0, 3)
    assert seeds_of({"seed": 5, "n_seeds": 1, "seeds": None}) == (5,)
    with pytest.raises(NeuralMIError, match="either"):
        seeds_of({"seed": 0, "n_seeds": 2, "seeds": (1,)})
    assert derive_seed(1, 2) == derive_seed(1, 2) != derive_seed(2, 1)


def curve_rows(means, stds, n=5, dims=(1, 2, 3, 4, 6, 8)):
    return [{"embedding_dim": d, "n_members": n, "mean_nats": m, "std_nats": s} for d, m, s in zip(dims, means, stds,
                                                                                                      strict=True)]


# the README example's curve (X with independent channels): every mean between -0.0015 and -0.0002 nats
NOISE_MEANS = [-0.0015, -0.0004, -0.0009, -0.0002, -0.0011, -0.0006]


@pytest.mark.parametrize("means,stds,n,expected", [
    (NOISE_MEANS, [0.001] * 6, 5, True),                               # README: all below 0
    ([0.004, 0.006, 0.005, 0.006, 0.006, 0.005], [1e-4] * 6, 5, True),  # significant but below the 0.01 floor
    ([0.02, 0.05, 0.03, 0.02, 0.04, 0.03], [0.05] * 6, 5, True),        # above the floor, within noise of 0
    ([0.02, 0.05, 0.03, 0.02, 0.04, 0.03], [0.01] * 6, 5, False),       # above the floor and significant
    ([0.3, 0.6, 0.9, 0.9, 0.9, 0.9], [0.02] * 6, 5, False),             # a 3-d latent
    ([-0.001, 0.0, 0.0, 0.0, 0.0, 0.02], [np.nan] * 6, 1, False),       # one member above the floor: no spread
    ([-0.001, 0.0, 0.0, 0.0, 0.0, 0.002], [np.nan] * 6, 1, True),
])
def test_indistinguishable_from_zero(means, stds, n, expected):
    assert indistinguishable_from_zero(curve_rows(means, stds, n)) is expected


def test_bonferroni_over_dims_and_level():
    # t = 0.03 / (0.02 / sqrt(5)) = 3.35: above the one-dim 95 % quantile (2.13), below the 6-dim one (4.0)
    one = curve_rows([0.03], [0.02], dims=(1,))
    six = curve_rows([0.0] * 5 + [0.03], [0.02] * 6)
    assert not indistinguishable_from_zero(one) and indistinguishable_from_zero(six)
    assert not indistinguishable_from_zero(six, level=0.5)
    assert not indistinguishable_from_zero([]) and not indistinguishable_from_zero(curve_rows([np.nan], [np.nan],
                                                                                              dims=(1,)))
    with pytest.raises(NeuralMIError, match="`level`"):
        indistinguishable_from_zero(six, level=1.0)
