"""Issue 21, VAR TE under-read at N = 20,000 (DIAGNOSIS.md section 22): which term of the paired difference is low?

Process P, data set D of ``benchmarks/transfer.py`` (default draws: 2-10 channels, delays 1-5, seed 0); the TE at
the planted delay only (one-way), with the exact terms of the same windows beside the 1/N-extrapolated ones:
I(Y_past; Y_f) (reduced) and I(X_past, Y_past; Y_f) (full). Extra ``key=value`` arguments go to
``transfer_entropy`` (e.g. ``epochs=150``); ``scan=5`` scans delays 1-5 as ``transfer.py`` does and reads the
terms at the planted delay; ``windows_as=5`` trains the planted delay alone on the windows of a 1-5 scan (they
start later), to separate the window start from the reduced term's input.

    OMP_NUM_THREADS=1 python benchmarks/diagnosis/te2_terms.py 7 0
    OMP_NUM_THREADS=1 python benchmarks/diagnosis/te2_terms.py 7 0 epochs=150
    OMP_NUM_THREADS=1 python benchmarks/diagnosis/te2_terms.py 7 0 scan=5
    OMP_NUM_THREADS=1 python benchmarks/diagnosis/te2_terms.py 7 0 windows_as=5 weight_average=1
"""

import dataclasses
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from transfer import draw_process  # noqa: E402

import neuralmi_core.analysis.transfer.compute as te  # noqa: E402
from neuralmi_core.analysis.transfer import transfer_entropy, var_ground_truth  # noqa: E402
from neuralmi_core.analysis.transfer.compute import _fit, var_stationary_covariance  # noqa: E402
from neuralmi_core.distributions import gaussian_mi  # noqa: E402
from neuralmi_core.synth.var import simulate_var  # noqa: E402


def exact_terms(coef, s, src, tgt, delay):
    """(I(Y_past; Y_f), I(X_past, Y_past; Y_f)) with k_source = k_target = horizon = 1, from the VAR's
    stationary covariance: Y_f = v_t[tgt], Y_past = v_{t-1}[tgt], X_past = v_{t-delay}[src]."""
    d = s.shape[0]
    big = var_stationary_covariance(coef, s, delay + 1)
    fut, yp, xp = [c for c in tgt], [d + c for c in tgt], [delay * d + c for c in src]

    def mi(given):
        i = given + fut
        return gaussian_mi(big[np.ix_(i, i)], len(given))

    return mi(yp), mi(yp + xp)


def main() -> None:
    p_want, ds = int(sys.argv[1]), int(sys.argv[2])
    extra = {k: (float(v) if "." in v else int(v)) if v.replace(".", "").isdigit() else v
             for k, v in (a.split("=", 1) for a in sys.argv[3:])}
    rng = np.random.default_rng(0)
    for _p in range(p_want + 1):  # the draws of benchmarks/transfer.py's defaults
        dx, dy, u, coef, s = draw_process(rng, [2, 10], [1, 5])
    src, tgt = list(range(dx)), list(range(dx, dx + dy))
    truth = var_ground_truth(coef, s, src, tgt, delay=u)
    red, full = exact_terms(coef, s, src, tgt, u)
    v = simulate_var(coef, s, 20000, seed=1000 * p_want + ds)
    t0 = time.time()
    scan = extra.pop("scan", None)  # scan=5: delays 1-5 as in transfer.py, the terms read at the planted delay
    lo_as = extra.pop("windows_as", None)  # windows_as=5: train the planted delay alone on the windows of a 1-5 scan
    if lo_as:
        plain = te.build_windows

        def wider(x, y, z, *, delays, **kw):
            src, cond, fut = plain(x, y, z, delays=sorted({*delays, int(lo_as)}), **kw)
            return {k: v for k, v in src.items() if k in delays}, cond, fut

        te.build_windows = wider
    wavg = extra.pop("weight_average", None)  # weight_average=1: every member trains as estimate() does (section 26)
    if wavg:
        plain_term = te._train_term

        def averaged(blocks, gamma, seed, values, spec, cfg):
            return plain_term(blocks, gamma, seed, values, spec, dataclasses.replace(cfg, weight_average=True))

        te._train_term = averaged
    delays = list(range(1, int(scan) + 1)) if scan else [u]
    r = transfer_entropy(v[:, :dx], v[:, dx:], delays=delays, progress=False, **{"epochs": 50, "seed": ds, **extra})
    r.pairs = [m for m in r.pairs if m["delay"] == u]
    r.mi_nats, r.ci_low_nats, r.ci_high_nats = r.te_nats[delays.index(u)], r.ci_low[delays.index(u)], \
        r.ci_high[delays.index(u)]
    g = [m["gamma"] for m in r.pairs]
    fit = r.fit_settings
    f_full = _fit(g, [m["mi_full_nats"] for m in r.pairs], fit)
    f_red = _fit(g, [m["mi_reduced_nats"] for m in r.pairs], fit)
    per_gamma = {k: (float(np.mean([m["mi_full_nats"] for m in r.pairs if m["gamma"] == k])),
                     float(np.mean([m["mi_reduced_nats"] for m in r.pairs if m["gamma"] == k]))) for k in sorted(set(g))}
    out = {"process": p_want, "dataset": ds, "dx": dx, "dy": dy, "delay": u, "extra": extra, "delays": delays,
           "windows_as": lo_as, "weight_average": bool(wavg),
           "te_exact": truth, "te": r.mi_nats, "te_ci": [r.ci_low_nats, r.ci_high_nats],
           "full_exact": full, "full": f_full[:3], "reduced_exact": red, "reduced": f_red[:3],
           "per_gamma_full_reduced": per_gamma, "seconds": time.time() - t0}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
