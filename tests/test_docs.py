"""What a newcomer reads and installs (issue 14 items 6, 11, 13; issue 24): the README as a front door, the
documentation site's pages and generators, and packaging metadata.

The site itself is built with warnings as errors by ``scripts/docs.sh`` (a CI step of ``.ci/run``); these
tests check, without building it, what that build relies on: every page in the navigation and every
navigation entry a page, the README's links and examples, and the generated reference pages' contents.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import re
import sys
import tomllib
import warnings
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
DOCS = ROOT / "docs"
GUIDE = DOCS / "guide"


def _hooks():
    """scripts/mkdocs_hooks.py, the generators of the reference pages (importable without mkdocs)."""
    spec = importlib.util.spec_from_file_location("neuralmi_docs", ROOT / "scripts" / "mkdocs_hooks.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("neuralmi_docs", module)
    spec.loader.exec_module(module)
    return sys.modules["neuralmi_docs"]


def test_readme_says_what_to_do_after_a_killed_run():
    """Item 6: the killed run's jobs keep running; end them before --unlock and a new run (the SLURM page of
    the site, which the README links)."""
    text = (GUIDE / "slurm.md").read_text()
    assert "docs/guide/slurm.md" in README
    section = text[text.index("After a killed or crashed run") :]
    section = section[: section.index("\n- ", 1)]
    for text in (
        "still be running",
        "squeue --me",
        "scancel --name",
        "SLURM run ID",
        "pgrep",
        "--unlock",
        "--rerun-incomplete",
    ):
        assert text in section, text


def test_readme_gives_durations():
    """Item 13: how long the demo and the tests take, measured (see the table's command column)."""
    for text in (README, (DOCS / "getting-started.md").read_text()):
        start = text.index("How long")
        table = text[start : text.index("\n#", start)]
        for what in (
            "`bash scripts/demo.sh`",
            '`bash scripts/test.sh -m "not slow"`',
            "`bash scripts/test.sh`",
        ):
            row = next((line for line in table.splitlines() if what in line), None)
            assert row and re.search(r"\d+ min", row), (what, row)


def test_readme_says_how_to_see_a_figure():
    """Item 11: plot() returns a Figure that a script must save (or show through pyplot): the README's example
    saves it, the library guide says both."""
    library = (GUIDE / "library.md").read_text()
    assert 'rig.plot().savefig("rigorous.png")' in README
    assert 'rig.plot().savefig("rigorous.png")' in library and "plt.show()" in library


def test_license_is_an_spdx_string():
    """Item 13: setuptools deprecates `project.license` as a table (printed three times during setup)."""
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert meta["project"]["license"] == "MIT"
    assert any(
        re.fullmatch(r"setuptools>=(\d+)", r) and int(r.split(">=")[1]) >= 77
        for r in meta["build-system"]["requires"]
    )
    setuptools = pytest.importorskip("setuptools")
    if tuple(int(p) for p in setuptools.__version__.split(".")[:1]) < (77,):
        pytest.skip(
            f"setuptools {setuptools.__version__} predates SPDX license strings (the build uses >= 77)"
        )
    from setuptools.config.pyprojecttoml import apply_configuration
    from setuptools.dist import Distribution

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        apply_configuration(Distribution(), ROOT / "pyproject.toml")
    assert not [str(w.message) for w in caught if "license" in str(w.message).lower()]


# ------------------------------------------------------------------------------------ issue 24: the site ---


def _nav_pages(nav) -> list[str]:
    if isinstance(nav, str):
        return [nav]
    if isinstance(nav, dict):
        return [p for v in nav.values() for p in _nav_pages(v)]
    return [p for item in nav for p in _nav_pages(item)]


def test_readme_is_a_front_door():
    """Issue 24 item 2: under 120 lines, the two quick-start commands as they were, and a 10-line example."""
    assert len(README.splitlines()) < 120
    assert (
        "bash scripts/demo.sh     # installs into .venv (CPU PyTorch), then runs the workflow demo end to end"
        in README
    )
    assert (
        "bash scripts/test.sh     # installs if needed, then runs the whole test suite (fast and slow tests)"
        in README
    )
    example = re.search(r"## Library\n\n```python\n(.*?)```", README, re.S).group(1)
    assert len([line for line in example.splitlines() if line.strip()]) <= 10
    compile(example, "README example", "exec")


def test_readme_links_resolve():
    """Every relative link of the README names a file of the repository (and an anchor on that page)."""
    links = re.findall(r"\]\(([^)#]+)(#[^)]*)?\)", README)
    assert len(links) >= 10
    for path, anchor in links:
        if "://" in path:
            continue
        target = ROOT / path
        assert target.exists(), path
        if anchor:
            headings = re.findall(r"^#+ (.+)$", target.read_text(), re.M)
            assert anchor[1:] in {
                re.sub(r"[^a-z0-9 -]", "", h.lower()).replace(" ", "-") for h in headings
            }, anchor


def test_readme_workflow_config_is_valid():
    """The README's config is a complete, valid workflow config (schema and the library's checks)."""
    block = re.search(r"```yaml\n(.*?)```", README, re.S).group(1)
    spec = importlib.util.spec_from_file_location("wfplan", ROOT / "workflow" / "scripts" / "wfplan.py")
    wfplan = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(wfplan)
    cfg = wfplan.validate_config(
        yaml.safe_load(block), wfplan.load_schema(ROOT / "workflow" / "schemas" / "config.schema.yaml")
    )
    assert cfg["analyses"][0]["modes"] == ["rigorous", "dimensionality"]
    assert block in (GUIDE / "workflow.md").read_text()


def test_every_page_is_in_the_navigation_and_strict():
    """mkdocs.yml: strict, every docs/*.md in the nav and every nav entry a file (an omitted page would be a
    warning, hence an error, of the strict build; this says which one without building)."""
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    assert config["strict"] is True
    nav = _nav_pages(config["nav"])
    pages = sorted(str(p.relative_to(DOCS)) for p in DOCS.rglob("*.md"))
    assert sorted(nav) == pages
    assert len(nav) == len(set(nav))


def test_readme_sections_live_in_the_site():
    """What left the README lives in the site: each former section's key passage is on a page."""
    moved = {
        "guide/library.md": [
            "Every estimate is on held-out data",
            "`batch_size=None` (default)",
            "Early stopping",
        ],
        "guide/threads.md": ["OMP_WAIT_POLICY=PASSIVE", "| 2, passive (default now) |"],
        "guide/accuracy.md": ["What to expect on your data", "<!-- trust-table:start -->"],
        "guide/cli.md": ["neuralmi gather ANALYSIS PART.json", "exits with\nstatus 2"],
        "guide/workflow.md": ["A living archive", "Session ids come\nfrom file names"],
        "guide/reports.md": ["The interval to quote is the CI", "NO SIGNAL"],
        "guide/slurm.md": ["Plugin 2.8 prints", "cells_per_job"],
        "benchmarks.md": ["`benchmarks/plan_scale.py`", '--8<-- "benchmarks/README.md:2"'],
        "about.md": ["## Code layout", "one package per analysis"],
        "getting-started.md": ["NEURALMI_TORCH_SPEC", "python -m neuralmi_core.demo"],
        "changelog.md": ['--8<-- "CHANGELOG.md"'],
    }
    for page, passages in moved.items():
        text = (DOCS / page).read_text()
        for passage in passages:
            assert passage in text, (page, passage)
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert "`--seed-list` still works" in changelog and "Keep a Changelog" in changelog


def test_ci_builds_the_site_after_linting():
    """Issue 24: .ci/run builds the site with warnings as errors (scripts/docs.sh) after the lint steps."""
    steps = [
        line for line in (ROOT / ".ci" / "run").read_text().splitlines() if line and not line.startswith("#")
    ]
    docs = steps.index("bash scripts/docs.sh")
    assert docs > max(
        i for i, line in enumerate(steps) if "ruff check" in line or "--lint" in line or "snakefmt" in line
    )
    assert "mkdocs build --strict" in (ROOT / "scripts" / "docs.sh").read_text()
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert {re.split(r"[\[>=]", r)[0] for r in extras["docs"]} >= {
        "mkdocs-material",
        "mkdocstrings",
        "markdown-exec",
    }


def test_tutorials_execute_at_build():
    """Each tutorial's Python blocks run while the site is built (markdown-exec), with visible source; a block
    that cannot run there (it reads a workflow run's files) says so in its title."""
    for page in (
        "mi-with-error-bars.md",
        "population-and-position.md",
        "dimensionality.md",
        "lag-significance-contributions.md",
        "reading-results.md",
    ):
        text = (DOCS / "tutorials" / page).read_text()
        blocks = re.findall(r"^```python(.*)$", text, re.M)
        assert len([b for b in blocks if 'exec="on"' in b and 'source="above"' in b]) >= 3, page
        assert all('exec="on"' in b or "title=" in b for b in blocks), page
    # the archive tutorial's commands are shell blocks that run (dry runs of the workflow, no training)
    text = (DOCS / "tutorials" / "archive.md").read_text()
    shell = re.findall(r"^```bash(.*)$", text, re.M)
    assert len([b for b in shell if 'exec="on"' in b and 'source="above"' in b]) >= 6
    assert "snakemake --profile profiles/slurm" in text and "neuralmi demo-archive" in text


def test_cli_reference_is_every_help():
    """The CLI page is the parser's own --help of every subcommand."""
    from neuralmi_core.cli import build_parser

    text = _hooks().cli_reference()
    parser = build_parser()
    commands = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction").choices
    for name, sub in commands.items():
        assert f"neuralmi {name}" in text
        for action in sub._actions:
            for flag in action.option_strings:
                assert flag in text, (name, flag)


def test_config_reference_walks_the_schema():
    """Every property of the config schema, at every level, is a row of the config page."""
    schema = yaml.safe_load((ROOT / "workflow" / "schemas" / "config.schema.yaml").read_text())
    text = _hooks().config_reference()

    def keys(node):
        for key, spec in node.get("properties", {}).items():
            yield key
            yield from keys(spec)

    missing = [k for node in [schema, *schema["$defs"].values()] for k in keys(node) if f"{k}`" not in text]
    assert not missing
    assert "## analysis {#analysis}" in text and "[training](#training)" in text


def test_result_reference_lists_every_field():
    """Every field of every result type, and every key its to_dict() adds, is on the result JSON page."""
    hooks = _hooks()
    text = hooks.results_reference()
    for cls in hooks.result_types():
        assert f"## `{cls.__name__}`" in text
        section = text.split(f"## `{cls.__name__}`")[1].split("\n## ")[0]
        for f in dataclasses.fields(cls):
            assert f"`{f.name}`" in section, (cls.__name__, f.name)
        for key in hooks._placeholder(cls).to_dict():
            assert f"`{key}`" in section, (cls.__name__, key)
    assert "`ci_low_nats` (and `ci_low_bits`)" in text


def test_flag_and_warning_tables_are_generated():
    """The flags page prints neuralmi_core.flags' tables (never a copy): every flag and warning is in them."""
    from neuralmi_core.flags import FLAGS, WARNINGS, flags_markdown

    page = (DOCS / "concepts" / "flags.md").read_text()
    assert "flags_markdown()" in page and "warnings_table()" in page
    table = flags_markdown() + _hooks().warnings_table()
    assert all(f"`{f.name}`" in table for f in FLAGS) and all(f"`{w.name}`" in table for w in WARNINGS)
