"""Workflow planning without running jobs: config validation, session discovery and safe ids, lint,
formatting, dry runs (fast; each dry run takes a few seconds)."""

from __future__ import annotations

import copy
import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = Path(sys.executable).with_name("snakemake")
SNAKEFMT = Path(sys.executable).with_name("snakefmt")
NASTY = "sub-02_ses-01 it's \"$(touch PWNED)\"; `rm -rf x` & | y*"

_spec = importlib.util.spec_from_file_location("wfplan", ROOT / "workflow" / "scripts" / "wfplan.py")
wfplan = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(wfplan)

needs_snakemake = pytest.mark.skipif(not SNAKEMAKE.exists(), reason="snakemake not installed next to python")


def schema():
    return wfplan.load_schema(ROOT / "workflow" / "schemas" / "config.schema.yaml")


def default_config() -> dict:
    with open(ROOT / "config.yaml") as fh:
        return yaml.safe_load(fh)


def ephys_config() -> dict:
    """The shipped config reduced to its ephys analysis (A_vs_B), without the keys of the demo's mixed archive
    (`required: false`, the imaging analysis, the ophys signal): the planning mechanics tested with it (one
    analysis, plain selection checks) do not depend on what the demo shows."""
    cfg = default_config()
    cfg["analyses"] = [a for a in cfg["analyses"] if a["name"] == "A_vs_B"]
    cfg["analyses"][0].pop("required", None)
    cfg["signals"].pop("ophys", None)
    cfg["signals"]["spikes"].pop("required", None)
    cfg["demo_archive"].pop("imaging_sessions", None)
    cfg["demo_archive"].update(sessions=2, options={"duration": 300})  # two-region sessions, not the study ones
    cfg["signals"].pop("intervals", None)  # the tables of the demo network's conditions
    cfg.pop("study", None)
    cfg["resources"]["train"].pop("cells_per_job", None)  # one cell a job, as these tests count
    return cfg


# ------------------------------------------------------------------------------------------- config


def test_default_config_is_valid_and_gets_defaults():
    cfg = wfplan.validate_config(default_config(), schema())
    assert cfg["unit"] == "bits" and cfg["sessions_table"] is None and cfg["unsafe_names"] == "rename"
    assert cfg["resources"]["ingest"]["mem_mb"] == 4000 and cfg["resources"]["train"]["threads"] == 1
    # analysis settings are resolved by the library per mode, not filled in by the schema
    assert "lr" not in cfg["analyses"][0]["training"]
    plans = wfplan.plan(cfg)["A_vs_B"]
    assert plans["rigorous"].values["lr"] == 0.0005 and plans["rigorous"].values["min_gammas"] == 5
    assert plans["dimensionality"].values["estimator"] == "smile" and plans["rigorous"].values["estimator"] == "infonce"


def _mutate(path: str, value, delete: bool = False) -> dict:
    cfg = copy.deepcopy(default_config())
    node = cfg
    keys = [int(k) if k.isdigit() else k for k in path.split(".")]
    for k in keys[:-1]:
        node = node[k]
    if delete:
        del node[keys[-1]]
    else:
        node[keys[-1]] = value
    return cfg


@pytest.mark.parametrize("path, value, delete, message", [
    ("bin_widht", 0.01, False, r"unknown config key bin_widht"),
    ("analyses.0.estimatr", "smile", False, r"unknown config key analyses\[0\]\.estimatr"),
    ("analyses.0.training.epochs", "many", False, r"analyses\[0\]\.training\.epochs: 'many' is not of type"),
    ("analyses.0.modes", None, True, r"missing config key analyses\[0\]\.modes"),
    ("analyses.0.x", None, True, r"missing config key analyses\[0\]\.x"),
    ("analyses.0.y", None, True, r"missing config key analyses\[0\]\.y: rigorous needs a Y"),
    ("analyses.0.estimator", "infonc", False, r"analyses\[0\]\.estimator: 'infonc' is not one of"),
    ("analyses.0.name", "a/b", False, r"analyses\[0\]\.name: 'a/b' does not match"),
    ("analyses.0.x", "spikes; rm -rf /", False, r"analyses\[0\]\.x: .* does not match"),
    ("unit", "bit", False, r"config key unit: 'bit' is not one of"),
    ("device", "gpu", False, r"config key device: 'gpu' does not match"),
    ("bin_width", -1, False, r"config key bin_width: -1 is less than or equal to"),
    ("archive", None, True, r"missing config key archive"),
    ("analyses.0.rigorous.gammas", [1, 2, 3], False, r"analyses\[0\]\.rigorous\.gammas: `gammas` holds 3 gamma\(s\) but"),
    ("resources.train.gpus", 1, False, r"unknown config key resources\.train\.gpus"),
    ("analyses.0.rigorous.options", {"reference": [1]}, False, r"analyses\[0\]\.rigorous\.options\.reference: \[1\] is not of type"),
    # what the schema cannot see, the library refuses while planning (issue 11), naming the key
    ("analyses.0.estimator", "ksg", False, r"config key analyses\[0\]\.estimator: `estimator` must be one of .* for rigorous"),
    ("analyses.0.dimensionality.critic", "concat", False, r"analyses\[0\]\.dimensionality\.critic: `critic` must be one of"),
    ("analyses.0.critic", "concat", False, r"config key analyses\[0\]\.critic: `critic` must be one of .* for dimensionality"),
    ("analyses.0.dimensionality.estimator", "mienf", False, r"analyses\[0\]\.dimensionality\.estimator: 'mienf' is not one of"),
    ("analyses.0.dimensionality.embedding_dim", 4, False, r"analyses\[0\]\.dimensionality\.embedding_dim: dimensionality does not take"),
    ("analyses.0.rigorous.options", {"reference": "uniform"}, False, r"config key analyses\[0\]\.rigorous\.options: .*estimator 'infonce' takes none"),
    ("analyses.0.options", {"refrence": "uniform"}, False, r"config key analyses\[0\]\.options: .*takes none"),
    ("analyses.0.training.hidden", 64, False, r"unknown config key analyses\[0\]\.training\.hidden .*a model setting"),
    ("analyses.0.training.layers", 2, False, r"training\.layers .*renamed `n_layers`"),
    ("signals.spikes", {"filter": {"quality": "good"}}, False, r"config key signals: `spikes` has unknown key\(s\) \['filter'\]"),
    ("signals.bin_width", 0.05, False, r"config key signals\.bin_width: set the bin width once"),
])
def test_config_errors_name_the_key(path, value, delete, message):
    with pytest.raises(wfplan.ConfigError, match=message):
        wfplan.validate_config(_mutate(path, value, delete), schema())


