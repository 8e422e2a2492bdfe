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


def _resolve(schema: Mapping[str, Any], node: Mapping[str, Any]) -> Mapping[str, Any]:
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        target: Any = schema
        for part in ref[2:].split("/"):
            target = target[part]
        return {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def _fill_defaults(schema: Mapping[str, Any], node: Mapping[str, Any], instance: dict[str, Any]) -> None:
    """Fill the schema's defaults into ``instance``, except inside ``analyses``: the library resolves an
    analysis's settings (a mode's section, then the analysis level, then the mode's own default), and a
    filled default would hide the level a setting comes from."""
    for key, sub in (node.get("properties") or {}).items():
        sub = _resolve(schema, sub)
        if key not in instance and "default" in sub:
            instance[key] = copy.deepcopy(sub["default"])
        if key != "analyses" and isinstance(instance.get(key), dict):
            _fill_defaults(schema, sub, instance[key])


#: Keys that moved or were renamed, with where they are now (shown with the unknown-key error).
MOVED_KEYS = {
    "layers": "renamed `n_layers`, a model setting at the analysis level (or in a mode's section)",
    "hidden": "a model setting: set it at the analysis level (or in a mode's section), not under `training`",
    "activation": "a model setting: set it at the analysis level (or in a mode's section), not under `training`",
}


def _branch_errors(err) -> list:
    """The errors of a oneOf/anyOf whose branches are of the instance's own kind (a mapping given where a list
    or a mapping is allowed: the mapping branch's unknown or missing keys), else []."""
    kind = {dict: "object", list: "array", str: "string"}.get(type(err.instance))
    return [c for c in err.context or () if c.validator != "type" and (c.schema.get("type") == kind or kind is None)
            and c.validator in ("additionalProperties", "required", "enum", "minimum", "exclusiveMinimum")]


def _describe(err) -> str:
    if err.validator in ("oneOf", "anyOf"):
        inner = _branch_errors(err)
        if inner:  # e.g. a typo in a lags: {start, stop, step} mapping: name the key, not "not valid under any"
            return "; ".join(dict.fromkeys(_describe(c) for c in inner))
    key = _key_path(err.absolute_path)
    if err.validator == "additionalProperties" and isinstance(err.instance, dict):
        allowed = sorted((err.schema.get("properties") or {}).keys())
        unknown = sorted(set(err.instance) - set(allowed))
        names = ", ".join(
            _key_path([*err.absolute_path, u]) for u in unknown
        )
        hints = "".join(f"; `{u}` was {MOVED_KEYS[u]}" for u in unknown if u in MOVED_KEYS)
        return f"unknown config key {names} (allowed here: {', '.join(allowed)}){hints}"
    if err.validator == "required":
        missing = re.findall(r"'([^']+)' is a required property", err.message)
        name = _key_path([*err.absolute_path, *missing]) if missing else key
        return f"missing config key {name}: {err.message}"
    return f"config key {key}: {err.message}"


def validate_config(config: dict[str, Any], schema: Mapping[str, Any]) -> dict[str, Any]:
    """Validate ``config`` against ``schema`` in place, filling defaults; raise ConfigError naming keys.

    Also checks what a schema cannot: unique analysis names, resources completed from the schema's
    per-rule defaults, and (through the library) the signal spec and every analysis: :func:`plan` raises
    for an analysis the library would refuse at training time.
    """
    from jsonschema import Draft202012Validator

    errors = sorted(Draft202012Validator(schema).iter_errors(config),
                    key=lambda e: (list(map(str, e.absolute_path)), e.message))
    if errors:
        lines = [_describe(e) for e in errors]
        raise ConfigError("invalid workflow config:\n  - " + "\n  - ".join(dict.fromkeys(lines)))
    _fill_defaults(schema, schema, config)
    config["analyses"] = expand_conditions(expand_pairs(config["analyses"]), config.get("signals"))
    problems = []
    seen = set()
    for i, an in enumerate(config["analyses"]):
        if an["name"] in seen:
            made = f" (made by condition {an['condition']!r} of analysis {an['condition_of']!r})" \
                if an.get("condition") else ""
            problems.append(f"config key analyses[{i}].name: duplicate analysis name {an['name']!r}{made}")
        seen.add(an["name"])
    if problems:
        raise ConfigError("invalid workflow config:\n  - " + "\n  - ".join(problems))
    res_schema = schema["properties"]["resources"]["properties"]
    for rule, sub in res_schema.items():
        config["resources"][rule] = {**sub.get("default", {}), **config["resources"].get(rule, {})}
    plan(config)
    return config


def expand_pairs(analyses: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Analyses with ``pairs:`` become one ordinary analysis per pair of values (schema: ``pairs``), in place of
    the declaration: ``<name>__<a>__<b>`` with ``x: <variable>[<by>=<a>]``, ``y: <variable>[<by>=<b>]``,
    ``required: false`` and ``min_units`` kept for the selection check, ``pair_of`` (the declaration) and
    ``pair`` ([a, b], for the report's matrix). ``within: true`` adds ``<name>__<a>__<a>`` first for each value:
    ``x: <variable>[<by>=<a>,half=1]``, ``y: ...half=2]``, the two halves of a's units (the matrix diagonal;
    ``min_units`` then applies to each half). Others pass unchanged; an analysis without ``pairs`` needs ``x``,
    one with ``pairs`` must not give ``x`` or ``y``."""
    from itertools import combinations

    out, problems = [], []
    for i, an in enumerate(analyses):
        pairs = an.get("pairs")
        if pairs is None:
            if "x" not in an:
                problems.append(f"missing config key analyses[{i}].x: the X signal (or `pairs:` for a network)")
            out.append(an)
            continue
        given = [k for k in ("x", "y") if k in an]
        if given:
            problems.append(f"config key analyses[{i}].{given[0]}: `pairs` makes the selectors; remove "
                            f"{' and '.join(given)}")
            continue
        var, by = pairs.get("variable", "spikes"), pairs["by"]
        within = [(v, v) for v in pairs["values"]] if pairs.get("within") else []
        for a, b in [*within, *combinations(pairs["values"], 2)]:
            pair = {k: copy.deepcopy(v) for k, v in an.items() if k != "pairs"}
            # within: the two halves of one value's units (the selector's `half`, neuralmi_core.io.select)
            x, y = (f"{var}[{by}={a},half=1]", f"{var}[{by}={a},half=2]") if a == b else \
                (f"{var}[{by}={a}]", f"{var}[{by}={b}]")
            pair.update(name=f"{an['name']}__{a}__{b}", x=x, y=y, required=False,
                        min_units=pairs.get("min_units", 1), pair_of=an["name"], pair=[a, b], config_index=i)
            out.append(pair)
    if problems:
        raise ConfigError("invalid workflow config:\n  - " + "\n  - ".join(problems))
    return out


def condition_selector(cond: Mapping[str, Any]) -> str:
    """The ``@`` suffix of a condition's selectors (see :mod:`neuralmi_core.io.select`).

    >>> condition_selector({"intervals": "running"})
    'running'
    >>> condition_selector({"intervals": "trials", "column": "trial_type", "equals": ["go", "nogo"]})
    'trials[column=trial_type,label=go|nogo]'
    >>> condition_selector({"intervals": "trials", "column": "rewarded", "equals": True})
    'trials[column=rewarded,label=True]'
    """
    if "column" not in cond:
        return cond["intervals"]
    values = cond["equals"] if isinstance(cond["equals"], list) else [cond["equals"]]
    labels = "|".join(str(v) for v in values)
    return f"{cond['intervals']}[column={cond['column']},label={labels}]"


_SELECTOR_UNSAFE = re.compile(r"[\[\],|=@]")


def _declared_intervals(signals: Mapping[str, Any] | None) -> dict[str, list[str] | None]:
    """Entries of ``signals.intervals`` -> the columns they bin (None: every column of the table)."""
    out: dict[str, list[str] | None] = {}
    for name, entry in ((signals or {}).get("intervals") or {}).items():
        if isinstance(entry, list):
            out[name] = [str(c) for c in entry]
        elif isinstance(entry, dict) and entry.get("columns") is not None:
            out[name] = [str(c) for c in entry["columns"]]
        else:
            out[name] = None
    return out


def expand_conditions(analyses: list[dict[str, Any]], signals: Mapping[str, Any] | None = None
                      ) -> list[dict[str, Any]]:
    """Analyses with ``conditions:`` become one ordinary analysis per condition, in declaration order, in place
    of the declaration: ``<name>__<cond>`` whose ``x`` and ``y`` selectors end in ``@<condition selector>``
    (:func:`condition_selector`), with ``condition_of`` (the declaration's name, after ``pairs:`` the pair's),
    ``condition`` and ``config_index`` (the declaration's position, for the library's messages). ``z`` is left
    as it is: Z is read on the rows X and Y keep.

    Refused (ConfigError naming the key): a condition naming an intervals variable that ``signals.intervals``
    does not declare (or a column it does not bin), two conditions whose names differ only in case (their
    result folders would collide on a case-insensitive file system), labels holding selector syntax.
    """
    declared = _declared_intervals(signals)
    out, problems = [], []
    for j, an in enumerate(analyses):
        conds = an.get("conditions")
        if not conds:
            out.append({k: v for k, v in an.items() if k != "conditions"} if conds is not None else an)
            continue
        i = an.get("config_index", j)
        key = f"analyses[{i}].conditions"
        lower: dict[str, str] = {}
        for cname, cond in conds.items():
            if cname.lower() in lower:
                problems.append(f"config key {key}: conditions {lower[cname.lower()]!r} and {cname!r} differ "
                                "only in case; their result folders would collide; rename one")
            lower[cname.lower()] = cname
            table = cond["intervals"]
            if table not in declared:
                problems.append(f"config key {key}.{cname}.intervals: {table!r} is not an entry of "
                                f"signals.intervals (declared: {sorted(declared) or 'none'}); declare its table there, "
                                f"e.g. signals.intervals.{table}: intervals/{table}")
            elif "column" in cond and declared[table] is not None and cond["column"] not in declared[table]:
                problems.append(f"config key {key}.{cname}.column: {cond['column']!r} is not among the columns "
                                f"signals.intervals.{table} bins ({declared[table]})")
            values = cond.get("equals", [])
            for v in values if isinstance(values, list) else [values]:
                if _SELECTOR_UNSAFE.search(str(v)) or _SELECTOR_UNSAFE.search(str(cond.get("column", ""))):
                    problems.append(f"config key {key}.{cname}: {cond.get('column')!r}/{v!r} holds one of "
                                    "[ ] , | = @, which selectors reserve")
            sel = condition_selector(cond)
            one = {k: copy.deepcopy(v) for k, v in an.items() if k != "conditions"}
            one.update(name=f"{an['name']}__{cname}", condition_of=an["name"], condition=cname, config_index=i)
            for side in ("x", "y"):
                if one.get(side):
                    one[side] = f"{one[side]}@{sel}"
            out.append(one)
    if problems:
        raise ConfigError("invalid workflow config:\n  - " + "\n  - ".join(problems))
    return out


def contrast_pairs(config: Mapping[str, Any]) -> list[tuple[str, str, str, str, str]]:
    """``(declaration, condition a, condition b, analysis a, analysis b)`` for every pair of conditions of one
    declaration (in declaration order: a before b), from the expanded analyses; the session report shows their
    contrasts."""
    from itertools import combinations

    groups: dict[str, list[dict[str, Any]]] = {}
    for an in config["analyses"]:
        if an.get("condition_of"):
            groups.setdefault(an["condition_of"], []).append(an)
    return [(of, a["condition"], b["condition"], a["name"], b["name"])
            for of, members in groups.items() for a, b in combinations(members, 2)]


def plan(config: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Every mode of every analysis planned by the library (``neuralmi_core.analysis.config``): resolved
    settings, cells and command-line arguments; ConfigError naming the config key when it refuses one."""
    from neuralmi_core.analysis.config import check_signals, plan_analyses
    from neuralmi_core.validation import NeuralMIError

    try:
        check_signals(config.get("signals"))
        per_job = (config.get("resources") or {}).get("train", {}).get("cells_per_job", 1)
        return plan_analyses(config["analyses"], config.get("device", "auto"), per_job)
    except NeuralMIError as exc:
        text = str(exc)
        raise ConfigError(text if text.startswith("invalid workflow config") else
                          "invalid workflow config:\n  - " + text) from None


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
    """Map a file stem to a safe id: non-ASCII letters are transliterated (``anyascii``: ``é`` -> ``e``,
    ``マウス`` -> ``mausu``), then runs of characters outside ``[A-Za-z0-9._-]`` become ``_``.

    >>> safe_session_id("sub-01_ses-02 it's $(x)")
    'sub-01_ses-02_it_s_x'
    >>> safe_session_id("séance_マウス_2")
    'seance_mausu_2'
    """
    from anyascii import anyascii

    return _UNSAFE_RUN.sub("_", anyascii(name)).strip("._-")


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


def selector(binned: str, sel: str) -> str:
    """``results/S/binned.nc`` + ``spikes[region=A]`` -> ``results/S/binned.nc:spikes[region=A]``."""
    return f"{binned}:{sel}"


def check_params(config: Mapping[str, Any], name: str, mode: str, plan: Any) -> dict[str, Any]:
    """What the check after binning (``workflow/scripts/check_selection.py``) needs for one mode of
    analysis ``name``: selectors (Y only when the mode trains on it; Z when it takes one), window, lag, the settings the mode's
    data check reads (``data_settings``, resolved by the library's plan) and the config key of each (for
    messages). Nothing else -- no other mode's settings -- so that editing other settings (epochs,
    confidence, ...) or adding a mode never re-runs the check, nor the training jobs that wait for it.
    ``required: False`` is added only for an analysis with ``required: false`` (it skips a session lacking its
    signal), so that the checks of configs without the key keep their params."""
    from neuralmi_core.analysis.registry import REGISTRY

    an = analyses_by_name(config)[name]
    names = REGISTRY[mode].data_settings
    values = {k: list(v) if isinstance(v, tuple) else v for k, v in plan.values.items() if k in names}
    use_y = bool(plan.use_y)
    out = {"x": an["x"], "y": an.get("y") if use_y else None, "window": getattr(plan, "window", an.get("window", 1)),
           "lag": plan.lag if use_y else 0, "modes": {mode: values}, "use_y": {mode: use_y},
           "keys": {mode: {k: plan.keys[k] for k in names}}, "z": getattr(plan, "z", None)}
    if not is_required(an):  # only when false: the checks of configs without the key keep their params
        out["required"] = False
    if an.get("min_units", 1) > 1:  # a pair of a `pairs:` network: both sides need this many units
        out["min_units"] = an["min_units"]
    return out


def is_required(an: Mapping[str, Any]) -> bool:
    """An analysis's ``required`` key (default true): false skips it in a session that lacks its signal."""
    return an.get("required", True) is not False


def optional_analyses(config: Mapping[str, Any]) -> list[str]:
    """Names of the analyses with ``required: false``: their check is a Snakemake checkpoint (see
    ``workflow/rules/ingest.smk``), so that a session that skips one runs no training job for it."""
    return [an["name"] for an in config["analyses"] if not is_required(an)]


def read_skipped(path: str) -> str | None:
    """The reason of a selection record that skips its analysis (``{"skipped": reason}``), else None."""
    with open(path) as fh:
        record = json.load(fh)
    return record.get("skipped") or None if isinstance(record, dict) else None


def demo_archive_args(demo: Mapping[str, Any]) -> list[str]:
    out = ["--sessions", str(demo["sessions"]), "--seed", str(demo["seed"])]
    if demo.get("imaging_sessions"):  # 0 (the default) adds nothing: the command stays as it was
        out += ["--imaging-sessions", str(demo["imaging_sessions"])]
    for key, value in sorted(demo.get("options", {}).items()):
        flag = "--" + str(key).replace("_", "-")
        if value is True:
            out.append(flag)
        elif value is False:
            continue
        else:
            out += [flag, str(value)]
    return out


# --------------------------------------------------------------------------------------------------
# after a failed run: what finished, what failed and why


def _log_reason(path: str) -> tuple[str, bool] | None:
    """The line of a job log that says why it stopped: the last line naming an error (True), else the last
    line (False: the job was interrupted, or is still running)."""
    try:
        with open(path, errors="replace") as fh:
            lines = [ln.strip() for ln in fh if ln.strip()]
    except OSError:
        return None
    if not lines:
        return None
    errors = [ln for ln in lines if "error" in ln.lower()]
    line = (errors or lines)[-1]
    return (line if len(line) <= 400 else line[:397] + "..."), bool(errors)


def _summary_hash(path: str) -> str | None:
    try:
        with open(path) as fh:
            return (json.load(fh).get("provenance") or {}).get("config_hash")
    except (OSError, ValueError, AttributeError):
        return None


def archive_status(sessions: Mapping[str, str], config_hash: str, plans: Mapping[str, Mapping[str, Any]],
                   results: str = "results") -> tuple[list[str], list[dict[str, Any]]]:
    """Sessions whose report is current (its summary.json was written for ``config_hash``) and the others,
    each with the first step of its pipeline whose output is missing and that step's log line.

    Returns (summary.json paths of finished sessions, records of the others with session, source, status
    (``failed`` when a log names an error, else ``unfinished``: interrupted, or waiting for a job that
    failed), step, analysis, mode, log, reason). Reads file names and logs only; used by the workflow's ``onerror`` handler."""
    done, failed = [], []
    logs = f"{results}/logs"
    for sid, source in sorted(sessions.items()):
        summary = f"{results}/{sid}/summary.json"
        if os.path.exists(summary) and _summary_hash(summary) == config_hash:
            done.append(summary)
            continue
        steps = [("bin_session", f"{results}/{sid}/binned.nc", f"{logs}/bin/{sid}.log", None, None)]
        for name, modes in plans.items():
            for mode, plan in modes.items():
                steps.append(("check_selection", f"{results}/{sid}/{name}/{mode}/selection.json",
                              f"{logs}/check_selection/{sid}/{name}/{mode}.log", name, mode))
                steps += [("train", f"{results}/{sid}/{name}/{mode}/{cell}.json",
                           f"{logs}/train/{sid}/{name}/{mode}/{cell}.log", name, mode) for cell in plan.cell_ids]
                steps.append(("gather", f"{results}/{sid}/{name}/{mode}.json",
                              f"{logs}/gather/{sid}/{name}/{mode}.log", name, mode))
        steps.append(("report_session", None, f"{logs}/report_session/{sid}.log", None, None))
        record = {"session": sid, "source": source, "status": "unfinished", "step": None, "analysis": None,
                  "mode": None, "log": None, "reason": "not finished: the run stopped before its jobs ran "
                                                       "(interrupted, or another job failed)"}
        for step, output, log, name, mode in steps:
            if output is not None and os.path.exists(output):
                continue
            found = _log_reason(log)
            if found:
                line, error = found
                record.update(step=step, analysis=name, mode=mode, log=log,
                              status="failed" if error else "unfinished",
                              reason=line if error else f"not finished (interrupted?); last line of its log: {line}")
                break
        failed.append(record)
    return done, failed
