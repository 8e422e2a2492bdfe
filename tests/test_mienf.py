"""MIENF (normalizing-flow MI estimator): contract, options, ground truth."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import neuralmi_core as nmi
from neuralmi_core.estimation import flows_untrained_warning
from neuralmi_core.estimators.mienf import (
    MIENFObjective,
    build_objective,
    gaussian_mi_from_cov,
    parse_options,
)
from neuralmi_core.estimators.neural import ModelSpec, trained_estimators
from neuralmi_core.results import MemberRecord
from neuralmi_core.samplers import CorrelatedGaussian
from neuralmi_core.training.trainer import merge_rows
from neuralmi_core.validation import NeuralMIError, NeuralMIWarning

K, DX, DY, B = 3, 2, 3, 64


def _objective(**options) -> MIENFObjective:
    torch.manual_seed(0)
    return build_objective(ModelSpec("mienf", hidden=16, n_layers=1, options=options), K, DX, DY)


def _batch(n: int = B, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    x, y = CorrelatedGaussian(DX, DY, 0.5).sample(K * n, seed=seed)
    return (torch.as_tensor(x, dtype=torch.float32).view(K, n, DX),
            torch.as_tensor(y, dtype=torch.float32).view(K, n, DY))


def test_registered():
    assert "mienf" in trained_estimators()


@pytest.mark.parametrize("variant", ["general", "tridiagonal"])
@pytest.mark.parametrize("flow", ["nsf", "maf", "realnvp"])
def test_contract_shapes_and_gradients(variant, flow):
    obj = _objective(variant=variant, flow=flow)
    x, y = _batch()
    loss, mi = obj.training_loss(x, y)
    assert loss.shape == (K,) and mi.shape == (K,)
    assert torch.isfinite(loss).all()
    loss.sum().backward()
    for name, p in obj.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
    obj.eval()
    est = obj.estimate(x, y)
    assert est.shape == (K,) and torch.isfinite(est).all()
    assert obj.ceiling(100) is None


def test_members_are_independent():
    """A member's loss depends only on its own data and flows (the trainer sums the K losses)."""
    obj = _objective()
    x, y = _batch()
    loss, _ = obj.training_loss(x, y)
    loss[0].backward()
    assert all(p.grad is None or p.grad.abs().sum() == 0 for p in obj.flows_x[1].parameters())


def test_flows_are_invertible():
    obj = _objective()
    x, _ = _batch()
    t = obj.flows_x[0]()
    with torch.no_grad():
        back = t.inv(t(x[0]))
    assert torch.allclose(back, x[0], atol=1e-4)


def test_tridiagonal_components_sum_to_estimate():
    obj = _objective(variant="tridiagonal")
    x, y = _batch()
    obj.train()
    for _ in range(3):
        obj.training_loss(x, y)  # updates the running latent moments
    obj.eval()
    comps = obj.component_mi(x, y)
    assert comps.shape == (K, min(DX, DY))
    assert torch.allclose(comps.sum(-1), obj.estimate(x, y), atol=1e-5)
    info = obj.member_info(x, y)
    assert len(info) == K and math.isclose(sum(info[0]["component_mi_nats"]), float(comps[0].sum()), rel_tol=1e-5)


def test_component_mi_needs_tridiagonal():
    obj = _objective()
    x, y = _batch()
    with pytest.raises(NeuralMIError, match="tridiagonal"):
        obj.component_mi(x, y)


def test_general_estimate_is_gaussian_mi_of_latent_moments():
    """With the latent Gaussian at the latents' own sample moments, the mean pointwise MI equals the
    closed form 1/2 (log|S_xi| + log|S_eta| - log|S|) exactly (the quadratic terms average to D/2)."""
    obj = _objective(jitter=0.0)
    x, y = _batch(n=500)
    obj.eval()
    with torch.no_grad():
        xi, eta, _ = obj.latents(x, y)
        z = torch.cat([xi, eta], -1)
        obj.mean.copy_(z.mean(1))
        zc = z - z.mean(1, keepdim=True)
        obj.cov.copy_(zc.transpose(1, 2) @ zc / z.shape[1])
    closed = gaussian_mi_from_cov(obj.cov.double(), DX)
    assert torch.allclose(obj.estimate(x, y).double(), closed, atol=1e-4)
    assert torch.allclose(obj.model_mi().double(), closed, atol=1e-4)


def test_merge_best_state_per_member():
    obj = _objective()
    best = {n: t.clone() for n, t in obj.state_dict().items()}
    current = {n: t + 1.0 if t.is_floating_point() else t for n, t in best.items()}
    improved = torch.tensor([False, True, False])
    out = obj.merge_best_state(best, current, improved)
    assert set(out) == set(best)
    for name, t in out.items():
        if not t.is_floating_point():
            continue
        if name.startswith(("flows_x.1.", "flows_y.1.")):
            assert torch.equal(t, current[name]), name
        elif name.startswith(("flows_x.", "flows_y.")):
            assert torch.equal(t, best[name]), name
        else:  # member-first tensors: row 1 from current
            assert torch.equal(t, merge_rows({name: best[name]}, {name: current[name]}, improved)[name]), name
    obj.load_state_dict(out)


