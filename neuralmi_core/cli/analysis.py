"""One subcommand per registered analysis (``neuralmi rigorous``, ``neuralmi dimensionality``, ...).

The flags are the analysis's declared settings (:mod:`neuralmi_core.settings`), the help text is its
``description``; the command loads X (and Y) with their selection, calls the analysis's API function and
writes the result as JSON with the selection's provenance.
"""

from __future__ import annotations

import argparse
from functools import partial

from ..analysis.base import Analysis
from ..settings import from_args
from .common import (
    add_data_arguments,
    add_output_arguments,
    add_settings_arguments,
    load_selection,
    write_result,
)


def add_arguments(p: argparse.ArgumentParser, analysis: Analysis) -> None:
    add_data_arguments(p, y_optional=analysis.y == "optional")
    add_settings_arguments(p, analysis.settings, f"{analysis.name} mode")
    add_output_arguments(p, plot=True)


def run(args: argparse.Namespace, analysis: Analysis) -> int:
    sel = load_selection(args)
    given = from_args(args, analysis.settings)
    extra = {k: v for k, v in analysis.selection_inputs(sel).items() if given.get(k) is None}
    res = analysis.run_fn()(sel.x, sel.y, **given, **extra)
    write_result(args, res, sel.provenance())
    return 0


def subcommand(analysis: Analysis) -> tuple[str, str, str, object, object]:
    """``(name, help, description, add_arguments, run)`` of the analysis's subcommand."""
    return (analysis.command, analysis.help, analysis.description, partial(add_arguments, analysis=analysis),
            partial(run, analysis=analysis))
