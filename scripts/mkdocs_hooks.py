"""MkDocs hook of the documentation site: the generated reference pages, made from the code at build time.

Loaded by ``mkdocs.yml`` (``hooks:``). It puts the repository root first on ``sys.path`` (the pages document
this checkout, not another installed copy) and registers itself as the module ``neuralmi_docs``, so that the
pages' ``markdown-exec`` blocks can call it::

    ```python exec="on"
    import neuralmi_docs
    print(neuralmi_docs.cli_reference())
    ```

Every function returns Markdown. Nothing here is copied from the code: the CLI reference is each argparse
parser's own ``--help``, the config reference walks ``workflow/schemas/config.schema.yaml``, the result
fields are the result dataclasses' fields with their numpydoc ``Attributes``, the flags come from
:mod:`neuralmi_core.flags`.
"""

from __future__ import annotations

import dataclasses
import html
import importlib
import json
import logging
import os
import re
import sys
import textwrap
import time
import typing
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"
HELP_WIDTH = 100  # argparse wraps --help to $COLUMNS: fixed, so the page does not depend on the terminal

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
if __name__ in sys.modules:  # MkDocs registers a hook under its path; the pages import it by this name
    sys.modules.setdefault("neuralmi_docs", sys.modules[__name__])


def on_startup(command: str, dirty: bool) -> None:  # noqa: ARG001 (MkDocs hook signature)
    """Tutorials train small networks: one thread each, no progress bars, a non-interactive backend."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    os.environ.setdefault("OMP_NUM_THREADS", "1")


LOG = logging.getLogger("mkdocs.hooks.neuralmi_docs")
SCREENSHOTS_MARK = "<!-- neuralmi:screenshots -->"
_STARTED: dict[str, tuple[float, float]] = {}


def on_page_markdown(markdown: str, page: Any, **kwargs: Any) -> str:
    """Start the page's clock (its markdown-exec blocks run while the page is rendered) and put the report
    screenshots in place of ``<!-- neuralmi:screenshots -->`` (here, not in a markdown-exec block, so that
    MkDocs checks and rewrites the image links like any other)."""
    _STARTED[page.file.src_uri] = (time.perf_counter(), time.process_time())
    return markdown.replace(SCREENSHOTS_MARK, screenshots_markdown())


def on_page_content(html_text: str, page: Any, **kwargs: Any) -> str:
    """Log how long the page took to render (the tutorials: how long their code ran)."""
    wall0, cpu0 = _STARTED.pop(page.file.src_uri, (time.perf_counter(), time.process_time()))
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    if wall >= 1.0:  # CPU time too: on a busy machine the wall time says more about the neighbours
        LOG.info("%s rendered in %.1f s (%.1f s CPU)", page.file.src_uri, wall, cpu)
    return html_text


def _cell(text: Any) -> str:
    """Text as one Markdown table cell: one line, pipes escaped."""
    return re.sub(r"\s+", " ", str(text)).strip().replace("|", "\\|")


# ------------------------------------------------------------------------------------------------ CLI ---
def _subparsers(parser) -> dict[str, Any]:
    import argparse

    for action in parser._actions:  # argparse keeps its subcommands only here
        if isinstance(action, argparse._SubParsersAction):
            return action.choices
    return {}


def cli_reference() -> str:
    """``neuralmi --help`` and every subcommand's ``--help``, as the parser prints them."""
    from neuralmi_core.cli import build_parser

    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(HELP_WIDTH)
    try:
        parser = build_parser()
        out = ["## `neuralmi`", "", "```text", parser.format_help().rstrip(), "```", ""]
        seen: set[int] = set()
        for name, sub in _subparsers(parser).items():
            if id(sub) in seen:  # an alias of a command already shown
                continue
            seen.add(id(sub))
            aliases = [a for a, p in _subparsers(parser).items() if p is sub and a != name]
            out += [f"## `neuralmi {name}`", ""]
            if aliases:
                out += ["Also called " + ", ".join(f"`neuralmi {a}`" for a in aliases) + ".", ""]
            out += ["```text", sub.format_help().rstrip(), "```", ""]
    finally:
        if old is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = old
    return "\n".join(out)


# --------------------------------------------------------------------------------------------- config ---
def _load_schema() -> dict[str, Any]:
    import yaml

    return yaml.safe_load(SCHEMA.read_text())


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _type(spec: dict[str, Any]) -> str:
    """The type of a schema node in words: `integer ≥ 1`, `one of: a, b`, `list of integer`, `→ training`."""
    if "$ref" in spec:
        return f"[{_ref_name(spec['$ref'])}](#{_ref_name(spec['$ref'])})"
    if "enum" in spec:
        return "one of " + ", ".join(f"`{v}`" for v in spec["enum"])
    if "oneOf" in spec or "anyOf" in spec:
        return " or ".join(_type(s) for s in spec.get("oneOf", spec.get("anyOf")))
    kind = spec.get("type", "any")
    kind = " or ".join(kind) if isinstance(kind, list) else kind
    if kind == "array" and "items" in spec:
        kind = f"list of {_type(spec['items'])}"
    if kind == "object" and isinstance(spec.get("additionalProperties"), dict) and "properties" not in spec:
        kind = f"mapping of {_type(spec['additionalProperties'])}"
    bounds = []
    for key, sign in (
        ("minimum", "≥"),
        ("exclusiveMinimum", ">"),
        ("maximum", "≤"),
        ("exclusiveMaximum", "<"),
    ):
        if key in spec:
            bounds.append(f"{sign} {spec[key]}")
    if "pattern" in spec:
        bounds.append(f"matching `{spec['pattern']}`")
    return " ".join([kind, *bounds]) if bounds else kind


