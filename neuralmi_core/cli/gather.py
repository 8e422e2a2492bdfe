"""Combine partial runs (one JSON per workflow cell) and fit exactly as one full call would.

  neuralmi gather rigorous PART.json [PART.json ...] [--confidence 0.68] [--extrapolate average] --json OUT
  neuralmi gather dimensionality PART.json [PART.json ...] [--strictness 0.1,1,15] --json OUT
  neuralmi gather rigorous --skipped SELECTION.json --json OUT    # an analysis skipped in its session

Each analysis takes its fit settings here (the settings used only when cells are gathered; `neuralmi
gather ANALYSIS --help` lists them); one left out is taken from the parts, which must then agree on it.
The parts must come from the same X/Y (fingerprint) and the same model and training settings;
otherwise the command names the differing settings and writes nothing. A cell may appear in one part
only. The output has the fields of `neuralmi ANALYSIS --help`, with `inputs` and `selection` from the
first part and `parts` listing the files; `seconds` is the sum over the parts.

With `--skipped SELECTION.json` (the workflow's check record of an analysis with `required: false` whose signal
the session lacks) and no parts, the output is a result marked skipped: {"skipped": reason, "analysis",
"mode", "session", "selection": the record, "parts": []}; the session report shows "skipped: <reason>".
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..analysis.registry import REGISTRY
from ..settings import add_arguments as add_setting_arguments
from ..settings import from_args
from ..validation import NeuralMIError
from .common import add_output_arguments, write_json

NAME = "gather"
HELP = "combine partial runs of an analysis (one JSON per cell) and compute the fit"


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="mode", metavar="ANALYSIS", required=True)
    for name, analysis in REGISTRY.items():
        q = sub.add_parser(analysis.command, aliases=[name] if name != analysis.command else [],
                           help=f"gather {name} parts", description=__doc__,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        q.add_argument("parts", nargs="*", metavar="PART.json", help=f"partial results written by `neuralmi {name}`")
        q.add_argument("--skipped", metavar="SELECTION.json", default=None,
                       help="the selection record of an analysis skipped in its session (no parts): write a "
                            "result marked skipped with its reason")
        add_setting_arguments(q, analysis.stage("fit"), "fit settings (default: the parts')")
        add_output_arguments(q)


def _read(path: str) -> dict:
    p = Path(path)
    if not p.exists():
        raise NeuralMIError(f"gather: file not found: {p}")
    try:
        return json.loads(p.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise NeuralMIError(f"gather: could not read {p} as JSON ({type(exc).__name__}: {exc})") from exc


def skipped_result(record: dict, mode: str, source: str) -> dict:
    """The gathered result of an analysis skipped in its session, from its selection record."""
    reason = record.get("skipped") if isinstance(record, dict) else None
    if not reason:
        raise NeuralMIError(f"gather: {source} is not the record of a skipped analysis (no `skipped` reason); "
                            "expected the selection record the workflow's check wrote for it")
    return {"skipped": reason, "analysis": record.get("analysis"), "mode": mode, "session": record.get("session"),
            "selection": record, "parts": []}


def run(args: argparse.Namespace) -> int:
    analysis = REGISTRY[args.mode.replace("-", "_")]
    if args.skipped is not None:
        if args.parts:
            raise NeuralMIError(f"gather: --skipped {args.skipped} takes no parts; got {len(args.parts)}")
        out = skipped_result(_read(args.skipped), analysis.name, args.skipped)
        write_json(args.json_out, out)
        print(f"skipped: {out['skipped']} -> {args.json_out}", file=sys.stderr)
        return 0
    if not args.parts:
        raise NeuralMIError("gather: no PART.json given; expected the partial results of the cells (or --skipped "
                            "SELECTION.json for an analysis skipped in its session)")
    parts = [_read(p) for p in args.parts]
    res = analysis.gather_fn()(parts, sources=args.parts, **from_args(args, analysis.stage("fit")))
    out = res.to_dict()
    out["inputs"] = parts[0].get("inputs")
    out["selection"] = parts[0].get("selection")
    out["parts"] = list(args.parts)
    write_json(args.json_out, out)
    print(f"{len(res.members)} members from {len(parts)} parts: {res.summary_line()} -> {args.json_out}",
          file=sys.stderr)
    return 0
