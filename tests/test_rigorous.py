"""Rigorous mode: API, per-member table, partial runs, gather == single call (CLI), errors, end to end."""

from __future__ import annotations

import dataclasses
import json
import math

import matplotlib
import numpy as np
import pytest

from neuralmi_core import RigorousResult, rigorous
from neuralmi_core.analysis.extrapolation import fit_extrapolation
from neuralmi_core.analysis.rigorous import gather_rigorous
from neuralmi_core.cli import main
from neuralmi_core.samplers import CorrelatedGaussian
from neuralmi_core.validation import NeuralMIError

matplotlib.use("Agg")

TINY = dict(epochs=4, hidden=8, n_layers=1, batch_size=64, split="random", progress=False, device="cpu")
TINY_CLI = ["--epochs", "4", "--hidden", "8", "--n-layers", "1", "--batch-size", "64", "--split", "random",
            "--no-progress", "--device", "cpu", "--min-gammas", "3"]


@pytest.fixture(scope="module")
def xy():
    return CorrelatedGaussian(3, 3, mi_nats=1.0).sample(900, seed=0)


@pytest.fixture(scope="module")
def files(tmp_path_factory, xy):
    d = tmp_path_factory.mktemp("rig")
    np.save(d / "x.npy", xy[0])
    np.save(d / "y.npy", xy[1])
    return d


@pytest.fixture(scope="module")
def small_run(xy):
    return rigorous(*xy, gammas="1-3", seeds=[0, 1], min_gammas=3, min_chunk=500, **TINY)


def test_member_table_and_fields(small_run):
    res = small_run
    assert isinstance(res, RigorousResult)
    assert len(res.members) == (1 + 2 + 3) * 2
    assert {(m.gamma, m.seed) for m in res.members} == {(g, s) for g in (1, 2, 3) for s in (0, 1)}
    m = res.members[-1]
    assert m.n_train + m.n_test <= 300 and m.n_eval <= m.n_test
    assert res.gammas == (1, 2, 3) and res.seeds == (0, 1)
    assert res.naive_mi_nats == pytest.approx(np.mean([m.mi_test_nats for m in res.members if m.gamma == 1]))
    assert res.fit.fitted and res.ci_low_nats <= res.mi_nats <= res.ci_high_nats
    assert res.pi_low_nats <= res.ci_low_nats <= res.fit_ci_low_nats <= res.fit_ci_high_nats <= res.ci_high_nats
    assert res.bracket_low_nats == min(f.ci_low_nats for f in res.fits.values())
    assert set(res.fits) == {"average", "train", "test"} and res.extrapolate == "average"
    avg = np.array([(m.mi_train_nats + m.mi_test_nats) / 2 for m in res.members])
    ref = fit_extrapolation([m.gamma for m in res.members], avg, min_gammas=3)
    assert res.mi_nats == pytest.approx(ref.intercept_nats) and res.fit_ci_low_nats == pytest.approx(ref.ci_low_nats)
    assert res.systematic_nats == pytest.approx(max(abs(res.mi_nats - res.fits[k].intercept_nats) for k in ("train", "test")))
    assert res.shared_se_nats == pytest.approx(math.sqrt(ref.scale_nats2))
    assert any("min_chunk=500" in w for w in res.warnings)  # chunks of 300 < 500
    d = res.to_dict()
    for key in ("mi_nats", "mi_bits", "ci_low_nats", "ci_low_bits", "pi_high_bits", "naive_mi_bits", "bracket_low_nats",
                "fit_ci_low_nats", "systematic_bits", "shared_se_nats", "members",
                "per_gamma", "fits", "settings", "fit_settings", "data", "flags", "reliable"):
        assert key in d
    assert d["mi_bits"] == pytest.approx(d["mi_nats"] / math.log(2))
    json.dumps(d, allow_nan=False)


