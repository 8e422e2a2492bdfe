"""Archive-level statistics (neuralmi_core.study): DerSimonian-Laird by hand, heterogeneity, the subject
hierarchy, contrast coverage on simulated studies, corrections against hand-computed values, the CLI and
the netCDF round trip, bad input."""

from __future__ import annotations

import csv
import json
import math

import numpy as np
import pytest
import xarray as xr
from scipy import stats

from neuralmi_core.cli import main as cli_main
from neuralmi_core.report.archive import columns, csv_cell
from neuralmi_core.results import NATS_PER_BIT
from neuralmi_core.study import (
    by_analysis,
    contrast,
    correct,
    pool,
    pool_by_subject,
    read_summary_csv,
    session_effects,
    study_dataset,
    write_study,
)
from neuralmi_core.validation import NeuralMIError, NeuralMIWarning

Z68 = stats.norm.ppf(0.84)
Y = np.array([0.5, 0.8, 0.3, 1.0])
S = np.array([0.1, 0.2, 0.15, 0.3])


def dl_by_hand(y, s, conf=0.95):
    """DerSimonian & Laird (1986), closed form, written out."""
    w = 1 / s**2
    ybar = np.sum(w * y) / np.sum(w)
    q = np.sum(w * (y - ybar) ** 2)
    k = len(y)
    tau2 = max(0.0, (q - (k - 1)) / (np.sum(w) - np.sum(w**2) / np.sum(w)))
    ws = 1 / (s**2 + tau2)
    mu = np.sum(ws * y) / np.sum(ws)
    se_z = math.sqrt(1 / np.sum(ws))
    hk = np.sum(ws * (y - mu) ** 2) / (k - 1)
    se_t = se_z * math.sqrt(max(1.0, hk))
    return {"mu": mu, "tau2": tau2, "q": q, "i2": max(0.0, (q - (k - 1)) / q), "se_z": se_z, "se_t": se_t,
            "z": stats.norm.isf((1 - conf) / 2), "t": stats.t.isf((1 - conf) / 2, k - 1)}


@pytest.mark.parametrize("y, s", [(Y, S), (Y[:3], S[:3]), (np.array([0.2, 0.9, 0.4, 0.1, 0.6]),
                                                            np.array([0.05, 0.1, 0.08, 0.2, 0.1]))])
def test_dl_matches_the_closed_form(y, s):
    h = dl_by_hand(y, s)
    assert h["tau2"] > 0  # these sets are heterogeneous: the random-effects branch is the one checked
    z = pool(y, s, method="dl", ci="z")
    assert z.estimate == pytest.approx(h["mu"], rel=1e-12)
    assert z.tau2 == pytest.approx(h["tau2"], rel=1e-12)
    assert z.q == pytest.approx(h["q"], rel=1e-12)
    assert z.i2 == pytest.approx(h["i2"], rel=1e-12)
    assert z.q_pvalue == pytest.approx(stats.chi2.sf(h["q"], len(y) - 1))
    assert (z.ci_low, z.ci_high) == pytest.approx((h["mu"] - h["z"] * h["se_z"], h["mu"] + h["z"] * h["se_z"]))
    t = pool(y, s, method="dl", ci="hksj")
    assert t.df == len(y) - 1 and t.k == len(y)
    assert (t.ci_low, t.ci_high) == pytest.approx((h["mu"] - h["t"] * h["se_t"], h["mu"] + h["t"] * h["se_t"]))


def test_dl_hand_numbers_for_four_studies():
    """The four studies Y, S in exact fractions: w = 100, 25, 400/9, 100/9 (W1 = 1625/9); fixed-effect
    mean 34/65; Q = 785/117; tau² = (Q - 3) / (W1 - W2/W1) = 31/920; then mu = 0.57305748419..."""
    p = pool(Y, S, ci="z")
    assert p.q == pytest.approx(785 / 117, rel=1e-12)
    assert p.tau2 == pytest.approx(31 / 920, rel=1e-12)
    assert pool([0.5, 0.5], [0.1, 0.1], ci="z").estimate == 0.5
    assert p.estimate == pytest.approx(0.5730574842, rel=1e-8)


