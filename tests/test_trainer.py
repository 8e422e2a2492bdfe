"""The shared ensemble trainer: determinism, independent early stopping, best-state restoration, compaction,
timing, preprocessing and the batch-size rule. Device-parametrised with ``pytest --device cuda``."""

import functools
import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from neuralmi_core.estimators import ModelSpec, build_objective, fit_ensemble
from neuralmi_core.samplers import CorrelatedGaussian
from neuralmi_core.training import (
    MemberData,
    TrainConfig,
    make_ensemble_data,
    split_member,
    train_ensemble,
    train_test_split,
)
from neuralmi_core.training.data import _copula_t, _standardise_t, preprocess
from neuralmi_core.training.trainer import auto_batch_size, earliest_stop
from neuralmi_core.validation import NeuralMIError

SMALL = dict(epochs=15, batch_size=64, patience=5, min_epochs=3, eval_size=200, progress=False)


def _members(k=3, n=600, seed=0):
    x, y = CorrelatedGaussian(2, 2, 0.5).sample(n, seed=seed)
    return [split_member(x, y, "random", seed=i) for i in range(k)]


def test_same_seed_gives_bit_identical_results(device):
    spec = ModelSpec("infonce", hidden=16, embedding_dim=4)
    a = fit_ensemble(_members(), spec, TrainConfig(seed=3, device=device, **SMALL))
    b = fit_ensemble(_members(), spec, TrainConfig(seed=3, device=device, **SMALL))
    assert [m.mi_test_nats for m in a.members] == [m.mi_test_nats for m in b.members]
    assert [m.curve_test_nats for m in a.members] == [m.curve_test_nats for m in b.members]
    c = fit_ensemble(_members(), spec, TrainConfig(seed=4, device=device, **SMALL))
    assert [m.mi_test_nats for m in a.members] != [m.mi_test_nats for m in c.members]


def test_replicas_train_as_their_base_would_alone(device):
    """`tie`: two data sets fitted as one ensemble, the second's members replicas of the first's (their initial
    weights, batch order and evaluation rows), give each data set the numbers of its own fit (on the CPU bit for
    bit). The transfer-entropy surrogate test trains the observed series and its surrogates this way."""
    spec = ModelSpec("infonce", hidden=16, embedding_dim=4)
    cfg = TrainConfig(seed=3, device=device, **SMALL)
    first, second = _members(k=2, seed=0), _members(k=2, seed=1)  # other data, the same sizes and splits
    alone = [m for pair in (first, second) for m in fit_ensemble(pair, spec, cfg).members]
    joint = fit_ensemble([*first, *second], spec, cfg, tie=[0, 1, 0, 1]).members
    untied = fit_ensemble([*first, *second], spec, cfg).members
    numbers = [[m.mi_test_nats, m.mi_train_nats, m.best_epoch, m.epochs_run] for m in alone]
    if torch.device(device).type == "cpu":
        assert [[m.mi_test_nats, m.mi_train_nats, m.best_epoch, m.epochs_run] for m in joint] == numbers
        assert [m.curve_test_nats for m in joint] == [m.curve_test_nats for m in alone]
    else:  # GPU kernels may round differently for other batch counts
        assert np.allclose([m.mi_test_nats for m in joint], [m.mi_test_nats for m in alone], atol=0.05)
    assert [m.mi_test_nats for m in untied[2:]] != [m.mi_test_nats for m in alone[2:]]  # the tie is what does it
    with pytest.raises(NeuralMIError, match="tie"):
        fit_ensemble(first, spec, cfg, tie=[1, 0])


def test_variational_training_noise_is_seeded(device):
    """Variational noise comes from torch's global generator: seeded per fit, not left to what ran before."""
    spec = ModelSpec("infonce", hidden=16, embedding_dim=4, variational=True)
    cfg = TrainConfig(seed=2, device=device, **SMALL)
    torch.manual_seed(1)
    a = fit_ensemble(_members(), spec, cfg)
    torch.manual_seed(99)
    torch.rand(7)
    b = fit_ensemble(_members(), spec, cfg)
    assert [m.mi_test_nats for m in a.members] == [m.mi_test_nats for m in b.members]


