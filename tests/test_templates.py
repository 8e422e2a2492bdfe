"""The Jinja2 templates of the report pages (issue 24 item 4): shipped as package data, loaded through the
package loader, autoescaped."""

from __future__ import annotations

import tomllib
from importlib.resources import files
from pathlib import Path

import pytest

from neuralmi_core.report import html as H

TEMPLATES = ["base.html", "macros.html", "summary.html", "session.html"]


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


def test_macros_escape_text_once_and_keep_markup():
    from markupsafe import Markup

    table = H.macro("table")([{"a": "x & <y>", "b": Markup("<b>ok</b>"), "n": 1.5}], raw=("b",))
    assert "<td data-v='x &amp; &lt;y&gt;'>x &amp; &lt;y&gt;</td>" in table and "&amp;amp;" not in table
    assert ">" + "<b>ok</b></td>" in table and "<td class='num' data-v='1.5'>1.500</td>" in table
    assert H.macro("table")([]) == "<p class='muted'>(none)</p>"
    kv = H.macro("kv_table")([("k<", None), (Markup("<i>t</i>"), "v&")])
    assert kv == "<table class='kv'><tr><th>k&lt;</th><td>–</td></tr><tr><th><i>t</i></th><td>v&amp;</td></tr></table>"
    box = H.macro("warnings_box")(["a<b"], severe=["no & signal"])
    assert box.startswith("<div class='alert' role='alert'><strong class='head'>&#9888; 2 warnings:")
    assert "<li><strong>no &amp; signal</strong></li><li>a&lt;b</li>" in box