def test_analysis_level_setting_refused_for_one_mode():
    cfg = _mutate("analyses.0.estimator", "minee")
    del cfg["analyses"][0]["dimensionality"]["estimator"]  # dimensionality now inherits minee: no embedding
    with pytest.raises(wfplan.ConfigError, match=r"config key analyses\[0\]\.estimator: `estimator` must be one "
                                                 r"of .* for dimensionality \(.*minee and mienf have none\)"):
        wfplan.validate_config(copy.deepcopy(cfg), schema())  # validation expands `pairs:` in place
    cfg["analyses"][0]["modes"] = ["rigorous"]  # rigorous takes minee
    assert wfplan.plan(wfplan.validate_config(cfg, schema()))["A_vs_B"]["rigorous"].values["estimator"] == "minee"


def test_duplicate_analysis_names():
    cfg = ephys_config()
    cfg["analyses"].append(copy.deepcopy(cfg["analyses"][0]))
    with pytest.raises(wfplan.ConfigError, match=r"analyses\[1\]\.name: duplicate analysis name"):
        wfplan.validate_config(cfg, schema())


def test_schema_documents_every_key():
    def walk(node, path="config"):
        if isinstance(node, dict):
            for name, sub in (node.get("properties") or {}).items():
                target = sub
                assert "description" in sub or "$ref" in sub, f"{path}.{name} has no description"
                yield from walk(target, f"{path}.{name}")
            for name, sub in (node.get("$defs") or {}).items():
                yield from walk(sub, f"$defs.{name}")
            if "items" in node:
                yield from walk(node["items"], path + "[]")
            if node.get("type") == "object" and "properties" in node:
                assert node.get("additionalProperties") is False, f"{path} accepts unknown keys"
        yield path

    assert len(list(walk(schema()))) > 30


# ----------------------------------------------------------------------------------------- sessions


@pytest.mark.parametrize("stem, expected", [
    ("sub-01_ses-01_ecephys", "sub-01_ses-01_ecephys"),
    ("sub-01_ses-01_behavior+ecephys", "sub-01_ses-01_behavior_ecephys"),
    (NASTY, "sub-02_ses-01_it_s_touch_PWNED_rm_-rf_x_y"),
    ("a<b>{c}", "a_b_c"),
    ("  leading space", "leading_space"),
    ("été", "ete"),  # non-ASCII names keep a readable form (issue 26 item 4)
    ("séance_マウス_2", "seance_mausu_2"),
    ("Maus_München", "Maus_Munchen"),
])
def test_safe_session_id(stem, expected):
    sid = wfplan.safe_session_id(stem)
    assert sid == expected and wfplan.is_safe_id(sid)


def _touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()
    return path


def test_discover_dandi_layout_and_unsafe_names(tmp_path):
    _touch(tmp_path / "sub-01" / "sub-01_ses-01_ecephys.nwb")
    _touch(tmp_path / "sub 02" / f"{NASTY}.nwb")
    _touch(tmp_path / "sub-01" / "notes.txt")
    _touch(tmp_path / ".hidden" / "sub-09_ses-01_ecephys.nwb")
    found = wfplan.discover_sessions(str(tmp_path))
    assert list(found) == ["sub-01_ses-01_ecephys", "sub-02_ses-01_it_s_touch_PWNED_rm_-rf_x_y"]
    assert found["sub-02_ses-01_it_s_touch_PWNED_rm_-rf_x_y"].endswith(f"{NASTY}.nwb")
    with pytest.raises(wfplan.ConfigError, match="shell metacharacters.*unsafe_names: rename"):
        wfplan.discover_sessions(str(tmp_path), "error")


