"""Check (DIAGNOSIS.md section 46, issue 23 item 2): MIENF on two independent spike-count populations (MI = 0), with a
flow of each side (``context_side: none``, the default there) and with one side asked as the context of a conditional
flow of the other (``x``). Two populations of 20 Poisson neurons with Gaussian tuning curves (width 0.1, peak 2
spikes, baseline 0.1) to two independent uniform latents; N = 5000, random split, data and training seeds 0 and 1.

    OMP_NUM_THREADS=1 python benchmarks/diagnosis/x25_mienf_independent_counts.py
"""

import warnings

import numpy as np

import neuralmi_core as nmi

warnings.simplefilter("ignore")
for seed in range(2):
    rng = np.random.default_rng(seed)
    n = 5000
    la, lb = rng.random(n), rng.random(n)  # independent latents: the populations are independent
    centres = np.linspace(0, 1, 20)
    xa = rng.poisson(0.1 + 2 * np.exp(-0.5 * ((la[:, None] - centres) / 0.1) ** 2)).astype(float)
    xb = rng.poisson(0.1 + 2 * np.exp(-0.5 * ((lb[:, None] - centres) / 0.1) ** 2)).astype(float)
    for context in ("x", "none"):
        res = nmi.estimate(xa, xb, estimator="mienf", split="random", seed=seed, progress=False,
                           options={"context_side": context})
        print(f"seed {seed} context_side {context:4s} held-out {res.mi_nats:+.4f} nats, training subset "
              f"{res.mi_train_nats:+.4f}", flush=True)