def test_best_state_is_restored_per_member(device):
    """After training, the objective evaluates to each member's raw held-out MI at its kept checkpoint."""
    members = _members(k=4)
    cfg = TrainConfig(seed=0, smooth_window=5, device=device, **SMALL)
    data = make_ensemble_data(members, eval_size=cfg.eval_size, seed=cfg.seed, device=device)
    torch.manual_seed(0)
    obj = build_objective(ModelSpec("smile", hidden=16, embedding_dim=4), 4, 2, 2)
    fit = train_ensemble(obj, data, cfg)
    obj.eval()
    with torch.no_grad():
        now = obj.estimate(data.x_eval, data.y_eval).cpu().numpy()
    np.testing.assert_allclose(now, [m.mi_test_raw_nats for m in fit.members], rtol=1e-5, atol=1e-6)
    for m in fit.members:  # the reported value is the centred 5-epoch mean around the best centre
        c = m.best_epoch - 1
        window = m.curve_test_nats[max(c - 2, 0): c + 3]
        assert m.mi_test_nats == pytest.approx(sum(window) / len(window), abs=1e-6)


def test_members_stop_independently(device):
    x, y = CorrelatedGaussian(2, 2, 0.5).sample(800, seed=1)
    xi, yi = np.random.default_rng(0).normal(size=(2, 800, 2))
    members = [split_member(x, y, "random"), split_member(xi, yi, "random")]  # signal vs pure noise
    fit = fit_ensemble(members, ModelSpec("infonce", hidden=16, embedding_dim=4),
                       TrainConfig(epochs=60, batch_size=64, patience=4, min_epochs=2, eval_size=150,
                                   weight_decay=0.0, progress=False, device=device))
    runs = [m.epochs_run for m in fit.members]
    assert fit.members[1].stopped_early and runs[1] < 60
    assert len(set(runs)) == 2 or fit.members[0].epochs_run == 60


def _staggered(k=5):
    """Signal and pure-noise members of different sizes: they stop at different epochs."""
    x, y = CorrelatedGaussian(3, 3, 0.8).sample(3000, seed=5)
    xi, yi = np.random.default_rng(5).normal(size=(2, 3000, 3))
    out = []
    for i in range(k):
        a, b = (x, y) if i % 2 else (xi, yi)
        out.append(split_member(a[: 300 + 500 * i], b[: 300 + 500 * i], "random", seed=i))
    return out


@pytest.mark.parametrize("estimator, critic", [("infonce", "separable"), ("smile", "bilinear"), ("mine", "concat")])
def test_compaction_changes_no_number(estimator, critic, device):
    """Dropping stopped members from the computation gives the same numbers as computing them with weight 0."""
    spec = ModelSpec(estimator, critic, hidden=16, embedding_dim=4, n_layers=1)
    kw = dict(epochs=40, batch_size=64, patience=3, min_epochs=2, eval_size=100, weight_decay=0.0, progress=False,
              device=device)
    on = fit_ensemble(_staggered(), spec, TrainConfig(compact=True, **kw))
    off = fit_ensemble(_staggered(), spec, TrainConfig(compact=False, **kw))
    assert len({m.epochs_run for m in on.members}) > 1  # members stopped at different epochs
    assert on.info["compacted"] and on.info["compactions"] >= 1 and on.info["idle_member_steps"] == 0
    assert not off.info["compacted"] and off.info["idle_member_steps"] > 0
    assert on.info["member_steps"] < off.info["member_steps"]
    if torch.device(device).type != "cpu":  # GPU kernels may round differently for other batch counts
        assert all(np.isfinite(m.mi_test_nats) for m in on.members)
        return
    for a, b in zip(on.members, off.members, strict=True):  # on the CPU: the same numbers, bit for bit
        assert (a.epochs_run, a.best_epoch) == (b.epochs_run, b.best_epoch)
        assert [a.mi_test_nats, a.mi_train_nats, a.mi_test_raw_nats] == [b.mi_test_nats, b.mi_train_nats,
                                                                         b.mi_test_raw_nats]
        assert a.curve_test_nats == b.curve_test_nats


