"""Study archives with planted structure (neuralmi_core.synth.network): read back by the project's own binner,
dependence where it was planted and not elsewhere, the condition and genotype effects, the sidecar's truth,
bad parameters, and the CLI switch (the two-region demo sessions unchanged)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from neuralmi_core.cli import main
from neuralmi_core.io import nwb as nwbio
from neuralmi_core.io.session import bin_session
from neuralmi_core.io.units import read_units
from neuralmi_core.synth import generate_archive, generate_session, sidecar_path
from neuralmi_core.synth.network import (
    NetworkParams,
    generate_network_session,
    generate_study_archive,
    make_network_params,
    noise_for_mi,
    pair_mi_nats,
    simulate_network_session,
)
from neuralmi_core.validation import NeuralMIError

SPEC = {"spikes": {}, "behavior": {"position": "processing/behavior/Position/position"},
        "intervals": {"running": "intervals/running", "rest": "intervals/rest"}}
OPTS = dict(duration_s=200.0, n_units=25, block_s=(10.0, 20.0))


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    root = tmp_path_factory.mktemp("study")
    paths = generate_study_archive(root, n_sessions=2, seed=3, **OPTS)
    return paths, [bin_session(p, SPEC, 0.1) for p in paths]


def canonical_mi(x: np.ndarray, y: np.ndarray, k: int = 2) -> float:
    """Gaussian MI (nats) of the top ``k`` canonical correlations of two (bins, units) matrices."""
    x, y = x - x.mean(0), y - y.mean(0)
    x, y = x[:, x.std(0) > 0], y[:, y.std(0) > 0]
    rho = np.linalg.svd(np.linalg.qr(x)[0].T @ np.linalg.qr(y)[0], compute_uv=False)[:k]
    return float(-0.5 * np.sum(np.log1p(-(rho**2))))


def dependence(x: np.ndarray, y: np.ndarray) -> float:
    """Canonical MI of log(1 + counts) minus its mean at three circular shifts of ``y`` (its bias)."""
    x, y = np.log1p(x.astype(float)), np.log1p(y.astype(float))
    n = len(x)
    return canonical_mi(x, y) - float(np.mean([canonical_mi(x, np.roll(y, int(n * f), 0)) for f in (0.25, 0.5, 0.75)]))


def units_of(path):
    with nwbio.open_nwb(path) as f:
        return read_units(f)


def by_region(ds, mask=None):
    sp = ds.spikes.values if mask is None else ds.spikes.values[mask]
    return {r: sp[:, ds.region.values == r] for r in ("A", "B", "C")}


def test_files_read_back(study):
    paths, binned = study
    assert [p.relative_to(p.parents[1]).as_posix() for p in paths] == ["sub-01/sub-01_ses-01_ecephys.nwb",
                                                                       "sub-02/sub-02_ses-01_ecephys.nwb"]
    assert [ds.attrs["nwb_subject_genotype"] for ds in binned] == ["wt", "ko"]
    for path, ds in zip(paths, binned, strict=True):
        units = units_of(path)
        assert sorted(set(units.columns["region"].tolist())) == ["A", "B", "C"] and units.n_units == 75
        run, rest = ds.running_in_interval.values, ds.rest_in_interval.values
        assert np.all(run + rest == 1)  # the two tables tile the session
        assert 0.3 < run.mean() < 0.7
        assert ds.position.shape == (ds.sizes["time"], 2)  # the position of the two-region sessions, too
        truth = json.loads(sidecar_path(path).read_text())
        assert truth["kind"] == "network" and truth["genotype"] == ds.attrs["nwb_subject_genotype"]


def test_planted_pairs_depend_and_the_others_do_not(study):
    # archive seeds 0-7 of this size (measured): coupled A-B 0.57-0.93 nats, B-C 0.44-0.61 (wt) and 0.17-0.30
    # (ko: half the latent MI), uncoupled A-C -0.015-0.011
    _, binned = study
    for ds in binned:
        r = by_region(ds)
        ab, bc, ac = dependence(r["A"], r["B"]), dependence(r["B"], r["C"]), dependence(r["A"], r["C"])
        assert ab > 0.45 and bc > 0.12 and abs(ac) < 0.05, (ab, bc, ac)
    wt, ko = (by_region(ds) for ds in binned)
    assert dependence(wt["B"], wt["C"]) > dependence(ko["B"], ko["C"])  # the group pair: weaker in ko


def test_condition_raises_the_condition_pair_only_there(tmp_path):
    # seeds 0-7 of this size: A-B running / rest 1.52-1.95 (latent MI doubled), B-C 0.85-1.02 (unchanged)
    path = generate_network_session(tmp_path / "c.nwb", seed=2, duration_s=600.0, n_units=20, block_s=(10.0, 20.0),
                                    jitter_sd=0.0)
    ds = bin_session(path, SPEC, 0.1)
    run = ds.running_in_interval.values.astype(bool)
    on, off = by_region(ds, run), by_region(ds, ~run)
    ab = dependence(on["A"], on["B"]) / dependence(off["A"], off["B"])
    bc = dependence(on["B"], on["C"]) / dependence(off["B"], off["C"])
    assert ab > 1.3 and 0.75 < bc < 1.2 and ab > 1.3 * bc, (ab, bc)


def test_truth_matches_the_parameters(study):
    paths, _ = study
    p = make_network_params(OPTS)
    m = round(p.reference_bin_s / p.dt_gen)
    wt, ko = (json.loads(sidecar_path(x).read_text()) for x in paths)
    assert wt["coupled_pairs"] == ["A-B", "B-C"] and wt["uncoupled_pairs"] == ["A-C"]
    assert wt["latent_dims"] == {"A": 4, "B": 6, "C": 4}
    for t in (wt, ko):
        ac = t["pairs"]["A-C"]
        assert not ac["coupled"] and all(v == 0 for c in ac["mi_counts_upper_bound_nats_by_bin_width"].values()
                                         for v in c.values())
        for key, pair in t["pairs"].items():
            if not pair["coupled"]:
                continue
            for cond, sigma in pair["shared_noise"].items():  # the stated bound is that of the stated noise
                assert pair["mi_counts_upper_bound_nats_by_bin_width"][cond]["0.05"] == pytest.approx(
                    pair_mi_nats(p, sigma, m), rel=1e-9)
            jit = t["jitter"]["factors"][key]
            assert pair["jitter_factor"] == jit
            base = pair_mi_nats(p, p.shared_noise, m) * jit
            if key == "B-C" and t["genotype"] == "ko":
                base *= p.group_mi_factor
            bounds = pair["mi_counts_upper_bound_nats_by_bin_width"]
            assert bounds["rest"]["0.05"] == pytest.approx(base, rel=1e-6)
            factor = p.condition_mi_factor if key == "A-B" else 1.0
            assert bounds["running"]["0.05"] == pytest.approx(factor * base, rel=1e-6)
            assert bounds["running"]["0.01"] > bounds["rest"]["0.01"] if key == "A-B" else True
    nominal = wt["nominal_mi_counts_upper_bound_nats_by_genotype"]
    assert nominal["ko"]["B-C"]["rest"]["0.05"] == pytest.approx(0.5 * nominal["wt"]["B-C"]["rest"]["0.05"])
    assert nominal["wt"]["A-B"]["running"]["0.05"] == pytest.approx(2 * nominal["wt"]["A-B"]["rest"]["0.05"])
    assert wt["jitter"]["sd_log_mi"] == p.jitter_sd and wt["groups"]["pair"] == "B-C"
    assert wt["conditions"]["pair"] == "A-B" and wt["params"]["coupled"] == ["A-B", "B-C"]


def test_noise_for_mi_inverts_the_bound():
    p = NetworkParams()
    for target in (0.2, 1.0, 3.0):
        assert pair_mi_nats(p, noise_for_mi(p, target, 10), 10) == pytest.approx(target, rel=1e-8)


def test_same_seed_same_spikes_and_genotype_changes_only_the_group_pair():
    p = make_network_params(dict(duration_s=40.0, n_units=4, block_s=(5.0, 10.0)))
    a, b = simulate_network_session(p, 7, "wt"), simulate_network_session(p, 7, "wt")
    assert all(np.array_equal(x, y) for x, y in zip(a.spike_times, b.spike_times, strict=True))
    ko = simulate_network_session(p, 7, "ko")
    assert ko.truth["pairs"]["A-B"] == a.truth["pairs"]["A-B"]
    assert ko.truth["pairs"]["B-C"]["shared_noise"]["rest"] > a.truth["pairs"]["B-C"]["shared_noise"]["rest"]


@pytest.mark.parametrize(
    "options,words",
    [
        ({"coupled": "A-D"}, "`coupled`: pair A-D names region 'D', which is not one of the regions"),
        ({"coupled": "A-A"}, "`coupled`: pair A-A couples a region with itself"),
        ({"coupled": "A-B,B-A"}, "`coupled`: pair B-A is listed twice"),
        ({"coupled": "A-B-C"}, "coupled: pair 'A-B-C' is not of the form X-Y"),
        ({"condition_pair": "A-C"}, "`condition_pair`: pair A-C is not one of the coupled pairs"),
        ({"group_pair": "B-Z"}, "`group_pair`: pair B-Z names region 'Z'"),
        ({"regions": "A,B,A"}, "`regions` lists a region twice"),
        ({"regions": "A"}, "`regions` needs at least two regions"),
        ({"regions": "A,B,C,D", "n_private": 0}, "region 'D' is in no coupled pair and `n_private` is 0"),
        ({"condition": "rest"}, "`condition` and `baseline_condition` are both 'rest'"),
        ({"condition_mi_factor": 0}, "`condition_mi_factor` must be a finite number"),
        ({"duration_s": 10.0}, "`duration_s` must be a finite number in [40.0, inf]"),
        ({"bogus": 1}, "unknown study-session parameter(s) ['bogus']"),
    ],
)
def test_bad_parameters_name_the_item(options, words):
    with pytest.raises(NeuralMIError) as e:
        make_network_params(options)
    assert words in str(e.value)


def test_archive_needs_two_subjects(tmp_path):
    with pytest.raises(NeuralMIError, match="needs at least two subjects"):
        generate_study_archive(tmp_path, n_sessions=2, sessions_per_subject=2, **OPTS)


def test_cli_study_kind(tmp_path, capsys):
    out = tmp_path / "s"
    assert main(["demo-archive", "--out", str(out), "--kind", "study", "--sessions", "4", "--sessions-per-subject",
                 "2", "--duration", "40", "--units-per-region", "3", "--regions", "A,B,C,D", "--coupled",
                 "A-B,C-D", "--condition-pair", "C-D", "--group-pair", "A-B", "--group-factor", "2",
                 "--jitter", "0", "--imaging-sessions", "1", "--rois", "20", "--gain", "2"]) == 0
    names = [p.split("/")[-1] for p in capsys.readouterr().out.split()]
    assert names == ["sub-01_ses-01_ecephys.nwb", "sub-01_ses-02_ecephys.nwb", "sub-02_ses-01_ecephys.nwb",
                     "sub-02_ses-02_ecephys.nwb", "sub-03_ses-01_ophys.nwb"]
    t = json.loads((out / "sub-02" / "sub-02_ses-01_ecephys.truth.json").read_text())
    assert t["genotype"] == "ko" and t["coupled_pairs"] == ["A-B", "C-D"] and t["conditions"]["pair"] == "C-D"
    assert t["params"]["gain"] == 2.0
    assert t["jitter"]["factors"] == {"A-B": 1.0, "C-D": 1.0}
    assert set(t["uncoupled_pairs"]) == {"A-C", "A-D", "B-C", "B-D"}
    ab = t["pairs"]["A-B"]["mi_counts_upper_bound_nats_by_bin_width"]["rest"]["0.05"]
    nominal_wt = t["nominal_mi_counts_upper_bound_nats_by_genotype"]["wt"]["A-B"]["rest"]["0.05"]
    assert ab == pytest.approx(2 * nominal_wt)
    assert json.loads((out / "sub-03" / "sub-03_ses-01_ophys.truth.json").read_text())["kind"] == "ophys"


@pytest.mark.parametrize(
    "flags,words",
    [
        (["--regions", "A,B,C"], "--regions need(s) --kind study"),
        (["--kind", "study", "--coupled", "A-Q"], "names region 'Q'"),
        (["--kind", "study", "--sessions", "1"], "needs at least two subjects"),
    ],
)
def test_cli_bad_study_input_is_one_line(tmp_path, capsys, flags, words):
    assert main(["demo-archive", "--out", str(tmp_path / "x"), "--duration", "40", *flags]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and words in err[0], err


def test_default_demo_sessions_unchanged(tmp_path, capsys):
    """The CLI's two-region sessions are those of the explicit pre-study defaults (same seed, same spikes)."""
    assert main(["demo-archive", "--out", str(tmp_path / "d"), "--sessions", "1", "--seed", "4",
                 "--duration", "20"]) == 0
    seed = int(np.random.SeedSequence(4).generate_state(1, dtype=np.uint32)[0])
    ref = generate_session(tmp_path / "ref.nwb", seed=seed, duration_s=20.0, n_units_a=40, n_units_b=40, n_shared=3,
                           n_private_a=2, n_private_b=2, mean_rate_hz=10.0, timescale_s=0.3, shared_noise=0.5)
    new = units_of(tmp_path / "d" / "sub-01" / "sub-01_ses-01_ecephys.nwb")
    old = units_of(ref)
    assert new.n_units == old.n_units == 80
    assert np.array_equal(new.spike_times, old.spike_times) and np.array_equal(new.ends, old.ends)
    assert not math.isnan(json.loads(sidecar_path(ref).read_text())["mi_latent_instantaneous_nats"])
    assert generate_archive  # the library entry point of the two-region archive is unchanged


