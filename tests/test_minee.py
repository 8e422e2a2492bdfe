"""MI-NEE (entropic estimator with a Gaussian or uniform product reference): contract, options, ground truth."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

import neuralmi_core as nmi
from neuralmi_core.estimators.minee import MINEEObjective, build_objective, parse_options
from neuralmi_core.estimators.neural import ModelSpec, trained_estimators
from neuralmi_core.samplers import CorrelatedGaussian
from neuralmi_core.training import make_ensemble_data, split_member
from neuralmi_core.training.trainer import merge_rows
from neuralmi_core.validation import NeuralMIError

K, DX, DY, B = 3, 2, 3, 64


def _objective(**options) -> MINEEObjective:
    torch.manual_seed(0)
    return build_objective(ModelSpec("minee", hidden=16, n_layers=1, options=options), K, DX, DY)


def _batch(n: int = B, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    x, y = CorrelatedGaussian(DX, DY, 0.5).sample(K * n, seed=seed)
    return (torch.as_tensor(x, dtype=torch.float32).view(K, n, DX),
            torch.as_tensor(y, dtype=torch.float32).view(K, n, DY))


def test_registered():
    assert "minee" in trained_estimators()


def test_contract_shapes_gradients_and_box():
    obj = _objective(ref_ratio=4)
    x, y = _batch()
    obj.train()
    loss, mi = obj.training_loss(x, y)
    assert loss.shape == (K,) and mi.shape == (K,) and torch.isfinite(loss).all()
    loss.sum().backward()
    for name, p in obj.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
    z = torch.cat([x, y], -1)
    assert torch.equal(obj.lo, z.amin(1)) and torch.equal(obj.hi, z.amax(1))  # box of what it has seen
    for t in obj.state_dict().values():  # the trainer's row-wise best-state copy applies
        assert t.shape[0] == K
    obj.eval()
    est = obj.estimate(x, y)
    assert est.shape == (K,) and torch.isfinite(est).all()
    assert torch.equal(est, obj.estimate(x, y))  # fixed evaluation reference: deterministic
    d = obj.divergences(x, y)
    assert torch.allclose(est, d[:, 0] - d[:, 1] - d[:, 2])
    assert obj.ceiling(100) is None


@pytest.mark.parametrize("reference, message", [("uniform", "box is unset"), ("gaussian", "Gaussian reference is unset")])
def test_untrained_reference_raises(reference, message):
    obj = _objective(reference=reference)
    x, y = _batch()
    obj.eval()
    with pytest.raises(RuntimeError, match=message):
        obj.estimate(x, y)


def test_uniform_reference_runs_in_the_box():
    obj = _objective(reference="uniform", ref_ratio=4)
    x, y = _batch()
    obj.train()
    loss, mi = obj.training_loss(x, y)
    assert torch.isfinite(loss).all() and torch.isfinite(mi).all()
    ref = obj._draw(K, 500, torch.Generator().manual_seed(0), x.device, x.dtype)
    assert (ref >= obj.lo[:, None, :]).all() and (ref <= obj.hi[:, None, :]).all()


def test_gaussian_reference_fitted_on_training_data_is_a_product():
    rng = np.random.default_rng(0)
    mix = rng.normal(size=(DX + DY, DX + DY))
    members = []
    for i, n in enumerate((400, 250, 300)):
        z = rng.normal(size=(n, DX + DY)) @ mix + 3.0 * i
        members.append(split_member(z[:, :DX], z[:, DX:], "random", seed=i))
    data = make_ensemble_data(members, eval_size=50, preprocessing="none")
    obj = _objective()
    obj.prepare(data)
    for i, n in enumerate(data.n_train):
        z = torch.cat([data.x_train[i, :n], data.y_train[i, :n]], -1).double()
        assert torch.allclose(obj.mean[i].double(), z.mean(0), atol=1e-5)
        cov_x = torch.cov(z[:, :DX].T)
        assert torch.allclose((obj.chol_x[i] @ obj.chol_x[i].T).double(), cov_x, rtol=1e-4, atol=1e-4)
        ref = obj._draw(K, 200_000, torch.Generator().manual_seed(i), torch.device("cpu"), torch.float32)[i].double()
        emp = torch.cov(ref.T)
        assert torch.allclose(emp[:DX, :DX], cov_x, atol=0.05 * float(cov_x.abs().max()))
        assert emp[:DX, DX:].abs().max() < 0.05 * float(emp.diagonal().max())  # X and Y independent under Q
        assert torch.allclose(ref.mean(0), z.mean(0), atol=0.05 * float(z.std(0).max()))


def test_prepare_sets_box_from_training_data_ignoring_padding():  # (the uniform reference's box)
    rng = np.random.default_rng(0)
    members = [split_member(rng.normal(size=(n, DX)), rng.normal(size=(n, DY)), "random", seed=i)
               for i, n in enumerate((300, 120, 200))]
    data = make_ensemble_data(members, eval_size=50)
    obj = _objective()
    obj.prepare(data)
    for i, n in enumerate(data.n_train):
        z = torch.cat([data.x_train[i, :n], data.y_train[i, :n]], -1)
        assert torch.equal(obj.lo[i], z.amin(0)) and torch.equal(obj.hi[i], z.amax(0))


def test_pad_widens_reference():
    obj = _objective(pad=0.5, reference="uniform")
    x, y = _batch()
    obj.training_loss(x, y)
    lo, width = obj._box()
    assert torch.allclose(width, 2.0 * (obj.hi - obj.lo))
    assert torch.allclose(lo, obj.lo - 0.5 * (obj.hi - obj.lo))


def test_members_are_independent():
    obj = _objective()
    x, y = _batch()
    loss, _ = obj.training_loss(x, y)
    loss[0].backward()
    for p in obj.parameters():
        assert p.grad[1:].abs().sum() == 0


def test_merge_rows_restores_members():
    obj = _objective()
    x, y = _batch()
    obj.training_loss(x, y)
    best = {n: t.clone() for n, t in obj.state_dict().items()}
    current = {n: t + 1.0 for n, t in best.items()}
    out = merge_rows(best, current, torch.tensor([True, False, False]))
    obj.load_state_dict(out)
    assert torch.equal(obj.lo[0], best["lo"][0] + 1.0) and torch.equal(obj.lo[1], best["lo"][1])


def test_estimate_sets_shares_the_reference_term_with_the_same_numbers():
    obj = _objective(ref_ratio=4, eval_ref=3000, eval_chunk=700)  # several chunks, one partial
    x, y = _batch()
    obj.training_loss(x, y)
    obj.eval()
    x2, y2 = _batch(seed=1)
    x3, y3 = _batch(n=1000, seed=2)  # ref_ratio * n > eval_ref: a larger reference sample
    got = obj.estimate_sets([(x, y), (x2, y2), (x3, y3)])
    assert got.shape == (3, K)
    for row, (a, b) in zip(got, [(x, y), (x2, y2), (x3, y3)], strict=True):
        assert torch.equal(row, obj.estimate(a, b))  # bit-identical to separate calls


class _SeparateEstimates(MINEEObjective):
    estimate_sets = None  # the trainer falls back to one estimate() call per evaluation set


def test_trainer_with_shared_reference_term_gives_the_same_fit():
    from neuralmi_core.training import TrainConfig, train_ensemble

    x, y = CorrelatedGaussian(2, 2, 0.5).sample(900, seed=4)
    data = make_ensemble_data([split_member(x, y, split="random", seed=s) for s in range(2)], eval_size=150)
    fits = []
    for cls in (MINEEObjective, _SeparateEstimates):
        torch.manual_seed(0)
        obj = cls(2, 2, 2, hidden=16, n_layers=1, ref_ratio=3, eval_ref=2000, eval_chunk=512, seed=7)
        fits.append(train_ensemble(obj, data, TrainConfig(epochs=6, seed=1, progress=False)))
    for a, b in zip(*(f.members for f in fits), strict=True):
        assert (a.mi_test_nats, a.mi_train_nats, a.curve_test_nats, a.info) == (
            b.mi_test_nats, b.mi_train_nats, b.curve_test_nats, b.info)


@pytest.mark.parametrize(
    "options, message",
    [
        ({"ref": 10}, "unknown minee option.*ref"),
        ({"ref_ratio": 0}, "options.ref_ratio"),
        ({"ref_ratio": 2.5}, "options.ref_ratio"),
        ({"pad": -0.1}, "options.pad"),
        ({"eval_chunk": 0}, "options.eval_chunk"),
        ({"reference": "normal"}, "options.reference"),
        ({"marginal_hidden": -1}, "options.marginal_hidden"),
    ],
)
def test_bad_options(options, message):
    with pytest.raises(NeuralMIError, match=message):
        parse_options(options)


def _widths(mlp) -> list[int]:
    return [int(p.shape[-1]) for name, p in mlp.named_parameters() if name.endswith("weight")]


def test_marginal_critic_width():
    """``marginal_hidden`` sets the width of f(x) and f(y) alone; 0 (the default) means half the joint critic's."""
    obj = _objective(marginal_hidden=4)
    assert _widths(obj.f_xy) == [16, 1] and _widths(obj.f_x) == _widths(obj.f_y) == [4, 1]
    assert _widths(_objective().f_x) == _widths(_objective(marginal_hidden=0).f_y) == [8, 1]
    same = _objective(marginal_hidden=16)
    assert _widths(same.f_x) == _widths(same.f_xy) == [16, 1]
    x, y = _batch()
    loss, _ = obj.training_loss(x, y)
    loss.sum().backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in obj.parameters())


