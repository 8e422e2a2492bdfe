"""Library warnings are emitted (NeuralMIWarning) and the CLI prints each once (issue 14 item 10); inputs
without signal warn (item 3); the NaN error names the file (item 13)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import neuralmi_core as nmi
from neuralmi_core.analysis.rigorous import rigorous
from neuralmi_core.cli import main as cli_main
from neuralmi_core.samplers import CorrelatedGaussian
from neuralmi_core.validation import NeuralMIWarning

FAST = dict(epochs=2, hidden=16, embedding_dim=4, batch_size=128, eval_size=256, progress=False)


def test_rigorous_emits_its_warnings():
    """The README's rigorous() call on a small data set: chunks below min_chunk are announced, not only stored."""
    x, y = CorrelatedGaussian(2, 2, mi_nats=0.5).sample(1500, seed=0)
    with pytest.warns(NeuralMIWarning, match="chunks smaller than min_chunk") as record:
        res = rigorous(x, y, gammas="1-5", split="random", **FAST)
    emitted = [str(w.message) for w in record if issubclass(w.category, NeuralMIWarning)]
    assert set(emitted) == set(res.warnings)


def test_constant_input_warns():
    z = np.zeros((400, 3))
    with pytest.warns(NeuralMIWarning, match="`x` is constant") as record:
        res = nmi.estimate(z, np.random.default_rng(0).normal(size=(400, 2)), estimator="ksg")
    assert len([w for w in record if issubclass(w.category, NeuralMIWarning)]) == 1
    assert res.warnings[0].startswith("`x` is constant")
    with warnings.catch_warnings():
        warnings.simplefilter("error", NeuralMIWarning)  # informative data: no warning
        nmi.estimate(*CorrelatedGaussian(2, 2, mi_nats=0.5).sample(400, seed=1), estimator="ksg")


def test_warnings_can_be_silenced():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any other warning would raise here
        warnings.simplefilter("ignore", NeuralMIWarning)
        nmi.estimate(np.zeros((300, 2)), np.zeros((300, 2)), estimator="ksg")


def test_cli_prints_each_warning_once(tmp_path, capsys):
    x, y = CorrelatedGaussian(2, 2, mi_nats=0.5).sample(1500, seed=0)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    args = ["rigorous", str(tmp_path / "x.npy"), str(tmp_path / "y.npy"), "--gammas", "1-5", "--split", "random",
            "--epochs", "2", "--hidden", "16", "--embedding-dim", "4", "--eval-size", "256", "--no-progress",
            "--json", str(tmp_path / "r.json")]
    assert cli_main(args) == 0
    err = capsys.readouterr().err
    assert err.count("chunks smaller than min_chunk") == 1, err
    assert "NeuralMIWarning" not in err  # printed as `warning: ...`, not as Python's warning display
    np.save(tmp_path / "z.npy", np.zeros((300, 2)))
    assert cli_main(["estimate", str(tmp_path / "z.npy"), str(tmp_path / "y.npy"), "--estimator", "ksg",
                     "--json", str(tmp_path / "e.json")]) == 2  # 300 vs 1500 samples: refused...
    capsys.readouterr()
    np.save(tmp_path / "y300.npy", y[:300])
    assert cli_main(["estimate", str(tmp_path / "z.npy"), str(tmp_path / "y300.npy"), "--estimator", "ksg",
                     "--json", str(tmp_path / "e.json")]) == 0
    err = capsys.readouterr().err
    assert err.count("warning: `x` is constant") == 1, err


def test_nan_error_names_the_file(tmp_path, capsys):
    x = np.random.default_rng(0).normal(size=(200, 2))
    x[5, 1] = np.nan
    np.save(tmp_path / "with_nan.npy", x)
    np.save(tmp_path / "y.npy", np.ones((200, 1)))
    out = tmp_path / "out.json"
    assert cli_main(["estimate", str(tmp_path / "with_nan.npy"), str(tmp_path / "y.npy"), "--estimator", "ksg",
                     "--json", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"from {tmp_path / 'with_nan.npy'}" in err and "sample 5, feature 1" in err
    assert not out.exists()