def test_paule_mandel_solves_its_estimating_equation():
    p = pool(Y, S, method="pm", ci="z")
    ws = 1 / (S**2 + p.tau2)
    mu = np.sum(ws * Y) / np.sum(ws)
    assert np.sum(ws * (Y - mu) ** 2) == pytest.approx(len(Y) - 1, abs=1e-4)  # generalised Q = k - 1
    assert p.estimate == pytest.approx(mu, rel=1e-6)


@pytest.mark.parametrize("method", ["dl", "pm"])
def test_agreeing_effects_have_no_heterogeneity(method):
    p = pool([0.4, 0.4, 0.4, 0.4], [0.1, 0.2, 0.05, 0.1], method=method)
    assert p.tau2 == 0.0 and p.i2 == 0.0 and p.estimate == pytest.approx(0.4)
    # Q < k - 1: DL's raw estimate is negative; truncated at 0 the model is the fixed-effect one
    y, s = np.array([0.40, 0.41, 0.39]), np.array([0.1, 0.1, 0.1])
    q = pool(y, s, method=method, ci="z")
    assert q.tau2 == 0.0 and q.se == pytest.approx(0.1 / math.sqrt(3))


def test_planted_heterogeneity_gives_large_i2():
    p = pool([0.0, 1.0, 2.0, 3.0, 4.0], [0.05] * 5)
    assert p.i2 > 0.99 and p.tau2 == pytest.approx(2.5, rel=0.01) and p.q_pvalue < 1e-10


def test_hierarchy_counts_animals_and_duplicated_sessions_are_not_new_animals():
    y = np.array([0.2, 0.25, 0.5, 0.45, 0.35, 0.3, 0.7, 0.65])
    s = np.full(8, 0.05)
    subj = ["a", "a", "b", "b", "c", "c", "d", "d"]
    h = pool_by_subject(y, s, subj)
    assert (h.k, h.k_sessions) == (4, 8)
    assert pool(y, s, groups=subj) == h
    dup = pool_by_subject(np.r_[y, y], np.r_[s, s], subj + subj)
    assert (dup.k, dup.k_sessions) == (4, 16)
    width = h.ci_high - h.ci_low
    assert dup.ci_high - dup.ci_low > 0.9 * width  # the animals' spread, not the session count, sets the CI
    flat, flat_dup = pool(y, s), pool(np.r_[y, y], np.r_[s, s])
    assert flat_dup.k == 16 and flat_dup.ci_high - flat_dup.ci_low < 0.7 * (flat.ci_high - flat.ci_low)


def test_one_subject_is_a_documented_fixed_effect():
    p = pool_by_subject([0.3], [0.1], ["a"], confidence=0.9)
    assert (p.k, p.estimate, p.se) == (1, 0.3, 0.1) and math.isnan(p.tau2) and "fixed effect" in p.note
    assert p.ci_high == pytest.approx(0.3 + stats.norm.isf(0.05) * 0.1)


def _simulate_group(rng, mu, n_subj, sd_subj=0.08, sd_ses=0.04):
    y, s, subj = [], [], []
    for a in range(n_subj):
        u = rng.normal(0, sd_subj)
        for _ in range(int(rng.integers(1, 4))):
            se = rng.uniform(0.03, 0.12)
            y.append(mu + u + rng.normal(0, sd_ses) + rng.normal(0, se))
            s.append(se)
            subj.append(f"s{a}")
    return y, s, subj