def test_same_call_is_reproducible(xy, small_run):
    again = rigorous(*xy, gammas="2", seeds=[1], min_gammas=3, **TINY)
    ref = [m for m in small_run.members if (m.gamma, m.seed) == (2, 1)]
    assert list(again.members) == ref  # a cell does not depend on the other cells


def test_single_gamma_is_a_valid_partial_run(xy):
    res = rigorous(*xy, gammas=2, **TINY)
    assert len(res.members) == 2 and math.isnan(res.mi_nats) and not res.reliable
    assert "too_few_gammas" in res.flags and "min_gammas=5" in res.fit_reason
    d = res.to_dict()
    assert d["mi_nats"] is None and d["ci_low_bits"] is None and d["bracket_high_nats"] is None
    json.dumps(d, allow_nan=False)


def test_plot_returns_figure(small_run):
    fig = small_run.plot()
    assert fig.axes and fig.axes[0].get_xlabel().startswith("gamma") and "1/N" in fig.axes[0].get_xlabel()


def test_cli_gather_equals_single_call(files, tmp_path):
    x, y = str(files / "x.npy"), str(files / "y.npy")
    full = tmp_path / "full.json"
    assert main(["rigorous", x, y, "--gammas", "1-3", "--seed-list", "0,1", *TINY_CLI, "--json", str(full)]) == 0
    parts = []
    for g in (1, 2, 3):
        for s in (0, 1):
            p = tmp_path / f"part_g{g}_s{s}.json"
            assert main(["rigorous", x, y, "--gammas", str(g), "--seed-list", str(s), *TINY_CLI, "--json",
                         str(p)]) == 0
            parts.append(str(p))
    gathered = tmp_path / "gathered.json"
    assert main(["gather", "rigorous", *parts, "--json", str(gathered)]) == 0
    a, b = json.loads(full.read_text()), json.loads(gathered.read_text())
    timing = {"seconds", "cells", "parts"}
    assert {k for k in a if k not in timing} == {k for k in b if k not in timing}
    for k in a:
        if k not in timing:
            assert a[k] == b[k], k
    assert [(c["gamma"], c["seed"]) for c in a["cells"]] == [(c["gamma"], c["seed"]) for c in b["cells"]]
    # a different confidence at gather time refits without retraining
    wide = tmp_path / "wide.json"
    assert main(["gather", "rigorous", *parts, "--confidence", "0.95", "--json", str(wide)]) == 0
    w = json.loads(wide.read_text())
    assert w["mi_nats"] == a["mi_nats"] and w["ci_high_nats"] - w["ci_low_nats"] > a["ci_high_nats"] - a["ci_low_nats"]


def test_gather_rejects_mismatch_and_duplicates(xy, small_run, tmp_path, capsys):
    other = rigorous(*xy, gammas="2", seeds=[5], min_gammas=3, **{**TINY, "hidden": 4})
    with pytest.raises(NeuralMIError, match="hidden"):
        gather_rigorous([small_run.to_dict(), other.to_dict()])
    with pytest.raises(NeuralMIError, match="appears in both"):
        gather_rigorous([small_run.to_dict(), small_run.to_dict()])
    x2 = CorrelatedGaussian(3, 3, mi_nats=0.5).sample(900, seed=1)
    moved = rigorous(*x2, gammas="2", seeds=[5], min_gammas=3, **TINY)
    with pytest.raises(NeuralMIError, match="sha256"):
        gather_rigorous([small_run.to_dict(), moved.to_dict()])
    with pytest.raises(NeuralMIError, match="not a rigorous result"):
        gather_rigorous([{"mi_nats": 1.0}])
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert main(["gather", "rigorous", str(bad), "--json", str(tmp_path / "o.json")]) == 2
    assert "could not read" in capsys.readouterr().err
    assert not (tmp_path / "o.json").exists()


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"gammas": "0-3"}, "`gammas`"),
        ({"gammas": "1-100"}, "at least 20"),
        ({"extrapolate": "both"}, "`extrapolate`"),
        ({"confidence": 1.5}, "`confidence`"),
        ({"estimator": "ksg"}, "trained estimator"),
        ({"chunking": "blocks"}, "`chunking`"),
        ({"n_seeds": 2, "seeds": [0, 1]}, "either"),
    ],
)
def test_bad_arguments(xy, kwargs, message):
    with pytest.raises(NeuralMIError, match=message):
        rigorous(*xy, **{**TINY, "gammas": "1-3", **kwargs})