def _default(spec: dict[str, Any]) -> str:
    if "default" not in spec:
        return ""
    return f"`{json.dumps(spec['default'])}`"


def _rows(props: dict[str, Any], required: set[str], prefix: str, skip: dict[str, Any]) -> list[str]:
    rows = []
    for key, spec in props.items():
        if key in skip and skip[key] == spec:
            continue  # a model setting merged in unchanged: listed once under `model`
        name = f"`{prefix}{key}`" + (" (required)" if key in required else "")
        rows.append(
            f"| {name} | {_cell(_type(spec))} | {_cell(_default(spec))} | {_cell(spec.get('description', ''))} |"
        )
    return rows


def _table(node: dict[str, Any], prefix: str = "", skip: dict[str, Any] | None = None) -> list[str]:
    head = ["| key | type | default | description |", "|---|---|---|---|"]
    return head + _rows(node.get("properties", {}), set(node.get("required", ())), prefix, skip or {})


def config_reference() -> str:
    """Every key of the workflow config, from its JSON Schema: key, type, default, description.

    The top level first, then each of its mappings, then every shared definition (``$defs``, the targets of
    the type column's links: an analysis, its mode sections, the model and training settings, ...). Model
    settings merged unchanged into an analysis or a mode section are listed once, under ``model``.
    Run it with markdown-exec's ``idprefix=""`` so that the headings keep the anchors the links use.
    """
    schema = _load_schema()
    defs = schema.get("$defs", {})
    model = defs.get("model", {}).get("properties", {})
    also = "Also takes every [model](#model) setting (here it overrides the level above)."

    def merged(node: dict[str, Any]) -> bool:
        return any(node.get("properties", {}).get(k) == v for k, v in model.items())

    out = [_cell(schema.get("description", "")), "", "## Top level {#top-level}", "", *_table(schema), ""]
    def is_object(v: dict) -> bool:  # `type: object`, or `type: [object, "null"]` (an optional section)
        t = v.get("type")
        return (t == "object" or (isinstance(t, list) and "object" in t)) and "properties" in v

    nested = [(k, v) for k, v in schema["properties"].items() if is_object(v)]
    for key, spec in nested:
        out += [
            f"## `{key}:` {{#config-{key}}}",
            "",
            _cell(spec.get("description", "")),
            "",
            *_table(spec, f"{key}."),
            "",
        ]
    for name, spec in defs.items():
        out += [f"## {name} {{#{name}}}", "", _cell(spec.get("description", "")), ""]
        if "properties" not in spec:
            out += [f"Type: {_type({k: v for k, v in spec.items() if k != 'description'})}.", ""]
            continue
        if name != "model" and merged(spec):
            out += [also, ""]
        out += [*_table(spec, skip=model if name != "model" else None), ""]
        sections = [
            (k, v) for k, v in spec["properties"].items() if v.get("type") == "object" and "properties" in v
        ]
        for key, section in sections:
            out += [f"### `{name}.{key}` {{#{name}-{key}}}", "", _cell(section.get("description", "")), ""]
            if merged(section):
                out += [also, ""]
            out += [*_table(section, f"{key}.", skip=model), ""]
    return "\n".join(out)


# -------------------------------------------------------------------------------------------- results ---
def _attributes(doc: str | None) -> dict[str, str]:
    """The numpydoc ``Attributes`` section of a docstring: field name -> description (a line ``a, b : float``
    documents both)."""
    if not doc:
        return {}
    text = textwrap.dedent("\n".join(doc.splitlines()[1:]))
    m = re.search(r"^Attributes\n-{3,}\n(.*?)(?=^\S[^\n]*\n-{3,}\n|\Z)", text, re.S | re.M)
    if not m:
        return {}
    out: dict[str, str] = {}
    names: list[str] = []
    for line in m.group(1).splitlines():
        if line and not line[0].isspace():
            names = [n.strip() for n in line.split(" : ")[0].split(",") if n.strip()]
            for n in names:
                out[n] = ""
        elif names and line.strip():
            for n in names:
                out[n] = (out[n] + " " + line.strip()).strip()
    return out


def _rst_to_md(text: str) -> str:
    """numpydoc's inline markup in Markdown: ``code`` -> `code`, :func:`~a.b` -> `b`."""
    text = re.sub(r":\w+:`~?([^`]+)`", lambda m: f"`{m.group(1).split('.')[-1]}`", text)
    return text.replace("``", "`")