def test_contrast_ci_covers_the_planted_difference_at_its_nominal_rate():
    """200 simulated studies (6 + 6 animals, 1-3 sessions each) with a group difference of 0.1: a 95 % CI
    with exactly nominal coverage covers in 179-198 of 200 (the central 99.9 % of Binomial(200, 0.95))."""
    rng = np.random.default_rng(7)
    n, hits, mean_hits = 200, 0, 0
    for _ in range(n):
        a = pool_by_subject(*_simulate_group(rng, 0.3, 6))
        b = pool_by_subject(*_simulate_group(rng, 0.2, 6))
        c = contrast(a, b)
        hits += c.ci_low <= 0.1 <= c.ci_high
        mean_hits += a.ci_low <= 0.3 <= a.ci_high
    lo, hi = stats.binom.interval(0.999, n, 0.95)
    assert lo <= hits <= hi, hits
    assert lo <= mean_hits <= hi, mean_hits


def test_contrast_formula():
    a = pool([0.5, 0.6, 0.7], [0.1, 0.1, 0.1], ci="z")
    b = pool([0.1, 0.2], [0.1, 0.1], ci="z")
    c = contrast(a, b, ("x", "y"))
    se = math.sqrt(a.se**2 + b.se**2)
    assert c.diff == pytest.approx(a.estimate - b.estimate) and c.se == pytest.approx(se)
    assert c.p == pytest.approx(2 * stats.norm.sf(c.diff / se)) and math.isinf(c.df)
    t = contrast(pool([0.5, 0.9, 0.7], [0.1] * 3), pool([0.1, 0.2], [0.1] * 2))
    assert 1 <= t.df <= 3  # Welch-Satterthwaite between the two sides' k - 1


def test_benjamini_hochberg_and_holm_against_hand_values():
    p = [0.01, 0.04, 0.03, 0.2, 0.001]
    # BH: sorted 0.001 0.01 0.03 0.04 0.2 -> m p / rank 0.005 0.025 0.05 0.05 0.2 (already monotone)
    bh = correct(p, "fdr_bh", family="pairs")
    assert bh.qvalues == pytest.approx([0.025, 0.05, 0.05, 0.2, 0.005])
    assert bh.n_tests == 5 and "pairs: fdr_bh over 5 test(s)" in bh.describe()
    assert bh.reject.tolist() == [True, True, True, False, True]
    # Holm: 5p, 4p, 3p, 2p, p in sorted order, made monotone: 0.005 0.04 0.09 max(0.08, 0.09) 0.2
    assert correct(p, "holm").qvalues == pytest.approx([0.04, 0.09, 0.09, 0.2, 0.005])
    nan = correct([0.01, np.nan, 0.02], "fdr_bh")
    assert nan.n_tests == 2 and math.isnan(nan.qvalues[1]) and nan.qvalues[0] == pytest.approx(0.02)


def _row(session, subject, analysis, mi, se, conf=0.68, **kw):
    z = stats.norm.ppf((1 + conf) / 2)
    return {"session": session, "subject": subject, "analysis": analysis, "mode": "rigorous", "mi_bits": mi,
            "ci_low_bits": mi - z * se, "ci_high_bits": mi + z * se, "confidence": conf, "reliable": True,
            "status": "ok", "n_warnings": 0, "config_hash": "abc123", **kw}


