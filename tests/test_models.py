"""Contract tests for the batched critics (zuko-style: shapes, gradients, member independence)."""

import pytest
import torch

from neuralmi_core.models import BatchedLinear, make_critic
from neuralmi_core.models import critics as critics_mod
from neuralmi_core.settings import CRITICS as _DECLARED

CRITICS = [c for c in _DECLARED if c != "auto"]  # every declared critic (auto is resolved from the data first)


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


@pytest.mark.parametrize("name", CRITICS)
@pytest.mark.parametrize("variational", [False, True])
def test_shapes_and_gradients_reach_every_parameter(name, variational, device):
    k, b, dx, dy = 3, 7, 4, 2
    critic = make_critic(name, k, dx, dy, embedding_dim=5, hidden=8, variational=variational).to(device)
    x, y = torch.randn(k, b, dx, device=device), torch.randn(k, b + 2, dy, device=device)
    scores = critic(x, y)
    assert scores.shape == (k, b, b + 2)
    kl = critic.kl()
    loss = scores.pow(2).mean() + (kl.sum() if isinstance(kl, torch.Tensor) else 0.0)
    loss.backward()
    for pname, p in critic.named_parameters():
        assert p.shape[0] == k, f"{pname} must have the ensemble dimension first"
        assert p.grad is not None and torch.isfinite(p.grad).all(), pname
        if not (variational is False and "logvar" in pname):
            assert p.grad.abs().sum() > 0, f"no gradient reaches {pname}"


@pytest.mark.parametrize("name", CRITICS)
def test_members_are_independent(name):
    k = 3
    critic = make_critic(name, k, 3, 3, embedding_dim=4, hidden=8)
    x, y = torch.randn(k, 5, 3), torch.randn(k, 5, 3)
    critic(x, y)[1].sum().backward()  # only member 1's scores
    for pname, p in critic.named_parameters():
        assert p.grad[0].abs().sum() == 0 and p.grad[2].abs().sum() == 0, pname


@pytest.mark.parametrize("name", CRITICS)
def test_batched_equals_one_member_alone(name):
    critic = make_critic(name, 2, 3, 2, embedding_dim=4, hidden=8).eval()
    x, y = torch.randn(2, 6, 3), torch.randn(2, 6, 2)
    both = critic(x, y)
    # copy member 1 into a one-member critic
    single = make_critic(name, 1, 3, 2, embedding_dim=4, hidden=8).eval()
    single.load_state_dict({k_: v[1:2] for k_, v in critic.state_dict().items()})
    torch.testing.assert_close(single(x[1:2], y[1:2])[0], both[1])


def test_pairwise_chunking_matches_full(monkeypatch):
    critic = make_critic("concat", 2, 3, 3, hidden=8).eval()
    x, y = torch.randn(2, 40, 3), torch.randn(2, 40, 3)
    full = critic(x, y)
    monkeypatch.setattr(critics_mod, "_PAIR_BUDGET", 2 * 40 * 8 * 3)  # forces row chunks of 3
    torch.testing.assert_close(critic(x, y), full)


def test_batched_linear_matches_per_member_matmul():
    layer = BatchedLinear(4, 3, 5)
    x = torch.randn(4, 6, 3)
    expected = torch.stack([x[i] @ layer.weight[i] + layer.bias[i] for i in range(4)])
    torch.testing.assert_close(layer(x), expected)


def test_variational_uses_means_in_eval_and_samples_in_training():
    critic = make_critic("separable", 1, 2, 2, embedding_dim=3, hidden=8, variational=True)
    x, y = torch.randn(1, 5, 2), torch.randn(1, 5, 2)
    critic.eval()
    torch.testing.assert_close(critic(x, y), critic(x, y))
    critic.train()
    assert not torch.allclose(critic(x, y), critic(x, y))
    assert critic.kl().shape == (1,) and critic.kl().item() > 0


def test_unknown_critic_is_named():
    with pytest.raises(ValueError, match="critic.*'separable'.*Got 'mlp'"):
        make_critic("mlp", 1, 2, 2)


@pytest.mark.parametrize("name", ["separable", "bilinear"])
def test_marginal_terms_add_functions_of_one_side(name):
    """scores = interaction + a(x) + b(y): double differences see only the interaction; marginals=False
    is the plain (bi)linear form."""
    torch.manual_seed(0)
    x, y = torch.randn(2, 5, 3), torch.randn(2, 4, 2)
    critic = make_critic(name, 2, 3, 2, embedding_dim=4, hidden=8, n_layers=1)
    s = critic(x, y)
    gx, ax = critic.g.split(x)
    hy, by = critic.h.split(y)
    assert ax.shape == (2, 5, 1) and by.shape == (2, 4, 1) and gx.shape == (2, 5, 4)
    inter = critic._pair(gx, hy)
    assert torch.allclose(s, inter + ax + by.transpose(1, 2), atol=1e-6)
    dd = lambda m: m[:, 1:, 1:] - m[:, 1:, :1] - m[:, :1, 1:] + m[:, :1, :1]  # noqa: E731
    assert torch.allclose(dd(s), dd(inter), atol=1e-5)
    assert not torch.allclose(s, inter)  # the marginal terms are there
    plain = make_critic(name, 2, 3, 2, embedding_dim=4, hidden=8, n_layers=1, marginals=False)
    assert plain.g.split(x)[1].shape == (2, 5, 0)
    assert torch.allclose(plain(x, y), plain._pair(plain.g(x), plain.h(y)))