def test_discover_glob_and_errors(tmp_path):
    _touch(tmp_path / "a" / "x_ecephys.nwb")
    _touch(tmp_path / "a" / "x_ophys.nwb")
    assert list(wfplan.discover_sessions(str(tmp_path / "**" / "*_ecephys.nwb"))) == ["x_ecephys"]
    with pytest.raises(wfplan.ConfigError, match="matches no file"):
        wfplan.discover_sessions(str(tmp_path / "*.none"))
    with pytest.raises(wfplan.ConfigError, match="config key archive: folder .* not found"):
        wfplan.discover_sessions(str(tmp_path / "missing"))
    with pytest.raises(wfplan.ConfigError, match=r"no \*\.nwb file"):
        wfplan.discover_sessions(str(tmp_path / "empty" if (tmp_path / "empty").mkdir() is None else ""))


@pytest.mark.parametrize("name", ["a{b}.nwb", "x<sub>.nwb"])
def test_discover_refuses_snakemake_syntax(tmp_path, name):
    _touch(tmp_path / name)
    with pytest.raises(wfplan.ConfigError, match="Snakemake reads as wildcard or path-variable syntax"):
        wfplan.discover_sessions(str(tmp_path))


def test_discover_refuses_id_collisions(tmp_path):
    _touch(tmp_path / "a" / "s 1.nwb")
    _touch(tmp_path / "b" / "s;1.nwb")
    with pytest.raises(wfplan.ConfigError, match="both map to session id 's_1'"):
        wfplan.discover_sessions(str(tmp_path))


def test_sessions_table(tmp_path):
    _touch(tmp_path / "data" / "weird name.nwb")
    (tmp_path / "sessions.tsv").write_text("session_id\tpath\nmouse1_day1\tdata/weird name.nwb\n")
    found = wfplan.read_sessions_table(str(tmp_path / "sessions.tsv"))
    assert found == {"mouse1_day1": str(tmp_path / "data" / "weird name.nwb")}
    (tmp_path / "bad.csv").write_text("session_id,path\nmouse 1,x.nwb\n")
    with pytest.raises(wfplan.ConfigError, match="line 2: session_id 'mouse 1' is not safe"):
        wfplan.read_sessions_table(str(tmp_path / "bad.csv"))


def test_cells_and_args():
    cfg = default_config()
    cfg["resources"]["train"].pop("cells_per_job", None)  # one cell a job (grouping: test_cells_per_job_groups...)
    cfg = wfplan.validate_config(cfg, schema())
    cfg["device"] = "cuda"
    an = cfg["analyses"][0]
    plans = wfplan.plan(cfg)["A_vs_B"]
    rig, dim = plans["rigorous"], plans["dimensionality"]
    assert rig.cell_ids == tuple(f"g{g}_s0" for g in an["rigorous"]["gammas"])
    assert dim.cell_ids == tuple(f"d{d}_s0" for d in an["dimensionality"]["embedding_dims"])
    args = rig.args_for("g3_s0")
    assert args[args.index("--device") + 1] == "cuda" and all(isinstance(a, str) for a in args)
    assert args[-4:] == ["--gammas", "3", "--seeds", "0"] and dim.args_for("d4_s0")[-4:] == ["--embedding-dims", "4",
                                                                                               "--seeds", "0"]
    # fit settings reach only the gather step
    assert "--confidence" not in args and rig.gather_args[:2] == ("--confidence", "0.68")
    assert "--strictness" not in dim.args_for("d4_s0") and dim.gather_args == ("--strictness", "0.1,1,15")
    assert "--option" not in args and "--embedding-dim" not in dim.train_args
    # a mode's section overrides the analysis level for that mode only
    an["hidden"], an["dimensionality"]["hidden"] = 48, 24
    an["rigorous"]["options"] = {"reference": "uniform", "ref_ratio": 20}
    an["rigorous"]["estimator"] = "minee"
    plans = wfplan.plan(cfg)["A_vs_B"]
    rig = plans["rigorous"].train_args
    assert rig[rig.index("--hidden") + 1] == "48" and plans["dimensionality"].values["hidden"] == 24
    assert ["--option", "ref_ratio=20", "--option", "reference=uniform"] == [
        w for i, w in enumerate(rig) if w == "--option" or (i and rig[i - 1] == "--option")]
    assert wfplan.selector("results/s/binned.nc", "spikes[region=A]") == "results/s/binned.nc:spikes[region=A]"
    assert wfplan.demo_archive_args({"sessions": 2, "seed": 1, "options": {"duration_s": 60, "flag": True}}) == [
        "--sessions", "2", "--seed", "1", "--duration-s", "60", "--flag"]


# ---------------------------------------------------------------------------------- snakemake itself