@pytest.mark.slow
def test_corrected_is_closer_to_truth_than_naive_20d():
    """20-d Gaussians, N = 4000: the naive held-out estimate is biased low; extrapolation recovers most of it."""
    task = CorrelatedGaussian(20, 20, mi_nats=2.0)
    x, y = task.sample(4000, seed=0)
    res = rigorous(x, y, estimator="infonce", gammas="1-6", split="random", progress=False, device="cpu")
    truth = task.mutual_information()
    assert abs(res.mi_nats - truth) < abs(res.naive_mi_nats - truth)


def _table(train_offset: float, seed: int = 0, base: float = 1.0, noise_sd: float = 0.02, train_slope: float = 0.02,
           test_slope: float = 0.02):
    from neuralmi_core.analysis.rigorous import RigorousMember

    rng = np.random.default_rng(seed)
    rows = []
    for g in range(1, 11):
        for c in range(g):
            noise = rng.normal(0.0, noise_sd * math.sqrt(g))
            rows.append(RigorousMember(gamma=g, chunk=c, seed=0, n_train=800 // g, n_test=200 // g, n_eval=200 // g,
                                       mi_test_nats=base - test_slope * g + noise,
                                       mi_train_nats=base + train_offset + train_slope * g + noise,
                                       best_epoch=10, epochs_run=20))
    return rows


@pytest.mark.parametrize("offset, warned", [(0.0, False), (0.8, True)])
def test_systematic_error_enters_ci_and_warns_when_large(offset, warned):
    from neuralmi_core.analysis.rigorous import summarize_rigorous

    res = summarize_rigorous(_table(offset), {"estimator": "smile"}, {"n_samples": 10000})
    assert res.mi_nats == pytest.approx(1.0 + offset / 2, abs=0.03)
    assert res.systematic_nats == pytest.approx(offset / 2, abs=0.03)
    assert res.ci_high_nats - res.mi_nats >= res.systematic_nats * 0.99
    assert any("extrapolations disagree" in w for w in res.warnings) == warned
    assert ("train_test_disagree" in res.flags) == warned and res.reliable
    for kind in ("train", "test"):  # the other choices keep their own intercept as the headline
        other = summarize_rigorous(_table(offset), {"estimator": "smile"}, {"n_samples": 10000}, extrapolate=kind)
        assert other.mi_nats == pytest.approx(res.fits[kind].intercept_nats)
        assert other.systematic_nats == pytest.approx(offset, abs=0.05)


def _shifted(rows, mi):
    return [dataclasses.replace(m, mi_test_nats=m.mi_test_nats - 1.0 + mi, mi_train_nats=m.mi_train_nats - 1.0 + mi)
            for m in rows]


@pytest.mark.parametrize("mi, estimator, flagged", [(1.0, "infonce", False), (3.5, "infonce", False),
                                                    (3.9, "infonce", True), (3.9, "smile", False)])
def test_infonce_k_bias_flag(mi, estimator, flagged):
    """The smallest members (gamma 10) score InfoNCE on K = 200 pairs: the flag fires from e^MI >= 0.2 K,
    MI >= log 40 = 3.7 nats, for InfoNCE only."""
    from neuralmi_core.analysis.rigorous import summarize_rigorous
    from neuralmi_core.results import infonce_k_biased

    rows = _shifted(_table(0.0), mi)
    rows = [dataclasses.replace(m, n_eval=m.n_eval * 10) for m in rows]  # smallest members: K = 200
    res = summarize_rigorous(rows, {"estimator": estimator}, {"n_samples": 10000})
    assert infonce_k_biased(res.mi_nats, 200) == (res.mi_nats >= math.log(40))
    assert ("infonce_k_bias" in res.flags) == flagged
    assert any("log(5) of log(n_eval)" in w for w in res.warnings) == flagged


