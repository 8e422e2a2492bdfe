"""Planning speed of the workflow: time and peak memory of `snakemake -n` over a large placeholder archive.

Generates N empty placeholder NWB files in DANDI layout (`sub-XXXX/sub-XXXX_ses-01_ecephys.nwb`; planning
never opens a recording, so empty files are enough), writes a config that points at them with the
analyses of `config.yaml` (and, as a second case, the schema's full defaults: gammas 1..10, eight
embedding dims), and times a dry run of the whole DAG. Goal: < 60 s for 1000 sessions.

    .venv/bin/python benchmarks/plan_scale.py                 # 1000 sessions
    .venv/bin/python benchmarks/plan_scale.py --sessions 200 --cases config
"""

from __future__ import annotations

import argparse
import copy
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def make_archive(root: Path, n: int) -> None:
    for i in range(n):
        sub = root / f"sub-{i + 1:04d}"
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"sub-{i + 1:04d}_ses-01_ecephys.nwb").touch()


def make_config(archive: Path, case: str) -> dict:
    with open(ROOT / "config.yaml") as fh:
        cfg = yaml.safe_load(fh)
    cfg["archive"] = str(archive)
    cfg["demo_archive"] = {"generate": False}
    if case == "defaults":  # the schema's defaults for the sweeps
        analyses = copy.deepcopy(cfg["analyses"])
        for an in analyses:
            an.pop("rigorous", None)
            an.pop("dimensionality", None)
        cfg["analyses"] = analyses
    return cfg


def snakemake_exe() -> str:
    local = Path(sys.executable).with_name("snakemake")
    return str(local) if local.exists() else (shutil.which("snakemake") or "snakemake")


def dry_run(workdir: Path, configfile: Path) -> tuple[float, float, int, str]:
    """Wall seconds, peak RSS (MB) and job count of `snakemake -n` in ``workdir``."""
    cmd = [snakemake_exe(), "-s", str(ROOT / "Snakefile"), "--directory", str(workdir), "--configfile",
           str(configfile), "-n", "--quiet", "rules", "--cores", "1"]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"snakemake -n failed ({proc.returncode}):\n{out[-3000:]}")
    m = re.search(r"^total\s+(\d+)", out, re.M)
    jobs = int(m.group(1)) if m else -1
    return wall, usage.ru_maxrss / 1024.0, jobs, out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sessions", type=int, default=1000, help="placeholder sessions (default: 1000)")
    p.add_argument("--cases", default="config,defaults",
                   help="comma-separated: config (analyses of config.yaml), defaults (schema sweeps)")
    p.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = p.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="neuralmi_plan_scale_"))
    rows = []
    try:
        t0 = time.perf_counter()
        make_archive(tmp / "archive", args.sessions)
        gen = time.perf_counter() - t0
        for case in args.cases.split(","):
            work = tmp / f"work_{case}"
            work.mkdir()
            cfgfile = work / "config.yaml"
            cfgfile.write_text(yaml.safe_dump(make_config(tmp / "archive", case), sort_keys=False))
            wall, rss, jobs, _ = dry_run(work, cfgfile)
            rows.append((case, args.sessions, jobs, wall, rss))
    finally:
        if args.keep:
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"placeholder archive: {args.sessions} sessions written in {gen:.1f} s")
    print(f"{'case':<10}{'sessions':>9}{'jobs':>8}{'snakemake -n (s)':>18}{'peak RSS (MB)':>15}{'goal <60 s':>12}")
    for case, n, jobs, wall, rss in rows:
        print(f"{case:<10}{n:>9}{jobs:>8}{wall:>18.1f}{rss:>15.0f}{'ok' if wall < 60 else 'MISSED':>12}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
