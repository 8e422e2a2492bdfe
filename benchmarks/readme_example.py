"""Wall time of each line of the library example (issue 26 item 9; docs/guide/library.md, the README shows its first lines).

    OMP_NUM_THREADS=2 .venv/bin/python benchmarks/readme_example.py [--skip-significance]

Prints one row per call with its wall time and the 1-minute load average before and after (a second busy
process slows torch on 2 cores by up to 15x: quote times measured with nothing else running).
"""

from __future__ import annotations

import argparse
import os
import time
import warnings


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--skip-significance", action="store_true", help="skip the significance line (99 surrogates)")
    args = ap.parse_args()
    import torch

    import neuralmi_core as nmi
    from neuralmi_core.samplers import CorrelatedGaussian

    warnings.simplefilter("ignore", nmi.NeuralMIWarning)
    x, y = CorrelatedGaussian(5, 5, mi_nats=1.0).sample(5000, seed=0)
    lines = [
        ("nmi.estimate(x, y)", lambda: nmi.estimate(x, y, estimator="infonce", critic="separable")),
        ('nmi.rigorous(x, y, gammas="1-10")', lambda: nmi.rigorous(x, y, gammas="1-10")),
        ("nmi.dimensionality(x, embedding_dims=[1, 2, 3, 4, 6, 8])",
         lambda: nmi.dimensionality(x, embedding_dims=[1, 2, 3, 4, 6, 8])),
        ("nmi.lag_sweep(x, y, lags=-0.05..0.05 step 0.01, bin_width=0.01)",
         lambda: nmi.lag_sweep(x, y, lags={"start": -0.05, "stop": 0.05, "step": 0.01}, bin_width=0.01)),
        ("nmi.significance(x, y, bin_width=0.01)", lambda: nmi.significance(x, y, bin_width=0.01)),
        ("nmi.contributions(x, y)", lambda: nmi.contributions(x, y)),
    ]
    print(f"torch threads {torch.get_num_threads()}, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}")
    print(f"{'line':62s} {'wall s':>8s} {'load before':>11s} {'load after':>10s}")
    total = 0.0
    for name, call in lines:
        if args.skip_significance and name.startswith("nmi.significance"):
            continue
        load0 = os.getloadavg()[0]
        t0 = time.perf_counter()
        call()
        dt = time.perf_counter() - t0
        total += dt
        print(f"{name:62s} {dt:8.1f} {load0:11.2f} {os.getloadavg()[0]:10.2f}", flush=True)
    print(f"{'total':62s} {total:8.1f}")


if __name__ == "__main__":
    main()