def test_genotype_reaches_summary_csv(study, tmp_path):
    """NWB Subject.genotype -> binned attr -> session summary -> archive row (summary.csv column `genotype`)."""
    from neuralmi_core.io.netcdf import write_netcdf
    from neuralmi_core.report.archive import archive_rows, columns
    from neuralmi_core.report.session import build_session_report, data_summary

    _, binned = study
    write_netcdf(binned[1], tmp_path / "binned.nc")
    data = data_summary(tmp_path / "binned.nc")
    summary = build_session_report("sub-02_ses-01", [], data=data)[0]
    assert summary["genotype"] == "ko" and summary["subject"] == "02"
    summary["analyses"] = [{"analysis": "AB", "mode": "rigorous"}]
    (row,) = archive_rows([summary])
    assert row["genotype"] == "ko" and columns("bits")[-1] == "genotype"
    assert build_session_report("s", [], data={"attrs": {"nwb_subject_genotype": ""}})[0]["genotype"] is None


def test_no_coupled_pair_means_private_latents_only():
    d = simulate_network_session(make_network_params(dict(duration_s=40.0, n_units=3, block_s=(5.0, 10.0),
                                                          coupled=(), condition_pair=None, group_pair=None)), 1)
    assert d.truth["coupled_pairs"] == [] and len(d.truth["uncoupled_pairs"]) == 3
    assert d.behavior_xy.shape[1] == 2


