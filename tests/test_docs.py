"""What a newcomer reads and installs (issue 14 items 6, 11, 13): README guidance and packaging metadata."""

from __future__ import annotations

import re
import tomllib
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_readme_says_what_to_do_after_a_killed_run():
    """Item 6: the killed run's jobs keep running; end them before --unlock and a new run."""
    section = README[README.index("After a killed or crashed run"):]
    section = section[: section.index("\n- ", 1)]
    for text in ("still be running", "squeue --me", "scancel --name", "SLURM run ID", "pgrep", "--unlock",
                 "--rerun-incomplete"):
        assert text in section, text


def test_readme_gives_durations():
    """Item 13: how long the demo and the tests take, measured (see the table's command column)."""
    table = README[README.index("How long"):README.index("## Library")]
    for what in ("`bash scripts/demo.sh`", '`bash scripts/test.sh -m "not slow"`', "`bash scripts/test.sh`"):
        row = next((line for line in table.splitlines() if what in line), None)
        assert row and re.search(r"\d+ min", row), (what, row)


def test_readme_says_how_to_see_a_figure():
    """Item 11: plot() returns a Figure that a script must save (or show through pyplot)."""
    assert 'rig.plot().savefig("rigorous.png")' in README and "plt.show()" in README


def test_license_is_an_spdx_string():
    """Item 13: setuptools deprecates `project.license` as a table (printed three times during setup)."""
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert meta["project"]["license"] == "MIT"
    assert any(re.fullmatch(r"setuptools>=(\d+)", r) and int(r.split(">=")[1]) >= 77
               for r in meta["build-system"]["requires"])
    setuptools = pytest.importorskip("setuptools")
    if tuple(int(p) for p in setuptools.__version__.split(".")[:1]) < (77,):
        pytest.skip(f"setuptools {setuptools.__version__} predates SPDX license strings (the build uses >= 77)")
    from setuptools.config.pyprojecttoml import apply_configuration
    from setuptools.dist import Distribution

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        apply_configuration(Distribution(), ROOT / "pyproject.toml")
    assert not [str(w.message) for w in caught if "license" in str(w.message).lower()]
