"""Each bound against values computed by hand (numpy, explicit loops) on small score matrices."""

import math

import numpy as np
import pytest
import torch

from neuralmi_core import bounds

RNG = np.random.default_rng(0)
SCORES = RNG.normal(size=(3, 4, 4)) * 2.0  # K=3 members, B=4


def _offdiag(s):
    b = s.shape[0]
    return np.array([s[i, j] for i in range(b) for j in range(b) if i != j])


def _by_hand(name, s, tau=5.0):
    b = s.shape[0]
    d = np.diag(s).mean()
    if name == "infonce":
        return np.mean([s[i, i] - math.log(np.exp(s[i]).sum() / b) for i in range(b)])
    if name == "nwj":
        return d - np.exp(_offdiag(s) - 1).mean()
    if name in ("dv", "mine"):
        return d - math.log(np.exp(_offdiag(s)).mean())
    if name == "smile":
        return d - math.log(np.exp(np.clip(_offdiag(s), -tau, tau)).mean())
    if name == "js":
        t = s + 1
        return np.diag(t).mean() - np.exp(_offdiag(t) - 1).mean()
    raise KeyError(name)


@pytest.mark.parametrize("name", ["infonce", "nwj", "dv", "smile", "js", "mine"])
def test_bound_matches_hand_computation(name):
    t = torch.tensor(SCORES)
    out = getattr(bounds, name)(t)
    expected = np.array([_by_hand(name, s) for s in SCORES])
    np.testing.assert_allclose(out.mi.numpy(), expected, rtol=1e-10, atol=1e-12)
    assert out.loss.shape == (3,)


def test_smile_clip_changes_value_only_beyond_tau():
    s = torch.tensor(SCORES)
    np.testing.assert_allclose(bounds.smile(s, tau=50.0).mi, bounds.dv(s).mi, rtol=1e-12)
    big = s * 10
    assert not torch.allclose(bounds.smile(big, tau=1.0).mi, bounds.dv(big).mi)
    np.testing.assert_allclose(bounds.smile(big, 1.0).mi.numpy(),
                               [_by_hand("smile", a, 1.0) for a in big.numpy()], rtol=1e-10)


def test_js_loss_is_fgan_objective():
    s = SCORES[0]
    sp = lambda v: np.log1p(np.exp(v))  # noqa: E731
    expected = -(np.mean(-sp(-np.diag(s))) - np.mean(sp(_offdiag(s))))
    got = bounds.js(torch.tensor(SCORES[:1])).loss.item()
    assert got == pytest.approx(expected, rel=1e-10)


def test_infonce_never_exceeds_log_b():
    s = torch.zeros(2, 8, 8)
    s[:, range(8), range(8)] = 1e4  # a perfect critic
    mi = bounds.infonce(s).mi
    assert torch.all(mi <= math.log(8) + 1e-9)
    assert mi[0].item() == pytest.approx(math.log(8))


def test_mine_moving_average_state_and_gradient():
    s = torch.tensor(SCORES, requires_grad=True)
    first = bounds.mine(s)
    # with no state, the average starts at the current batch's log mean exp
    lme = torch.tensor([math.log(np.exp(_offdiag(a)).mean()) for a in SCORES], dtype=torch.float64)
    np.testing.assert_allclose(first.state.numpy(), lme.numpy(), rtol=1e-10)
    second = bounds.mine(s, first.state + 1.0, alpha=0.5)
    expected = np.log(0.5 * np.exp(lme.numpy() + 1.0) + 0.5 * np.exp(lme.numpy()))
    np.testing.assert_allclose(second.state.numpy(), expected, rtol=1e-10)
    # the gradient of the off-diagonal term is e^f / ema, not e^f / batch mean
    second.loss.sum().backward()
    g = s.grad[0].numpy()
    b = 4
    ema = np.exp(second.state[0].item())
    assert g[0, 1] == pytest.approx(np.exp(SCORES[0, 0, 1]) / (b * (b - 1)) / ema, rel=1e-8)
    assert g[0, 0] == pytest.approx(-1 / b, rel=1e-8)


@pytest.mark.parametrize("bad", [torch.zeros(4, 4), torch.zeros(2, 3, 4), torch.zeros(1, 1, 1)])
def test_bounds_reject_bad_shapes(bad):
    with pytest.raises(ValueError, match="scores"):
        bounds.infonce(bad)


@pytest.mark.parametrize("name", ["infonce", "smile", "nwj", "dv", "mine", "js"])
def test_evaluate_bound_is_the_bound_value_exactly(name):
    """The evaluation path skips the training loss but returns the same numbers, bit for bit."""
    scores = torch.randn(3, 40, 40, generator=torch.Generator().manual_seed(0)) * 3
    b = bounds
    fn = {"infonce": b.infonce, "smile": lambda s: b.smile(s, 2.0), "nwj": b.nwj, "dv": b.dv, "mine": b.mine,
          "js": b.js}[name]
    assert torch.equal(b.evaluate_bound(name, scores, tau=2.0), fn(scores).mi)
    work = scores.clone()
    assert torch.equal(b.evaluate_bound(name, work, tau=2.0, inplace=True), fn(scores).mi)
    kept = scores.clone()
    b.evaluate_bound(name, kept, tau=2.0)
    assert torch.equal(kept, scores)  # not in place: the caller's scores are untouched
