"""Declared settings: one :class:`Setting` per user-facing option, with its default, constraint and help.

A setting is declared once (:mod:`.declared`, and each analysis module for its own); everything else
is derived from or checked against that declaration:

- the Python API's keyword arguments (:func:`api` gives a function the declared keywords, their
  defaults, their documentation, and the check of every value),
- the CLI flags (:func:`add_arguments`, :func:`from_args`) and the workflow's command lines
  (:func:`to_cli`),
- the ``settings`` block of every JSON result (:func:`resolve` output, keyed by the declared names),
- the workflow config schema (``tests/test_settings.py`` compares names, defaults and allowed values).

Constraints follow scikit-learn's parameter-constraint style: a value is checked and normalised by its
constraint and a failure names the setting, what was expected and what was received. This module is
light (no torch, no numpy-heavy imports) so the workflow can validate configs while planning.
"""

from __future__ import annotations

import argparse
import copy
import difflib
import functools
import inspect
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..validation import NeuralMIError
from .constraints import Bool, Constraint, OptionalBool, Options

#: Where a setting acts. ``train``: it changes the trained members (parts of one analysis must agree on
#: it, and changing it re-runs training). ``cells``: it says which cells (jobs) run. ``fit``: used only
#: when the cells are gathered (changing it never re-runs training). ``runtime``: never changes numbers.
STAGES = ("train", "cells", "fit", "runtime")


@dataclass(frozen=True)
class Setting:
    """One declared setting.

    Attributes
    ----------
    name : str
        The keyword in the Python API, the key in the config and in JSON ``settings``.
    default : Any
        Default value (already valid under ``constraint``).
    constraint : Constraint
        Allowed values.
    help : str
        One line for ``--help``, docstrings and the config schema's description.
    stage : str
        One of :data:`STAGES`.
    flag : str or None
        CLI flag; ``None`` derives ``--name-with-dashes``; ``""`` means no CLI flag.
    aliases : tuple of str
        Further CLI spellings (kept for old command lines).
    config : bool
        Whether the workflow config has a key for it.
    """

    name: str
    default: Any
    constraint: Constraint
    help: str
    stage: str = "train"
    flag: str | None = None
    aliases: tuple[str, ...] = ()
    config: bool = True

    def __post_init__(self) -> None:
        if self.stage not in STAGES:
            raise ValueError(f"setting {self.name}: unknown stage {self.stage!r}")

    @property
    def cli_flag(self) -> str:
        return "--" + self.name.replace("_", "-") if self.flag is None else self.flag

    def check(self, value: Any, where: str = "") -> Any:
        return self.constraint.check(self.name, value, where)

    def with_default(self, default: Any) -> Setting:
        return Setting(self.name, default, self.constraint, self.help, self.stage, self.flag, self.aliases,
                       self.config)


class Settings(tuple):
    """An ordered, name-indexed tuple of :class:`Setting` (a group, or several joined with ``+``)."""

    def __new__(cls, items: Iterable[Setting] = ()):
        items = tuple(items)
        names = [s.name for s in items]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"settings declared twice: {dup}")
        return super().__new__(cls, items)

    def __add__(self, other: Iterable[Setting]) -> Settings:  # type: ignore[override]
        return Settings((*self, *other))

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self)

    def __getitem__(self, key):  # type: ignore[override]
        if isinstance(key, str):
            for s in self:
                if s.name == key:
                    return s
            raise KeyError(key)
        return super().__getitem__(key)

    def __contains__(self, key) -> bool:  # type: ignore[override]
        if isinstance(key, str):
            return key in self.names
        return super().__contains__(key)

    def defaults(self) -> dict[str, Any]:
        return {s.name: s.default for s in self}

    def override(self, **defaults: Any) -> Settings:
        """The same settings with other defaults (an analysis's own defaults for shared settings)."""
        unknown = sorted(set(defaults) - set(self.names))
        if unknown:
            raise ValueError(f"cannot override undeclared settings {unknown}")
        return Settings(s.with_default(defaults[s.name]) if s.name in defaults else s for s in self)

    def without(self, *names: str) -> Settings:
        return Settings(s for s in self if s.name not in names)

    def only(self, *stages: str) -> Settings:
        return Settings(s for s in self if s.stage in stages)


