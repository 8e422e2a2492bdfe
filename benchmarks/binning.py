"""Time and peak memory to bin 500 units x 1 h at 10 ms from a generated NWB file (prints a table).

Goal: < 10 s and peak memory < 3x the output tensor. Each stage runs in a fresh subprocess so the peak
resident memory (``VmHWM``) of that stage is its own; "RSS - base" subtracts the
resident memory after imports; the traced peak (``tracemalloc``, numpy buffers
included) is measured in a second run so tracing does not slow the timed one.

Usage::

    OMP_NUM_THREADS=1 python benchmarks/binning.py [--file /tmp/bench_500u_1h.nwb] [--units 500]
        [--duration 3600] [--bin-width 0.01]

The NWB file is generated once (about a minute) and reused when it exists.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path


def _proc_status_mb(key: str) -> float:
    """VmRSS / VmHWM of this process in MB (ru_maxrss would carry the parent's peak across fork+exec)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def measure(nwb_path: str, bin_width: float, out_nc: str, stage: str, trace: bool) -> dict:
    import numpy as np

    from neuralmi_core.io import nwb as nwbio
    from neuralmi_core.io.binning import bin_spike_trains, make_grid
    from neuralmi_core.io.netcdf import write_netcdf
    from neuralmi_core.io.session import bin_session
    from neuralmi_core.io.units import read_units

    base = _proc_status_mb("VmRSS")
    if trace:
        tracemalloc.start()
    t0 = time.perf_counter()
    info: dict = {}
    if stage == "bin_spike_trains":
        with nwbio.open_nwb(nwb_path) as f:
            units = read_units(f)
        t1 = time.perf_counter()
        grid = make_grid(
            float(units.spike_times.min()), float(units.spike_times.max()), bin_width, units.resolution
        )
        counts = bin_spike_trains(units.spike_times, units.ends, grid)
        info = {
            "read_s": t1 - t0,
            "n_spikes": int(units.spike_times.size),
            "out_mb": counts.nbytes / 2**20,
            "shape": list(counts.shape),
            "dtype": str(counts.dtype),
            "total": int(counts.sum(dtype=np.int64)),
        }
    elif stage == "bin_session":
        ds = bin_session(nwb_path, {"behavior": {}, "trials": None}, bin_width=bin_width)
        info = {
            "out_mb": ds.spikes.nbytes / 2**20,
            "shape": list(ds.spikes.shape),
            "dtype": str(ds.spikes.dtype),
        }
    elif stage == "bin_session+write":
        ds = bin_session(nwb_path, {"behavior": {}, "trials": None}, bin_width=bin_width)
        t1 = time.perf_counter()
        write_netcdf(ds, out_nc)
        info = {
            "out_mb": ds.spikes.nbytes / 2**20,
            "write_s": time.perf_counter() - t1,
            "file_mb": os.path.getsize(out_nc) / 2**20,
        }
    seconds = time.perf_counter() - t0
    traced = tracemalloc.get_traced_memory()[1] / 2**20 if trace else float("nan")
    return {
        "stage": stage,
        "seconds": seconds,
        "traced_peak_mb": traced,
        "rss_peak_mb": _proc_status_mb("VmHWM"),
        "rss_base_mb": base,
        **info,
    }


def _run_child(args: argparse.Namespace, stage: str, trace: bool) -> dict:
    cmd = [
        sys.executable,
        __file__,
        "--child",
        stage,
        "--file",
        args.file,
        "--bin-width",
        str(args.bin_width),
    ]
    if trace:
        cmd.append("--trace")
    res = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--file", default="/tmp/bench_500u_1h.nwb")
    p.add_argument("--units", type=int, default=500)
    p.add_argument("--duration", type=float, default=3600.0)
    p.add_argument("--rate", type=float, default=6.0, help="mean firing rate (Hz); 6 Hz gives ~10.6 M spikes")
    p.add_argument("--bin-width", type=float, default=0.01)
    p.add_argument("--child", default=None, help=argparse.SUPPRESS)
    p.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        out_nc = str(Path(args.file).with_suffix(".binned.nc"))
        print(json.dumps(measure(args.file, args.bin_width, out_nc, args.child, args.trace)))
        return

    if not Path(args.file).exists():
        from neuralmi_core.synth import generate_session

        t0 = time.perf_counter()
        generate_session(
            args.file,
            seed=0,
            sidecar=False,
            duration_s=args.duration,
            n_units_a=args.units // 2,
            n_units_b=args.units - args.units // 2,
            mean_rate_hz=args.rate,
            n_unobserved_units=0,
            behavior_rate=30.0,
        )
        print(f"generated {args.file} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    size_mb = os.path.getsize(args.file) / 2**20
    rows = []
    for stage in ("bin_spike_trains", "bin_session", "bin_session+write"):
        timed = _run_child(args, stage, trace=False)
        traced = _run_child(args, stage, trace=True)
        timed["traced_peak_mb"] = traced["traced_peak_mb"]
        rows.append(timed)
    print(
        f"\nbinning benchmark: {args.file} ({size_mb:.0f} MB), {args.units} units x {args.duration:.0f} s, "
        f"bin {args.bin_width} s; n_spikes={rows[0]['n_spikes']:,}; output {rows[0]['shape']} "
        f"{rows[0]['dtype']} = {rows[0]['out_mb']:.0f} MB"
    )
    print(
        f"{'stage':<20} {'seconds':>8} {'traced peak MB':>15} {'x output':>9} {'RSS peak MB':>12} "
        f"{'RSS - base MB':>14} {'x output':>9}"
    )
    for r in rows:
        out = r["out_mb"]
        extra = r["rss_peak_mb"] - r["rss_base_mb"]
        print(
            f"{r['stage']:<20} {r['seconds']:>8.2f} {r['traced_peak_mb']:>15.0f} "
            f"{r['traced_peak_mb'] / out:>9.2f} "
            f"{r['rss_peak_mb']:>12.0f} {extra:>14.0f} {extra / out:>9.2f}"
        )
    w = rows[-1]
    print(
        f"(read of spike trains in bin_spike_trains stage: {rows[0]['read_s']:.2f} s; netCDF write: "
        f"{w['write_s']:.2f} s -> {w['file_mb']:.1f} MB compressed)"
    )
    print("goal: < 10 s and peak memory < 3x output tensor")


if __name__ == "__main__":
    main()