def _write_config(tmp_path: Path, **overrides) -> Path:
    cfg = ephys_config()
    cfg.update(archive="archive", demo_archive={"generate": False})
    cfg.update(overrides)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


def snakemake(tmp_path: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    cmd = [str(SNAKEMAKE), "-s", str(ROOT / "Snakefile"), "--directory", str(tmp_path), "--cores", "1", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, timeout=300)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    return proc


@needs_snakemake
def test_lint_and_format():
    proc = subprocess.run([str(SNAKEMAKE), "--lint", "--cores", "1"], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)
    assert proc.returncode == 0 and "Congratulations" in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    if SNAKEFMT.exists():
        proc = subprocess.run([str(SNAKEFMT), "--check", "Snakefile", "workflow"], capture_output=True, text=True,
                              cwd=ROOT, timeout=120)
        assert proc.returncode == 0, proc.stdout + proc.stderr


@needs_snakemake
def test_dry_run_quotes_unsafe_paths(tmp_path):
    _touch(tmp_path / "archive" / "sub-01" / "sub-01_ses-01_ecephys.nwb")
    _touch(tmp_path / "archive" / "sub 02" / f"{NASTY}.nwb")
    cfg = _write_config(tmp_path)
    proc = snakemake(tmp_path, "--configfile", str(cfg), "-n", "-p")
    out = proc.stdout + proc.stderr
    assert re.search(r"^total\s+\d+", out, re.M)
    sid = "sub-02_ses-01_it_s_touch_PWNED_rm_-rf_x_y"
    assert f"results/{sid}/binned.nc" in out
    bin_cmds = [line for line in out.splitlines() if "neuralmi bin" in line and "PWNED" in line]
    assert bin_cmds, out[-3000:]
    # the path is a single shell word: shlex-quoted, so the shell sees no substitution
    import shlex

    words = shlex.split(bin_cmds[0])
    assert f"archive/sub 02/{NASTY}.nwb" in words
    assert not (tmp_path / "PWNED").exists()


@needs_snakemake
def test_gpu_resources_only_for_cuda(tmp_path):
    _touch(tmp_path / "archive" / "sub-01" / "sub-01_ses-01_ecephys.nwb")
    out_cpu = snakemake(tmp_path, "--configfile", str(_write_config(tmp_path)), "-n").stdout
    assert "gpu=" not in out_cpu
    out_gpu = snakemake(tmp_path, "--configfile", str(_write_config(tmp_path, device="cuda", gpu_model="a100")),
                        "-n").stdout
    train_blocks = [b for b in out_gpu.split("rule ")[1:] if b.startswith("train:")]
    assert train_blocks and all("gpu=1, gpu_model=a100" in b for b in train_blocks)
    assert all("gpu=" not in b for b in out_gpu.split("rule ")[1:] if not b.startswith("train:"))
    # retries scale memory and runtime with the attempt number: the lambdas are attempt-aware
    assert re.search(r"train:.*?mem_mb=4000", out_gpu, re.S)


@needs_snakemake
def test_config_typo_fails_before_any_job(tmp_path):
    _touch(tmp_path / "archive" / "sub-01" / "sub-01_ses-01_ecephys.nwb")
    cfg = default_config()
    cfg.update(archive="archive", demo_archive={"generate": False})
    cfg["analyses"][0]["trainig"] = {"epochs": 3}
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(cfg))
    proc = snakemake(tmp_path, "--configfile", str(tmp_path / "bad.yaml"), check=False)
    assert proc.returncode != 0
    assert "unknown config key analyses[0].trainig" in proc.stdout + proc.stderr
    assert not (tmp_path / "results").exists()


@needs_snakemake
def test_demo_mode_plans_archive_generation(tmp_path):
    shutil.copy(ROOT / "config.yaml", tmp_path / "config.yaml")
    out = snakemake(tmp_path, "--configfile", str(tmp_path / "config.yaml"), "-n").stdout
    assert "demo_archive" in out and "DAG of jobs will be updated after completion" in out


def test_profiles():
    slurm = yaml.safe_load((ROOT / "profiles" / "slurm" / "profile.yaml").read_text())
    local = yaml.safe_load((ROOT / "profiles" / "local" / "profile.yaml").read_text())
    overlay = yaml.safe_load((ROOT / "tests" / "configs" / "slurm_overlay" / "profile.yaml").read_text())
    assert slurm["executor"] == "slurm" and slurm["retries"] >= 1 and "runtime" in slurm["default-resources"]
    assert not {"gpus", "time"} & set(slurm["default-resources"]), "plugin 2.x ignores gpus=/time="
    assert local["cores"] == "all" and "executor" not in local
    assert overlay["slurm-status-command"] == "squeue" and overlay["default-resources"]["slurm_partition"] == "debug"


# ------------------------------------------------------------------ real archives are only read (issue 14)