@pytest.mark.parametrize("estimator, batch", [("infonce", 100), ("mienf", 200)])
def test_automatic_batch_is_one_size_for_every_gamma(xy, monkeypatch, estimator, batch):
    """batch_size=None: each cell asks for the batch of the full data set, not of its own chunks (times the
    objective's batch_scale: MIENF's epoch-fitted latent trains with twice the automatic batch)."""
    import importlib

    trainer = importlib.import_module("neuralmi_core.training.trainer")  # rigorous imports it when a cell trains
    asked = []
    monkeypatch.setattr(trainer, "auto_batch_size", lambda n: asked.append(n) or 100)
    res = rigorous(*xy, gammas="1-3", min_gammas=3, estimator=estimator, **{**TINY, "batch_size": None})
    assert asked == [720, 720, 720]  # 900 samples x (1 - test_fraction 0.2), whatever the gamma
    assert [c["batch_size"] for c in res.cells] == [batch] * 3  # gamma 3's chunks hold 240 training samples
    assert res.settings["batch_size"] is None


@pytest.mark.parametrize("base, offset, warned", [
    (0.10, 0.08, True),     # corrected MI 0.14, systematic 0.04 = 29 % of it (a strong spiral's case): flagged
    (0.003, 0.004, False),  # independent data: systematic 0.002, under the 0.02-nat floor
    (0.03, 0.03, False),    # systematic 0.015 nats: large relative to 0.045 but under the floor
])
def test_disagreement_flag_on_small_mi_uses_a_floor_of_a_tenth_of_a_nat(base, offset, warned):
    from neuralmi_core.analysis.rigorous import summarize_rigorous
    from neuralmi_core.analysis.rigorous.result import SYSTEMATIC_FLOOR_NATS, SYSTEMATIC_WARN

    res = summarize_rigorous(_table(offset, base=base, noise_sd=0.002), {"estimator": "smile"}, {"n_samples": 10000})
    assert res.systematic_nats == pytest.approx(offset / 2, abs=0.005)
    limit = SYSTEMATIC_WARN * max(abs(res.mi_nats), SYSTEMATIC_FLOOR_NATS)
    assert (res.systematic_nats > limit) == warned
    assert ("train_test_disagree" in res.flags) == warned


@pytest.mark.parametrize("train_slope, flagged", [
    (0.02, False),   # over-fitting: the training-subset MI rises as the chunks shrink (the 1/N model)
    (0.0, False),    # flat: nothing to say
    (-0.015, False),  # falls 0.135 nats over gammas 1-10: under a fifth of the MI (dense Gaussians, 25 + 25 dims)
    (-0.03, True),   # falls 0.27 nats: 2-d place cells' networks under-fit their tuning more in smaller chunks
    (-0.07, True),   # falls 0.63 nats: the networks find less of the dependence in smaller chunks (spirals)
])
def test_sample_limited_flag_when_training_mi_falls_with_gamma(train_slope, flagged):
    from neuralmi_core.analysis.rigorous import summarize_rigorous

    res = summarize_rigorous(_table(0.0, train_slope=train_slope), {"estimator": "infonce"}, {"n_samples": 10000})
    assert ("sample_limited" in res.flags) == flagged
    assert any("find more of the dependence" in w for w in res.warnings) == flagged
    assert res.reliable  # a flag that the CI likely misses, not an unusable fit


