"""Issue 21, DIAGNOSIS.md section 39: conditional MI on spike counts, against an exact value.

TE at the planted delay is a conditional MI: I(x_{t-d}; y_t | y_{t-5..t-1}). So the GLM networks of
``te9_glm_exact.py`` (i.i.d. source, exact TE) give conditional MI an exact value on spike counts: X = the source's
counts in bin t - d, Y = the target's counts in bin t, Z = the target's counts in the 5 bins before t (the GLM's
history). Each network's data set 0 runs ``conditional_mi`` (defaults: split blocked, gammas 1-5) with
``--critic`` (separable, the default, or poisson: Y's counts modelled given XZ and given Z), and ``--reduced-x``
(conditional MI's ``reduced_x``: ``none``, the default, trains the reduced term on Z alone; ``permuted`` puts X's
rows, shuffled, beside Z, as transfer entropy's reduced term does; DIAGNOSIS.md section 43). Rows go to a JSONL
file (resumed)::

    OMP_NUM_THREADS=1 python benchmarks/diagnosis/cmi3_glm_exact.py --critic separable --out a.jsonl &
    OMP_NUM_THREADS=1 python benchmarks/diagnosis/cmi3_glm_exact.py --critic poisson --out b.jsonl
    OMP_NUM_THREADS=1 python benchmarks/diagnosis/cmi3_glm_exact.py --critic poisson --reduced-x permuted --out c.jsonl
    python benchmarks/diagnosis/cmi3_glm_exact.py --summary a.jsonl b.jsonl
    python benchmarks/diagnosis/cmi3_glm_exact.py --compare a.jsonl b.jsonl c.jsonl   # beside TE, no training

The exact values are read from ``te9_glm_exact.jsonl`` (its ``truth`` per network).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from te9_glm_exact import N_BINS, _span, append_row, network  # noqa: E402

from neuralmi_core.analysis.transfer import conditional_mi  # noqa: E402
from neuralmi_core.synth.glm import simulate_glm  # noqa: E402

HERE = Path(__file__).resolve().parent


def windows(p: int, k: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    kw = network(p)
    net = simulate_glm(N_BINS, counts_seed=k, **kw)
    d, y = kw["delay"], net.y
    t = np.arange(max(5, d), y.shape[0])
    z = np.concatenate([y[t - j] for j in range(1, 6)], axis=1)
    return net.x[t - d], y[t], z


def summary(files: list[str]) -> None:
    rows = [json.loads(line) for f in files for line in Path(f).read_text().splitlines() if line.strip()]
    print("| critic | rows | median error (signed) | median \\|error\\| | within 10 % | 68 % CI covers | median "
          "half-width, share |")
    print("|---|---|---|---|---|---|---|")
    for critic in sorted({r["critic"] for r in rows}):
        rr = [r for r in rows if r["critic"] == critic]
        e = np.array([r["cmi"] / r["truth"] - 1 for r in rr])
        cov = sum(r["ci_low"] <= r["truth"] <= r["ci_high"] for r in rr)
        hw = np.median([(r["ci_high"] - r["ci_low"]) / 2 / r["truth"] for r in rr])
        print(f"| {critic} | {len(rr)} | {100 * np.median(e):+.1f} % | {100 * np.median(abs(e)):.1f} % | "
              f"{int((abs(e) <= 0.1).sum())} of {len(rr)} | {cov} of {len(rr)} | {100 * hw:.0f} % |")
    print("\nper network: exact, then each critic's CMI [68 % CI]")
    for p in sorted({r["net"] for r in rows}):
        rr = {r["critic"]: r for r in rows if r["net"] == p}
        t = next(iter(rr.values()))["truth"]
        print(f"  {p}: {t:.4f}  " + "  ".join(f"{c} {r['cmi']:.4f} [{r['ci_low']:.4f}, {r['ci_high']:.4f}]"
                                            for c, r in sorted(rr.items())))


def compare(files: list[str]) -> None:
    """Every configuration's error against the exact value and against the data set's own sample TE (the mean
    exact pointwise value over its bins, from ``te9_glm_exact.jsonl``), next to transfer entropy's rows at the
    planted delay on the same data set (``te9_glm_exact{,_poisson}.jsonl``, data set 0)."""
    rows = [json.loads(line) for f in files for line in Path(f).read_text().splitlines() if line.strip()]
    te = {}
    for name, critic in (("te9_glm_exact.jsonl", "separable"), ("te9_glm_exact_poisson.jsonl", "poisson")):
        for r in map(json.loads, (HERE / name).read_text().splitlines()):
            if r["data"] == 0:
                te[(f"TE, {critic}", r["net"])] = (r["te"][0] if isinstance(r["te"], list) else r["te"], r)
    sample = {net: r["sample_te"] for (_, net), (_, r) in te.items()}
    est = {(r["critic"] if r["critic"].startswith("TE") else f"CMI, {r['critic']}", r["net"]): r["cmi"] for r in rows}
    est.update({k: v for k, (v, _) in te.items()})
    print("| estimate (10 networks, data set 0) | median error vs exact | vs the data set's sample TE: median (signed) "
          "| median \\|.\\| | within 10 % of the sample TE |")
    print("|---|---|---|---|---|")
    for label in sorted({k for k, _ in est}):
        nets = sorted(n for k, n in est if k == label)
        truth = {r["net"]: r["truth"] for r in rows}
        e_t = np.array([est[(label, n)] / truth[n] - 1 for n in nets])
        e_s = np.array([est[(label, n)] / sample[n] - 1 for n in nets])
        print(f"| {label} | {100 * np.median(e_t):+.1f} % | {100 * np.median(e_s):+.1f} % | "
              f"{100 * np.median(abs(e_s)):.1f} % | {int((abs(e_s) <= 0.1).sum())} of {len(nets)} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--critic", default="separable")
    ap.add_argument("--reduced-x", default="none", choices=("none", "permuted"))
    ap.add_argument("--nets", default="0-9")
    ap.add_argument("--out", default="cmi3_glm_exact.jsonl")
    ap.add_argument("--summary", nargs="+", metavar="JSONL")
    ap.add_argument("--compare", nargs="+", metavar="JSONL", help="errors against the exact and the sample value, "
                    "beside transfer entropy's rows (no training)")
    a = ap.parse_args()
    if a.summary:
        summary(a.summary)
        return
    if a.compare:
        compare(a.compare)
        return
    truth = {r["net"]: r["truth"] for r in map(json.loads, (HERE / "te9_glm_exact.jsonl").read_text().splitlines())}
    out = Path(a.out)
    done = {r["net"] for r in map(json.loads, out.read_text().splitlines())} if out.exists() else set()
    for p in _span(a.nets):
        if p in done:
            continue
        x, y, z = windows(p)
        t0 = time.perf_counter()
        r = conditional_mi(x, y, z, critic=a.critic, reduced_x=a.reduced_x, progress=False, seed=0)
        label = a.critic if a.reduced_x == "none" else f"{a.critic}, reduced_x {a.reduced_x}"
        row = {"net": p, "critic": label, "truth": truth[p], "cmi": r.mi_nats, "ci_low": r.ci_low_nats,
               "ci_high": r.ci_high_nats, "seconds": time.perf_counter() - t0}
        append_row(out, row)
        print(f"network {p}: exact {truth[p]:.4f}, {label} {r.mi_nats:.4f} [{r.ci_low_nats:.4f}, "
              f"{r.ci_high_nats:.4f}] ({100 * (r.mi_nats / truth[p] - 1):+.1f} %, {row['seconds']:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
