"""Command-line interface ``neuralmi``: one module per subcommand.

Each subcommand module defines ``NAME``, ``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``;
every registered analysis (:mod:`neuralmi_core.analysis.registry`) is a subcommand too, with its
declared settings as flags (:mod:`.analysis`). Errors of input (``NeuralMIError``) print one clear line
and exit with status 2, writing nothing. The library's
warnings (``NeuralMIWarning``) are printed once each, after the command's own output.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import warnings

from .._version import __version__
from ..validation import NeuralMIError, NeuralMIWarning

BEFORE = ("estimate",)  # the analyses of the registry come next
AFTER = ("transfer", "conditional", "gather", "bin", "demo_archive", "report", "study")


def _load(name: str):
    try:
        return importlib.import_module(f"{__name__}.{name}")
    except ModuleNotFoundError as exc:
        if exc.name == f"{__name__}.{name}":
            return None  # subcommand not installed in this build
        raise


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="neuralmi",
        description="Bias-corrected neural mutual information (nats/bits) and latent dimensionality.",
    )
    parser.add_argument("--version", action="version", version=f"neuralmi {__version__}")
    from ..analysis.registry import REGISTRY
    from .analysis import subcommand

    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    commands = [_module_command(n) for n in BEFORE] + [subcommand(a) for a in REGISTRY.values()]
    commands += [_module_command(n) for n in AFTER]
    for command in commands:
        if command is None:
            continue
        name, help_, description, add, run = command
        aliases = [a.name for a in REGISTRY.values() if a.command == name and a.name != name]
        p = sub.add_parser(name, aliases=aliases, help=help_, description=description,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        add(p)
        p.set_defaults(_run=run)
    return parser


def _module_command(name: str):
    module = _load(name)
    if module is None:
        return None
    return module.NAME, module.HELP, module.__doc__, module.add_arguments, module.run


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args._argv = list(sys.argv[1:] if argv is None else argv)  # the command line, for provenance records
    error = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", NeuralMIWarning)
        try:
            status = int(args._run(args) or 0)
        except NeuralMIError as exc:
            error = exc
    # printed after the recording context: inside it, warnings.showwarning is the recorder itself, so
    # showing a non-neuralmi warning (e.g. pynwb's) would append to `caught` while it is iterated, forever
    _print_warnings(caught)
    if error is not None:
        print(f"neuralmi {args.command}: error: {error}", file=sys.stderr)
        return 2
    return status


def _print_warnings(caught: list[warnings.WarningMessage]) -> None:
    """Print the library's warnings once each (``warning: ...``); show any other warning as Python would."""
    seen: set[str] = set()
    for w in caught:
        if issubclass(w.category, NeuralMIWarning):
            text = str(w.message)
            if text not in seen:
                seen.add(text)
                print(f"warning: {text}", file=sys.stderr)
        else:
            warnings.showwarning(w.message, w.category, w.filename, w.lineno)
    caught.clear()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
