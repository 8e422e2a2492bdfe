# Validation, session discovery, input functions and wildcard constraints.
# Planning never opens a recording: sessions come from file names only.

import os
import re
import shlex
import sys
from importlib.metadata import PackageNotFoundError, version as _dist_version
from pathlib import Path

sys.path.insert(0, str(Path(workflow.basedir) / "workflow" / "scripts"))
import wfplan  # noqa: E402

try:
    wfplan.validate_config(
        config,
        wfplan.load_schema(
            Path(workflow.basedir) / "workflow/schemas/config.schema.yaml"
        ),
    )
except wfplan.ConfigError as exc:
    raise WorkflowError(str(exc)) from None

CONFIG_HASH = wfplan.config_hash(config)
# Binning depends on these keys only: other config edits must not re-bin (and re-train) sessions.
INGEST_HASH = wfplan.config_hash(
    {"signals": config["signals"], "bin_width": config["bin_width"]}
)
ANALYSES = wfplan.analyses_by_name(config)
ARCHIVE = config["archive"].rstrip("/")
# The demo archive is generated only at the shipped path: a user config merged into config.yaml inherits
# demo_archive.generate, and must never get synthetic data written where it names its own archive.
DEMO = wfplan.generates_demo(config)
# Every mode of every analysis, planned by the library: settings, cells (training jobs), CLI arguments.
PLANS = wfplan.plan(config)
MODES = sorted({mode for plans in PLANS.values() for mode in plans})
USE_GPU = config["device"].startswith("cuda")
RES = config["resources"]
ENV = "../../environment.yml"
# Training jobs ask the executor for one GPU only when the device is cuda (SLURM: --gpus=[MODEL:]1).
GPU_RESOURCES = (
    {"gpu": 1, **({"gpu_model": config["gpu_model"]} if config["gpu_model"] else {})}
    if USE_GPU
    else {}
)


def _package_version():
    try:
        return _dist_version("neuralmi_core")
    except PackageNotFoundError:
        text = (Path(workflow.basedir) / "neuralmi_core" / "_version.py").read_text()
        return text.split("=", 1)[1].strip().strip("\"'")


VERSION = _package_version()

# The `neuralmi` command of every rule. With `--sdm conda` the jobs run in environment.yml's env, where
# the console script is on PATH. Otherwise a shell function of that name runs the Python that runs
# Snakemake (planning has already imported neuralmi_core with it), so a venv need not be activated and
# PATH plays no part. A shell prefix, not a params value: moving the venv must not re-run anything.
_CONDA = any(
    getattr(m, "name", str(m)).lower() == "conda"
    for m in workflow.deployment_settings.deployment_method
)
if not _CONDA:
    _PY = shlex.quote(sys.executable).replace("{", "{{").replace("}", "}}")
    shell.prefix(
        f'set -euo pipefail; neuralmi() {{{{ {_PY} -m neuralmi_core "$@"; }}}}; '
    )


wildcard_constraints:
    session=wfplan.SAFE_ID,
    analysis=r"[A-Za-z0-9][A-Za-z0-9_-]*",
    mode="|".join(MODES) or "none",
    cell=r"[a-z]+[0-9]+(_[a-z]+[0-9]+)*",


# Sessions are discovered while the workflow is parsed, so that an empty or missing archive, an unsafe
# file name or a bad sessions table is one clean error line (raised inside an input function, Snakemake
# would wrap it in an InputFunctionException with a traceback). Only the demo archive, which a
# checkpoint makes, is discovered after the checkpoint.
try:
    _SESSIONS = {} if DEMO else wfplan.sessions_for(config)
except wfplan.ConfigError as exc:
    raise WorkflowError(str(exc)) from None


def sessions():
    """Session id -> NWB path (in demo mode only after the archive exists)."""
    if not _SESSIONS:
        checkpoints.demo_archive.get()
        _SESSIONS.update(wfplan.discover_sessions(ARCHIVE, config["unsafe_names"]))
    return _SESSIONS


def get_nwb(wildcards):
    try:
        return sessions()[wildcards.session]
    except KeyError:
        raise WorkflowError(f"unknown session {wildcards.session!r}") from None