def test_compacted_fit_restores_every_member(device):
    """After compaction the returned objective holds all K members again, each at its kept checkpoint."""
    members = _staggered(5)
    cfg = TrainConfig(epochs=40, batch_size=64, patience=3, min_epochs=2, eval_size=100, progress=False,
                      device=device)
    data = make_ensemble_data(members, eval_size=cfg.eval_size, seed=cfg.seed, device=device)
    torch.manual_seed(0)
    obj = build_objective(ModelSpec("smile", "bilinear", hidden=16, embedding_dim=4), 5, 3, 3)
    fit = train_ensemble(obj, data, cfg)
    assert fit.info["compactions"] >= 1
    assert all(p.shape[0] == 5 for p in obj.parameters())
    obj.eval()
    with torch.no_grad():
        now = obj.estimate(data.x_eval, data.y_eval).cpu().numpy()
    np.testing.assert_allclose(now, [m.mi_test_raw_nats for m in fit.members], rtol=1e-5, atol=1e-6)


def test_fit_records_timing_and_work(device):
    fit = fit_ensemble(_members(), ModelSpec("infonce", hidden=8, embedding_dim=2),
                       TrainConfig(threads=1, device=device, **SMALL))
    info = fit.info
    for key in ("transfer_s", "preprocess_s", "train_s", "eval_s", "other_s"):
        assert info[key] >= 0.0, key
    assert info["train_s"] + info["eval_s"] <= fit.seconds
    assert info["epochs"] == max(m.epochs_run for m in fit.members)
    assert info["steps"] == info["epochs"] * fit.steps_per_epoch and info["evals"] == info["epochs"]
    assert info["threads"] == 1


def test_earliest_stop_counts_to_early_stopping():
    cfg = TrainConfig(epochs=300, patience=40, min_epochs=20)
    assert earliest_stop(0, torch.tensor([0]), cfg) == 41  # an improvement now: 40 more epochs at least
    assert earliest_stop(50, torch.tensor([10, 39]), cfg) == 81  # the member that improved last decides
    assert earliest_stop(5, torch.tensor([5, 5]), TrainConfig(patience=2, min_epochs=20)) == 20
    assert earliest_stop(290, torch.tensor([0]), cfg) == 300  # never beyond the maximum


def test_progress_bar_counts_to_early_stopping(monkeypatch):
    """The bar's total follows the earliest possible stop (not the epoch maximum) and shows active members."""
    import importlib

    trainer = importlib.import_module("neuralmi_core.training.trainer")
    bars = []

    class Recorder:
        def __init__(self, total, desc, disable, **kwargs):
            self.total, self.desc, self.disable, self.totals, self.postfix, self.n = total, desc, disable, [], [], 0
            bars.append(self)

        def set_postfix(self, refresh=True, **kw):
            self.postfix.append(kw)

        def update(self, n):
            self.n += n
            self.totals.append(self.total)

        def close(self):
            pass

    monkeypatch.setattr(trainer, "tqdm", Recorder)
    xi, yi = np.random.default_rng(0).normal(size=(2, 600, 2))  # no signal: every member stops early
    noise = [split_member(xi, yi, "random", seed=i) for i in range(3)]
    cfg = TrainConfig(epochs=200, batch_size=64, patience=3, min_epochs=2, eval_size=200, smooth_window=1,
                      progress=True)
    fit = fit_ensemble(noise, ModelSpec("infonce", hidden=8, embedding_dim=2), cfg, desc="bar-test")
    bar = bars[0]
    assert bar.desc == "bar-test" and not bar.disable
    assert fit.info["epochs"] < 200 and len(bar.totals) == fit.info["epochs"] - 1  # the last epoch breaks out
    assert max(bar.totals) < 200 and bar.totals[-1] == fit.info["epochs"]  # counts to the stop, not to 200
    assert [p["active"] for p in bar.postfix][0] == "3/3" and bar.postfix[-1]["active"] == "1/3"
    fit_ensemble(_members(), ModelSpec("infonce", hidden=8, embedding_dim=2), TrainConfig(**SMALL))
    assert bars[-1].disable and not bars[-1].postfix  # progress=False: no bar


