"""What the training subcommands share: the X/Y arguments, the declared settings as flags, JSON output."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..io.arrays import write_json
from ..settings import MODEL, RUNTIME, TRAINING, Settings, add_arguments
from ..validation import NeuralMIError, as_2d_samples


def add_data_arguments(p: argparse.ArgumentParser, y_optional: bool = False) -> None:
    p.add_argument("x", metavar="X", help="samples of X: file.npy, file.npz[:key] or file.nc:variable "
                   "(samples on the first axis, trailing axes flattened into features)")
    p.add_argument("y", metavar="Y", nargs="?" if y_optional else None, help="samples of Y, same forms as X; "
                   "binned netCDF inputs take selectors, e.g. 'binned.nc:spikes[region=A]' (see "
                   "neuralmi_core.io.select)" + ("; optional" if y_optional else ""))
    p.add_argument("--window", type=int, default=1, metavar="N",
                   help="stack X over the current and previous N-1 time bins (default: 1)")
    p.add_argument("--lag", type=int, default=0, metavar="N",
                   help="pair X at bin t with Y at bin t+N; negative: Y leads (default: 0)")


def add_settings_arguments(p: argparse.ArgumentParser, settings: Settings, own_title: str | None = None) -> None:
    """One flag per declared setting, grouped as model / training / the command's own / runtime."""
    def shared(group: Settings, s) -> bool:  # the shared declaration (an analysis may redeclare a name)
        return s.name in group and group[s.name].help == s.help

    add_arguments(p, Settings(s for s in settings if shared(MODEL, s)), "estimator and critic")
    add_arguments(p, Settings(s for s in settings if shared(TRAINING, s)), "training")
    own = Settings(s for s in settings if not (shared(MODEL, s) or shared(TRAINING, s) or shared(RUNTIME, s)))
    if own:
        add_arguments(p, own, own_title)
    add_arguments(p, Settings(s for s in settings if shared(RUNTIME, s)), "runtime")


def add_output_arguments(p: argparse.ArgumentParser, plot: bool = False) -> None:
    if plot:
        p.add_argument("--plot", metavar="OUT.png", default=None, help="also save the result's figure here")
    p.add_argument("--json", dest="json_out", metavar="OUT.json", required=True,
                   help="write the result as JSON here (atomically)")


def load_selection(args: argparse.Namespace) -> Any:
    """The :class:`~neuralmi_core.io.select.Selection` of X (and Y) that ``args`` names (window, lag), its
    samples checked here so that an error names the file (not just ``x``)."""
    from ..io.select import select_xy

    y_spec = getattr(args, "y", None) or None
    sel = select_xy(args.x, y_spec, window=args.window, lag=args.lag)
    sel.x = as_2d_samples("X", sel.x, source=args.x)
    sel.y = None if sel.y is None else as_2d_samples("Y", sel.y, source=y_spec)
    return sel


def load_inputs(args: argparse.Namespace) -> tuple[Any, Any, dict[str, Any]]:
    """X, Y (None when not given) and the selection's provenance (see :func:`~neuralmi_core.io.select.select_xy`)."""
    sel = load_selection(args)
    return sel.x, sel.y, sel.provenance()


def write_result(args: argparse.Namespace, res: Any, selection: dict[str, Any]) -> None:
    """Write ``res.to_dict()`` with the inputs and the selection to ``--json``; save ``--plot``; say where."""
    out = res.to_dict()
    out["inputs"] = {"x": args.x, "y": getattr(args, "y", None)}
    out["selection"] = selection
    write_json(args.json_out, out)
    if getattr(args, "plot", None):
        res.plot().savefig(args.plot, dpi=120, bbox_inches="tight")
    print(f"{res.summary_line()} -> {args.json_out}", file=sys.stderr)  # warnings: printed by cli.main

__all__ = ["NeuralMIError", "add_data_arguments", "add_output_arguments", "add_settings_arguments", "load_inputs",
           "write_json", "write_result"]
