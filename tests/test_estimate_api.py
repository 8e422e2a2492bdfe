"""The public estimate() API and the `neuralmi estimate` CLI: results, units, and bad input."""

import json
import math

import numpy as np
import pytest

import neuralmi_core as nmi
from neuralmi_core.cli import main
from neuralmi_core.samplers import CorrelatedGaussian
from neuralmi_core.validation import NeuralMIError

FAST = dict(epochs=5, batch_size=64, hidden=16, embedding_dim=4, eval_size=100, progress=False)
X, Y = CorrelatedGaussian(2, 2, 0.5).sample(400, seed=0)


def test_result_fields_and_units():
    res = nmi.estimate(X, Y, estimator="infonce", split="random", **FAST)
    assert isinstance(res, nmi.MIResult)
    assert res.mi_bits == pytest.approx(res.mi_nats / math.log(2))
    assert (res.n_train, res.n_test, res.n_eval) == (320, 80, 80)
    assert res.ceiling_nats == pytest.approx(math.log(80))
    d = res.to_dict()
    for key in ("mi_nats", "mi_bits", "estimator", "critic", "n_train", "n_test", "seed", "seconds", "history",
                "near_ceiling", "members"):
        assert key in d
    json.dumps(d, allow_nan=False)  # strictly valid JSON
    with pytest.raises(AttributeError):
        res.mi_nats = 1.0  # frozen


def test_near_ceiling_flag():
    # all 150 epochs (patience 150): with early stopping, CUDA's run of seed 0 stopped at a plateau (best epoch
    # 22, 3.86 of log(80) = 4.38 nats; H200, 2026-12-04); trained through, CPU and CUDA reach 4.04-4.11
    x = np.random.default_rng(0).normal(size=(400, 2))
    res = nmi.estimate(x, x + 1e-4 * np.random.default_rng(1).normal(size=x.shape), estimator="infonce",
                       **{**FAST, "epochs": 150, "patience": 150, "lr": 1e-2, "hidden": 64, "embedding_dim": 16,
                          "n_layers": 1, "weight_decay": 0.0})
    assert res.mi_nats <= res.ceiling_nats + 1e-6
    assert res.near_ceiling and any("ceiling" in w for w in res.warnings)


@pytest.mark.parametrize("n_layers", [1, 2])
def test_k_bias_warning_below_the_ceiling(n_layers):
    """Below 90 % of log K but with e^MI >= 0.05 K, InfoNCE's own bias is flagged (one warning or the other)."""
    from neuralmi_core.results import infonce_k_biased

    x = np.random.default_rng(0).normal(size=(400, 2))
    res = nmi.estimate(x, x + 1e-4 * np.random.default_rng(1).normal(size=x.shape), estimator="infonce",
                       **{**FAST, "epochs": 150, "lr": 1e-2, "hidden": 64, "embedding_dim": 16, "n_layers": n_layers,
                          "weight_decay": 0.0})
    k_bias = any("bound itself is biased low" in w for w in res.warnings)
    assert k_bias == (not res.near_ceiling and infonce_k_biased(res.mi_nats, res.n_eval, "estimate"))
    assert k_bias or res.near_ceiling


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(x=np.full((100, 2), np.nan), y=Y[:100]), r"`x` holds 200 NaN/inf values \(first at sample 0"),
        (dict(x=X, y=Y[:-1]), "same number of samples on axis 0. Got 400 and 399"),
        (dict(x=X[:10], y=Y[:10]), "at least 20 paired samples; got n_samples=10"),
        (dict(x=X, y=Y, estimator="mutual"), "`estimator` must be one of"),
        (dict(x=X, y=Y, critic="deep"), "`critic` must be one of"),
        (dict(x=X, y=Y, split="kfold"), "`split` must be one of 'blocked', 'random'. Got 'kfold'"),
        (dict(x=X, y=Y, batch_size=1), r"`batch_size` must be an int in \[2, inf\]. Got 1"),
        (dict(x=X, y=Y, epochs=0), r"`epochs` must be an int in \[1, inf\]"),
        (dict(x=X, y=Y, test_fraction=1.5), "`test_fraction` must be a finite number in"),
        (dict(x=X, y=Y, preprocess="rank"), "`preprocess` must be one of"),
        (dict(x=X, y=Y, device="tpu"), "`device` must be"),
        (dict(x=np.zeros((0, 3)), y=np.zeros((0, 3))), "is empty"),
        (dict(x=X, y=Y, estimator="ksg", k=0), r"`k` must be an int in \[1, inf\]"),
        (dict(x=X, y=Y, estimator="ksg", k=400), r"`k` must be an int in \[1, 399\]"),
        (dict(x=X, y=Y, options={"reference": "uniform"}), r"`options` \['reference'\] were given, but "
                                                            r"estimator 'infonce' takes none \(options apply to mienf, minee\)"),
    ],
)
def test_bad_input_names_the_parameter(kwargs, match):
    with pytest.raises(NeuralMIError, match=match):
        nmi.estimate(**{**FAST, **kwargs})