@pytest.mark.parametrize("n_train, batch", [(200, 256), (32_767, 256), (32_768, 512), (100_000, 1024),
                                            (262_144, 4096), (10**7, 4096)])
def test_auto_batch_size_rule(n_train, batch):
    assert auto_batch_size(n_train) == batch


def test_members_of_different_sizes_train_together(device):
    x, y = CorrelatedGaussian(2, 2, 0.5).sample(1000, seed=2)
    members = [split_member(x[:500], y[:500], "random"), split_member(x[500:999], y[500:999], "random")]
    fit = fit_ensemble(members, ModelSpec("nwj", hidden=8, embedding_dim=2), TrainConfig(device=device, **SMALL))
    assert [m.n_train for m in fit.members] == [400, 399]
    assert all(np.isfinite(m.mi_test_nats) for m in fit.members)


def test_blocked_split_has_gap_and_blocks():
    train, test = train_test_split(1000, "blocked", test_fraction=0.2, n_blocks=4, gap=5, seed=0)
    assert test.size == 200 and not set(train) & set(test)
    blocks = np.split(test, np.flatnonzero(np.diff(test) > 1) + 1)
    assert len(blocks) == 4
    for b in blocks:  # no training sample within `gap` of a test block
        assert not ((train >= b[0] - 5) & (train <= b[-1] + 5)).any()


def test_split_too_small_is_a_clear_error():
    with pytest.raises(NeuralMIError, match="too few samples for the requested split: n_samples=10"):
        train_test_split(10, "blocked", test_fraction=0.2, gap=10)


def test_copula_preprocessing_is_monotone_and_gaussian():
    rng = np.random.default_rng(0)
    train = rng.standard_t(2, size=(2000, 2)) ** 3
    test = rng.standard_t(2, size=(500, 2)) ** 3
    tr, te = preprocess("copula", train, test)
    assert abs(tr.mean()) < 0.02 and abs(tr.std() - 1) < 0.05
    order = np.argsort(test[:, 0])
    assert np.all(np.diff(te[order, 0]) >= 0)  # order preserved (MI-preserving map)
    with pytest.raises(NeuralMIError, match="preprocess"):
        preprocess("rank", train)


def _copula_reference(train, *others):
    """The per-feature loop (np.unique + np.interp + scipy ndtri) the vectorised transform replaced."""
    from scipy.special import ndtri

    n = train.shape[0]
    outs = [np.empty_like(a, dtype=np.float64) for a in (train, *others)]
    for j in range(train.shape[1]):
        values, counts = np.unique(train[:, j], return_counts=True)
        cdf = (np.cumsum(counts) - 0.5 * counts) / n
        for src, dst in zip((train, *others), outs, strict=True):
            dst[:, j] = ndtri(np.interp(src[:, j], values, cdf))
    return outs


def test_vectorised_copula_equals_the_per_feature_loop():
    rng = np.random.default_rng(3)
    train = np.c_[np.round(rng.standard_t(2, size=(700, 3)) * 2) / 2,  # many ties
                  rng.standard_normal((700, 2)), np.full((700, 1), 4.0)]  # and a constant feature
    test = np.c_[rng.standard_t(2, size=(300, 3)) * 3, rng.standard_normal((300, 2)) * 5,
                 rng.choice([3.0, 4.0, 5.0], size=(300, 1))]  # outside, between and on training values
    test[:5] = train[:5]
    for new, ref in zip(preprocess("copula", train, test), _copula_reference(train, test), strict=True):
        np.testing.assert_array_equal(new, ref)  # bit for bit on the CPU
    # the accelerator path (torch sort and searchsorted), run on the CPU: the same CDF, bit for bit, and
    # with torch.special.ndtri (as on a GPU) equal to within rounding
    t = [torch.as_tensor(a) for a in (train, test)]
    for new, ref in zip(_copula_t(*t), _copula_reference(train, test), strict=True):
        np.testing.assert_array_equal(new.numpy(), ref)
    for new, ref in zip(_copula_t(*t, device_ndtri=True), _copula_reference(train, test), strict=True):
        np.testing.assert_allclose(new.numpy(), ref, rtol=1e-12, atol=1e-12)


