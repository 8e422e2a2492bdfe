"""Combine partial runs (one JSON per workflow cell) and fit exactly as one full call would.

  neuralmi gather rigorous PART.json [PART.json ...] [--confidence 0.68] [--extrapolate average|train|test] --json OUT
  neuralmi gather dimensionality PART.json [PART.json ...] [--strictness 0.1,1,15] --json OUT

The parts must come from the same X/Y (fingerprint), the same model and training settings; otherwise
the command names the differing settings and writes nothing. A (gamma, seed) or (embedding_dim, seed)
cell may appear in one part only. The output has the fields of `neuralmi rigorous --help` /
`neuralmi dimensionality --help`, with `inputs` from the first part and `parts` listing the files;
`seconds` is the sum over the parts.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..analysis.dimensionality import gather_dimensionality
from ..analysis.rigorous import gather_rigorous
from ..validation import NeuralMIError
from .common import add_output_arguments, write_json
from .dimensionality import parse_floats

NAME = "gather"
HELP = "combine partial rigorous / dimensionality runs and compute the fit"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("mode", choices=("rigorous", "dimensionality"), help="which analysis the parts belong to")
    p.add_argument("parts", nargs="+", metavar="PART.json", help="partial results written by the subcommand")
    p.add_argument("--confidence", type=float, default=None, help="rigorous: interval level (default: the parts')")
    p.add_argument("--extrapolate", choices=("average", "train", "test"), default=None,
                   help="rigorous: member MI to extrapolate (default: the parts')")
    p.add_argument("--strictness", type=parse_floats, default=None,
                   help="dimensionality: saturation strictness values (default: the parts')")
    add_output_arguments(p)


def _read(path: str) -> dict:
    p = Path(path)
    if not p.exists():
        raise NeuralMIError(f"gather: file not found: {p}")
    try:
        return json.loads(p.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise NeuralMIError(f"gather: could not read {p} as JSON ({type(exc).__name__}: {exc})") from exc


def run(args: argparse.Namespace) -> int:
    parts = [_read(p) for p in args.parts]
    if args.mode == "rigorous":
        res = gather_rigorous(parts, confidence=args.confidence, extrapolate=args.extrapolate, sources=args.parts)
    else:
        res = gather_dimensionality(parts, strictness=args.strictness, sources=args.parts)
    out = res.to_dict()
    out["inputs"] = parts[0].get("inputs")
    out["parts"] = list(args.parts)
    write_json(args.json_out, out)
    if args.mode == "rigorous":
        print(f"{len(res.members)} members from {len(parts)} parts: {res.mi_nats:.4f} nats "
              f"[{res.ci_low_nats:.4f}, {res.ci_high_nats:.4f}] -> {args.json_out}", file=sys.stderr)
    else:
        print(f"{len(res.members)} members from {len(parts)} parts: saturation dim {res.saturation_dim} (s=1) "
              f"-> {args.json_out}", file=sys.stderr)
    return 0
