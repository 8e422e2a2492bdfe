"""Write workflow reports from gathered results (MI in bits by default; every field names its unit).

  neuralmi report session --session ID --result NAME MODE PATH [--result ...] [--selection NAME PATH ...]
      [--pair NAME NETWORK X Y ...] [--binned binned.nc] [--source SESSION.nwb] [--truth TRUTH.json] [--unit bits|nats] [--config-hash H]
      [--config-version V] --html report.html --json summary.json [--figures DIR/NAME_MODE.png ...]
  neuralmi report archive SUMMARY.json... [--unit bits|nats] [--csv summary.csv] [--html summary.html]
      [--study study.nc]

`session` builds a self-contained report.html (figures embedded as PNG), a machine-readable
summary.json and, optionally, the figures as PNG files (each path must end in ANALYSIS_MODE.png). A
--selection record (written by the workflow's check after binning) adds what each analysis measured:
selectors and their units, window, lag, bins used and dropped, and flags inputs without signal. A --pair
names an analysis as one pair of a `pairs:` network: the page shows the network as one matrix.
`archive` turns the sessions' summary.json files into one summary.csv and summary.html (forest plot of
the corrected MI per session, saturation dims, sortable and filterable tables; works offline).

summary.json / summary.csv fields added in this version: subject, no_signal, saturation_dim (the
headline, s = 1), selections and session_warnings (summary.json); the saturation_dim_s<s> columns
follow the library's strictness keys (s0.1, s1, s15 for the defaults).
"""

from __future__ import annotations

import argparse
import sys

NAME = "report"
HELP = "write per-session reports and the archive summary from gathered results"


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="report_kind", metavar="KIND", required=True)
    s = sub.add_parser("session", help="one session's report.html + summary.json (+ figures)")
    s.add_argument("--session", required=True, help="session id")
    s.add_argument("--result", nargs=3, action="append", metavar=("NAME", "MODE", "PATH"), default=[],
                   help="a gathered result: analysis name, mode (rigorous|dimensionality), JSON path; repeatable")
    s.add_argument("--selection", nargs=2, action="append", metavar=("NAME", "PATH"), default=[],
                   help="selection record of an analysis (JSON written by the workflow's check_selection rule); "
                   "repeatable")
    s.add_argument("--contrast", nargs=3, action="append", metavar=("NAME", "A", "B"), default=[],
                   help="show the contrast of conditions A and B of analysis NAME (the results of NAME__A and "
                   "NAME__B, rigorous mode): difference of MI with its CI and a two-sided test; repeatable")
    s.add_argument("--pair", nargs=4, action="append", metavar=("NAME", "NETWORK", "X", "Y"), default=[],
                   help="analysis NAME is the pair (X, Y) of the `pairs:` declaration NETWORK (the report shows "
                   "the declaration's pairs as one matrix); repeatable")
    s.add_argument("--binned", help="the session's binned netCDF file (data summary)")
    s.add_argument("--source", help="the session's NWB file (provenance)")
    s.add_argument("--truth", help="ground-truth JSON sidecar of a synthetic session")
    s.add_argument("--unit", choices=("bits", "nats"), default="bits", help="MI unit (default: bits)")
    s.add_argument("--config-hash", help="hash of the workflow config (provenance)")
    s.add_argument("--config-version", help="config_version of the workflow config (provenance)")
    s.add_argument("--html", required=True, help="output report.html")
    s.add_argument("--json", dest="json_out", required=True, help="output summary.json")
    s.add_argument("--figures", nargs="*", default=[], help="output figure paths, each ending in ANALYSIS_MODE.png")
    a = sub.add_parser("archive", help="summary.csv + summary.html over sessions")
    a.add_argument("summaries", nargs="+", metavar="SUMMARY.json", help="session summary.json files")
    a.add_argument("--unit", choices=("bits", "nats"), default="bits", help="MI unit (default: bits)")
    a.add_argument("--csv", help="output summary.csv (at least one of --csv and --html)")
    a.add_argument("--html", help="output summary.html")
    a.add_argument("--study", help="a study.nc (written by the study command): adds the pooled forest plots, the pooled network "
                   "matrices and the contrasts to summary.html")


def run(args: argparse.Namespace) -> int:
    from ..report import write_archive_summary, write_session_report
    from ..validation import NeuralMIError

    if args.report_kind == "session":
        summary = write_session_report(
            args.session, [tuple(r) for r in args.result], html_out=args.html, json_out=args.json_out,
            figures_out=args.figures, unit=args.unit, binned=args.binned, source=args.source, truth=args.truth,
            config_hash=args.config_hash, config_version=args.config_version,
            selections=[tuple(s) for s in args.selection], command=getattr(args, "_argv", None),
            contrasts=[tuple(c) for c in args.contrast], pairs=[tuple(p) for p in args.pair])
        print(f"{args.session}: {len(summary['analyses'])} result(s), {len(summary['warnings'])} warning(s) -> "
              f"{args.html}", file=sys.stderr)
    else:
        if args.csv is None and args.html is None:
            raise NeuralMIError("neuralmi report archive: give --csv, --html or both")
        if args.study is not None and args.html is None:
            raise NeuralMIError(f"neuralmi report archive: --study {args.study} is shown in summary.html; give --html")
        rows = write_archive_summary(args.summaries, csv_out=args.csv, html_out=args.html, unit=args.unit,
                                     study=args.study)
        print(f"{len(args.summaries)} session(s), {len(rows)} row(s) -> "
              f"{', '.join(p for p in (args.csv, args.html) if p)}", file=sys.stderr)
    return 0
