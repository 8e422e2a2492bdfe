"""CPU seconds of estimate() per epoch and in total: defaults against deeper/wider critics (DIAGNOSIS.md §7).

    OMP_NUM_THREADS=1 python benchmarks/diagnosis/cost.py
"""

import time

import neuralmi_core as nmi
from neuralmi_core.suite import select_tasks

for name in ["student-df2-5x5", "gauss-sparse-25x25"]:
    x, y = select_tasks([name])[0].sampler.sample(5000, seed=0)
    for _rep in range(2):
        for opts in ({}, {"n_layers": 2}, {"hidden": 512, "n_layers": 2}):
            c0 = time.process_time()
            w0 = time.perf_counter()
            r = nmi.estimate(x, y, split="random", progress=False, seed=0, **opts)
            c = time.process_time() - c0
            ep = r.history["epochs_run"][0]
            print(name, opts, f"cpu {c:.1f}s wall {time.perf_counter() - w0:.1f}s epochs {ep} cpu/epoch {c / ep:.3f}s",
                  flush=True)
