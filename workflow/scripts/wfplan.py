"""Planning helpers of the neuralmi workflow: config validation, session discovery, safe ids, job cells.

Pure Python (no Snakemake import) so that it is unit-testable; ``workflow/rules/common.smk`` imports
it. Nothing here opens a recording: discovery looks at file names only, which keeps planning a
1000-session archive fast.
"""

from __future__ import annotations

import copy
import csv
import glob
import hashlib
import json
import os
import re
from collections.abc import Iterable, Mapping
from typing import Any

import yaml

#: Characters allowed in a session id (they are safe in paths, wildcards and shell words).
SAFE_ID = r"[A-Za-z0-9][A-Za-z0-9._-]*"
_SAFE_ID_RE = re.compile(rf"^{SAFE_ID}$")
_UNSAFE_RUN = re.compile(r"[^A-Za-z0-9._-]+")


#: The one path where `demo_archive.generate: true` writes the synthetic demo archive (relative to the
#: working directory); any other `archive:` is only ever read.
DEMO_ARCHIVE = "resources/demo_archive"

#: Characters Snakemake reads as wildcards ({name}) or path variables (<name>) inside any input path.
SNAKEMAKE_RESERVED = "{}<>"


def check_path_usable(path: str, origin: str) -> None:
    """Refuse a path Snakemake would misread (braces: wildcards; angle brackets: path variables)."""
    bad = sorted({ch for ch in path if ch in SNAKEMAKE_RESERVED})
    if bad:
        raise ConfigError(
            f"{origin} {path!r}: its path holds {' '.join(bad)}, which Snakemake reads as wildcard or path-variable "
            "syntax; rename the file or folder, or list a symlink with a plain name in a sessions_table"
        )


class ConfigError(ValueError):
    """The workflow configuration or the archive it names is not usable (message names the key/file)."""


# --------------------------------------------------------------------------------------------------
# config validation


