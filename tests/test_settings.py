"""Each setting is declared once: the API, the CLI, the JSON results and the config schema agree with the
declarations (issue 11). These tests fail when one of them drifts: a name, a default or an allowed value."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from neuralmi_core.analysis.registry import REGISTRY
from neuralmi_core.settings import (
    ACTIVATIONS,
    BOUND_ESTIMATORS,
    CRITICS,
    ESTIMATE,
    MODEL,
    OBJECTIVE_ESTIMATORS,
    RUNTIME,
    TRAINING,
    IntList,
    Optional,
    Setting,
    Settings,
    api,
    from_args,
    parse_options,
    resolve,
    to_cli,
)
from neuralmi_core.validation import NeuralMIError

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = yaml.safe_load((ROOT / "workflow" / "schemas" / "config.schema.yaml").read_text())
DEFS = SCHEMA["$defs"]


def _api_functions():
    import neuralmi_core as nmi
    from neuralmi_core.estimation import SETTINGS

    yield nmi.estimate, SETTINGS
    for analysis in REGISTRY.values():
        yield analysis.run_fn(), analysis.settings


def _check_property(prop: dict, s: Setting, where: str, default=True) -> None:
    """The schema's property agrees with the declaration: type/enum/bounds and (when stated) the default."""
    for key, value in s.constraint.schema().items():
        if key == "type" and isinstance(value, list) and prop.get("type") != value:
            value = [v for v in value if v != "null"][0]  # nullable: the config may leave the key out instead
        if key == "items":
            for k, v in value.items():
                assert prop["items"].get(k) == v, f"{where}: items.{k} {prop['items'].get(k)!r} != declared {v!r}"
            continue
        got = prop.get(key)
        if isinstance(value, float) or isinstance(got, float):
            assert got is not None and float(got) == float(value), f"{where}: {key} {got!r} != declared {value!r}"
        else:
            assert got == value, f"{where}: {key} {got!r} != declared {value!r}"
    if default and s.default is not None:
        assert "default" in prop, f"{where}: the schema states no default (declared {s.default!r})"
        assert s.check(prop["default"]) == s.default, f"{where}: default {prop['default']!r} != declared {s.default!r}"


def test_api_signatures_are_the_declarations():
    for fn, settings in _api_functions():
        sig = inspect.signature(fn)
        data = ("x", "y", "z", "time_index", "trials", "groups", "column_coords")  # data, not settings
        params = {n: p for n, p in sig.parameters.items() if n not in data}
        assert list(params) == list(settings.names) or set(params) == set(settings.names), fn.__name__
        for name, p in params.items():
            assert p.default == settings[name].default, f"{fn.__name__}({name}=...): {p.default!r} != declared"
        assert "{settings}" not in fn.__doc__ and all(f"    {n} :" in fn.__doc__ for n in params
                                                       if n not in ("estimator", "critic"))


def test_api_refuses_unknown_keywords_with_a_suggestion():
    import neuralmi_core as nmi

    with pytest.raises(TypeError, match=r"rigorous\(\): unknown keyword\(s\) 'gamas' \(did you mean 'gammas'\?\)"):
        nmi.rigorous([[0.0]], [[0.0]], gamas="1-3")


def test_cli_flags_are_the_declarations():
    from neuralmi_core.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command").choices
    for fn, settings in _api_functions():
        name = "estimate" if fn.__name__ == "estimate" else fn.__name__
        p = sub[name.replace("_", "-")]
        flags = {s for a in p._actions for s in a.option_strings}
        for s in settings:
            assert s.cli_flag in flags, f"neuralmi {name} has no {s.cli_flag}"
        assert from_args(p.parse_args(["x.npy", "y.npy", "--json", "o.json"]), settings) == {}  # API fills defaults
        assert "--embedding-dim" not in flags or "embedding_dim" in settings.names
    dims = sub["dimensionality"]
    args = dims.parse_args(["x.npy", "--json", "o.json", "--seed-list", "0,2", "--layers", "2", "--strictness", "1,5"])
    assert from_args(args, REGISTRY["dimensionality"].settings) == {"seeds": "0,2", "n_layers": 2, "strictness": "1,5"}


def test_cli_round_trip_of_every_setting():
    from neuralmi_core.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command").choices
    for name, analysis in REGISTRY.items():
        values = analysis.check({}, has_y=True)
        values.update(options={"a": 1, "b": True}, variational=True, progress=False)
        given = {k: v for k, v in values.items() if analysis.settings[k].cli_flag and v is not None}
        args = sub[analysis.command].parse_args(["x.npy", "y.npy", "--json", "o.json",
                                                 *to_cli(given, analysis.settings)])
        back = resolve(analysis.settings, from_args(args, analysis.settings))
        assert {k: back[k] for k in given} == given, name


def test_schema_model_and_training_are_the_declarations():
    model = DEFS["model"]["properties"]
    assert set(model) == {s.name for s in MODEL if s.config}
    for s in MODEL:
        _check_property(model[s.name], s, f"model.{s.name}", default=s.name != "estimator")
    assert "default" not in model["estimator"]  # the default depends on the mode
    training = DEFS["training"]["properties"]
    assert set(training) == {s.name for s in TRAINING if s.config}
    for s in TRAINING:
        if s.config:
            _check_property(training[s.name], s, f"training.{s.name}")