def test_estimate_api_runs_quickly():
    x, y = CorrelatedGaussian(2, 2, 1.0).sample(600, seed=1)
    res = nmi.estimate(x, y, estimator="minee", epochs=3, hidden=16, seed=0, progress=False,
                       options={"ref_ratio": 5})
    assert res.estimator == "minee" and res.critic is None and np.isfinite(res.mi_nats)


def test_reproducible():
    x, y = CorrelatedGaussian(1, 1, 0.5).sample(500, seed=2)
    kw = dict(estimator="minee", epochs=4, hidden=16, seed=3, progress=False)
    assert nmi.estimate(x, y, **kw).mi_nats == nmi.estimate(x, y, **kw).mi_nats


# Ground truth. With the uniform reference (the paper's) the three divergences are large (about 0.66 nats
# per z-scored Gaussian dimension plus the MI) and the MI, their difference, is accurate only in low
# dimension: 1 + 1 dims, 1 nat gave 1.00-1.02 over seeds and settings (we allow 0.15). With the default
# Gaussian reference the marginal divergences are near zero. Measured spread (default settings, 1 nat,
# N = 3000, data seeds 1-4, max 150 epochs): 5 + 5 dims 0.990, 0.964, 0.973, 1.022 (and 0.954 on seed 5,
# 0.966 at N = 5000): we allow 0.1; 2 + 2 dims 0.994, 0.876, 0.948: we allow 0.2. With the defaults of issue 23
# (ref_ratio 2, eval_ref 16384; today's critic defaults) the two tests below gave 0.971 (2 + 2) and 0.916 (5 + 5).
@pytest.mark.slow
def test_ground_truth_2d_uniform_reference():
    x, y = CorrelatedGaussian(1, 1, 1.0).sample(3000, seed=1)
    res = nmi.estimate(x, y, estimator="minee", epochs=40, lr=1e-3, patience=20, seed=0, split="random",
                       progress=False, options={"eval_ref": 32768, "reference": "uniform", "ref_ratio": 10})
    print(f"minee (uniform) 1+1 dims, 1 nat: {res.mi_nats:.3f}")
    assert abs(res.mi_nats - 1.0) < 0.15, res


