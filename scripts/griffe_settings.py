"""Griffe extension for the API pages: the analyses' docstrings as Python sees them.

The public functions (``estimate``, ``rigorous``, ...) are decorated with
:func:`neuralmi_core.settings.core.api`, which replaces a ``{settings}`` placeholder in the docstring with
the declared settings (name, allowed values, default, meaning) when the module is imported. Griffe reads
the source, where the placeholder is still there; this extension gives such a function the docstring of
the imported object instead, so the reference lists every setting from its one declaration, and the
imported object's signature (``@api`` turns ``**settings`` into one keyword-only parameter per setting).

It also turns the Sphinx cross-reference roles of the docstrings (``:func:`~a.b```) into Markdown code
spans, which is how the Markdown pages show them.
"""

from __future__ import annotations

import importlib
import inspect
import re
from typing import Any

import griffe

ROLE = re.compile(r":(?:func|meth|mod|class|data|attr|obj|exc):`(~?)([^`]+)`")
PLACEHOLDER = re.compile(r"^\s*\{settings\}\s*$", re.M)  # a line of its own, as @api expects it


def _roles_to_code(text: str) -> str:
    """``:func:`~a.b.c``` -> ```c```, ``:mod:`a.b``` -> ```a.b```."""
    return ROLE.sub(lambda m: f"`{m.group(2).rsplit('.', 1)[-1] if m.group(1) else m.group(2)}`", text)


class FillSettingsDocstrings(griffe.Extension):
    """Replace a docstring holding ``{settings}`` with the runtime ``__doc__`` of the same function."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = _roles_to_code(obj.docstring.value)

    def on_function_instance(self, *, func: griffe.Function, **kwargs: Any) -> None:
        if func.docstring is None or not PLACEHOLDER.search(func.docstring.value):
            return
        module = importlib.import_module(func.module.path)
        runtime = getattr(module, func.name)
        doc = inspect.getdoc(runtime) or ""
        if PLACEHOLDER.search(doc):
            raise RuntimeError(
                f"{func.path}: the imported docstring still holds {{settings}} (was @api applied?)"
            )
        func.docstring.value = _roles_to_code(doc)
        static = {p.name: p for p in func.parameters}
        func.parameters = griffe.Parameters(
            *(
                griffe.Parameter(
                    p.name,
                    annotation=static[p.name].annotation if p.name in static else None,
                    kind=griffe.ParameterKind[p.kind.name.lower()],
                    default=None if p.default is inspect.Parameter.empty else repr(p.default),
                )
                for p in inspect.signature(runtime).parameters.values()
            )
        )