def test_demo_generation_only_at_the_shipped_path():
    cfg = wfplan.validate_config(default_config(), schema())
    assert wfplan.generates_demo(cfg)
    assert not wfplan.generates_demo({**cfg, "archive": "/mnt/not_mounted/dandiset"})
    assert not wfplan.generates_demo({**cfg, "archive": "resources/demo_archive_2"})
    assert not wfplan.generates_demo({**cfg, "sessions_table": "sessions.tsv"})
    assert not wfplan.generates_demo({**cfg, "demo_archive": {**cfg["demo_archive"], "generate": False}})


@needs_snakemake
def test_user_archive_is_never_filled_with_synthetic_data(tmp_path):
    """Item 1: a user config that only sets `archive:` is merged into config.yaml (which generates the demo);
    a missing archive is an error naming the path and the key, and nothing is written there."""
    shutil.copy(ROOT / "config.yaml", tmp_path / "config.yaml")
    target = tmp_path / "not_mounted" / "dandiset"
    (tmp_path / "user.yaml").write_text(f"archive: {target}\n")
    proc = snakemake(tmp_path, "--configfile", str(tmp_path / "user.yaml"), "-n", check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert f"config key archive: folder '{target}' not found" in out
    assert "checkpoint demo_archive" not in out and "rule demo_archive" not in out
    assert not (tmp_path / "not_mounted").exists()


@needs_snakemake
@pytest.mark.parametrize("case", ["empty", "unsafe", "table"])
def test_archive_errors_are_one_clean_line(tmp_path, case):
    """Item 4: discovery errors read like config-key errors (no InputFunctionException, no traceback)."""
    cfg = default_config()
    cfg.update(archive="archive", demo_archive={"generate": False})
    (tmp_path / "archive").mkdir()
    if case == "unsafe":
        _touch(tmp_path / "archive" / "sub 02" / f"{NASTY}.nwb")
        cfg["unsafe_names"] = "error"
        expected = "its name holds characters other than letters"
    elif case == "table":
        cfg["sessions_table"] = "missing.tsv"
        expected = "config key sessions_table: file 'missing.tsv' not found"
    else:
        expected = "config key archive: no *.nwb file under 'archive'"
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(cfg))
    proc = snakemake(tmp_path, "--configfile", str(tmp_path / "c.yaml"), "-n", check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0 and expected in out, out[-2000:]
    assert "InputFunctionException" not in out and "Traceback" not in out


@needs_snakemake
def test_check_after_binning_gates_training(tmp_path):
    """Item 5 (issue 26 item 2: per mode): one check per (session, analysis, mode) after binning; every
    training job waits for the check of its own mode only, so that adding a mode re-trains nothing else."""
    _touch(tmp_path / "archive" / "sub-01" / "sub-01_ses-01_ecephys.nwb")
    cfg = yaml.safe_load(_write_config(tmp_path).read_text())
    modes = cfg["analyses"][0]["modes"]
    out = snakemake(tmp_path, "--configfile", str(_write_config(tmp_path)), "-n").stdout
    assert re.search(rf"^check_selection\s+{len(modes)}$", out, re.M), out
    blocks = [b for b in out.split("rule ")[1:] if b.startswith("train:")]
    assert blocks
    for b in blocks:
        mode = re.search(r"output: results/sub-01_ses-01_ecephys/A_vs_B/(\w+)/", b).group(1)
        assert f"results/sub-01_ses-01_ecephys/A_vs_B/{mode}/selection.json" in b
        assert sum(f"A_vs_B/{m}/selection.json" in b for m in modes) == 1


def test_cells_per_job_groups_cells_of_one_seed():
    """Issue 10: several cells (gammas of a seed, dims, surrogate blocks) share one training job."""
    cfg = wfplan.validate_config(ephys_config(), schema())
    an = cfg["analyses"][0]
    an["modes"] = ["rigorous", "dimensionality", "significance", "contributions"]
    an["rigorous"]["seeds"] = [0, 1]
    an["rigorous"]["gammas"] = [1, 2, 3, 4, 5, 6, 7]
    an["dimensionality"]["embedding_dims"] = [1, 2, 3, 4, 5, 6, 8]
    an["significance"] = {"n_surrogates": 39, "surrogates_per_cell": 10}
    cfg["resources"]["train"]["cells_per_job"] = 3
    plans = wfplan.plan(cfg)["A_vs_B"]
    rig = plans["rigorous"]
    assert rig.cell_ids == ("g1_s0_x3", "g4_s0_x3", "g7_s0", "g1_s1_x3", "g4_s1_x3", "g7_s1")
    assert rig.args_for("g4_s1_x3")[-4:] == ["--gammas", "4,5,6", "--seeds", "1"]
    assert plans["dimensionality"].args_for("d1_s0_x3")[-4:] == ["--embedding-dims", "1,2,3", "--seeds", "0"]
    sig = plans["significance"]
    assert sig.cell_ids == ("b0_x3", "b3") and sig.args_for("b3")[-4:] == ["--cells", "3", "--surrogates-per-cell",
                                                                           "10"]
    con = plans["contributions"]
    assert con.cell_ids == ("p0_s0_x2", "p0_s1_x2", "p0_s2_x2") and "--part" not in con.args_for("p0_s0_x2")


def _directed_config() -> dict:
    """The ephys config with a second analysis: TE A -> B conditioned on position, and I(A; B | position)."""
    cfg = ephys_config()
    cfg["analyses"].append({
        "name": "A_to_B", "x": "spikes[region=A]", "y": "spikes[region=B]", "z": "position", "window": 3, "lag": 2,
        "training": {"epochs": 5}, "modes": ["transfer_entropy", "conditional_mi"],
        "transfer_entropy": {"delays": [1, 2, 3], "gammas": [1, 2, 3, 4], "bidirectional": True},
        "conditional_mi": {"gammas": [1, 2, 3, 4]}})
    return cfg


def test_transfer_entropy_and_conditional_mi_plan_cells_like_rigorous():
    """Issue 21: one training job per (gamma, seed, term): term 0 the target's own past, term u the full term at
    delay u (TE), terms 0/1 = I(Z;Y)/I(XZ;Y) (CMI); Z reaches the jobs; TE ignores window and lag."""
    cfg = wfplan.validate_config(_directed_config(), schema())
    plans = wfplan.plan(cfg)["A_to_B"]
    te, cmi = plans["transfer_entropy"], plans["conditional_mi"]
    assert te.cell_ids == tuple(f"g{g}_s0_d{d}" for g in (1, 2, 3, 4) for d in (0, 1, 2, 3))
    assert cmi.cell_ids == tuple(f"g{g}_s0_t{t}" for g in (1, 2, 3, 4) for t in (0, 1))
    assert te.args_for("g3_s0_d2")[-6:] == ["--gammas", "3", "--seeds", "0", "--terms", "2"]
    assert "--bidirectional" in te.train_args and "--delays" in te.train_args
    assert te.z == cmi.z == "position" and (te.window, te.lag) == (1, 0) and (cmi.window, cmi.lag) == (3, 2)
    assert "--confidence" in te.gather_args and "--confidence" not in te.args_for("g1_s0_d0")
    check = wfplan.check_params(cfg, "A_to_B", "transfer_entropy", te)
    assert check["z"] == "position" and check["window"] == 1 and check["lag"] == 0
    # conditional MI without z: the error names the key
    bad = _directed_config()
    del bad["analyses"][1]["z"]
    with pytest.raises(wfplan.ConfigError, match=r"missing config key analyses\[1\]\.z: conditional_mi needs"):
        wfplan.validate_config(bad, schema())
    # a split TE cannot use: refused while planning
    bad = _directed_config()
    bad["analyses"][1]["transfer_entropy"]["training"] = {"split": "random"}
    with pytest.raises(wfplan.ConfigError, match=r"analyses\[1\]\.transfer_entropy\.training\.split"):
        wfplan.validate_config(bad, schema())


@needs_snakemake
def test_dry_run_plans_transfer_entropy_and_conditional_mi_cells(tmp_path):
    _touch(tmp_path / "archive" / "sub-01" / "sub-01_ses-01_ecephys.nwb")
    cfg = _directed_config()
    cfg.update(archive="archive", demo_archive={"generate": False})
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    out = snakemake(tmp_path, "--configfile", str(path), "-n", "-p").stdout
    blocks = [b for b in out.split("rule ")[1:] if b.startswith("train:")]
    te = [b for b in blocks if "/A_to_B/transfer_entropy/" in b]
    cmi = [b for b in blocks if "/A_to_B/conditional_mi/" in b]
    assert len(te) == 4 * 4 and len(cmi) == 4 * 2, out[-3000:]
    for b in te + cmi:
        assert "--z results/sub-01_ses-01_ecephys/binned.nc:position" in b, b
    assert any("neuralmi transfer_entropy" in b and "--terms 2" in b and "--window 1 --lag 0" in b for b in te)
    assert all("--window 3 --lag 2" in b for b in cmi)
    gathers = [b for b in out.split("rule ")[1:] if b.startswith("gather:") and "A_to_B" in b]
    assert len(gathers) == 2 and any("figures/A_to_B_transfer_entropy.png" in out for _ in [0])


@needs_snakemake
def test_dry_run_of_the_shipped_mixed_demo_config(tmp_path):
    """The shipped config (ephys and imaging sessions, analyses with required: false) plans in a dry run: the
    optional analyses' checks are checkpoints whose gathers wait for them (a gather's parts are a params function,
    so a dry run can format a gather whose checkpoint has not run)."""
    _touch(tmp_path / "archive" / "sub-01" / "sub-01_ses-01_ecephys.nwb")
    _touch(tmp_path / "archive" / "sub-03" / "sub-03_ses-01_ophys.nwb")
    cfg = default_config()
    cfg.update(archive="archive", demo_archive={"generate": False})
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    out = snakemake(tmp_path, "--configfile", str(tmp_path / "config.yaml"), "-n").stdout
    # every (session, analysis, mode), after the demo's `pairs:` x `conditions:` expansion
    n_checks = 2 * sum(len(a["modes"]) for a in wfplan.validate_config(copy.deepcopy(cfg), schema())["analyses"])
    assert re.search(rf"^check_selection_optional\s+{n_checks}$", out, re.M), out


@needs_snakemake
def test_study_section_adds_the_study_step(tmp_path):
    """Issue 22 item 3: `study:` makes the summary step's study.nc (neuralmi study) with the section's options,
    defaults filled in; without it no study step; a typo in it is refused while planning."""
    _touch(tmp_path / "archive" / "sub-01" / "sub-01_ses-01_ecephys.nwb")
    assert "neuralmi study" not in snakemake(tmp_path, "--configfile", str(_write_config(tmp_path)), "-n", "-p").stdout
    path = _write_config(tmp_path, study={"group_by": "subject", "contrasts": ["01-02"]})
    out = snakemake(tmp_path, "--configfile", str(path), "-n", "-p").stdout
    assert re.search(r"^study\s+1$", out, re.M), out
    cmd = next(line for line in out.splitlines() if "neuralmi study " in line)
    for part in ("results/summary.csv --out results/study.nc", "--correction fdr_bh", "--method dl", "--ci hksj",
                 "--confidence 0.95", "--group-by subject", "--contrast 01-02", "--unit bits"):
        assert part in cmd, (part, cmd)
    cfg = ephys_config()
    cfg["study"] = {"group_bye": "subject"}
    with pytest.raises(wfplan.ConfigError, match=r"study\.group_bye"):
        wfplan.validate_config(cfg, schema())


def test_pairs_declaration_expands_to_one_analysis_per_pair():
    """Issue 22 item 1: `pairs: {by, values}` makes an ordinary analysis per unordered pair (selectors, required
    false, every other key kept); the check gets min_units; errors name the declaration's own config key."""
    cfg = ephys_config()
    cfg["analyses"].append({"name": "net", "pairs": {"by": "region", "values": ["CA1", "CA3", "V1"], "min_units": 5},
                            "modes": ["rigorous"], "training": {"epochs": 5}, "rigorous": {"gammas": [1, 2, 3, 4, 5]}})
    cfg = wfplan.validate_config(cfg, schema())
    made = {a["name"]: a for a in cfg["analyses"] if a.get("pair_of") == "net"}
    assert sorted(made) == ["net__CA1__CA3", "net__CA1__V1", "net__CA3__V1"]
    a = made["net__CA1__V1"]
    assert (a["x"], a["y"], a["required"], a["training"]) == ("spikes[region=CA1]", "spikes[region=V1]", False,
                                                              {"epochs": 5})
    plans = wfplan.plan(cfg)
    check = wfplan.check_params(cfg, "net__CA1__V1", "rigorous", plans["net__CA1__V1"]["rigorous"])
    assert check["min_units"] == 5 and check["required"] is False
    assert "net__CA1__V1" in wfplan.optional_analyses(cfg)
    bad = ephys_config()
    bad["analyses"].append({"name": "net", "x": "spikes", "pairs": {"by": "region", "values": ["A", "B"]},
                            "modes": ["rigorous"]})
    with pytest.raises(wfplan.ConfigError, match=r"analyses\[1\]\.x: `pairs` makes the selectors"):
        wfplan.validate_config(bad, schema())
    bad["analyses"][1].pop("x")
    bad["analyses"][1]["rigorous"] = {"gammas": [1, 2]}
    with pytest.raises(wfplan.ConfigError, match=r"config key analyses\[1\]\.rigorous\.gammas"):
        wfplan.validate_config(bad, schema())
    nox = ephys_config()
    del nox["analyses"][0]["x"]
    with pytest.raises(wfplan.ConfigError, match=r"missing config key analyses\[0\]\.x"):
        wfplan.validate_config(nox, schema())


def test_pairs_within_adds_the_halves_of_each_value_as_the_diagonal():
    """Issue 22 item 1: `within: true` adds `<name>__<a>__<a>` (halves of a's units: `half=1` / `half=2`) before the
    pairs; every pair records its declaration and values for the report's matrix (`pair_of`, `pair`); the report
    command names them with `--pair`; `within` is schema-checked."""
    cfg = ephys_config()
    cfg["analyses"].append({"name": "net", "pairs": {"by": "region", "values": ["CA1", "V1"], "within": True,
                                                     "min_units": 3}, "modes": ["rigorous"],
                            "rigorous": {"gammas": [1, 2, 3, 4, 5]}})
    cfg = wfplan.validate_config(cfg, schema())
    made = [a for a in cfg["analyses"] if a.get("pair_of") == "net"]
    assert [a["name"] for a in made] == ["net__CA1__CA1", "net__V1__V1", "net__CA1__V1"]
    assert (made[0]["x"], made[0]["y"]) == ("spikes[region=CA1,half=1]", "spikes[region=CA1,half=2]")
    assert [a["pair"] for a in made] == [["CA1", "CA1"], ["V1", "V1"], ["CA1", "V1"]]
    plans = wfplan.plan(cfg)
    check = wfplan.check_params(cfg, "net__V1__V1", "rigorous", plans["net__V1__V1"]["rigorous"])
    assert (check["x"], check["min_units"], check["required"]) == ("spikes[region=V1,half=1]", 3, False)
    off = ephys_config()
    off["analyses"].append({"name": "net", "pairs": {"by": "region", "values": ["CA1", "V1"]}, "modes": ["rigorous"],
                            "rigorous": {"gammas": [1, 2, 3, 4, 5]}})
    assert [a["name"] for a in wfplan.validate_config(off, schema())["analyses"] if a.get("pair_of")] == [
        "net__CA1__V1"]
    bad = ephys_config()
    bad["analyses"].append({"name": "net", "pairs": {"by": "region", "values": ["A", "B"], "within": "yes"},
                            "modes": ["rigorous"]})
    with pytest.raises(wfplan.ConfigError, match=r"pairs\.within"):
        wfplan.validate_config(bad, schema())


@needs_snakemake
def test_dry_run_passes_the_pairs_of_a_network_to_the_report(tmp_path):
    """Issue 22 item 1: the session report command names each pair of a `pairs:` declaration (`--pair NAME NETWORK
    X Y`) so that the page shows the declaration as one matrix; the within pair's check selects the halves."""
    _touch(tmp_path / "archive" / "sub-01" / "sub-01_ses-01_ecephys.nwb")
    net = {"name": "net", "pairs": {"by": "region", "values": ["CA1", "V1"], "within": True}, "modes": ["rigorous"],
           "rigorous": {"gammas": [1, 2, 3, 4, 5]}}
    path = _write_config(tmp_path, analyses=[*ephys_config()["analyses"], net])
    out = snakemake(tmp_path, "--configfile", str(path), "-n", "-p").stdout
    cmd = next(line for line in out.splitlines() if "neuralmi report session " in line)
    for part in ("--pair net__CA1__CA1 net CA1 CA1", "--pair net__V1__V1 net V1 V1", "--pair net__CA1__V1 net CA1 V1"):
        assert part in cmd, (part, cmd)
    assert cmd.count("--pair ") == 3


@needs_snakemake
def test_dry_run_gives_each_condition_of_a_network_its_own_matrix(tmp_path):
    """A `pairs:` x `conditions:` declaration: the pairs of each condition go to their own matrix ("net · running",
    "net · rest"), so that the session and study pages never show two conditions' values in one cell."""
    _touch(tmp_path / "archive" / "sub-01" / "sub-01_ses-01_ecephys.nwb")
    signals = {**ephys_config()["signals"], "intervals": {"running": "intervals/running", "rest": "intervals/rest"}}
    net = {"name": "net", "pairs": {"by": "region", "values": ["CA1", "V1"]}, "modes": ["rigorous"],
           "rigorous": {"gammas": [1, 2, 3, 4, 5]},
           "conditions": {"running": {"intervals": "running"}, "rest": {"intervals": "rest"}}}
    path = _write_config(tmp_path, analyses=[*ephys_config()["analyses"], net], signals=signals)
    out = snakemake(tmp_path, "--configfile", str(path), "-n", "-p").stdout
    cmd = next(line for line in out.splitlines() if "neuralmi report session " in line)
    for part in ("--pair net__CA1__V1__running 'net · running' CA1 V1", "--pair net__CA1__V1__rest 'net · rest' CA1 V1"):
        assert part in cmd, (part, cmd)
    assert cmd.count("--pair ") == 2


@needs_snakemake
def test_summary_page_waits_for_the_study(tmp_path):
    """Issue 22 item 4: with `study:`, summary.csv comes first (summary_csv), study.nc from it, then summary.html with
    `--study results/study.nc` as an input; without a study the one summary job writes both, as before."""
    _touch(tmp_path / "archive" / "sub-01" / "sub-01_ses-01_ecephys.nwb")
    plain = snakemake(tmp_path, "--configfile", str(_write_config(tmp_path)), "-n", "-p").stdout
    assert re.search(r"^summary\s+1$", plain, re.M) and "summary_csv" not in plain and "--study" not in plain
    cmd = next(line for line in plain.splitlines() if "neuralmi report archive " in line)
    assert "--csv results/summary.csv --html results/summary.html" in cmd
    out = snakemake(tmp_path, "--configfile", str(_write_config(tmp_path, study={"group_by": "subject"})), "-n",
                    "-p").stdout
    for rule in ("summary_csv", "study", "summary"):
        assert re.search(rf"^{rule}\s+1$", out, re.M), (rule, out[-2000:])
    cmds = [line for line in out.splitlines() if "neuralmi report archive " in line]
    assert len(cmds) == 2 and any("--csv results/summary.csv" in c and "--html" not in c for c in cmds)
    assert any("--study results/study.nc --html results/summary.html" in c for c in cmds)
    blocks = out.split("rule ")
    page = next(b for b in blocks if b.startswith("summary:"))
    assert "input: " in page and "results/study.nc" in page.split("output:")[0], page