@pytest.mark.slow
def test_ground_truth_2x2d():
    x, y = CorrelatedGaussian(2, 2, 1.0).sample(3000, seed=1)
    res = nmi.estimate(x, y, estimator="minee", epochs=150, seed=0, split="random", progress=False)
    print(f"minee 2+2 dims, 1 nat: {res.mi_nats:.3f}")
    assert abs(res.mi_nats - 1.0) < 0.2, res


@pytest.mark.slow
def test_ground_truth_5d():
    x, y = CorrelatedGaussian(5, 5, 1.0).sample(3000, seed=5)
    res = nmi.estimate(x, y, estimator="minee", epochs=150, seed=0, split="random", progress=False)
    print(f"minee 5+5 dims, 1 nat: {res.mi_nats:.3f}")
    assert abs(res.mi_nats - 1.0) < 0.1, res
    assert math.isfinite(res.mi_train_nats)
    info = res.members[0].info
    assert abs(info["d_x_nats"]) < 0.1 and abs(info["d_y_nats"]) < 0.1  # Gaussian marginals: D(P_X||Q_X) ~ 0


def test_warns_beyond_reliable_dimensions_with_the_uniform_reference():
    x, y = CorrelatedGaussian(3, 3, 1.0).sample(600, seed=1)
    kw = dict(estimator="minee", epochs=2, hidden=16, seed=0, progress=False)
    res = nmi.estimate(x, y, options={"reference": "uniform"}, **kw)
    assert any("MI-NEE with the uniform reference is unreliable" in w for w in res.warnings)
    assert not any("MI-NEE" in w for w in nmi.estimate(x, y, **kw).warnings)  # Gaussian reference: no warning
    low = nmi.estimate(x[:, :1], y[:, :1], options={"reference": "uniform"}, **kw)
    assert not any("MI-NEE" in w for w in low.warnings)