def unknown_error(names: Iterable[str], allowed: Sequence[str], where: str = "", what: str = "setting") -> NeuralMIError:
    """An error for unknown setting names, with close matches suggested."""
    names = sorted(names)
    hints = []
    for n in names:
        close = difflib.get_close_matches(n, allowed, n=1)
        hints.append(f"{n!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
    pre = f"{where}: " if where else ""
    return NeuralMIError(f"{pre}unknown {what}(s) {', '.join(hints)}; allowed: {', '.join(sorted(allowed))}.")


def resolve(settings: Settings, values: Mapping[str, Any], where: str = "") -> dict[str, Any]:
    """Every setting's checked value: ``values`` where given, else the default; unknown names raise."""
    extra = set(values) - set(settings.names)
    if extra:
        raise unknown_error(extra, settings.names, where)
    return {s.name: s.check(values[s.name], where) if s.name in values else copy.deepcopy(s.default)
            for s in settings}


# --------------------------------------------------------------------------------------------------
# Python API


def _doc_lines(settings: Settings) -> str:
    lines = []
    for s in settings:
        lines.append(f"    {s.name} : {s.constraint.describe()}, default {s.default!r}")
        lines.append(f"        {s.help}")
    return "\n".join(lines)


def api(settings: Settings) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Give a function the declared ``settings`` as keyword arguments.

    The decorated function is written as ``def f(x, y, estimator=..., **settings)``: its explicit
    parameters stay as they are (their defaults must equal the declared ones, which ``test_settings``
    checks), every other declared setting becomes a keyword-only parameter with its declared default
    (visible to ``help()``, ``inspect.signature`` and notebook tab completion), and a ``{settings}``
    placeholder in the docstring is replaced by the declared documentation. Unknown keywords raise
    ``TypeError`` with close matches; values are checked by the function (see :func:`resolve`).
    """

    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        sig = inspect.signature(fn)
        params = [p for p in sig.parameters.values() if p.kind is not inspect.Parameter.VAR_KEYWORD]
        explicit = {p.name for p in params}
        extra = [inspect.Parameter(s.name, inspect.Parameter.KEYWORD_ONLY, default=s.default)
                 for s in settings if s.name not in explicit]
        new_sig = sig.replace(parameters=params + extra)
        allowed = tuple(p.name for p in new_sig.parameters.values())

        @functools.wraps(fn)
        def inner(*args: Any, **kwargs: Any) -> Any:
            unknown = set(kwargs) - set(allowed)
            if unknown:
                err = unknown_error(unknown, [a for a in allowed if a not in ("x", "y")], what="keyword")
                raise TypeError(f"{fn.__name__}(): {err}")
            bound = new_sig.bind(*args, **kwargs)
            bound.apply_defaults()
            return fn(**bound.arguments)

        inner.__signature__ = new_sig  # type: ignore[attr-defined]
        if fn.__doc__ and "{settings}" in fn.__doc__:
            shown = Settings(s for s in settings if s.name not in explicit)
            inner.__doc__ = fn.__doc__.replace("    {settings}", _doc_lines(shown))
        return inner

    return wrap


# --------------------------------------------------------------------------------------------------
# command line


def add_arguments(parser: argparse.ArgumentParser | Any, settings: Settings, title: str | None = None) -> None:
    """Add one flag per setting (those with a CLI flag) to ``parser`` (in a group titled ``title``)."""
    target = parser.add_argument_group(title) if title else parser
    for s in settings:
        if s.cli_flag == "":
            continue
        flags = [s.cli_flag, *s.aliases]
        c = s.constraint
        if isinstance(c, Bool) and not isinstance(c, OptionalBool) and s.default:  # on by default: --no-X turns it off
            target.add_argument(*flags, dest=s.name, action=argparse.BooleanOptionalAction, default=None,
                                help=f"{s.help} (default: on)")
        elif isinstance(c, Bool) and not isinstance(c, OptionalBool):
            target.add_argument(*flags, dest=s.name, action="store_true", default=None,
                                help=f"{s.help} (default: {'on' if s.default else 'off'})")
        elif isinstance(c, OptionalBool):
            target.add_argument(*flags, dest=s.name, action=argparse.BooleanOptionalAction, default=None,
                                help=s.help)
        elif isinstance(c, Options):
            target.add_argument(*flags, dest=s.name, action="append", default=None, metavar=c.metavar,
                                help=f"{s.help}; repeatable, VALUE parsed as YAML")
        else:
            # a help that words its own default ("(default -0.5 to 0.5 s ...)") is not given a second one
            shown = "" if s.default is None or "(default" in s.help else f" (default: {_show(s.default)})"
            target.add_argument(*flags, dest=s.name, type=c.parse, default=None, metavar=c.metavar,
                                help=s.help + shown)


def _show(value: Any) -> str:
    if isinstance(value, tuple):
        return ",".join(f"{v:g}" if isinstance(v, float) else str(v) for v in value)
    return str(value)


def parse_option_items(items: Sequence[str], flag: str = "--option") -> dict[str, Any]:
    """``["KEY=VALUE", ...]`` -> dict; each VALUE is parsed as YAML (``20`` -> int, ``true`` -> bool)."""
    import yaml

    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise NeuralMIError(f"{flag} expects KEY=VALUE. Got {item!r}.")
        out[key.strip()] = yaml.safe_load(value) if value.strip() else ""
    return out


def from_args(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    """The settings given on the command line (flags left out are absent: the API fills defaults)."""
    out = {}
    for s in settings:
        value = getattr(args, s.name, None)
        if value is None:
            continue
        if isinstance(s.constraint, Options):
            value = parse_option_items(value, s.cli_flag)
        out[s.name] = value
    return out


def to_cli(values: Mapping[str, Any], settings: Settings) -> list[str]:
    """Command-line words that reproduce ``values`` (each a declared setting with a CLI flag)."""
    out: list[str] = []
    for name, value in values.items():
        s = settings[name]
        if value is None:  # None: decided by the command (e.g. from the data), as the declaration's default
            continue
        if s.cli_flag == "":
            raise ValueError(f"setting {name} has no command-line flag")
        c = s.constraint
        if isinstance(c, OptionalBool):
            if value is not None:
                out.append(s.cli_flag if value else "--no-" + s.cli_flag[2:])
        elif isinstance(c, Bool):
            if value:
                out.append(s.cli_flag)
            elif s.default:
                out.append("--no-" + s.cli_flag[2:])
        elif isinstance(c, Options):
            for k, v in sorted((value or {}).items()):
                text = str(v).lower() if isinstance(v, bool) else str(v)
                out += [s.cli_flag, f"{k}={text}"]
        else:
            text = _show(tuple(value)) if isinstance(value, (list, tuple)) else str(value)
            out += [f"{s.cli_flag}={text}"] if text.startswith("-") else [s.cli_flag, text]  # '-0.5,..' is no flag
    return out