def test_session_effects_read_the_se_from_the_ci_and_say_why_rows_are_left_out():
    rows = [_row("s1", "m1", "A", 0.5, 0.1), _row("s2", "m1", "A", 0.4, 0.2, conf=0.95),
            _row("s3", "m2", "A", 0.3, 0.1, reliable=False),
            {**_row("s4", "m2", "A", 0.3, 0.1), "ci_low_bits": None},
            {**_row("s5", "m2", "A", 0.0, 0.0)},
            {"session": "s6", "analysis": "A", "mode": "rigorous", "confidence": None, "status": "failed",
             "error": "bin: bad file", "mi_bits": None, "ci_low_bits": None, "ci_high_bits": None},
            _row("s7", "m3", "A", 0.01, 0.05, no_signal=True, n_warnings=1)]
    e = session_effects(rows)
    assert [x.se for x in e[:2]] == pytest.approx([0.1, 0.2])
    reasons = [x.reason for x in e]
    assert reasons[0] is None and reasons[1] is None and reasons[6] is None
    assert "unreliable" in reasons[2] and "no finite" in reasons[3] and "zero-width" in reasons[4]
    assert reasons[5] == "session failed: bin: bad file"
    assert e[6].flags == "no signal, 1 warning"  # kept: an MI near 0 is a measurement
    assert [x.session for x in by_analysis(e)["A", "rigorous"]] == ["s1", "s2", "s7"]
    n = session_effects(rows[:1], unit="nats")[0]
    assert (n.y, n.se, n.unit) == (pytest.approx(0.5 * NATS_PER_BIT), pytest.approx(0.1 * NATS_PER_BIT), "nats")


def _write_csv(path, rows, extra=("genotype",)):
    fields = columns("bits") + list(extra)
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n", extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({k: csv_cell(v) for k, v in r.items()})


def _archive():
    rng = np.random.default_rng(3)
    rows = []
    for g, mu in (("wt", 0.5), ("ko", 0.3)):
        for a in range(4):
            for j in range(2):
                for an, shift in (("CA1-V1", 0.0), ("V1-LM", -0.2)):
                    rows.append(_row(f"{g}{a}_s{j}", f"0{a}" if g == "wt" else f"-{g}{a}", an,
                                     mu + shift + rng.normal(0, 0.03), 0.05, genotype=g))
    return rows


def test_dataset_layout_and_netcdf_round_trip(tmp_path):
    rows = _archive()
    ds = study_dataset(rows, group_by="genotype", contrasts=["wt-ko"])
    assert dict(ds.sizes) == {"analysis": 2, "session": 16, "group": 2, "contrast": 1}
    assert ds["k_subjects"].sel(analysis="CA1-V1", group="wt") == 4
    assert ds["k_sessions"].sel(analysis="CA1-V1", group="wt") == 8
    assert float(ds["diff"].sel(analysis="CA1-V1", contrast="wt-ko")) == pytest.approx(0.2, abs=0.05)
    assert ds.attrs["family_contrasts"].endswith("fdr_bh over 2 test(s) at alpha 0.05")
    assert "over 4 test(s)" in ds.attrs["family_pooled"] and ds.attrs["config_hash"] == "abc123"
    path = write_study(ds, tmp_path / "study.nc")
    with xr.open_dataset(path) as back:
        back.load()
    xr.testing.assert_allclose(back[["mi", "se", "pooled_mi", "tau2", "diff", "diff_q"]],
                               ds[["mi", "se", "pooled_mi", "tau2", "diff", "diff_q"]])
    assert back["flags"].dtype.kind in "OU" and back.attrs["unit"] == "bits" and back["mi"].attrs["units"] == "bits"
    assert list(back["subject"].values[:2]) == ["00", "00"]  # text ids stay text


def test_cli_writes_netcdf_and_json_and_prints_the_table(tmp_path, capsys):
    rows = _archive() + [{**_row("wt0_s0", "00", "dims", 0.0, 0.1), "mode": "dimensionality", "mi_bits": None,
                          "genotype": "wt"}]
    _write_csv(tmp_path / "summary.csv", rows)
    back = read_summary_csv(tmp_path / "summary.csv")
    assert {r["subject"] for r in back} >= {"00", "-ko0"}  # the CSV's formula guard is undone
    out, js = tmp_path / "study.nc", tmp_path / "study.json"
    assert cli_main(["study", str(tmp_path / "summary.csv"), "--out", str(out), "--group-by", "genotype",
                     "--contrast", "wt-ko", "--json", str(js), "--unit", "nats"]) == 0
    text = capsys.readouterr()
    assert "CA1-V1" in text.out and "wt-ko" in text.out and "k subj (sess)" in text.out
    assert "32 of 33 rows pooled" in text.err
    data = json.loads(js.read_text())
    assert {(r["analysis"], r["group"], r["k_subjects"]) for r in data["pooled"]} >= {("CA1-V1", "wt", 4)}
    assert data["settings"]["unit"] == "nats" and data["left_out"] == []  # dims has no usable row at all
    assert "dims" in data["settings"]["analyses_without_usable_rows"]
    with xr.open_dataset(out) as ds:
        assert float(ds["pooled_mi"].sel(analysis="CA1-V1", group="wt")) == pytest.approx(0.5 * NATS_PER_BIT,
                                                                                           abs=0.05)


