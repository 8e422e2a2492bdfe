"""Constraints of declared settings (scikit-learn's parameter-constraint style): each checks and normalises a
value, describes what it accepts (for ``--help`` and docstrings), states the JSON-schema keywords it implies
(compared with the workflow's config schema) and parses a command-line string.
"""

from __future__ import annotations

import argparse
import math
import numbers
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..validation import NeuralMIError


def _fail(name: str, expected: str, value: Any, where: str = "") -> NeuralMIError:
    pre = f"{where}: " if where else ""
    return NeuralMIError(f"{pre}`{name}` must be {expected}. Got {value!r}.")


class Constraint:
    """What values a setting takes. Subclasses implement :meth:`check`, :meth:`describe`, :meth:`schema`."""

    metavar = "VALUE"

    def check(self, name: str, value: Any, where: str = "") -> Any:  # pragma: no cover - interface
        raise NotImplementedError

    def describe(self) -> str:  # pragma: no cover - interface
        raise NotImplementedError

    def schema(self) -> dict[str, Any]:
        """The JSON-schema keywords this constraint implies (compared with the workflow schema)."""
        return {}

    def parse(self, text: str) -> Any:
        """Parse a command-line string (checked afterwards by :meth:`check`)."""
        return text


@dataclass(frozen=True)
class Int(Constraint):
    low: int | None = None
    high: int | None = None
    metavar = "N"

    def check(self, name, value, where=""):
        ok = isinstance(value, numbers.Integral) and not isinstance(value, bool)
        if ok and (self.low is None or value >= self.low) and (self.high is None or value <= self.high):
            return int(value)
        raise _fail(name, self.describe(), value, where)

    def describe(self) -> str:
        lo = "-inf" if self.low is None else self.low
        hi = "inf" if self.high is None else self.high
        return f"an int in [{lo}, {hi}]"

    def schema(self):
        out: dict[str, Any] = {"type": "integer"}
        if self.low is not None:
            out["minimum"] = self.low
        if self.high is not None:
            out["maximum"] = self.high
        return out

    def parse(self, text):
        try:
            return int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None


@dataclass(frozen=True)
class Float(Constraint):
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    metavar = "X"

    def check(self, name, value, where=""):
        ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
        if ok:
            v = float(value)
            if self.low is not None and (v < self.low or (self.low_open and v == self.low)):
                ok = False
            if self.high is not None and (v > self.high or (self.high_open and v == self.high)):
                ok = False
        if ok:
            return float(value)
        raise _fail(name, self.describe(), value, where)

    def describe(self) -> str:
        lb, hb = ("(" if self.low_open else "["), (")" if self.high_open else "]")
        lo = "-inf" if self.low is None else f"{self.low:g}"
        hi = "inf" if self.high is None else f"{self.high:g}"
        return f"a finite number in {lb}{lo}, {hi}{hb}"

    def schema(self):
        out: dict[str, Any] = {"type": "number"}
        if self.low is not None:
            out["exclusiveMinimum" if self.low_open else "minimum"] = self.low
        if self.high is not None:
            out["exclusiveMaximum" if self.high_open else "maximum"] = self.high
        return out

    def parse(self, text):
        try:
            return float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None


@dataclass(frozen=True)
class Choice(Constraint):
    options: tuple[str, ...]

    def check(self, name, value, where=""):
        if isinstance(value, str) and value.lower() in self.options:
            return value.lower()
        raise _fail(name, self.describe(), value, where)

    def describe(self) -> str:
        return "one of " + ", ".join(map(repr, self.options))

    def schema(self):
        return {"enum": list(self.options)}

    @property
    def metavar(self) -> str:  # type: ignore[override]
        return "{" + ",".join(self.options) + "}"


@dataclass(frozen=True)
class Text(Constraint):
    """A string matching the regular expression ``pattern`` (full match), described by ``what``."""

    pattern: str
    what: str

    def check(self, name, value, where=""):
        import re

        if isinstance(value, str) and re.fullmatch(self.pattern, value):
            return value
        raise _fail(name, self.what, value, where)

    def describe(self) -> str:
        return self.what

    def schema(self):
        return {"type": "string", "pattern": f"^{self.pattern}$"}


@dataclass(frozen=True)
class Bool(Constraint):
    def check(self, name, value, where=""):
        if isinstance(value, bool):
            return value
        raise _fail(name, "true or false", value, where)

    def describe(self) -> str:
        return "true or false"

    def schema(self):
        return {"type": "boolean"}


@dataclass(frozen=True)
class OptionalBool(Bool):
    """True, False or None (None: decide automatically)."""

    def check(self, name, value, where=""):
        if value is None or isinstance(value, bool):
            return value
        raise _fail(name, "true, false or null (automatic)", value, where)

    def describe(self) -> str:
        return "true, false or null (automatic)"

    def schema(self):
        return {"type": ["boolean", "null"]}