def test_a_twin_keeps_the_sessions_units_and_couplings_and_draws_the_rest():
    """``tuning_of``: a longer twin with the session's units and couplings (the reference of
    benchmarks/study_twins.py); new latents and spikes; a template of another shape is refused."""
    p = make_network_params(dict(duration_s=40.0, n_units=4, block_s=(5.0, 10.0)))
    s = simulate_network_session(p, 7, "ko")
    long = make_network_params(dict(duration_s=120.0, n_units=4, block_s=(5.0, 10.0)))
    twin = simulate_network_session(long, 8, "ko", tuning_of=s)
    for r in p.regions:
        assert np.array_equal(twin.unit_weights[r], s.unit_weights[r])
        assert np.array_equal(twin.unit_rates[r], s.unit_rates[r])
    assert twin.jitter == s.jitter and twin.truth["pairs"] == s.truth["pairs"]
    assert max(max(t, default=0.0) for t in twin.spike_times) > 60.0
    fresh = simulate_network_session(long, 8, "ko")
    assert not np.array_equal(fresh.unit_weights["A"], s.unit_weights["A"])
    with pytest.raises(NeuralMIError, match="tuning_of: expected a session with the same regions"):
        simulate_network_session(long, 8, "wt", tuning_of=s)
    other = make_network_params(dict(duration_s=120.0, n_units=5, block_s=(5.0, 10.0)))
    with pytest.raises(NeuralMIError, match="tuning_of"):
        simulate_network_session(other, 8, "ko", tuning_of=s)
