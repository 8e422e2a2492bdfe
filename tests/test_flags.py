"""One description per flag (issue 24 item 3): the table in neuralmi_core.flags feeds the rigorous --help, the
report glossary and the docs table; every flag the code can set is in the table."""

from __future__ import annotations

import html
import json
import re

import numpy as np
import pytest

from neuralmi_core.analysis import extrapolation as E
from neuralmi_core.analysis.rigorous import RigorousMember, summarize_rigorous
from neuralmi_core.analysis.rigorous.declaration import CLI_HELP
from neuralmi_core.flags import FLAG, FLAGS, Flag, flag_names, flags_markdown
from neuralmi_core.report import build_session_report
from neuralmi_core.report.text import GLOSSARY
from neuralmi_core.suite import MISS_FLAGS


def test_every_flag_the_code_sets_is_described_once():
    constants = {v for k, v in vars(E).items() if k.startswith("FLAG_") and isinstance(v, str)}
    assert constants == set(flag_names("fit")) | set(flag_names("interval"))
    assert set(E.FLAG_HELP) == constants and E.UNRELIABLE == (E.FLAG_FEW_GAMMAS, E.FLAG_CURVED, E.FLAG_GAMMA1)
    assert set(MISS_FLAGS) == {E.FLAG_DISAGREE, E.FLAG_K_BIAS, E.FLAG_SAMPLE_LIMITED, E.FLAG_FAR, E.FLAG_MISSED,
                               E.FLAG_NO_DENSITY, E.FLAG_EMPIRICAL, E.FLAG_CONDITIONAL}
    assert len({f.name for f in FLAGS}) == len(FLAGS)


def test_help_glossary_and_docs_come_from_the_table():
    terms = dict(GLOSSARY)
    table = flags_markdown()
    for f in FLAGS:
        assert f.meaning in terms[f.name] and f.action in terms[f.name], f.name
        assert f"`{f.name}`" in table and f.meaning.replace("|", "\\|") in table, f.name
        if f.scope != "estimate":
            flat = " ".join(CLI_HELP.split())
            assert f"{f.name}: {' '.join(f.short.split())}" in flat, f.name
    assert table.count("\n") == len(FLAGS) + 2
    for name in flag_names(unreliable=True):
        assert name in terms["reliable / flags"]


@pytest.mark.parametrize(("kwargs", "match"), [
    (dict(scope="fitting"), "scope must be one of"),
    (dict(short="ends with a period."), "must not end with a period"),
])
def test_a_bad_entry_is_refused(kwargs, match):
    entry = dict(name="x", scope="fit", short="s", meaning="m", action="a") | kwargs
    with pytest.raises(ValueError, match=match):
        Flag(**entry)


def test_session_page_links_each_flag_to_its_glossary_entry():
    """A rigorous row with train_test_disagree (train and held-out members extrapolate apart) links the flag."""
    rng = np.random.default_rng(0)
    members = [RigorousMember(gamma=g, chunk=c, seed=0, n_train=4000 // g, n_test=1000 // g, n_eval=1000 // g,
                              mi_test_nats=0.5 + 0.05 * g + 0.005 * rng.standard_normal(),
                              mi_train_nats=1.0 + 0.01 * g + 0.005 * rng.standard_normal(), best_epoch=3, epochs_run=5)
               for g in range(1, 7) for c in range(g)]
    with pytest.warns(UserWarning):
        res = summarize_rigorous(members, {"estimator": "smile"}, {"n_samples": 5000, "dim_x": 2, "dim_y": 2,
                                                                   "sha256": "x"}, min_chunk=100)
    assert "train_test_disagree" in res.flags
    record = json.loads(json.dumps(res.to_dict()))
    _, page, _ = build_session_report("s", [("A_vs_B", "rigorous", record)], unit="bits")
    assert re.search(r"<a href='#g-train-test-disagree' title='[^']*'>train_test_disagree</a>", page)
    assert "id='g-train-test-disagree'" in page and FLAG["train_test_disagree"].action in html.unescape(page)


def _warning_calls():
    """Every ``warning_text("name", k=...)`` call in the library: (file, name, keyword names)."""
    import ast
    from pathlib import Path

    import neuralmi_core

    root = Path(neuralmi_core.__file__).parent
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "warning_text":
                assert isinstance(node.args[0], ast.Constant), f"{path}: warning_text needs a literal name"
                yield path.name, node.args[0].value, {k.arg for k in node.keywords}
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "append"
                    and getattr(node.func.value, "id", None) == "warnings" and node.args
                    and isinstance(node.args[0], (ast.Constant, ast.JoinedStr))):
                raise AssertionError(f"{path}:{node.lineno}: a warning written in place; add it to flags.WARNINGS")


def test_every_warning_comes_from_the_table_with_its_fields():
    from neuralmi_core.flags import WARNING

    calls = list(_warning_calls())
    for where, name, keys in calls:
        assert name in WARNING, f"{where}: unknown warning {name!r}"
        assert keys == set(WARNING[name].fields), f"{where}: {name} fills {sorted(keys)}"
    assert {name for _, name, _ in calls} == set(WARNING), "every warning in the table is used"


def test_warnings_docs_table():
    from neuralmi_core.flags import WARNINGS, warnings_markdown

    table = warnings_markdown()
    assert table.count("\n") == len(WARNINGS) + 2 and "{" not in table
    assert "the training-subset MI falls by ‹drop› nats from gamma ‹lo› to gamma ‹hi› (t = ‹t›)" in table