@pytest.mark.parametrize("reference", ["gaussian", "uniform"])
def test_cli_estimate_with_reference_option(tmp_path, reference):
    from neuralmi_core.cli import main

    x, y = CorrelatedGaussian(2, 2, 0.5).sample(500, seed=0)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    out = tmp_path / "out.json"
    code = main(["estimate", str(tmp_path / "x.npy"), str(tmp_path / "y.npy"), "--estimator", "minee", "--epochs",
                 "2", "--hidden", "16", "--option", f"reference={reference}", "--option", "ref_ratio=4",
                 "--json", str(out)])
    assert code == 0
    d = json.loads(out.read_text())
    assert d["estimator"] == "minee" and math.isfinite(d["mi_nats"])
    assert d["params"]["options"]["reference"] == reference


def test_cli_rejects_unknown_reference(tmp_path, capsys):
    from neuralmi_core.cli import main

    x, y = CorrelatedGaussian(1, 1, 0.5).sample(200, seed=0)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    out = tmp_path / "out.json"
    code = main(["estimate", str(tmp_path / "x.npy"), str(tmp_path / "y.npy"), "--estimator", "minee",
                 "--option", "reference=normal", "--json", str(out)])
    assert code == 2 and not out.exists()
    assert "options.reference" in capsys.readouterr().err


def test_dequantize_members_keeps_the_integers_recoverable():
    """Uniform[0, 1) noise on integer-valued columns only: floor() gives the data back (so the MI is unchanged),
    continuous columns and data without integer columns are untouched, and the noise is seeded."""
    from neuralmi_core.estimators.neural import dequantize_members, integer_columns
    from neuralmi_core.training import MemberData

    rng = np.random.default_rng(0)
    counts = rng.poisson(0.3, size=(200, 3)).astype(float)  # mostly zeros: heavy ties
    cont = rng.normal(size=(200, 2))
    x = np.concatenate([counts, cont], 1)
    m = MemberData(x[:150], cont[:150], x[150:], cont[150:])
    assert integer_columns(m.x_train, m.x_test).tolist() == [True, True, True, False, False]
    (d,), info = dequantize_members([m], seed=3)
    assert info == {"dequantized_x": 3, "dequantized_y": 0}
    for got, orig in ((d.x_train, m.x_train), (d.x_test, m.x_test)):
        assert np.array_equal(np.floor(got[:, :3]), orig[:, :3]) and (got[:, :3] != orig[:, :3]).all()
        assert np.array_equal(got[:, 3:], orig[:, 3:])
    assert d.y_train is m.y_train and d.y_test is m.y_test
    assert np.unique(d.x_train[:, 0]).size == 150  # no ties left
    (again,), _ = dequantize_members([m], seed=3)
    assert np.array_equal(again.x_train, d.x_train)
    plain = MemberData(cont[:150], cont[:150], cont[150:], cont[150:])
    assert dequantize_members([plain], seed=3) == ([plain], {})


