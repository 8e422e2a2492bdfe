"""estimate() on population tasks at N = 5000, data set 1, with settings given as JSON (DIAGNOSIS.md section 12):

    OMP_NUM_THREADS=1 python benchmarks/diagnosis/p4_lr.py place2d-50-100ms,grid-60-3mod \
        '[{"critic": "poisson"}, {"critic": "poisson", "lr": 0.002}]'
"""

import json
import sys
import time

import neuralmi_core as nmi
from neuralmi_core.suite import select_tasks

tasks = sys.argv[1].split(",")
variants = json.loads(sys.argv[2])
for name in tasks:
    t = select_tasks([name])[0]
    x, y = t.sampler.sample(5000, seed=1)
    truth = t.sampler.mutual_information()
    for v in variants:
        w0 = time.perf_counter()
        r = nmi.estimate(x, y, split="random", progress=False, seed=1, **v)
        h = r.history
        print(name, v, f"truth {truth:.3f} mi {r.mi_nats:.3f} err {100*(r.mi_nats/truth-1):+.1f}% epochs {h['epochs_run'][0]} best {r.members[0].best_epoch} train {r.mi_train_nats:.3f} wall {time.perf_counter()-w0:.1f}s", flush=True)
