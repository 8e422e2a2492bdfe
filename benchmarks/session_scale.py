"""Session-scale speed (issue 10): one rigorous analysis and one dimensionality sweep of a synthetic session.

The session: ``--minutes`` of 10-ms bins (60 min = 360,000 bins) of ``--units`` Poisson units (500) whose
log-rates are smooth tuning curves of a 2-d behavioural signal (a random walk in a box) plus a shared
slow fluctuation; Y is the behavioural signal. Through the public API, with the library's defaults
(blocked split, copula preprocessing, automatic batch size):

- ``rigorous(x, y, gammas="1-10")``: one seed, 55 members in 10 cells;
- ``dimensionality(x)``: default embedding dims (1..16), 5 channel halvings.

Prints, per analysis: wall time and its breakdown summed over cells (preprocessing, host->device
transfer, training steps, evaluation, other trainer work, and the fit/gather outside the cells), the
work (epochs, optimiser steps, member-steps), peak memory (CUDA peak allocated on a GPU; the process's
peak RSS on the CPU, reset before each analysis where Linux allows) and the MI found.

    .venv/bin/python benchmarks/session_scale.py --minutes 2 --units 50       # a small session on a CPU
    python benchmarks/session_scale.py --device cuda                           # the full session on a GPU
    python benchmarks/session_scale.py --minutes 10 --units 200 --only rigorous --json out.json

Goals (issue 10, one H200, full session): rigorous <= 120 s, dimensionality <= 120 s.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time

import numpy as np


def make_session(minutes: float, units: int, bin_s: float = 0.01, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Spike counts (n_bins, units) float32 and a 2-d behavioural signal (n_bins, 2) float32."""
    rng = np.random.default_rng(seed)
    n = int(round(minutes * 60 / bin_s))
    steps = rng.standard_normal((n, 2)).astype(np.float32) * 0.02
    pos = np.cumsum(steps, axis=0)
    pos = np.abs((pos + 1.0) % 4.0 - 2.0) - 1.0  # reflect into the box [-1, 1]^2
    centres = rng.uniform(-1, 1, size=(units, 2)).astype(np.float32)
    width = rng.uniform(0.2, 0.6, size=units).astype(np.float32)
    base = np.log(rng.uniform(1.0, 15.0, size=units).astype(np.float32) * bin_s)  # 1-15 Hz
    slow = np.cumsum(rng.standard_normal(n).astype(np.float32) * 0.01)
    slow = (slow - slow.mean()) / (slow.std() + 1e-6) * 0.3
    x = np.empty((n, units), dtype=np.float32)
    chunk = 20000
    for s in range(0, n, chunk):
        p = pos[s: s + chunk]
        d2 = ((p[:, None, :] - centres[None]) ** 2).sum(-1)  # (b, units)
        log_rate = base[None] + 1.5 * np.exp(-d2 / (2 * width[None] ** 2)) + slow[s: s + chunk, None]
        x[s: s + chunk] = rng.poisson(np.exp(log_rate)).astype(np.float32)
    return x, pos.astype(np.float32)


class Peak:
    """Peak memory of a phase: CUDA peak allocated, else the process's peak RSS (VmHWM, reset if possible)."""

    def __init__(self, device: str):
        import torch

        self.cuda = device.startswith("cuda") and torch.cuda.is_available()

    def reset(self) -> None:
        import torch

        if self.cuda:
            torch.cuda.reset_peak_memory_stats()
            return
        try:
            with open("/proc/self/clear_refs", "w") as fh:
                fh.write("5")  # resets VmHWM to the current RSS (Linux >= 4.0)
        except OSError:
            pass

    def read_mb(self) -> tuple[float, str]:
        import torch

        if self.cuda:
            return torch.cuda.max_memory_allocated() / 2**20, "CUDA peak allocated"
        try:
            with open("/proc/self/status") as fh:
                for line in fh:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1]) / 1024, "peak RSS"
        except OSError:
            pass
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "peak RSS (process)"