def parse_int_list(value: Any, name: str, low: int | None = 1, where: str = "") -> tuple[int, ...]:
    """``"1-10"``, ``"1,2,4"``, ``"1-4,8"``, an int or a sequence of ints -> sorted unique tuple.

    >>> parse_int_list("1-4,8", "gammas")
    (1, 2, 3, 4, 8)
    """
    items: list[int] = []
    pre = f"{where}: " if where else ""
    if isinstance(value, str):
        for part in value.replace(" ", "").split(","):
            if not part:
                continue
            try:
                if "-" in part[1:]:
                    lo, hi = part[0] + part[1:].split("-", 1)[0], part[1:].split("-", 1)[1]
                    lo_i, hi_i = int(lo), int(hi)
                    if hi_i < lo_i:
                        raise ValueError
                    items.extend(range(lo_i, hi_i + 1))
                else:
                    items.append(int(part))
            except ValueError:
                raise NeuralMIError(f"{pre}`{name}` must be a list of integers such as '1-10', '1,2,4' or "
                                    f"'1-4,8'. Got {value!r}.") from None
    elif isinstance(value, numbers.Integral) and not isinstance(value, bool):
        items = [int(value)]
    elif isinstance(value, Iterable) and not isinstance(value, Mapping):
        for v in value:
            if not isinstance(v, numbers.Integral) or isinstance(v, bool):
                raise NeuralMIError(f"{pre}`{name}` must hold integers. Got {value!r}.")
            items.append(int(v))
    else:
        raise NeuralMIError(f"{pre}`{name}` must be an int, a list of ints or a string like '1-10'. Got {value!r}.")
    if not items:
        raise NeuralMIError(f"{pre}`{name}` is empty; expected at least one integer. Got {value!r}.")
    if low is not None and any(v < low for v in items):
        raise NeuralMIError(f"{pre}`{name}` must hold integers >= {low}. Got {value!r}.")
    return tuple(sorted(set(items)))


@dataclass(frozen=True)
class IntList(Constraint):
    """A non-empty sorted set of integers >= ``low``; accepts ``"1-10"``, ``"1,2,4"`` or a list."""

    low: int = 1
    min_items: int = 1
    metavar = "LIST"

    def check(self, name, value, where=""):
        out = parse_int_list(value, name, self.low, where)
        if len(out) < self.min_items:
            raise _fail(name, f"a list of at least {self.min_items} distinct integers", value, where)
        return out

    def describe(self) -> str:
        return f"a list of integers >= {self.low} ('1-10', '1,2,4' or a list)"

    def schema(self):
        return {"type": "array", "items": {"type": "integer", "minimum": self.low}}


@dataclass(frozen=True)
class FloatList(Constraint):
    """A non-empty list of finite numbers > ``low`` (``low_open``) or >= ``low``."""

    low: float = 0.0
    low_open: bool = True
    metavar = "LIST"

    def check(self, name, value, where=""):
        if isinstance(value, str):
            try:
                value = [float(v) for v in value.split(",") if v.strip()]
            except ValueError:
                raise _fail(name, "comma-separated numbers such as '0.1,1,15'", value, where) from None
        if not isinstance(value, Iterable) or isinstance(value, Mapping):
            raise _fail(name, "a list of numbers", value, where)
        item = Float(self.low, low_open=self.low_open)
        out = tuple(item.check(name, v, where) for v in value)
        if not out:
            raise _fail(name, "a non-empty list of numbers", value, where)
        return out

    def describe(self) -> str:
        return f"a list of numbers {'>' if self.low_open else '>='} {self.low:g}"

    def schema(self):
        key = "exclusiveMinimum" if self.low_open else "minimum"
        return {"type": "array", "items": {"type": "number", key: self.low}}


@dataclass(frozen=True)
class Optional(Constraint):
    """``None`` (meaning: decided from other settings, as the help says) or a value of ``inner``."""

    inner: Constraint

    def check(self, name, value, where=""):
        return None if value is None else self.inner.check(name, value, where)

    def describe(self) -> str:
        return f"{self.inner.describe()}, or null"

    def schema(self):
        out = dict(self.inner.schema())
        if "type" in out:
            out["type"] = [*([out["type"]] if isinstance(out["type"], str) else out["type"]), "null"]
        return out

    def parse(self, text):
        return self.inner.parse(text)

    @property
    def metavar(self) -> str:  # type: ignore[override]
        return self.inner.metavar


@dataclass(frozen=True)
class Options(Constraint):
    """Estimator-specific ``KEY=VALUE`` settings (checked per estimator by :mod:`.options`)."""

    metavar = "KEY=VALUE"

    def check(self, name, value, where=""):
        if value is None:
            return {}
        if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
            raise _fail(name, "a mapping of option names to values", value, where)
        for k, v in value.items():
            if not isinstance(v, (str, int, float, bool)):
                raise _fail(f"{name}.{k}", "a string, number or boolean", v, where)
        return dict(sorted(value.items()))

    def describe(self) -> str:
        return "a mapping KEY: VALUE (estimator-specific)"

    def schema(self):
        return {"type": "object"}