def _key_path(path: Iterable[Any]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _validator_with_defaults(schema: Mapping[str, Any]):
    from jsonschema import Draft202012Validator, validators

    base = Draft202012Validator
    validate_properties = base.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for prop, sub in properties.items():
                if isinstance(sub, dict) and "default" in sub and prop not in instance:
                    instance[prop] = copy.deepcopy(sub["default"])
        yield from validate_properties(validator, properties, instance, schema)

    cls = validators.extend(base, {"properties": set_defaults})
    return cls(schema)


def _describe(err) -> str:
    key = _key_path(err.absolute_path)
    if err.validator == "additionalProperties" and isinstance(err.instance, dict):
        allowed = sorted((err.schema.get("properties") or {}).keys())
        unknown = sorted(set(err.instance) - set(allowed))
        names = ", ".join(
            _key_path([*err.absolute_path, u]) for u in unknown
        )
        return f"unknown config key {names} (allowed here: {', '.join(allowed)})"
    if err.validator == "required":
        missing = re.findall(r"'([^']+)' is a required property", err.message)
        name = _key_path([*err.absolute_path, *missing]) if missing else key
        return f"missing config key {name}: {err.message}"
    return f"config key {key}: {err.message}"


def validate_config(config: dict[str, Any], schema: Mapping[str, Any]) -> dict[str, Any]:
    """Validate ``config`` against ``schema`` in place, filling defaults; raise ConfigError naming keys.

    Also checks what a schema cannot: unique analysis names, a Y for rigorous mode, resources
    completed from the schema's per-rule defaults.
    """
    validator = _validator_with_defaults(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    if errors:
        lines = [_describe(e) for e in errors]
        raise ConfigError("invalid workflow config:\n  - " + "\n  - ".join(dict.fromkeys(lines)))
    problems = []
    seen = set()
    for i, an in enumerate(config["analyses"]):
        if an["name"] in seen:
            problems.append(f"config key analyses[{i}].name: duplicate analysis name {an['name']!r}")
        seen.add(an["name"])
        if "rigorous" in an["modes"] and not an.get("y"):
            problems.append(f"missing config key analyses[{i}].y: rigorous mode needs a Y signal")
        if "rigorous" in an["modes"] and len(an["rigorous"]["gammas"]) < an["rigorous"]["min_gammas"]:
            problems.append(
                f"config key analyses[{i}].rigorous.gammas: {len(an['rigorous']['gammas'])} gamma(s) but "
                f"rigorous.min_gammas is {an['rigorous']['min_gammas']}; the fit needs at least min_gammas gammas"
            )
        if an["dimensionality"]["with_y"] and not an.get("y"):
            problems.append(f"missing config key analyses[{i}].y: dimensionality.with_y needs a Y signal")
    if problems:
        raise ConfigError("invalid workflow config:\n  - " + "\n  - ".join(problems))
    res_schema = schema["properties"]["resources"]["properties"]
    for rule, sub in res_schema.items():
        config["resources"][rule] = {**sub.get("default", {}), **config["resources"].get(rule, {})}
    return config


def load_schema(path: str | os.PathLike) -> dict[str, Any]:
    with open(path) as fh:
        return yaml.safe_load(fh)


def config_hash(config: Mapping[str, Any]) -> str:
    """First 16 hex digits of the sha256 of the config as canonical JSON (defaults filled)."""
    text = json.dumps(config, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# --------------------------------------------------------------------------------------------------
# sessions


def safe_session_id(name: str) -> str:
    """Map a file stem to a safe id: runs of characters outside ``[A-Za-z0-9._-]`` become ``_``.

    >>> safe_session_id("sub-01_ses-02 it's $(x)")
    'sub-01_ses-02_it_s_x'
    """
    sid = _UNSAFE_RUN.sub("_", name).strip("._-")
    return sid


def is_safe_id(sid: str) -> bool:
    return bool(_SAFE_ID_RE.match(sid))


def _stem(path: str) -> str:
    base = os.path.basename(path)
    return base[: -len(".nwb")] if base.lower().endswith(".nwb") else os.path.splitext(base)[0]


def generates_demo(config: Mapping[str, Any]) -> bool:
    """True when the workflow should generate the demo archive: ``demo_archive.generate`` is on, no
    sessions table is given, and ``archive`` is the shipped demo path :data:`DEMO_ARCHIVE`.

    A config merged into ``config.yaml`` inherits ``generate: true``; tying generation to the demo path
    means a user's own ``archive:`` (mounted or not) is never filled with synthetic data.
    """
    if not config["demo_archive"]["generate"] or config.get("sessions_table"):
        return False
    return os.path.abspath(config["archive"].rstrip("/")) == os.path.abspath(DEMO_ARCHIVE)


def sessions_for(config: Mapping[str, Any]) -> dict[str, str]:
    """Session id -> NWB path from the config's sessions table or archive (ConfigError naming the key)."""
    if config.get("sessions_table"):
        return read_sessions_table(config["sessions_table"])
    archive = config["archive"].rstrip("/")
    try:
        return discover_sessions(archive, config["unsafe_names"])
    except ConfigError as exc:
        if config["demo_archive"]["generate"] and "not found" in str(exc):
            raise ConfigError(f"{exc}; demo_archive.generate only ever makes the demo archive at "
                              f"{DEMO_ARCHIVE!r}, never at another path") from None
        raise


def discover_sessions(archive: str, unsafe_names: str = "rename") -> dict[str, str]:
    """Map session id -> NWB path for every ``*.nwb`` under a folder (or matching a glob), sorted.

    Ids come from file names (the stem). Unsafe names are renamed or refused (``unsafe_names``);
    two files mapping to one id are refused, naming both.
    """
    if any(ch in archive for ch in "*?["):
        paths = glob.glob(archive, recursive=True)
        if not paths:
            raise ConfigError(f"config key archive: the glob {archive!r} matches no file")
    else:
        if not os.path.isdir(archive):
            raise ConfigError(f"config key archive: folder {archive!r} not found (working directory {os.getcwd()})")
        paths = []
        for root, dirs, files in os.walk(archive):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            paths.extend(os.path.join(root, f) for f in files if f.lower().endswith(".nwb") and not f.startswith("."))
        if not paths:
            raise ConfigError(f"config key archive: no *.nwb file under {archive!r}")
    sessions: dict[str, str] = {}
    for path in sorted(paths):
        check_path_usable(path, "session file")
        stem = _stem(path)
        sid = stem if is_safe_id(stem) else None
        if sid is None:
            if unsafe_names == "error":
                raise ConfigError(
                    f"session file {path!r}: its name holds characters other than letters, digits, "
                    "'.', '_', '-' (spaces, quotes or shell metacharacters); rename the file, list it in "
                    "a sessions_table with a safe session_id, or set unsafe_names: rename"
                )
            sid = safe_session_id(stem)
            if not is_safe_id(sid):
                raise ConfigError(f"session file {path!r}: no safe session id can be made from its name")
        if sid in sessions:
            raise ConfigError(
                f"session files {sessions[sid]!r} and {path!r} both map to session id {sid!r}; rename one or "
                "use a sessions_table"
            )
        sessions[sid] = path
    return dict(sorted(sessions.items()))


def read_sessions_table(table: str) -> dict[str, str]:
    """Read a TSV/CSV sessions table (columns ``session_id``, ``path``); paths relative to the table."""
    if not os.path.isfile(table):
        raise ConfigError(f"config key sessions_table: file {table!r} not found")
    with open(table, newline="") as fh:
        text = fh.read()
    dialect = "excel-tab" if "\t" in text.splitlines()[0] else "excel"
    rows = list(csv.DictReader(text.splitlines(), dialect=dialect))
    if not rows or not {"session_id", "path"} <= set(rows[0]):
        raise ConfigError(f"sessions table {table!r}: expected columns session_id and path")
    base = os.path.dirname(table)
    sessions: dict[str, str] = {}
    for i, row in enumerate(rows, start=2):
        sid, path = row["session_id"].strip(), row["path"].strip()
        if not is_safe_id(sid):
            raise ConfigError(
                f"sessions table {table!r} line {i}: session_id {sid!r} is not safe "
                "(letters, digits, '.', '_', '-', starting with a letter or digit)"
            )
        if sid in sessions:
            raise ConfigError(f"sessions table {table!r} line {i}: duplicate session_id {sid!r}")
        path = path if os.path.isabs(path) else os.path.normpath(os.path.join(base, path))
        check_path_usable(path, f"sessions table {table!r} line {i}: path")
        sessions[sid] = path
    return sessions


def sidecar_for(nwb_path: str) -> str:
    """Path of the ground-truth JSON sidecar written next to a demo NWB file (may not exist)."""
    stem = nwb_path[: -len(".nwb")] if nwb_path.lower().endswith(".nwb") else nwb_path
    return stem + ".truth.json"


# --------------------------------------------------------------------------------------------------
# job cells and command-line arguments


def analyses_by_name(config: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {an["name"]: an for an in config["analyses"]}


def rigorous_cells(an: Mapping[str, Any]) -> list[tuple[int, int]]:
    """(gamma, seed) of every rigorous training job of one analysis (empty when the mode is off)."""
    if "rigorous" not in an["modes"]:
        return []
    r = an["rigorous"]
    return [(g, s) for g in r["gammas"] for s in r["seeds"]]


def dimensionality_cells(an: Mapping[str, Any]) -> list[tuple[int, int]]:
    """(embedding_dim, seed) of every dimensionality training job of one analysis."""
    if "dimensionality" not in an["modes"]:
        return []
    d = an["dimensionality"]
    return [(k, s) for k in d["embedding_dims"] for s in d["seeds"]]


def selector(binned: str, sel: str) -> str:
    """``results/S/binned.nc`` + ``spikes[region=A]`` -> ``results/S/binned.nc:spikes[region=A]``."""
    return f"{binned}:{sel}"


def training_args(an: Mapping[str, Any], device: str) -> list[str]:
    """CLI options shared by the training jobs of an analysis (model + training + window/lag)."""
    t = an["training"]
    args = [
        "--critic", an["critic"],
        "--tau", an["tau"],
        "--epochs", t["epochs"],
        "--batch-size", t["batch_size"],
        "--lr", t["lr"],
        "--patience", t["patience"],
        "--split", t["split"],
        "--test-fraction", t["test_fraction"],
        "--gap", t["gap"],
        "--eval-size", t["eval_size"],
        "--preprocess", t["preprocess"],
        "--hidden", t["hidden"],
        "--layers", t["layers"],
        "--activation", t["activation"],
        "--device", device,
    ]
    args += ["--window", an["window"], "--lag", an["lag"]]
    return [str(a) for a in args]


def rigorous_fit_args(an: Mapping[str, Any]) -> list[str]:
    """Fit settings every rigorous part carries (parts must agree on them to be gathered)."""
    r = an["rigorous"]
    args = ["--confidence", r["confidence"], "--extrapolate", r["extrapolate"], "--delta", r["delta"],
            "--min-gammas", r["min_gammas"], "--min-chunk", r["min_chunk"]]
    return [str(a) for a in args]


def strictness_arg(an: Mapping[str, Any]) -> str:
    return ",".join(f"{float(s):g}" for s in an["dimensionality"]["strictness"])


def estimator_option_args(options: Mapping[str, Any]) -> list[str]:
    """``{reference: uniform}`` -> ``["--option", "reference=uniform"]`` (sorted by key)."""
    out = []
    for key, value in sorted(options.items()):
        text = str(value).lower() if isinstance(value, bool) else str(value)
        out += ["--option", f"{key}={text}"]
    return out


def rigorous_args(an: Mapping[str, Any], device: str) -> list[str]:
    """Every `neuralmi rigorous` option of an analysis except X, Y and the cell (gamma, seed)."""
    head = ["--estimator", an["estimator"], "--embedding-dim", str(an["embedding_dim"])]
    head += estimator_option_args(an["rigorous"].get("options", {}))
    return head + training_args(an, device) + rigorous_fit_args(an)


def dimensionality_args(an: Mapping[str, Any], device: str) -> list[str]:
    """Every `neuralmi dimensionality` option of an analysis except X, Y and the cell (dim, seed)."""
    d = an["dimensionality"]
    head = ["--estimator", d["estimator"], "--n-splits", str(d["n_splits"]), "--strictness", strictness_arg(an)]
    head += estimator_option_args(d.get("options", {}))
    return head + training_args(an, device)


def check_params(config: Mapping[str, Any], name: str) -> dict[str, Any]:
    """What the check after binning (``workflow/scripts/check_selection.py``) needs for analysis ``name``:
    selectors, window, lag, the size settings, and how the config names each of them (for messages)."""
    index = [a["name"] for a in config["analyses"]].index(name)
    an = config["analyses"][index]
    key = f"analyses[{index}]"
    t = an["training"]
    out: dict[str, Any] = {
        "x": an["x"], "y": an.get("y"), "window": an["window"], "lag": an["lag"],
        "training": {"split": t["split"], "test_fraction": t["test_fraction"], "gap": t["gap"]},
        "rigorous": None, "dimensionality": None,
        "keys": {"gammas": f"{key}.rigorous.gammas", "min_chunk": f"{key}.rigorous.min_chunk",
                 "split": f"{key}.training.split", "test_fraction": f"{key}.training.test_fraction",
                 "gap": f"{key}.training.gap", "window": f"{key}.window", "lag": f"{key}.lag",
                 "x": f"{key}.x", "y": f"{key}.y"},
    }
    if "rigorous" in an["modes"]:
        out["rigorous"] = {"gammas": list(an["rigorous"]["gammas"]), "min_chunk": an["rigorous"]["min_chunk"]}
    if "dimensionality" in an["modes"]:
        with_y = bool(an["dimensionality"]["with_y"])
        out["dimensionality"] = {"with_y": with_y}
        if not with_y and "rigorous" not in an["modes"]:
            out["y"] = None  # X alone is trained: Y's bins must not drop any of X's
    return out


def demo_archive_args(demo: Mapping[str, Any]) -> list[str]:
    out = ["--sessions", str(demo["sessions"]), "--seed", str(demo["seed"])]
    for key, value in sorted(demo.get("options", {}).items()):
        flag = "--" + str(key).replace("_", "-")
        if value is True:
            out.append(flag)
        elif value is False:
            continue
        else:
            out += [flag, str(value)]
    return out

