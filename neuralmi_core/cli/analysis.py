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
    load_inputs,
    write_result,
)


def add_arguments(p: argparse.ArgumentParser, analysis: Analysis) -> None:
    add_data_arguments(p, y_optional=analysis.y == "optional")
    add_settings_arguments(p, analysis.settings, f"{analysis.name} mode")
    add_output_arguments(p, plot=True)


def run(args: argparse.Namespace, analysis: Analysis) -> int:
    x, y, selection = load_inputs(args)
    res = analysis.run_fn()(x, y, **from_args(args, analysis.settings))
    write_result(args, res, selection)
    return 0


def subcommand(analysis: Analysis) -> tuple[str, str, str, object, object]:
    """``(name, help, description, add_arguments, run)`` of the analysis's subcommand."""
    return (analysis.name, analysis.help, analysis.description, partial(add_arguments, analysis=analysis),
            partial(run, analysis=analysis))