@pytest.mark.parametrize("mode", list(REGISTRY))
def test_schema_mode_sections_are_the_declarations(mode):
    analysis = REGISTRY[mode]
    section = DEFS["analysis"]["properties"][mode]["properties"]
    own = {s.name for s in analysis.own if s.config}
    expected = own | {s.name for s in MODEL if s.config} | {"training"}
    if analysis.y == "optional":
        expected.add("with_y")
    assert set(section) == expected, mode
    for s in analysis.own:
        if s.config:
            prop = section[s.name]
            if "$ref" in prop:
                prop = DEFS[prop["$ref"].split("/")[-1]]
            _check_property(prop, s, f"{mode}.{s.name}")
    est = analysis.shared["estimator"]
    assert section["estimator"]["default"] == est.default and tuple(section["estimator"]["enum"]) == analysis.estimators


def test_schema_modes_are_the_registry():
    assert DEFS["analysis"]["properties"]["modes"]["items"]["enum"] == list(REGISTRY)


def test_implementations_match_declared_names():
    from neuralmi_core.bounds import BOUNDS
    from neuralmi_core.estimators.mienf import DEFAULT_OPTIONS as MIENF
    from neuralmi_core.estimators.minee import DEFAULT_OPTIONS as MINEE
    from neuralmi_core.estimators.neural import EXTERNAL_TRAINED
    from neuralmi_core.models import critics
    from neuralmi_core.models.layers import ACTIVATIONS as LAYER_ACTIVATIONS

    assert tuple(BOUNDS) == BOUND_ESTIMATORS and tuple(EXTERNAL_TRAINED) == OBJECTIVE_ESTIMATORS
    assert ("auto", *critics._CLASSES) == CRITICS and tuple(LAYER_ACTIVATIONS) == ACTIVATIONS
    assert MINEE == parse_options("minee", {}) and MIENF == parse_options("mienf", {})
    for cls in critics._CLASSES.values():  # critic defaults are the declared ones
        sig = inspect.signature(cls)
        for name in ("embedding_dim", "hidden", "n_layers", "activation", "beta"):
            assert sig.parameters[name].default == MODEL[name].default, (cls.__name__, name)


def test_result_settings_are_declared_names():
    from neuralmi_core.estimators.neural import setup_training

    values = resolve(MODEL + TRAINING + RUNTIME, {})
    spec, cfg, record = setup_training(values)
    assert set(record) - {"min_epochs", "smooth_window"} == set(MODEL.names + TRAINING.names) - {"seed"}
    assert spec.hidden == MODEL["hidden"].default and cfg.epochs == TRAINING["epochs"].default


def test_declaration_errors_name_the_setting():
    with pytest.raises(NeuralMIError, match=r"`activation` must be one of 'relu', .* Got 'relux'"):
        resolve(MODEL, {"activation": "relux"})
    with pytest.raises(NeuralMIError, match=r"unknown setting\(s\) 'hiden' \(did you mean 'hidden'\?\)"):
        resolve(MODEL, {"hiden": 3})
    with pytest.raises(NeuralMIError, match=r"`gammas` must hold integers >= 1"):
        Optional(IntList(1)).check("gammas", [0, 1])
    with pytest.raises(ValueError, match="declared twice"):
        Settings([MODEL["hidden"], MODEL["hidden"]])
    assert resolve(ESTIMATE, {})["n_seeds"] == 1


def test_api_decorator_documents_and_checks():
    group = Settings([Setting("alpha", (2,), IntList(1), "alphas")])

    @api(group)
    def f(x, **settings):
        """Doc.

        {settings}
        """
        return resolve(group, settings)

    assert "alpha : " in f.__doc__ and f(1)["alpha"] == (2,) and f(1, alpha="1-3")["alpha"] == (1, 2, 3)


def test_declarations_and_planning_do_not_import_torch():
    code = ("import sys; import neuralmi_core.analysis.config, neuralmi_core.settings, neuralmi_core.analysis.registry; "
            "from neuralmi_core.cli import build_parser; build_parser(); "
            "assert 'torch' not in sys.modules, 'torch imported'")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_every_registered_analysis_reaches_cli_workflow_and_report():
    """Adding an analysis is its module plus a line in the registry: the CLI, the config schema and the
    report must know every registered one (this test names what is missing)."""
    from neuralmi_core.cli import build_parser
    from neuralmi_core.report.records import ROWS
    from neuralmi_core.report.text import HOW_TO_READ

    commands = next(a for a in build_parser()._actions if a.dest == "command").choices
    for name, analysis in REGISTRY.items():
        assert analysis.command in commands and name in ROWS and name in HOW_TO_READ, name
        assert name in DEFS["analysis"]["properties"], f"config schema has no section for {name}"
        result = analysis.result_type()
        assert all(hasattr(result, m) for m in ("to_dict", "from_dict", "plot", "summary_line")), name