@pytest.mark.parametrize("estimator", ["minee", "mienf"])
def test_density_estimators_on_counts_stay_finite_and_small_without_information(estimator):
    """On spike counts independent of Y the density-based estimators find ~0 (before dequantization MI-NEE's
    divergences to its continuous reference grew without bound on counts: 959 nats on a place-cell task). MI-NEE
    keeps them as counts and gives that side its empirical reference (``empirical_sides="none"`` gives back the
    dequantized fit); MIENF keeps them as counts as the context of a conditional flow of Y (``context_side="none"``
    gives back the dequantized flow of each side, which records how many); dequantize=False is still available."""
    rng = np.random.default_rng(1)
    x = rng.poisson(0.4, size=(1500, 6)).astype(float)
    y = rng.normal(size=(1500, 2))
    kw = dict(estimator=estimator, epochs=6, hidden=32, seed=0, progress=False, split="random")
    res = nmi.estimate(x, y, **kw)
    timing = res.history["timing"]
    if estimator == "minee":
        assert timing["empirical_x"] == "integer-valued" and "empirical_y" not in timing
        assert "dequantized_x" not in timing
        assert any(w.startswith("minee models densities, and x has no density (x: integer-valued)")
                   for w in res.warnings)
        old = nmi.estimate(x, y, options={"empirical_sides": "none"}, **kw)
        assert old.history["timing"]["dequantized_x"] == 6 and abs(old.mi_nats) < 0.05
        assert any(w.startswith("minee models densities, and 6 x feature(s) are integer-valued") for w in old.warnings)
    else:
        assert timing["context_x"] == "integer-valued" and "dequantized_x" not in timing
        assert any(w.startswith("mienf models densities, and x has no density (integer-valued)") for w in res.warnings)
        old = nmi.estimate(x, y, options={"context_side": "none"}, **kw)
        assert old.history["timing"]["dequantized_x"] == 6 and old.history["timing"]["dequantized_y"] == 0
        assert abs(old.mi_nats) < 0.05
        assert any(w.startswith("mienf models densities, and 6 x feature(s) are integer-valued") for w in old.warnings)
    assert abs(res.mi_nats) < 0.05
    off = nmi.estimate(x, y, options={"dequantize": False, "empirical_sides": "none"} if estimator == "minee"
                       else {"dequantize": False, "context_side": "none"}, **kw)
    assert "dequantized_x" not in off.history["timing"]


def test_rigorous_on_counts_warns_about_the_reference():
    rng = np.random.default_rng(2)
    x = rng.poisson(0.5, size=(1200, 4)).astype(float)
    y = rng.normal(size=(1200, 1))
    res = nmi.rigorous(x, y, estimator="minee", gammas=[1, 2, 3], min_gammas=3, epochs=2, hidden=16, seed=0,
                       progress=False, split="random")
    assert any(w.startswith("minee models densities, and x has no density (x: integer-valued)") for w in res.warnings)
    cont = nmi.rigorous(rng.normal(size=(1200, 2)), y, estimator="minee", gammas=[1, 2, 3], min_gammas=3, epochs=2,
                        hidden=16, seed=0, progress=False, split="random")
    assert not any("models densities" in w for w in cont.warnings)