def _type_name(tp: Any) -> str:
    text = tp if isinstance(tp, str) else getattr(tp, "__name__", None) or str(tp)
    return text.replace("typing.", "")


def result_types() -> list[type]:
    """The result types of the public API: MIResult, then each registered analysis's."""
    from neuralmi_core.analysis.registry import REGISTRY
    from neuralmi_core.results import MIResult

    types = [MIResult]
    for analysis in REGISTRY.values():
        module, attr = analysis.result.split(":")
        cls = getattr(importlib.import_module(module), attr)
        if cls not in types:
            types.append(cls)
    return types


def _placeholder(cls: type) -> Any:
    """An instance of a result dataclass with placeholder values (0.5, 1, "x", (), {}, None): only to list
    the keys its ``to_dict()`` writes beside the fields."""
    hints = typing.get_type_hints(cls)
    kw: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING:
            continue
        tp = hints[f.name]
        origin, args = typing.get_origin(tp) or tp, typing.get_args(tp)
        if type(None) in args:
            kw[f.name] = None
        else:
            kw[f.name] = {float: 0.5, int: 1, bool: False, str: "x", tuple: (), dict: {}}.get(origin)
    return cls(**kw)


def result_fields(cls: type) -> str:
    """A result type's JSON fields: its dataclass fields (with their ``*_bits`` twins), then the keys its
    ``to_dict()`` derives from them."""
    docs = _attributes(cls.__doc__)
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    derived = [k for k in _placeholder(cls).to_dict() if k not in names]
    rows = ["| field | type | description |", "|---|---|---|"]
    for f in dataclasses.fields(cls):
        name = f"`{f.name}`"
        twin = f.name[:-5] + "_bits"
        if f.name.endswith("_nats") and twin in derived:
            name += f" (and `{twin}`)"
            derived.remove(twin)
        rows.append(
            f"| {name} | {_cell(html.escape(_type_name(hints.get(f.name, f.type)), quote=False))} | "
            f"{_cell(_rst_to_md(docs.get(f.name, '')))} |"
        )
    for key in derived:
        prop = getattr(cls, key, None)
        doc = (prop.__doc__ or "").strip().split("\n\n")[0] if isinstance(prop, property) else ""
        if not doc and key.endswith("_bits"):
            doc = f"`{key[:-5]}_nats` in bits"
        stem = key[:-2]
        if not doc and key.endswith("_s") and {f"{stem}_bins", stem} & set(names):
            doc = f"`{stem}_bins` in seconds" if f"{stem}_bins" in names else f"`{stem}` (bins) in seconds"
        if key == "unit_note":
            doc = "the unit of the MI fields, in words"
        rows.append(f"| `{key}` | derived | {_cell(_rst_to_md(doc))} |")
    return "\n".join(rows) + "\n"


def results_reference() -> str:
    """One section per result type: what it is (its docstring's summary line) and its fields."""
    out = []
    for cls in result_types():
        summary = _rst_to_md((cls.__doc__ or "").strip().splitlines()[0])
        out += [
            f"## `{cls.__name__}`",
            "",
            f"`{cls.__module__}.{cls.__name__}`: {summary}",
            "",
            result_fields(cls),
            "",
        ]
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------- flags ---
def warnings_table() -> str:
    """Every warning a result may hold, from :data:`neuralmi_core.flags.WARNINGS`."""
    from neuralmi_core.flags import WARNINGS

    rows = ["| warning | emitted by | message (numbers of the run in `{braces}`) |", "|---|---|---|"]
    for w in WARNINGS:
        rows.append(f"| `{w.name}` | {_cell(w.source)} | {_cell(html.escape(w.template, quote=False))} |")
    return "\n".join(rows) + "\n"


# -------------------------------------------------------------------------------------------- reports ---
def summary_columns() -> str:
    """The columns of ``summary.csv`` and what ``summary.html`` shows, from :mod:`neuralmi_core.report.archive`."""
    from neuralmi_core.report import archive

    paragraphs = textwrap.dedent("\n".join(archive.__doc__.splitlines()[1:])).strip().split("\n\n")
    return "\n\n".join(
        _rst_to_md(p) for p in paragraphs if p.lstrip().startswith(("``summary.csv``", "``summary.html``"))
    )


def screenshots_markdown() -> str:
    """The report screenshots of ``docs/images/`` (made by ``scripts/docs_screenshots.py`` after a workflow
    run; not committed) as Markdown images, or how to make them when they are not there."""
    shots = {"summary.png": "The archive summary, results/summary.html", "report.png": "A session report"}
    present = [(name, alt) for name, alt in shots.items() if (ROOT / "docs" / "images" / name).is_file()]
    if not present:
        return (
            "*No screenshots in this build:* they are made from a finished workflow run, so run the demo, "
            "then `.venv/bin/python scripts/docs_screenshots.py` (headless Chromium), and build the site "
            "again to see both pages here."
        )
    return "\n\n".join(f"![{alt}](images/{name})" for name, alt in present)