@pytest.mark.parametrize("base, test_slope, flagged", [
    (1.0, 0.02, False),   # the smallest chunks keep 80 % of the MI on held-out data: a short extrapolation
    (1.0, 0.06, False),   # 40 %: still above a third
    (1.0, 0.075, True),   # 25 %: the intercept lies far beyond its members (an X-mixture at N = 5000)
    (0.06, 0.005, False),  # the same share on an MI under the 0.1-nat floor (near-independent data): no flag
])
def test_far_extrapolation_flag_when_the_smallest_chunks_find_little(base, test_slope, flagged):
    """Flag when the held-out MI at the largest gamma of the fit is under a third of the corrected MI."""
    from neuralmi_core.analysis.rigorous import summarize_rigorous
    from neuralmi_core.analysis.rigorous.result import FAR_SHARE

    res = summarize_rigorous(_table(0.0, base=base, noise_sd=0.002, train_slope=0.0, test_slope=test_slope),
                             {"estimator": "infonce"}, {"n_samples": 10000})
    hi = res.fit.gammas_used[-1]
    held = np.mean([m.mi_test_nats for m in res.members if m.gamma == hi])
    assert (held < FAR_SHARE * res.mi_nats and res.mi_nats > 0.1) == flagged
    assert ("far_extrapolation" in res.flags) == flagged
    assert any("the intercept lies far beyond its members" in w for w in res.warnings) == flagged
    assert res.reliable and "sample_limited" not in res.flags


@pytest.mark.parametrize("estimator, ksg, flagged", [("mienf", 1.5, True), ("mienf", 1.1, False),
                                                      ("minee", 1.5, True), ("infonce", 1.5, False)])
def test_missed_dependence_flag_from_the_witness_of_the_full_data(estimator, ksg, flagged):
    """A corrected MI of ~1 nat under 0.85 of the k-NN witness the gamma = 1 cell recorded: flagged (the CI likely
    misses low) and warned; at 1.1 (1 > 0.85 x 1.1) not; a cell without a witness (InfoNCE's: only MI-NEE and MIENF
    cells carry one, checked on a real run below) is never flagged."""
    from neuralmi_core.analysis.rigorous import summarize_rigorous

    cells = [{"gamma": 1, "seed": 0, "witness_ksg_nats": ksg}] if estimator != "infonce" else [{"gamma": 1, "seed": 0}]
    res = summarize_rigorous(_table(0.0), {"estimator": estimator}, {"n_samples": 10000}, cells=cells)
    assert ("missed_dependence" in res.flags) == flagged
    hits = [w for w in res.warnings if "k-NN (KSG, k = 3)" in w]
    assert len(hits) == flagged and (not hits or hits[0].startswith(f"{estimator} found {res.mi_nats:.3f} nats"))


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_rigorous_mienf_on_a_mixture_records_its_witness_and_flags_the_miss():
    """The suite's xmixture-5x5 (0.817 nats, zero linear correlation), 1500 rows, 2 epochs: MIENF's flows of each side
    find ~0; the gamma = 1 cell records KSG's MI of the full data and the headline is flagged missed_dependence.
    InfoNCE's cells carry no witness."""
    from neuralmi_core.suite import select_tasks

    x, y = select_tasks(["xmixture-5x5"])[0].sampler.sample(1500, seed=0)
    kw = dict(gammas="1-3", min_gammas=3, epochs=2, split="random", progress=False)
    res = rigorous(x, y, estimator="mienf", **kw)
    witness = [c["witness_ksg_nats"] for c in res.cells if "witness_ksg_nats" in c]
    assert len(witness) == 1 and witness[0] > 0.1 and [c["gamma"] for c in res.cells if "witness_ksg_nats" in c] == [1]
    assert "missed_dependence" in res.flags and res.mi_nats < 0.85 * witness[0]
    other = rigorous(x, y, estimator="infonce", **kw)
    assert not any("witness_ksg_nats" in c for c in other.cells) and "missed_dependence" not in other.flags