def breakdown(res, seconds: float) -> dict:
    keys = ("preprocess_s", "transfer_s", "train_s", "eval_s", "other_s")
    out = {k: sum(c.get("timing", {}).get(k, 0.0) for c in res.cells) for k in keys}
    out["fit_and_gather_s"] = seconds - sum(c["seconds"] for c in res.cells)
    for k in ("epochs", "steps", "member_steps"):
        out[k] = sum(c.get("timing", {}).get(k, 0) for c in res.cells)
    out["batch_sizes"] = sorted({c.get("batch_size") for c in res.cells if c.get("batch_size")})
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--minutes", type=float, default=60.0)
    p.add_argument("--units", type=int, default=500)
    p.add_argument("--device", default="auto")
    p.add_argument("--only", choices=("rigorous", "dimensionality"), default=None)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--set", action="append", metavar="KEY=JSON", help="extra API keyword for both, e.g. epochs=50")
    p.add_argument("--json", default=None)
    args = p.parse_args(argv)
    import neuralmi_core as nmi  # first: it picks OpenMP's wait policy before torch starts OpenMP
    from neuralmi_core.training import resolve_device

    torch = sys.modules["torch"]

    device = str(resolve_device(args.device))
    t0 = time.perf_counter()
    x, y = make_session(args.minutes, args.units)
    gen_s = time.perf_counter() - t0
    extra = {k: json.loads(v) for k, v in (item.partition("=")[::2] for item in args.set or [])}
    load = os.getloadavg()
    print(f"session_scale: {x.shape[0]:,} bins x {x.shape[1]} units vs 2-d behaviour (generated in {gen_s:.1f} s); "
          f"device {device}, torch {torch.__version__}, threads {args.threads or 'default'}, load average "
          f"{load[0]:.2f}")
    peak = Peak(device)
    rows = []
    for name in ("rigorous", "dimensionality"):
        if args.only and name != args.only:
            continue
        peak.reset()
        t0 = time.perf_counter()
        kw = dict(extra, device=args.device, progress=False)
        if args.threads is not None:
            kw["threads"] = args.threads
        if name == "rigorous":
            res = nmi.rigorous(x, y, gammas="1-10", **kw)
            found = (f"{res.mi_bits:.3f} bits [{res.ci_low_nats / math.log(2):.3f}, "
                     f"{res.ci_high_nats / math.log(2):.3f}], naive {res.naive_mi_nats / math.log(2):.3f}")
        else:
            res = nmi.dimensionality(x, **kw)
            found = (f"saturation dim {res.saturation_dim} (s=1; {res.saturation}); max MI "
                     f"{max(r['mean_nats'] for r in res.curve) / math.log(2):.3f} bits")
        seconds = time.perf_counter() - t0
        mem, mem_kind = peak.read_mb()
        row = {"analysis": name, "seconds": seconds, "peak_mb": mem, "peak_kind": mem_kind, "found": found,
               **breakdown(res, seconds)}
        rows.append(row)
        print(f"\n{name}: {seconds:.1f} s, {mem:.0f} MB {mem_kind}; found {found}")
        print(f"  {'preprocess':>11}{'transfer':>10}{'train':>9}{'eval':>9}{'other':>9}{'fit+gather':>12}"
              f"{'epochs':>8}{'steps':>8}{'member-steps':>14}  batch")
        print(f"  {row['preprocess_s']:>11.2f}{row['transfer_s']:>10.2f}{row['train_s']:>9.2f}{row['eval_s']:>9.2f}"
              f"{row['other_s']:>9.2f}{row['fit_and_gather_s']:>12.2f}{row['epochs']:>8}{row['steps']:>8}"
              f"{row['member_steps']:>14}  {row['batch_sizes']}", flush=True)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"bins": x.shape[0], "units": x.shape[1], "device": device, "rows": rows}, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