BINNED = "results/{session}/binned.nc"


def train_args(wildcards):
    """Params function: X (and Y, and Z) selectors on the session's binned file, window and lag, then the mode's
    training settings and the cell (from the library's plan).

    It takes wildcards only (not `input`): Snakemake leaves params derived from input out of its params
    rerun trigger, and these must trigger re-training when a training setting changes. Fit settings are
    not among them: they reach only the gather jobs.
    """
    an = ANALYSES[wildcards.analysis]
    plan = PLANS[wildcards.analysis][wildcards.mode]
    binned = BINNED.format(session=wildcards.session)
    xy = [wfplan.selector(binned, an["x"])]
    if plan.use_y:
        xy.append(wfplan.selector(binned, an["y"]))
    if plan.z:
        xy += ["--z", wfplan.selector(binned, plan.z)]
    window = ["--window", str(plan.window), "--lag", str(plan.lag)]
    return xy + window + plan.args_for(wildcards.cell)


SELECTION = "results/{session}/{analysis}/{mode}/selection.json"
# Analyses with `required: false` (skipped in a session lacking their signal) are checked by a checkpoint, the
# others by a plain rule (workflow/rules/ingest.smk); "(?!)" matches nothing when a side is empty.
OPTIONAL = set(wfplan.optional_analyses(config))


def _alternatives(names):
    return "|".join(re.escape(n) for n in sorted(names)) or "(?!)"


OPTIONAL_ANALYSES = _alternatives(OPTIONAL)
REQUIRED_ANALYSES = _alternatives(set(ANALYSES) - OPTIONAL)
# What the check after binning of one (analysis, mode) reads: only that mode's selection and size
# settings, so that a change elsewhere (epochs, confidence, another mode, a new mode) never re-runs it
# or the training jobs that wait for it.
CHECK_PARAMS = {
    (n, mode): wfplan.check_params(config, n, mode, plan)
    for n, plans in PLANS.items()
    for mode, plan in plans.items()
}


def gather_args(wildcards):
    return list(PLANS[wildcards.analysis][wildcards.mode].gather_args)


def cell_parts(wildcards):
    plan = PLANS[wildcards.analysis][wildcards.mode]
    return [
        f"results/{wildcards.session}/{wildcards.analysis}/{wildcards.mode}/{cell}.json"
        for cell in plan.cell_ids
    ]


def get_gather_inputs(wildcards):
    """The gather's inputs: the training parts of the mode's cells; for an analysis with `required: false`, after
    its check (a checkpoint) has run, only the selection record when the session skipped the analysis.
    """
    if wildcards.analysis in OPTIONAL:
        record = checkpoints.check_selection_optional.get(**wildcards).output[0]
        if wfplan.read_skipped(record):
            return {"parts": [], "skipped": record}
    return {"parts": cell_parts(wildcards)}


def gather_parts(wildcards, input):
    """The training parts of a gather (none for a skipped analysis). A params function rather than
    `{input.parts}` in the shell: while an optional analysis's check (a checkpoint) has not run, a dry run
    formats the job with the checkpoint's output as its only, unnamed input."""
    return list(input.parts) if "parts" in input.keys() else []


def skipped_args(wildcards, input):
    """`--skipped RECORD` for the gather of an analysis skipped in this session (an input-derived param: not
    a rerun trigger, the input set itself changes with the skip)."""
    return ["--skipped", input.skipped] if "skipped" in input.keys() else []


def session_results(wildcards):
    """Gathered result files of every analysis and mode of one session, keyed for the report."""
    out = {}
    for name, plans in PLANS.items():
        for mode in plans:
            out[f"{name}__{mode}"] = f"results/{wildcards.session}/{name}/{mode}.json"
    return out


def session_selections(wildcards):
    """Selection record of every (analysis, mode) of one session, keyed for the report."""
    return {
        f"{name}__{mode}__selection": SELECTION.format(
            session=wildcards.session, analysis=name, mode=mode
        )
        for name, plans in PLANS.items()
        for mode in plans
    }


# Pairs of conditions of one `conditions:` declaration, whose contrast each session report shows.
CONTRASTS = wfplan.contrast_pairs(config)