@pytest.mark.parametrize(
    "options, message",
    [
        ({"varient": "general"}, "unknown mienf option.*did you mean .variant"),
        ({"variant": "banded"}, "options.variant"),
        ({"flow": "glow"}, "options.flow"),
        ({"transforms": 0}, "options.transforms"),
        ({"softclip": 6.0}, "options.softclip"),
        ({"linear": "yes"}, "options.linear"),
        ({"ema": 0.0}, "options.ema"),
    ],
)
def test_bad_options(options, message):
    with pytest.raises(NeuralMIError, match=message):
        parse_options(options)


def test_estimate_api_runs_quickly():
    x, y = CorrelatedGaussian(2, 2, 1.0).sample(600, seed=1)
    with pytest.warns(NeuralMIWarning, match="flows did not train"):  # 3 epochs: the best is the first
        res = nmi.estimate(x, y, estimator="mienf", epochs=3, hidden=16, seed=0, progress=False,
                           options={"variant": "tridiagonal"})
    assert res.estimator == "mienf" and res.critic is None and np.isfinite(res.mi_nats)


# Ground truth. Tolerances: the held-out estimate is scored on n_eval = 20 % of N samples; its sampling
# spread at 1 nat is about 0.04 nats for n_eval = 800 (the Gaussian MI of 800 held-out samples varies by
# that much between seeds), and the flows add a few hundredths: we allow 0.15 nats (about 3 sigma).
FAST = dict(epochs=60, lr=2e-3, patience=15, hidden=64, n_layers=2, split="random", progress=False)


@pytest.mark.slow
@pytest.mark.parametrize("dim", [2, 5])
def test_ground_truth_gaussian(dim):
    x, y = CorrelatedGaussian(dim, dim, 1.0).sample(4000, seed=dim)
    res = nmi.estimate(x, y, estimator="mienf", seed=0, **FAST)
    print(f"mienf {dim}+{dim} dims, 1 nat: {res.mi_nats:.3f}")
    assert abs(res.mi_nats - 1.0) < 0.15, res


@pytest.mark.slow
@pytest.mark.parametrize("transform, variant", [("cube", "general"), ("cube", "tridiagonal"),
                                                ("asinh", "tridiagonal")])
def test_ground_truth_invertible_transform(transform, variant):
    """Non-linear marginals (z-scored only, no copula preprocessing): the flows must Gaussianize them."""
    x, y = CorrelatedGaussian(3, 3, 1.0, transform=transform).sample(4000, seed=3)
    res = nmi.estimate(x, y, estimator="mienf", seed=0, preprocess="zscore", options={"variant": variant},
                       **FAST)
    print(f"mienf 3+3 dims, {transform}, {variant}: {res.mi_nats:.3f}")
    assert abs(res.mi_nats - 1.0) < 0.15, res
    info = res.members[0].info  # surfaced by the trainer's member_info hook
    assert info["variant"] == variant
    if variant == "tridiagonal":  # per-component MIs of the kept state sum to its held-out MI
        assert math.isclose(sum(info["component_mi_nats"]), res.members[0].mi_test_raw_nats, rel_tol=1e-3)


@pytest.mark.slow
def test_high_dimensional_runs():
    """32 + 32 dimensions on CPU: a few epochs run without error and give a finite, sane estimate."""
    x, y = CorrelatedGaussian(32, 32, 2.0).sample(2000, seed=0)
    res = nmi.estimate(x, y, estimator="mienf", epochs=3, lr=2e-3, seed=0, split="random", progress=False,
                       options={"transforms": 1})
    assert np.isfinite(res.mi_nats) and 0.5 < res.mi_nats < 4.0


# The estimator's own "flows did not train" diagnostics (issue 23 item 1).
def _member(member: int, best_epoch: int, mi: float) -> MemberRecord:
    return MemberRecord(member=member, n_train=800, n_test=200, n_eval=200, mi_test_nats=mi, mi_train_nats=mi,
                        mi_test_raw_nats=mi, best_epoch=best_epoch, epochs_run=30, stopped_early=True)


@pytest.mark.parametrize("estimator, members, expected", [
    ("mienf", [(0, 12, 0.3)], None),
    ("mienf", [(0, 1, 0.3)], "best epoch <= 1 in member(s) [0]"),
    ("mienf", [(0, 5, float("nan"))], "held-out MI NaN or exactly 0 in member(s) [0]"),
    ("mienf", [(0, 9, 0.2), (1, 7, 0.0)], "held-out MI NaN or exactly 0 in member(s) [1]"),
    ("mienf", [(0, 1, 0.0)], "best epoch <= 1 in member(s) [0]; held-out MI NaN or exactly 0 in member(s) [0]"),
    ("smile", [(0, 1, 0.0)], None),  # only MIENF's record is read this way
])
def test_flows_untrained_warning_table(estimator, members, expected):
    text = flows_untrained_warning(estimator, [_member(*m) for m in members])
    if expected is None:
        assert text is None
    else:
        assert text.startswith(f"{estimator}'s flows did not train ({expected})"), text


def test_flows_untrained_warning_on_one_epoch():
    """A constructed failure: one epoch of training cannot move the flows, and the result says so."""
    x, y = CorrelatedGaussian(2, 2, 1.0).sample(600, seed=1)
    with pytest.warns(NeuralMIWarning, match="flows did not train"):
        res = nmi.estimate(x, y, estimator="mienf", epochs=1, hidden=16, seed=0, progress=False)
    assert any("flows did not train (best epoch <= 1" in w for w in res.warnings), res.warnings
