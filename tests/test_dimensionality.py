"""Dimensionality mode: halvings, member table, partial runs and gather (CLI), interaction, 3-d latent."""

from __future__ import annotations

import json

import matplotlib
import numpy as np
import pytest

from neuralmi_core import DimensionalityResult, dimensionality
from neuralmi_core.analysis.dimensionality import (
    DimensionalityMember,
    gather_dimensionality,
    summarize_dimensionality,
)
from neuralmi_core.cli import main
from neuralmi_core.validation import NeuralMIError

matplotlib.use("Agg")

TINY = dict(epochs=4, hidden=8, n_layers=1, batch_size=64, split="random", progress=False, device="cpu")
TINY_CLI = ["--epochs", "4", "--hidden", "8", "--n-layers", "1", "--batch-size", "64", "--split", "random",
            "--no-progress", "--device", "cpu", "--n-splits", "2"]


def latent_population(n: int, latent: int = 3, channels: int = 12, noise: float = 0.5, seed: int = 0) -> np.ndarray:
    """``channels`` noisy linear readouts of a ``latent``-dimensional Gaussian signal (shared by any halving)."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, latent))
    w = rng.standard_normal((latent, channels))
    return z @ w + noise * rng.standard_normal((n, channels))


@pytest.fixture(scope="module")
def x():
    return latent_population(600, channels=7)


def test_internal_sweep_table(x):
    res = dimensionality(x, embedding_dims="1,2", n_splits=2, seeds="0,1", **TINY)
    assert isinstance(res, DimensionalityResult) and res.target == "internal"
    assert len(res.members) == 2 * 2 * 2
    assert res.dropped_channel and any("odd number of channels (7)" in w for w in res.warnings)
    m = res.members[0]
    assert len(m.channels_a) == len(m.channels_b) == 3 and not set(m.channels_a) & set(m.channels_b)
    # halvings depend on (seed, split) only: the same at every dim
    by_key = {(m.seed, m.halving): m.channels_a for m in res.members if m.embedding_dim == 1}
    assert all(by_key[(m.seed, m.halving)] == m.channels_a for m in res.members)
    assert [r["embedding_dim"] for r in res.curve] == [1, 2]
    assert set(res.saturation) == {"0.1", "1", "15"}
    d = res.to_dict()
    assert "mean_bits" in d["curve"][0] and d["target"] == "internal"
    json.dumps(d, allow_nan=False)
    assert res.plot().axes


def test_interaction_sweep(x):
    y = x[:, :2] + 0.1
    res = dimensionality(x, y, embedding_dims=[2], n_splits=2, **TINY)
    assert res.target == "interaction" and len(res.members) == 2
    assert res.saturation_dim is None and any("single embedding dim" in w for w in res.warnings)
    assert res.members[0].channels_a == ()


def test_cli_gather_equals_single_call(x, tmp_path):
    np.save(tmp_path / "x.npy", x)
    xs = str(tmp_path / "x.npy")
    full = tmp_path / "full.json"
    assert main(["dimensionality", xs, "--embedding-dims", "1,2,3", "--seed-list", "0", *TINY_CLI, "--json",
                 str(full)]) == 0
    parts = []
    for d in (1, 2, 3):
        p = tmp_path / f"part_d{d}.json"
        assert main(["dimensionality", xs, "--embedding-dims", str(d), "--seed-list", "0", *TINY_CLI, "--json",
                     str(p)]) == 0
        parts.append(str(p))
    gathered = tmp_path / "gathered.json"
    assert main(["gather", "dimensionality", *parts, "--json", str(gathered)]) == 0
    a, b = json.loads(full.read_text()), json.loads(gathered.read_text())
    for k in a:
        if k not in ("seconds", "cells"):
            assert a[k] == b[k], k


def test_gather_rejects_mismatch(x):
    a = dimensionality(x, embedding_dims=[1], n_splits=2, **TINY)
    b = dimensionality(x, embedding_dims=[2], n_splits=3, **TINY)
    with pytest.raises(NeuralMIError, match="n_splits"):
        gather_dimensionality([a.to_dict(), b.to_dict()])
    with pytest.raises(NeuralMIError, match="appears in both"):
        gather_dimensionality([a.to_dict(), a.to_dict()])


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"embedding_dims": "0,1"}, "`embedding_dims`"),
        ({"n_splits": 0}, "`n_splits`"),
        ({"critic": "concat"}, "embedding to sweep"),
        ({"estimator": "gaussian"}, "`estimator` must be one of .* for dimensionality"),
            ({"estimator": "minee"}, "minee and mienf have none"),
    ],
)
def test_bad_arguments(x, kwargs, message):
    with pytest.raises(NeuralMIError, match=message):
        dimensionality(x, **{**TINY, "embedding_dims": [1], **kwargs})


def test_single_channel_needs_y():
    with pytest.raises(NeuralMIError, match="at least 2"):
        dimensionality(np.random.default_rng(0).standard_normal((300, 1)), embedding_dims=[1], **TINY)


@pytest.mark.slow
def test_three_dim_latent_saturates_at_three():
    """Both halves see the same 3-d latent: the curve saturates at 3 ± 1 (strictness 1).

    Measured on data seeds 0-4 (the critic's marginal terms on): saturation dim at s = 1 3, 3, 3, 2, 3,
    and MI at 3 dims / MI at 6 dims = 1.01, 1.01, 1.01, 1.01, 1.02. Without the marginal terms the
    inner product spent embedding dimensions on functions of one side alone: 4, 4, none, 4, none and
    0.64, 0.65, 0.59, 0.68, 0.69. We require 3 ± 1 and a ratio above 0.9."""
    x = latent_population(3000, latent=3, channels=12, noise=1.0, seed=0)
    res = dimensionality(x, embedding_dims="1,2,3,4,6", n_splits=3, split="random", epochs=150, lr=2e-3,
                         progress=False, device="cpu")
    assert res.saturation_dim is not None and abs(res.saturation_dim - 3) <= 1, res.curve
    mean = {r["embedding_dim"]: r["mean_nats"] for r in res.curve}
    assert mean[3] / mean[6] > 0.9, res.curve


def member_table(means_per_dim: dict[int, list[float]]) -> list[DimensionalityMember]:
    return [DimensionalityMember(embedding_dim=d, halving=j, seed=0, n_train=800, n_test=200, n_eval=200,
                                 mi_test_nats=v, mi_train_nats=v + 0.01, best_epoch=5, epochs_run=20)
            for d, vals in means_per_dim.items() for j, v in enumerate(vals)]


SETTINGS = {"target": "internal", "n_splits": 5}


def test_noise_curve_reports_no_shared_information():
    """The README example's curve (independent channels, MI -0.0015 to -0.0002 nats) used to give saturation
    dims {0.1: 2, 1: 1, 15: 1} without a warning; now no dim and a warning."""
    rng = np.random.default_rng(0)
    table = member_table({d: list(m + 0.001 * rng.standard_normal(5)) for d, m in
                          zip((1, 2, 3, 4, 6, 8), (-0.0015, -0.0004, -0.0009, -0.0002, -0.0011, -0.0006), strict=True)})
    res = summarize_dimensionality(table, SETTINGS, {"dim_x": 10})
    assert res.no_shared_information and res.saturation_dim is None
    assert set(res.saturation.values()) == {None}
    assert any(w.startswith("no shared information") for w in res.warnings)
    assert not any("still rises" in w for w in res.warnings)
    assert "no shared information" in repr(res) and res.to_dict()["no_shared_information"] is True
    assert DimensionalityResult.from_dict(res.to_dict()).no_shared_information
    from neuralmi_core.report.records import dimensionality_row
    from neuralmi_core.report.session_html import _result_text

    row = dimensionality_row("a", res.to_dict(), unit="nats")
    assert row["no_signal"] is True and row["saturation_dim"] is None
    value, _, status = _result_text(row, "nats")
    assert value.startswith("no shared information") and "no signal" in status


def test_latent_curve_keeps_its_saturation_dim():
    spread = np.array([-0.02, -0.01, 0.0, 0.01, 0.02])
    table = member_table({d: list(m + spread) for d, m in zip((1, 2, 3, 4, 6), (0.4, 0.8, 1.2, 1.2, 1.19), strict=True)})
    res = summarize_dimensionality(table, SETTINGS, {"dim_x": 10})
    assert not res.no_shared_information and res.saturation_dim == 3
    assert not any("no shared information" in w for w in res.warnings)


@pytest.mark.slow
def test_readme_example_finds_no_structure_in_independent_channels():
    from neuralmi_core.samplers import CorrelatedGaussian

    x, _ = CorrelatedGaussian(5, 5, mi_nats=1.0).sample(5000, seed=0)
    res = dimensionality(x, embedding_dims=[1, 2, 3, 4, 6, 8], progress=False, device="cpu")
    assert res.no_shared_information and res.saturation_dim is None, res.curve