def test_cli_estimate_writes_json(tmp_path):
    np.save(tmp_path / "x.npy", X)
    np.savez(tmp_path / "y.npz", first=Y, other=X)
    out = tmp_path / "res.json"
    code = main(["estimate", str(tmp_path / "x.npy"), f"{tmp_path / 'y.npz'}:first", "--estimator", "smile",
                 "--epochs", "3", "--hidden", "8", "--embedding-dim", "2", "--eval-size", "50", "--json", str(out)])
    assert code == 0
    d = json.loads(out.read_text())
    assert d["estimator"] == "smile" and d["mi_bits"] == pytest.approx(d["mi_nats"] / math.log(2))
    assert d["params"]["epochs"] == 3
    assert d["params"]["weight_average"] is True  # estimate()'s default
    code = main(["estimate", str(tmp_path / "x.npy"), f"{tmp_path / 'y.npz'}:first", "--epochs", "3", "--hidden",
                 "8", "--embedding-dim", "2", "--eval-size", "50", "--no-weight-average", "--json", str(out)])
    assert code == 0 and json.loads(out.read_text())["params"]["weight_average"] is False


def test_weight_average_default_and_off():
    """estimate() averages the critic's weights by default; ``weight_average=False`` trains as before (the
    numbers of a fit without it), and MI-NEE/MIENF record that they did not average."""
    on = nmi.estimate(X, Y, split="random", **FAST)
    off = nmi.estimate(X, Y, split="random", weight_average=False, **FAST)
    assert on.params["weight_average"] and on.history["timing"]["weight_average"]
    assert not off.params["weight_average"] and on.mi_nats != off.mi_nats
    mienf = nmi.estimate(X, Y, estimator="mienf", split="random", **{**FAST, "epochs": 2})
    assert mienf.params["weight_average"] is False


@pytest.mark.parametrize(
    "y_spec, message",
    [
        ("missing.npy", "Y: file not found"),
        ("y.npz:nokey", "has no array 'nokey'; it holds"),
        ("bad.npy", "could not read"),
        ("short.npy", "has 10; expected the same"),
    ],
)
def test_cli_bad_input_exits_2_and_writes_nothing(tmp_path, capsys, y_spec, message):
    np.save(tmp_path / "x.npy", X)
    np.savez(tmp_path / "y.npz", first=Y)
    np.save(tmp_path / "short.npy", Y[:10])
    (tmp_path / "bad.npy").write_text("not numpy")
    out = tmp_path / "res.json"
    code = main(["estimate", str(tmp_path / "x.npy"), str(tmp_path / y_spec), "--epochs", "2", "--json", str(out)])
    assert code == 2
    assert message in capsys.readouterr().err
    assert not out.exists() and not list(tmp_path.glob(".res.json*"))


def test_cli_help_documents_options_and_fields(capsys):
    with pytest.raises(SystemExit):
        main(["estimate", "--help"])
    text = capsys.readouterr().out
    for word in ("--estimator", "--critic", "--embedding-dim", "--epochs", "--batch-size", "--seed", "--split",
                 "--device", "--json", "mi_nats", "mi_bits", "near_ceiling"):
        assert word in text
