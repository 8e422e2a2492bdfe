"""Issue 21, DIAGNOSIS.md section 39: TE's interval on spikes, counted against an exact TE.

Section 37 could not count the coverage of TE's interval on Poisson GLM networks: they had no exact TE. With
an i.i.d. source (``simulate_glm(..., source_history=False)``, no drive) they have one
(:func:`neuralmi_core.synth.glm.glm_transfer_entropy`: the sum over the source's counts exact, the target's
stationary past by Monte Carlo over 400,000 bins, standard error under 1 % of TE). TE is that value at the
planted delay and 0 at every other delay.

Networks p = 0..P-1: 4-8 source and 4-8 target neurons, planted delay 1-3, gain 1.0, link probability 0.3,
simulation seed 200 + p; data sets k = 0..K-1 of 10,000 bins of 20 ms (``counts_seed = k``). Each data set runs
``transfer_entropy`` one way on delays [d, d + 1] (the planted one and a zero) with k_target 5 (the GLM's
history), k_source 1, 50 epochs (the VAR benchmark's setting) and ``seed = k``. Per delay the row keeps TE, the
headline CI (statistical and systematic parts in quadrature, what TE quotes since 2026-12-06) and the statistical
part alone (``shared``, what it quoted before), and the data set's own sample TE (the per-bin log ratio's mean on
its bins), which splits the error into the data set's part and the estimator's::

    OMP_NUM_THREADS=1 python benchmarks/diagnosis/te9_glm_exact.py --nets 0-4 --out a.jsonl &
    OMP_NUM_THREADS=1 python benchmarks/diagnosis/te9_glm_exact.py --nets 5-9 --out b.jsonl
    python benchmarks/diagnosis/te9_glm_exact.py --summary a.jsonl b.jsonl

Rows of 2026-12-06 (the default critic, separable): ``te9_glm_exact.jsonl``; with ``--critic poisson
--truths te9_glm_exact.jsonl`` (the target's future on the Poisson side): ``te9_glm_exact_poisson.jsonl``.

``--source gaussian`` (DIAGNOSIS.md section 40): a continuous source driving spiking targets. Networks p: 1-2
source channels, i.i.d. standard normal (``simulate_glm(..., source_law="gaussian")``), 4-8 target neurons,
delay 1-3, gain 0.5, link probability 0.5, seed 400 + p; the exact TE by quadrature over the
channels. Rows of 2026-12-07: ``te15_glm_gauss_separable.jsonl`` and ``te15_glm_gauss_poisson.jsonl``.

``--large`` (section 40): 5-7 source and 15-20 target spiking neurons, delay 1-3, gain 0.7, link probability 0.3
(25-34 links), seed 500 + p; the exact TE from 150,000 Monte Carlo bins (standard error about 1 % of TE). Rows of
2026-12-07 with the default critic (poisson on spikes): ``te16_glm_exact_large.jsonl``.

A file is resumed: (network, data set) pairs already in it are skipped.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from neuralmi_core.analysis.transfer import transfer_entropy  # noqa: E402
from neuralmi_core.analysis.transfer.compute import _fit  # noqa: E402
from neuralmi_core.analysis.transfer.declaration import TRANSFER_ENTROPY  # noqa: E402
from neuralmi_core.synth.glm import _resimulate, glm_te_log_ratio, simulate_glm  # noqa: E402

N_BINS = 10_000
_DEFAULTS = TRANSFER_ENTROPY.check({"estimator": "infonce", "critic": "auto"}, has_y=True)
FIT = {k: _DEFAULTS[k] for k in ("confidence", "delta", "min_gammas")}  # transfer_entropy's fit settings


def network(p: int, family: str = "poisson") -> dict:
    """Network p's ``simulate_glm`` settings: ``family`` "poisson" (section 39), "gaussian" (a continuous source,
    ``--source gaussian``) or "large" (15-20 target neurons, ``--large``)."""
    if family == "large":
        rng = np.random.default_rng(3000 + p)
        return {"n_source": int(rng.integers(5, 8)), "n_target": int(rng.integers(15, 21)),
                "delay": int(rng.integers(1, 4)), "gain": 0.7, "p_link": 0.3, "source_history": False,
                "seed": 500 + p}
    if family == "gaussian":
        rng = np.random.default_rng(2000 + p)
        return {"n_source": int(rng.integers(1, 3)), "n_target": int(rng.integers(4, 9)),
                "delay": int(rng.integers(1, 4)), "gain": 0.5, "p_link": 0.5, "source_history": False,
                "source_law": "gaussian", "seed": 400 + p}
    rng = np.random.default_rng(1000 + p)
    return {"n_source": int(rng.integers(4, 9)), "n_target": int(rng.integers(4, 9)), "delay": int(rng.integers(1, 4)),
            "gain": 1.0, "source_history": False, "seed": 200 + p}


def truth_terms(p: int, family: str = "poisson", n_bins: int = 400_000) -> dict:
    """Exact TE (glm_transfer_entropy's computation) and the two terms it is the difference of.

    full = I(x_{t-d}, y_past; y_t), reduced = I(y_past; y_t): each is the mean log-likelihood given its
    condition minus the mean log p(y_t), whose marginal is the plug-in frequency of the target's count vectors
    over the long run (bias about (vectors - 1) / (2 n_bins), under 1e-3 nats here).
    """
    net = _resimulate(simulate_glm(100, counts_seed=0, **network(p, family)), n_bins, 999_999, 200)
    log_full, log_red = glm_te_log_ratio(net, parts=True)
    y = net.y[max(net.history_filter.size, net.delay) :]
    _, inv, cnt = np.unique(y, axis=0, return_inverse=True, return_counts=True)
    log_marg = np.log(cnt[inv.ravel()] / y.shape[0])
    r = log_full - log_red
    return {"truth": float(r.mean()), "truth_se": float(r.std(ddof=1) / np.sqrt(r.size)),
            "full": float((log_full - log_marg).mean()), "reduced": float((log_red - log_marg).mean()),
            "target_vectors": int(cnt.size)}


def run(p: int, k: int, truth: dict, critic: str = "auto", family: str = "poisson") -> dict:
    kw = network(p, family)
    net = simulate_glm(N_BINS, counts_seed=k, **kw)
    d = kw["delay"]
    t0 = time.perf_counter()
    r = transfer_entropy(net.x, net.y, critic=critic, delays=[d, d + 1], bidirectional=False, epochs=50,
                         k_target=5, progress=False, seed=k)
    shared = []
    for u in (d, d + 1):
        m = [q for q in r.pairs if q["delay"] == u]
        _, lo, hi, _ = _fit([q["gamma"] for q in m], [q["diff_nats"] for q in m], r.fit_settings)
        shared.append([lo, hi])
    return {"net": p, "data": k, "critic": critic, **{key: kw[key] for key in ("n_source", "n_target", "delay")},
            "links": len(net.links), "rate_hz": float((net.y if family == "gaussian" else net.counts).mean() / net.bin_s),
            **truth,
            "sample_te": float(glm_te_log_ratio(net).mean()), "te": list(r.te_nats), "pairs": r.pairs,
            "headline": [[a, b] for a, b in zip(r.ci_low, r.ci_high, strict=True)], "shared": shared,
            "peak": r.peak_delay, "seconds": time.perf_counter() - t0}


def append_row(path: Path, row: dict) -> None:
    """One JSON line, appended as soon as a run finishes (a stopped script resumes from its file)."""
    with path.open("a") as f:
        f.write(json.dumps(row) + "\n")


def _span(text: str) -> list[int]:
    a, _, b = text.partition("-")
    return list(range(int(a), int(b or a) + 1))


def summary(files: list[str]) -> None:
    rows = [json.loads(line) for f in files for line in Path(f).read_text().splitlines() if line.strip()]
    rows.sort(key=lambda r: (r["net"], r["data"]))
    print("| net | nx | ny | links | Hz | delay | data | truth | sample TE | TE | error | shared CI | headline CI "
          "| TE at d+1 (headline CI) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    cover = {"shared": [], "headline": []}
    zero = {"shared": [], "headline": []}
    err, est_part, data_part, hw = [], [], [], {"shared": [], "headline": []}
    for r in rows:
        t = r["truth"]
        e = r["te"][0] / t - 1
        err.append(e)
        est_part.append(r["te"][0] / r["sample_te"] - 1)
        data_part.append(r["sample_te"] / t - 1)
        for kind in cover:
            lo, hi = r[kind][0]
            cover[kind].append(lo <= t <= hi)
            hw[kind].append((hi - lo) / 2 / t)
            lo0, hi0 = r[kind][1]
            zero[kind].append(lo0 <= 0 <= hi0)
        (slo, shi), (hlo, hhi), (zlo, zhi) = r["shared"][0], r["headline"][0], r["headline"][1]
        print(f"| {r['net']} | {r['n_source']} | {r['n_target']} | {r['links']} | {r['rate_hz']:.1f} | {r['delay']} "
              f"| {r['data']} | {t:.4f} | {r['sample_te']:.4f} | {r['te'][0]:.4f} | {100 * e:+.1f} % "
              f"| [{slo:.4f}, {shi:.4f}]{'' if slo <= t <= shi else ' miss'} "
              f"| [{hlo:.4f}, {hhi:.4f}]{'' if hlo <= t <= hhi else ' miss'} "
              f"| {r['te'][1]:+.4f} [{zlo:+.4f}, {zhi:+.4f}] |")
    n = len(rows)
    err_a = np.abs(err)
    print(f"\n{n} (network, data set) pairs, {len({r['net'] for r in rows})} networks. TE at the planted delay: "
          f"median |error| {100 * np.median(err_a):.1f} % (signed {100 * np.median(err):+.1f} %), worst "
          f"{100 * err_a.max():.1f} %, within 10 %: {int((err_a <= 0.10).sum())} of {n}; estimator part (TE / "
          f"sample TE - 1) median {100 * np.median(est_part):+.1f} %, data set part (sample TE / truth - 1) "
          f"median {100 * np.median(data_part):+.1f} %, sd {100 * np.std(data_part, ddof=1):.1f} %")
    print("\nThe three 1/N fits of the planted delay's members (TE is the first): error against the exact TE, "
          "median over the rows [min, max]; and the reduced term's members against the exact I(y_past; y_t)")
    for col in ("diff_nats", "diff_train_nats", "diff_test_nats"):
        errs = []
        for r in rows:
            m = [q for q in r["pairs"] if q["delay"] == r["delay"]]
            te, *_ = _fit([q["gamma"] for q in m], [q[col] for q in m], FIT)
            errs.append(te / r["truth"] - 1)
        print(f"  {col:<16} {100 * np.median(errs):+6.1f} % [{100 * min(errs):+.1f}, {100 * max(errs):+.1f}]")
    terms = (("mi_full_nats", "full"), ("mi_reduced_nats", "reduced"))
    if any(r["target_vectors"] > 7500 for r in rows):  # --large: 15-20 target neurons
        print("  (the exact terms are not shown: the plug-in marginal of the target's count vectors, which both "
              "terms subtract, is biased when they take this many values; TE does not use it)")
        terms = ()
    for col, key in terms:
        g1 = [np.mean([q[col] for q in r["pairs"] if q["delay"] == r["delay"] and q["gamma"] == 1]) / r[key] - 1
              for r in rows]
        print(f"  {col:<16} at gamma 1 (not extrapolated) against the exact {key} term: {100 * np.median(g1):+.1f} % "
              f"[{100 * min(g1):+.1f}, {100 * max(g1):+.1f}]")
    for kind in cover:
        print(f"{kind:>8} CI: covers the truth at the planted delay in {sum(cover[kind])} of {n} "
              f"({100 * np.mean(cover[kind]):.0f} %), median half-width {100 * np.median(hw[kind]):.1f} % of TE; "
              f"contains 0 at delay d + 1 in {sum(zero[kind])} of {n}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nets", default="0-9")
    ap.add_argument("--data", default="0-2", help="data sets per network")
    ap.add_argument("--out", default="te9_glm_exact.jsonl")
    ap.add_argument("--critic", default="auto", help="transfer_entropy's critic (auto: separable)")
    ap.add_argument("--truths", nargs="*", default=[], metavar="JSONL",
                    help="rows whose exact terms are reused (the Monte Carlo takes 20-330 s per network)")
    ap.add_argument("--source", choices=("poisson", "gaussian"), default="poisson",
                    help="the source's law: spike counts (section 39) or continuous channels (section 40)")
    ap.add_argument("--large", action="store_true", help="15-20 target neurons (section 40)")
    ap.add_argument("--summary", nargs="+", metavar="JSONL")
    a = ap.parse_args()
    family = "large" if a.large else a.source
    if a.summary:
        summary(a.summary)
        return
    out = Path(a.out)
    done = set()
    if out.exists():
        done = {(r["net"], r["data"]) for r in map(json.loads, out.read_text().splitlines()) if r}
    known = {}
    for f in a.truths:
        for r in map(json.loads, Path(f).read_text().splitlines()):
            known[r["net"]] = {k: r[k] for k in ("truth", "truth_se", "full", "reduced", "target_vectors")}
    for p in _span(a.nets):
        todo = [k for k in _span(a.data) if (p, k) not in done]
        if not todo:
            continue
        t0 = time.perf_counter()
        truth = known.get(p) or truth_terms(p, family, n_bins=150_000 if family == "large" else 400_000)
        print(f"network {p} {network(p, family)}: exact TE {truth['truth']:.4f} +- {truth['truth_se']:.4f}, full "
              f"{truth['full']:.4f}, reduced {truth['reduced']:.4f} ({time.perf_counter() - t0:.0f} s)", flush=True)
        for k in todo:
            row = run(p, k, truth, a.critic, family)
            append_row(out, row)
            print(f"  data set {k}: TE {row['te'][0]:.4f} headline {row['headline'][0]} shared {row['shared'][0]} "
                  f"sample {row['sample_te']:.4f} ({row['seconds']:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