@pytest.mark.parametrize("rows, kwargs, message", [
    ([], {}, "no rows"),
    ([{"session": "s", "analysis": "A", "mode": "rigorous", "confidence": 0.68}], {}, "mi_<u>"),
    ([_row("s1", "m", "A", 0.3, 0.1)], {"group_by": "genotype"}, "unknown group column 'genotype'"),
    ([_row("s1", "m", "A", 0.3, 0.1, g="x")], {"group_by": "g", "contrasts": ["x-y"]}, "contrast 'x-y'"),
    ([_row("s1", "m", "A", 0.3, 0.1, reliable=False)], {}, "no row can be pooled"),
    ([_row("s1", "m", "A", 0.3, 0.1)], {"method": "reml"}, "REML is not offered"),
    ([_row("s1", "m", "A", 0.3, 0.1)], {"correction": "magic"}, "`correction` must be one of"),
    ([_row("s1", "m", "A", 0.3, 0.1)], {"unit": "shannons"}, "`unit` must be one of"),
])
def test_bad_input_is_refused_with_a_clear_message(rows, kwargs, message):
    with pytest.raises(NeuralMIError, match=None) as info:
        study_dataset(rows, **kwargs)
    assert message in str(info.value)


def test_one_session_only_falls_back_to_its_own_interval():
    ds = study_dataset([_row("s1", "m", "A", 0.3, 0.1)])
    assert float(ds["pooled_mi"].squeeze()) == pytest.approx(0.3)
    assert float(ds["pooled_se"].squeeze()) == pytest.approx(0.1)
    assert "fixed effect" in ds.attrs["notes"]


@pytest.mark.parametrize("content, message", [
    ("", "missing column"),
    ("session,analysis,mode,confidence,mi_bits,ci_low_bits,ci_high_bits\n", "no rows"),
    ("session,analysis\ns1,A\n", "missing column(s) ['mode', 'confidence']"),
])
def test_cli_refuses_bad_csv_and_writes_nothing(tmp_path, capsys, content, message):
    (tmp_path / "summary.csv").write_text(content)
    out = tmp_path / "study.nc"
    assert cli_main(["study", str(tmp_path / "summary.csv"), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err and "summary.csv" in err and not out.exists()


def test_duplicate_rows_are_refused_and_shared_animals_in_a_contrast_are_flagged():
    with pytest.raises(NeuralMIError, match="session 's1' has two rows for analysis 'A'"):
        study_dataset([_row("s1", "m", "A", 0.3, 0.1), _row("s1", "m", "A", 0.4, 0.1)])
    rows = [_row("s1", "m", "A", 0.3, 0.1, tag="run"), _row("s2", "m", "A", 0.1, 0.1, tag="rest"),
            _row("s3", "n", "A", 0.35, 0.1, tag="run"), _row("s4", "n", "A", 0.15, 0.1, tag="rest")]
    with pytest.warns(NeuralMIWarning, match=r"subject\(s\) \['m', 'n'\] are in both groups"):
        ds = study_dataset(rows, group_by="tag", contrasts=["run-rest"])
    assert "paired" in ds.attrs["warnings"]
