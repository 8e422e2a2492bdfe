"""One subcommand per registered analysis (``neuralmi rigorous``, ``neuralmi dimensionality``, ...).

The flags are the analysis's declared settings (:mod:`neuralmi_core.settings`), the help text is its
``description``; the command loads X (and Y) with their selection, calls the analysis's API function and
writes the result as JSON with the selection's provenance.
"""

from __future__ import annotations

import argparse
from functools import partial
from typing import Any

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
    if analysis.z != "none":
        p.add_argument("--z", default=None, metavar="Z",
                       help="conditioning signal, same forms and bins as X (e.g. 'binned.nc:spikes[region=C]'); "
                       "taken on X's bins" + ("; required" if analysis.z == "required" else "; optional"))
    add_settings_arguments(p, analysis.settings, f"{analysis.name} mode")
    add_output_arguments(p, plot=True)


def run(args: argparse.Namespace, analysis: Analysis) -> int:
    z_spec = getattr(args, "z", None)
    if analysis.z == "required" and not z_spec:
        from ..validation import NeuralMIError

        raise NeuralMIError(f"{analysis.command} needs the conditioning signal: give --z Z.")
    if not analysis.windowed and (args.window != 1 or args.lag != 0):
        from ..validation import NeuralMIError

        raise NeuralMIError(f"{analysis.command} builds its own histories (see --help); --window and --lag must be "
                            f"1 and 0. Got --window {args.window} --lag {args.lag}.")
    sel = load_selection(args)
    z = align_z(sel, z_spec) if z_spec else None  # drops the rows whose Z bin is invalid from sel too
    given = from_args(args, analysis.settings)
    extra = {k: v for k, v in analysis.selection_inputs(sel).items() if given.get(k) is None}
    if z is not None:
        extra["z"] = z
    res = analysis.run_fn()(sel.x, sel.y, **given, **extra)
    provenance = sel.provenance()
    if z_spec:
        provenance["z"] = z_spec
    write_result(args, res, provenance)
    return 0


def align_z(sel: Any, z_spec: str) -> Any:
    """Z's rows on the bins of the selection ``sel`` (X's current bin of every row), the rows whose Z bin is
    invalid dropped from ``sel`` too (its x, y, bins, time and trials, in place); returns Z's rows."""
    import numpy as np

    from ..io.select import select_xy
    from ..validation import NeuralMIError, as_2d_samples

    zsel = select_xy(z_spec, None)
    if zsel.summary["n_bins"] != sel.summary["n_bins"]:
        raise NeuralMIError(f"Z ({z_spec}) has {zsel.summary['n_bins']} bins but X has {sel.summary['n_bins']}; "
                            "expected the same time bins.")
    keep = np.isin(sel.bins, zsel.bins)
    if not keep.any():
        raise NeuralMIError(f"Z ({z_spec}) has no valid bin in common with X and Y.")
    z = as_2d_samples("Z", zsel.x, source=z_spec)[np.searchsorted(zsel.bins, sel.bins[keep])]
    if not keep.all():
        for name in ("x", "y", "bins", "time", "trials"):
            value = getattr(sel, name, None)
            if value is not None:
                setattr(sel, name, value[keep])
        sel.summary["n_rows"] = int(keep.sum())
    return z


def subcommand(analysis: Analysis) -> tuple[str, str, str, object, object]:
    """``(name, help, description, add_arguments, run)`` of the analysis's subcommand."""
    return (analysis.command, analysis.help, analysis.description, partial(add_arguments, analysis=analysis),
            partial(run, analysis=analysis))
