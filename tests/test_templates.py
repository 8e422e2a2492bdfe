"""The Jinja2 templates of the report pages (issue 24 item 4): shipped as package data, loaded through the
package loader, autoescaped."""

from __future__ import annotations

import tomllib
from importlib.resources import files
from pathlib import Path

import pytest

from neuralmi_core.report import html as H

TEMPLATES = ["base.html", "macros.html", "summary.html"]


@pytest.mark.parametrize("name", TEMPLATES)
def test_template_loads_through_the_package_loader(name):
    assert (files("neuralmi_core.report") / "templates" / name).is_file()
    template = H.environment().get_template(name)
    assert template.filename.endswith(name)


def test_templates_are_package_data():
    pyproject = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    patterns = pyproject["tool"]["setuptools"]["package-data"]["neuralmi_core"]
    shipped = {p.name for p in (files("neuralmi_core.report") / "templates").iterdir() if p.name.endswith(".html")}
    assert shipped >= set(TEMPLATES)
    assert any(Path("report/templates", name).match(p) for p in patterns for name in shipped)
    assert any(d.startswith("jinja2") for d in pyproject["project"]["dependencies"])


def test_page_escapes_the_title_once_and_keeps_trusted_body():
    page = H.page("a <b> & 'c'", "<p id='x'>body</p>", script="var a=1<2;")
    assert "<title>a &lt;b&gt; &amp; &#39;c&#39;</title>" in page
    assert "<p id='x'>body</p>" in page and "<script>var a=1<2;</script>" in page
    assert page.startswith("<!DOCTYPE html>\n<html lang='en'>") and page.endswith("</body></html>\n")
    assert "<script" not in H.page("t", "b")