def test_zscore_matches_numpy(device):
    rng = np.random.default_rng(4)
    train, test = rng.normal(3, 2, size=(500, 4)), rng.normal(3, 2, size=(100, 4))
    train[:, 3] = 1.0  # constant: divided by 1, not 0
    mean, std = train.mean(0), train.std(0)
    std[3] = 1.0
    data = make_ensemble_data([MemberData(train, train[:, :2], test, test[:, :2])], eval_size=100,
                              preprocessing="zscore", dtype=torch.float64, device=device)
    np.testing.assert_allclose(data.x_train[0].cpu().numpy(), (train - mean) / std, rtol=1e-12, atol=1e-12)
    assert math.isclose(float(data.x_eval[0].cpu().mean()), float(((test - mean) / std).mean()), rel_tol=1e-9)
    # the accelerator path (torch reductions), run on the CPU
    tr, te = _standardise_t(torch.as_tensor(train), torch.as_tensor(test), host=False)
    np.testing.assert_allclose(tr.numpy(), (train - mean) / std, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(te.numpy(), (test - mean) / std, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("weight_decay", [0.0, 1e-2])
@pytest.mark.parametrize("foreach", [False, True])
def test_adam_matches_torch_optim(weight_decay, foreach):
    """The trainer's Adam is torch.optim.Adam's algorithm: bit-identical to its CPU path, and its batched
    (accelerator) path gives the same numbers to rounding."""
    from neuralmi_core.training.adam import Adam

    gen = torch.Generator().manual_seed(0)
    ours = [torch.randn(3, 5, 4, generator=gen).requires_grad_(), torch.randn(3, 1, 4, generator=gen).requires_grad_()]
    ref = [p.detach().clone().requires_grad_() for p in ours]
    a = Adam(ours, lr=1e-2, weight_decay=weight_decay, foreach=foreach)
    b = torch.optim.Adam(ref, lr=1e-2, weight_decay=weight_decay, foreach=False)
    for _ in range(25):
        grads = [torch.randn(p.shape, generator=gen) for p in ours]
        for opt, ps in ((a, ours), (b, ref)):
            opt.zero_grad(set_to_none=True)
            for p, g in zip(ps, grads, strict=True):
                p.grad = g.clone()
            opt.step()
    for p, q in zip(ours, ref, strict=True):
        if foreach:
            torch.testing.assert_close(p, q, rtol=1e-6, atol=1e-7)
        else:
            assert torch.equal(p, q)


def test_weight_average_is_the_bias_corrected_exponential_average():
    """After n steps the swapped-in weights are sum_i (1-d) d^(n-i) p_i / (1 - d^n); swapping out restores the
    trained values; a parameter without a gradient is left alone."""
    from neuralmi_core.training.adam import Adam
    from neuralmi_core.training.trainer import (
        _average_step,
        _swap_in_average,
        _swap_out_average,
        average_decay,
    )

    assert average_decay(5) == pytest.approx(1 - 1 / 20) and average_decay(64) == pytest.approx(1 - 1 / 64)
    gen = torch.Generator().manual_seed(1)
    p = torch.randn(2, 3, generator=gen).requires_grad_()
    unused = torch.randn(2, 1, generator=gen).requires_grad_()
    opt = Adam([p, unused], lr=0.1)
    d, history = 0.7, []
    for _ in range(6):
        opt.zero_grad(set_to_none=True)
        p.grad = torch.randn(p.shape, generator=gen)
        opt.step()
        _average_step(opt, d)
        history.append(p.detach().clone())
    n = len(history)
    expected = sum((1 - d) * d ** (n - 1 - i) * h for i, h in enumerate(history)) / (1 - d**n)
    before, untouched = p.detach().clone(), unused.detach().clone()
    saved = _swap_in_average(opt, d)
    torch.testing.assert_close(p.detach(), expected, rtol=1e-6, atol=1e-7)
    assert torch.equal(unused.detach(), untouched)
    _swap_out_average(opt, saved)
    assert torch.equal(p.detach(), before)


def test_weight_average_keeps_and_reports_the_averaged_weights(device):
    """With weight averaging the kept state is the averaged weights: the restored objective evaluates to the raw
    held-out MI at the kept checkpoint; the numbers differ from training without it; compaction (which slices
    the average with Adam's moments) changes none of them."""
    spec = ModelSpec("infonce", hidden=16, embedding_dim=4, n_layers=1)
    kw = dict(epochs=80, batch_size=64, patience=3, min_epochs=2, eval_size=100, progress=False, device=device)
    members = _staggered(5)
    data = make_ensemble_data(members, eval_size=100, seed=0, device=device)
    torch.manual_seed(0)
    obj = build_objective(spec, 5, 3, 3)
    fit = train_ensemble(obj, data, TrainConfig(weight_average=True, **kw))
    assert fit.info["weight_average"] and fit.info["compactions"] >= 1
    obj.eval()
    with torch.no_grad():
        now = obj.estimate(data.x_eval, data.y_eval).cpu().numpy()
    np.testing.assert_allclose(now, [m.mi_test_raw_nats for m in fit.members], rtol=1e-5, atol=1e-6)
    plain = fit_ensemble(_staggered(5), spec, TrainConfig(**kw))
    assert not plain.info["weight_average"]
    averaged = fit_ensemble(_staggered(5), spec, TrainConfig(weight_average=True, **kw))
    assert [m.mi_test_nats for m in averaged.members] != [m.mi_test_nats for m in plain.members]
    if torch.device(device).type == "cpu":
        loose = fit_ensemble(_staggered(5), spec, TrainConfig(weight_average=True, compact=False, **kw))
        for a, b in zip(averaged.members, loose.members, strict=True):
            assert (a.epochs_run, a.best_epoch, a.mi_test_nats, a.curve_test_nats) == (
                b.epochs_run, b.best_epoch, b.mi_test_nats, b.curve_test_nats)


def test_weight_average_leaves_density_estimators_alone(device):
    """MIENF keeps running moments of its training latents (buffers), so it does not opt in: the same numbers."""
    members = _members(k=1, n=400)
    spec = ModelSpec("mienf", hidden=8, n_layers=1)
    cfg = dict(epochs=3, batch_size=64, patience=5, min_epochs=1, eval_size=100, progress=False, device=device)
    a = fit_ensemble(members, spec, TrainConfig(weight_average=True, **cfg))
    b = fit_ensemble(members, spec, TrainConfig(**cfg))
    assert not a.info["weight_average"]
    assert [m.mi_test_nats for m in a.members] == [m.mi_test_nats for m in b.members]


@functools.cache
def _early_stopping():
    """``benchmarks/early_stopping.py``, loaded once (it is not a package)."""
    spec = importlib.util.spec_from_file_location(
        "early_stopping", Path(__file__).parents[1] / "benchmarks" / "early_stopping.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _replay(curve, patience, min_gain, min_epochs, window):
    """The documented stopping rule, as ``benchmarks/early_stopping.py`` replays it on recorded curves (the
    diagnosis of DIAGNOSIS.md section 24 relies on it): (epochs run, best epoch, reported MI) of one member."""
    mi, _, best, stop = _early_stopping().replay(list(curve), list(curve), patience, len(curve), min_epochs, window,
                                                 min_gain)
    return stop, best, mi


def test_patience_resets_only_on_a_gain_above_min_gain(device):
    """Under weight averaging only a new best that beats the value at the last reset by more than ``min_gain`` x
    |that value| resets the patience; the checkpoint is still the best smoothed value. Each member's epochs, best
    epoch and MI are that rule replayed on its whole held-out curve by the benchmarks' replay. The default is
    AVERAGE_MIN_GAIN with averaging and 0 without (the rule of unaveraged training, which rigorous mode uses, is
    unchanged); a larger gain stops sooner."""
    from neuralmi_core.training.trainer import AVERAGE_MIN_GAIN

    spec = ModelSpec("infonce", hidden=16, embedding_dim=4, n_layers=1)
    kw = dict(epochs=80, batch_size=64, patience=3, min_epochs=2, eval_size=100, progress=False, device=device,
              max_curve_points=1000, weight_average=True)
    runs = {}
    for gain in (None, 0.0, 0.02, 100.0):
        fit = fit_ensemble(_staggered(5), spec, TrainConfig(min_gain=gain, **kw))
        used = AVERAGE_MIN_GAIN if gain is None else gain
        assert fit.info["min_gain"] == used
        for m in fit.members:
            assert len(m.curve_test_nats) == m.epochs_run  # the whole curve
            stop, best, mi = _replay(m.curve_test_nats, 3, used, 2, TrainConfig().smooth_window)
            assert (m.epochs_run, m.best_epoch) == (stop, best)
            assert m.mi_test_nats == pytest.approx(mi, rel=1e-6, abs=1e-7)
        runs[gain] = [m.epochs_run for m in fit.members]
    assert runs[100.0] == [4] * 5  # never reset after the first epoch: patience + 1 epochs
    assert sum(runs[0.02]) < sum(runs[0.0])
    assert all(a <= b for a, b in zip(runs[None], runs[0.0], strict=True))
    plain = fit_ensemble(_staggered(5), spec, TrainConfig(**{**kw, "weight_average": False}))
    assert plain.info["min_gain"] == 0.0
    with pytest.raises(NeuralMIError, match="min_gain"):
        TrainConfig(min_gain=-0.1).validate()


class _Scripted(torch.nn.Module):
    """An objective whose held-out MI (and, :class:`_ScriptedWithScore`, checkpoint score) follow scripts, one value
    per epoch (``end_epoch`` advances them)."""

    def __init__(self, k: int, mi: list[float], score: list[float]):
        super().__init__()
        self.n_members, self.mi, self.score, self.epoch = k, mi, score, -1
        self.w = torch.nn.Parameter(torch.zeros(k, 1))

    def training_loss(self, x, y):
        return (self.w**2).sum(-1), torch.zeros(self.n_members)

    def end_epoch(self, x, y, n_train):
        self.epoch += 1

    def estimate(self, x, y):
        return torch.full((self.n_members,), self.mi[self.epoch])

    def ceiling(self, n_eval):
        return None


class _ScriptedWithScore(_Scripted):
    def estimate_with_score(self, x, y):
        return self.estimate(x, y), torch.full((self.n_members,), self.score[self.epoch])


def test_the_checkpoint_follows_the_objectives_own_score():
    """An objective with ``estimate_with_score``: early stopping and the checkpoint follow the score (peak at epoch 6),
    while the curves and the reported MI are the estimate's (the window around epoch 6), not its maximum."""
    epochs = 40
    mi = [0.1 * e for e in range(epochs)]  # rises throughout
    score = [-abs(e - 5) for e in range(epochs)]  # best at the 6th epoch
    data = make_ensemble_data(_members(2), eval_size=100, seed=0)
    cfg = TrainConfig(epochs=epochs, batch_size=64, patience=4, min_epochs=2, progress=False)
    fit = train_ensemble(_ScriptedWithScore(2, mi, score), data, cfg)
    h = cfg.smooth_window // 2
    for m in fit.members:
        assert m.best_epoch == 6 and m.epochs_run == 6 + h + 4
        assert m.mi_test_nats == pytest.approx(np.mean(mi[5 - h:5 + h + 1]))
        assert list(m.curve_test_nats) == pytest.approx(mi[:m.epochs_run])
    fit = train_ensemble(_Scripted(2, mi, score), data, cfg)  # without a score: the MI's maximum, at the end
    assert fit.members[0].epochs_run == epochs and fit.members[0].best_epoch >= epochs - h