def _count_member(n: int = 600, seed: int = 0):
    from neuralmi_core.training import MemberData

    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, 1))
    counts = rng.poisson(np.exp(0.5 * z * np.array([1.0, -1.0, 0.5, -0.5]))).astype(float)  # (n, 4) counts
    return z, counts, MemberData(counts[: n // 2], z[: n // 2], counts[n // 2:], z[n // 2:])


def test_empirical_sides_resolve_on_the_data():
    """auto: integer-valued sides and lower-dimensional sides (by the fit's intrinsic check) are empirical, a side
    with a density is not; an explicit choice is taken as it is."""
    from neuralmi_core.estimators.neural import empirical_sides
    from neuralmi_core.training import MemberData

    z, counts, m = _count_member()
    assert empirical_sides(m, "auto", {}) == ("x", {"empirical_x": "integer-valued"})
    both = MemberData(counts[:300], counts[:300], counts[300:], counts[300:])
    assert empirical_sides(both, "auto", {})[0] == "both"
    checked = {"intrinsic_features_y": 2, "intrinsic_rows_y": 300, "intrinsic_ref_y": 2.0}  # dimension_info's entries
    low = {**checked, "intrinsic_dim_y": 1.0}  # a circle: 1-d in 2-d
    cont = MemberData(z[:300], np.c_[z, z][:300], z[300:], np.c_[z, z][300:])
    assert empirical_sides(cont, "auto", low) == ("y", {"empirical_y": "lower-dimensional"})
    assert empirical_sides(cont, "auto", {**checked, "intrinsic_dim_y": 1.9}) == ("none", {})
    assert empirical_sides(m, "none", {}) == ("none", {})
    assert empirical_sides(cont, "both", {}) == ("both", {"empirical_x": "asked", "empirical_y": "asked"})


def test_empirical_reference_draws_whole_training_rows_and_switches_its_critic_off():
    """An empirical side's reference points are rows of that member's training sample (only its own rows), drawn
    independently of the other side; the other side keeps the Gaussian; the side's divergence is exactly 0."""
    torch.manual_seed(0)
    obj = build_objective(ModelSpec("minee", hidden=16, n_layers=1, options={"empirical_sides": "x"}), 2, 4, 1)
    _, _, m0 = _count_member(seed=0)
    _, _, m1 = _count_member(n=500, seed=1)
    data = make_ensemble_data([m0, m1], preprocessing="none")
    obj.prepare(data)
    ref = obj._draw(2, 4000, torch.Generator().manual_seed(3), torch.device("cpu"), torch.float32)
    for k, member in enumerate((m0, m1)):
        rows = {tuple(r) for r in np.asarray(member.x_train, dtype=np.float32).tolist()}
        drawn = ref[k, :, :4].numpy()
        assert all(tuple(r) in rows for r in drawn.tolist())
        assert len({tuple(r) for r in drawn.tolist()}) == len(rows)  # 4000 draws reach every distinct row
        y = ref[k, :, 4].numpy()
        assert len(np.unique(y)) == 4000 and abs(y.mean()) < 0.1  # the Gaussian reference of y, not rows
        assert abs(np.corrcoef(drawn.sum(1), y)[0, 1]) < 0.06  # the two sides independently
    x, y = data.x_eval, data.y_eval
    d = obj.divergences(x, y)
    assert torch.equal(d[:, 1], torch.zeros(2)) and not torch.equal(d[:, 2], torch.zeros(2))
    info = obj.member_info(x, y)[0]
    assert info["reference_x"] == "empirical" and info["reference_y"] == "gaussian"
    fresh = build_objective(ModelSpec("minee", hidden=16, n_layers=1, options={"empirical_sides": "x"}), 2, 4, 1)
    with pytest.raises(RuntimeError, match="empirical reference is unset"):
        fresh._empirical_rows(ref, torch.Generator())


def test_continuous_data_keep_the_numbers_of_the_continuous_reference():
    """auto on data with a density resolves to none: the same fit, bit for bit, as empirical_sides='none'."""
    x, y = CorrelatedGaussian(2, 2, 0.6).sample(800, seed=0)
    kw = dict(estimator="minee", epochs=3, hidden=16, seed=0, progress=False, split="random")
    a = nmi.estimate(x, y, **kw)
    b = nmi.estimate(x, y, options={"empirical_sides": "none"}, **kw)
    assert a.mi_nats == b.mi_nats and "empirical_x" not in a.history["timing"]


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_rigorous_mode_flags_an_empirical_reference():
    """Counts against a latent: MI-NEE gives the counts their own sample as reference, rigorous mode warns once
    and flags the interval empirical_reference (on the suite the CI missed on most such rows); InfoNCE on the same
    data does neither, nor does MI-NEE on data with a density."""
    z, counts, _ = _count_member(n=1500)
    kw = dict(gammas="1-3", min_gammas=3, epochs=2, hidden=16, split="random", progress=False)
    res = nmi.rigorous(counts, z, estimator="minee", **kw)
    assert "empirical_reference" in res.flags and "conditional_flow" not in res.flags
    assert len([w for w in res.warnings if "its reference there is the side's own training sample" in w]) == 1
    assert "empirical_reference" not in nmi.rigorous(counts, z, estimator="infonce", **kw).flags
    x, y = CorrelatedGaussian(2, 2, 0.6).sample(1500, seed=0)
    assert "empirical_reference" not in nmi.rigorous(x, y, estimator="minee", **kw).flags


def test_configuration_flags_only_where_a_side_was_judged_without_a_density():
    """The flags follow the fits' record of why: a side judged integer-valued or lower-dimensional, in any cell;
    an option asked for on data with a density is not what the suite measured, nor is MIENF's refit (estimate
    only, with its own warning). MIENF's flows of two sides without one are no_density, and only that; an empty
    record flags nothing."""
    from neuralmi_core.flags import density_config_flags

    assert density_config_flags({"empirical_x": "integer-valued"}) == ["empirical_reference"]
    assert density_config_flags({}, {"context_y": "lower-dimensional"}) == ["conditional_flow"]
    assert density_config_flags({"empirical_x": "asked"}, {"context_x": "asked"}, {"context_y": "refit"}) == []
    assert density_config_flags({"dequantized_x": 4, "no_density": "x: integer-valued; y: integer-valued"}) == [
        "no_density"]
    assert density_config_flags({"dequantized_x": 4}, {}) == []


@pytest.mark.slow
def test_empirical_reference_reads_a_count_population_closer_than_dequantization():
    """16 Poisson neurons tuned to a 2-d Gaussian latent (exact MI by quadrature, the suite's poisson-16x2 at
    N = 3000): the empirical reference (default) lands within 25 % of the truth and closer than the dequantized
    continuous reference. Measured with data and training seeds 0-2: empirical -12, -11, -9 %; dequantized -21, -18, -15 %
    (benchmarks/DIAGNOSIS.md section 44)."""
    from neuralmi_core.suite import select_tasks

    task = select_tasks(["poisson-16x2"])[0]
    x, y = task.sampler.sample(3000, seed=0)
    kw = dict(estimator="minee", seed=0, progress=False, split="random")
    new = nmi.estimate(x, y, **kw).mi_nats
    old = nmi.estimate(x, y, options={"empirical_sides": "none"}, **kw).mi_nats
    assert abs(new / task.mi - 1) < 0.25 and abs(new - task.mi) < abs(old - task.mi)


def test_joint_critic_resolves_on_the_data():
    """auto: the poisson joint critic where exactly one side looks like spike counts and has its empirical reference
    (the InfoNCE ``auto`` rule), the MLP where both or neither do or the counts were dequantized; an explicit poisson
    needs the counts' empirical reference."""
    from neuralmi_core.estimators.neural import minee_joint
    from neuralmi_core.training import MemberData

    z, counts, m = _count_member()
    assert minee_joint([m], "auto", "x") == ("poisson", "x")
    swapped = MemberData(m.y_train, m.x_train, m.y_test, m.x_test)
    assert minee_joint([swapped], "auto", "y") == ("poisson", "y")
    assert minee_joint([m], "auto", "none") == ("mlp", None)  # empirical_sides none: dequantized, no count model
    both = MemberData(counts[:300], counts[:300], counts[300:], counts[300:])
    assert minee_joint([both], "auto", "both") == ("mlp", None)  # counts against counts (InfoNCE keeps separable)
    assert minee_joint([m], "mlp", "x") == ("mlp", None)
    assert minee_joint([m], "poisson", "x") == ("poisson", "x")
    with pytest.raises(NeuralMIError, match="joint_critic='poisson'.*empirical_sides must be 'x'"):
        minee_joint([m], "poisson", "none")
    with pytest.raises(NeuralMIError, match="neither x .* nor y"):
        minee_joint([MemberData(z[:300], z[:300], z[300:], z[300:])], "poisson", "both")
    with pytest.raises(NeuralMIError, match="empirical_sides 'x' or 'both'"):
        build_objective(ModelSpec("minee", hidden=16, n_layers=1, options={"joint_critic": "poisson"}), 2, 4, 1)


def test_poisson_joint_critic_is_symmetric_in_the_sides_and_recorded():
    """Counts on either side give the same fit (the counts are put on x, raw), recorded as joint_critic and
    counts_side; the MLP joint critic (``joint_critic="mlp"``) is the fit of before and differs."""
    rng = np.random.default_rng(4)
    z = rng.normal(size=(1500, 1))
    counts = rng.poisson(np.exp(0.6 * z * np.array([1.0, -1.0, 0.5, -0.5, 0.8]))).astype(float)
    kw = dict(estimator="minee", epochs=4, hidden=16, seed=0, progress=False, split="random")
    a = nmi.estimate(counts, z, **kw)
    b = nmi.estimate(z, counts, **kw)
    assert a.history["timing"]["joint_critic"] == "poisson" and a.history["timing"]["counts_side"] == "x"
    assert b.history["timing"]["counts_side"] == "y"
    assert a.mi_nats == b.mi_nats and np.isfinite(a.mi_nats)
    mlp = nmi.estimate(counts, z, options={"joint_critic": "mlp"}, **kw)
    assert "joint_critic" not in mlp.history["timing"] and mlp.mi_nats != a.mi_nats


def test_poisson_joint_anchor_term_is_the_model_marginal():
    """The anchor term is -log of the rate model's own marginal over the anchors: with a(x) = b(y) = 0, f(x, y) is
    l(x | y) - log mean_a exp l(x | y_a), so exp f averaged over the anchors as y is exactly 1 for every x."""
    from neuralmi_core.estimators.minee import PoissonJoint

    torch.manual_seed(0)
    k, n, a = 2, 5, 64
    crit = PoissonJoint(k, n, 1, embedding_dim=4, hidden=8, n_layers=1, activation="relu", n_anchors=a)
    x = torch.poisson(torch.full((k, 300, n), 0.7))
    y = torch.randn(k, 300, 1)
    crit.prepare(x, y, torch.tensor([300, 250]), seed=1)
    assert crit.anchors.shape == (k, a, 1)
    assert all(torch.isin(crit.anchors[i, :, 0], y[i, : [300, 250][i], 0]).all() for i in range(k))
    with torch.no_grad():
        for p in (crit.a.parameters()):
            p.zero_()
        crit.h.net.net[-1].weight[..., -1].zero_()  # b(y), the embedding's scalar output
        crit.h.net.net[-1].bias[..., -1].zero_()
        xs = x[:, :7]  # (K, 7, n)
        z = torch.cat([xs[:, :, None, :].expand(-1, -1, a, -1), crit.anchors[:, None].expand(-1, 7, -1, -1)], -1)
        f = crit(z.reshape(k, 7 * a, n + 1)).reshape(k, 7, a)
    torch.testing.assert_close(f.exp().mean(-1), torch.ones(k, 7), rtol=1e-5, atol=1e-5)


@pytest.mark.slow
def test_poisson_joint_critic_on_a_poisson_population_against_its_exact_mi():
    """The suite's 16 Poisson neurons driven by a 2-d Gaussian latent (exact MI by quadrature, 1.007 nats), N = 5000,
    defaults: the poisson joint critic (auto) is within 10 % (measured on data sets 0-2: -3.7, -4.9 and -5.1 %, data set
    0 -3.5 % at today's code; benchmarks/DIAGNOSIS.md section 51) and closer than the MLP joint critic of before (-7.4, -10.2, -7.2 %)."""
    from neuralmi_core.suite import run_one, select_tasks

    task, = select_tasks(["poisson-16x2"])
    new = run_one(task, 5000, 0, "estimate", {"estimator": "minee"})
    old = run_one(task, 5000, 0, "estimate", {"estimator": "minee", "options": {"joint_critic": "mlp"}})
    print(f"poisson-16x2: poisson joint {new['rel_error']:+.3f}, mlp joint {old['rel_error']:+.3f}")
    assert abs(new["rel_error"]) < 0.10
    assert abs(new["rel_error"]) < abs(old["rel_error"])


def test_poisson_joint_reference_term_from_a_table_of_training_rows_is_the_per_draw_one():
    """The fixed evaluation reference takes its counts from the training rows, so the terms of the poisson joint
    critic in x alone are computed once per row and gathered: the same numbers as computing them for every draw."""
    from types import SimpleNamespace

    torch.manual_seed(0)
    k, n = 3, 6
    obj = MINEEObjective(k, n, 2, hidden=16, n_layers=1, empirical_sides="x", joint_critic="poisson", eval_chunk=700)
    x = torch.poisson(torch.full((k, 300, n), 0.5))
    obj.prepare(SimpleNamespace(x_train=x, y_train=torch.randn(k, 300, 2), n_train=torch.tensor([300, 120, 40])))
    with torch.no_grad():
        table = obj._reference_lme(k, 2000, torch.device("cpu"), torch.float32)
        obj.joint = "per-draw"  # the table is used only for the poisson joint critic
        per_draw = obj._reference_lme(k, 2000, torch.device("cpu"), torch.float32)
    torch.testing.assert_close(table, per_draw, rtol=1e-6, atol=1e-6)
