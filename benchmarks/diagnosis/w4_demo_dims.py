"""Experiment (DIAGNOSIS.md section 19): the demo's dimensionality sweep of region A (issue 20 item 7).

Runs nmi.dimensionality on region A's spike counts of the demo's binned ephys sessions with the demo's settings
(SMILE, 2 x 64 critic, 40 epochs, batch 256, patience 10, blocked split, weight_decay 0.001, 2 halvings, seed 0,
embedding dims 1, 2, 4, 6) changed by each configuration, and appends one JSON line per run (saturation dim per
strictness, the curve as (dim, mean, sd) in nats, seconds).

    bash scripts/demo.sh
    OMP_NUM_THREADS=1 python benchmarks/diagnosis/w4_demo_dims.py 1,2,3 '[{}, {"seeds": [0, 1]}, {"n_splits": 4},
        {"embedding_dims": [1, 2, 3, 4, 5, 6]}]' rows.jsonl
"""

import json
import sys
import time
import warnings

import neuralmi_core as nmi
from neuralmi_core.io.select import load_xy

BASE = dict(estimator="smile", critic="separable", hidden=64, n_layers=2, epochs=40, batch_size=256, patience=10,
            split="blocked", weight_decay=0.001, n_splits=2, embedding_dims=[1, 2, 4, 6], seeds=[0], progress=False)


def main() -> None:
    sessions, configs, out = sys.argv[1].split(","), json.loads(sys.argv[2]), open(sys.argv[3], "a")
    for s in sessions:
        x, _ = load_xy(f"results/sub-0{s}_ses-01_ecephys/binned.nc:spikes[region=A]", None)
        for cfg in configs:
            t = time.time()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                r = nmi.dimensionality(x, **{**BASE, **cfg})
            curve = [(c["embedding_dim"], round(c["mean_nats"], 3), round(c["std_nats"], 3)) for c in r.curve]
            row = dict(session=s, cfg=cfg, saturation=r.saturation, curve=curve, sec=round(time.time() - t, 1))
            out.write(json.dumps(row) + "\n")
            out.flush()
            print(row, flush=True)


if __name__ == "__main__":
    main()