def report_result_args(wildcards):
    """`--result NAME MODE PATH` triples, `--selection NAME PATH` pairs, `--contrast NAME A B` triples (the
    conditions of one declaration) and `--pair NAME NETWORK X Y` (the pairs of a `pairs:` network) for
    `neuralmi report session`."""
    paths = session_results(wildcards)
    selections = session_selections(wildcards)
    args = []
    for name, plans in PLANS.items():
        for mode in plans:
            args += ["--result", name, mode, paths[f"{name}__{mode}"]]
        for mode in plans:
            args += ["--selection", name, selections[f"{name}__{mode}__selection"]]
    for of, a, b, _, _ in CONTRASTS:
        args += ["--contrast", of, a, b]
    # the pairs of a `pairs:` network: the report shows them as one matrix (per condition under
    # `conditions:`: net__A__B__running and net__A__B__rest go to the matrices "net · running" and "net · rest")
    for an in config["analyses"]:
        if an.get("pair_of"):
            network = an["pair_of"] + (
                f" · {an['condition']}" if an.get("condition_of") else ""
            )
            args += ["--pair", an["name"], network, *an["pair"]]
    return args


def figure_outputs(session="{session}"):
    return [
        f"results/{session}/figures/{name}_{mode}.png"
        for name, plans in PLANS.items()
        for mode in plans
    ]


def truth_args(wildcards):
    """`--truth SIDECAR` when the demo generator wrote a ground-truth sidecar next to the file."""
    path = wfplan.sidecar_for(get_nwb(wildcards))
    return ["--truth", path] if DEMO and os.path.exists(path) else []


def all_summaries(wildcards):
    return [f"results/{s}/summary.json" for s in sessions()]


def all_targets(wildcards):
    """Everything a run of the config makes. Each session's figures and summary.json are requested by
    name: a report job whose output set grew (a new analysis or mode) is re-run because its new figure is
    missing, not skipped because report.html exists (Snakemake checks only requested outputs).
    """
    ids = sessions()
    out = ["results/summary.csv", "results/summary.html"]
    if config.get("study") is not None:
        out.append("results/study.nc")
    for s in ids:
        out += [f"results/{s}/report.html", f"results/{s}/summary.json"]
        out += figure_outputs(s)
    return out


def study_args(wildcards):
    """Options of `neuralmi study` from the config's `study:` section (schema defaults filled in)."""
    st = config["study"]
    args = ["--unit", config["unit"], "--correction", st["correction"]]
    args += [
        "--method",
        st["method"],
        "--ci",
        st["ci"],
        "--confidence",
        str(st["confidence"]),
    ]
    if st.get("group_by"):
        args += ["--group-by", st["group_by"]]
    for c in st.get("contrasts") or []:
        args += ["--contrast", c]
    return args


def summarize_failed_run():
    """After a run in which a job failed (Snakemake's `onerror`): write results/summary.{csv,html} from
    the sessions whose report is current for this config, with a table of the others and why they did
    not finish (the step and the error line of its log), so that no summary of an older config stays in
    place looking current. The run still exits non-zero."""
    try:
        found = dict(_SESSIONS)
        if not found and (not DEMO or os.path.isdir(ARCHIVE)):
            found = wfplan.discover_sessions(ARCHIVE, config["unsafe_names"])
        done, failed = wfplan.archive_status(found, CONFIG_HASH, PLANS)
        from neuralmi_core.report import write_archive_summary

        write_archive_summary(
            done,
            csv_out="results/summary.csv",
            html_out="results/summary.html",
            unit=config["unit"],
            failures=failed,
        )
    except Exception as exc:  # a handler must not hide the run's own error
        print(
            f"neuralmi: could not write the summary of the failed run: {exc}",
            file=sys.stderr,
        )
        return
    print(
        f"neuralmi: {len(failed)} of {len(found)} session(s) did not finish; "
        f"results/summary.csv and results/summary.html list the {len(done)} that did "
        "and, for the others, why:",
        file=sys.stderr,
    )
    for f in failed:
        print(f"  {f['session']}: {f['step'] or '-'}: {f['reason']}", file=sys.stderr)
