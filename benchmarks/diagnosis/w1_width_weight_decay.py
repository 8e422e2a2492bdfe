"""Experiment (DIAGNOSIS.md section 18): the weight-decay penalty against the critic's width on the demo's network
rows (issue 20 item 4).

Runs rigorous() on every region pair (A-B, B-C coupled; A-C independent) and condition (rest, running) of the
demo's binned ephys sessions with the demo's `net` settings (infonce, separable 2 x 64 critic, embedding 16, 40
epochs, batch 256, patience 10, blocked split, gammas 1-5, one seed, min_gammas 4, min_chunk 500), once per
configuration, and appends one JSON line per run (MI, CI, members collapsed and retrained, reliable, seconds).

    bash scripts/demo.sh                                    # results/sub-0*_ses-01_ecephys/binned.nc
    OMP_NUM_THREADS=1 python benchmarks/diagnosis/w1_width_weight_decay.py --sessions 1,2,3 \\
        --configs '[{"weight_decay": 0.04}, {"weight_decay": 0.01}, {"hidden": 256}]' --out rows.jsonl
    python benchmarks/diagnosis/w1_width_weight_decay.py --summary rows.jsonl

``weight_decay`` is the setting as given: since the width scaling a 2 x 64 critic trains with 64/256 of it, so
0.04 reproduces the penalty it had before (an effective 0.01). The summary compares every configuration with
the 2 x 256 run of the same row (``{"hidden": 256}``, which must be among the configurations).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import warnings
from pathlib import Path

ROWS = (("B", "C"), ("A", "B"), ("A", "C"))
DEMO = dict(estimator="infonce", critic="separable", embedding_dim=16, hidden=64, n_layers=2, epochs=40,
            batch_size=256, patience=10, split="blocked", gammas=[1, 2, 3, 4, 5], seeds=[0], min_gammas=4,
            min_chunk=500, progress=False)


def run(results: Path, sessions: list[str], configs: list[dict], out: Path) -> None:
    import neuralmi_core as nmi
    from neuralmi_core.io.select import load_xy

    with out.open("a") as fh:
        for s in sessions:
            binned = results / f"sub-0{s}_ses-01_ecephys" / "binned.nc"
            for xr, yr in ROWS:
                for cond in ("rest", "running"):
                    x, y = load_xy(f"{binned}:spikes[region={xr}]@{cond}", f"{binned}:spikes[region={yr}]@{cond}")
                    for cfg in configs:
                        t = time.time()
                        with warnings.catch_warnings():
                            warnings.simplefilter("ignore")
                            r = nmi.rigorous(x, y, **{**DEMO, **cfg})
                        row = dict(session=s, pair=xr + yr, cond=cond, cfg=cfg, n=len(x), mi=r.mi_nats,
                                   lo=r.ci_low_nats, hi=r.ci_high_nats,
                                   collapsed=sum(int(c["timing"].get("collapsed", 0)) for c in r.cells),
                                   recovered=sum(int(c["timing"].get("retrained_without_weight_decay", 0))
                                                 for c in r.cells),
                                   n_members=len(r.members), reliable=r.reliable, flags=list(r.flags),
                                   sec=round(time.time() - t, 1))
                        fh.write(json.dumps(row) + "\n")
                        fh.flush()
                        print(s, xr + yr, cond, cfg, f"{r.mi_nats:.3f} [{r.ci_low_nats:.3f}, {r.ci_high_nats:.3f}]",
                              row["collapsed"], row["recovered"], row["sec"], flush=True)


def summary(paths: list[Path]) -> None:
    rows = [json.loads(line) for p in paths for line in p.open()]
    key = lambda r: json.dumps(r["cfg"], sort_keys=True)  # noqa: E731
    ref = {(r["session"], r["pair"], r["cond"]): r for r in rows if r["cfg"] == {"hidden": 256}}
    print("| configuration | rows with a collapse | members collapsed | coupled rows: MI / 2 x 256 median (min) "
          "| below 0.7 of it | A-C: CI contains 0 | unreliable | CPU s |")
    print("|---|---|---|---|---|---|---|---|")
    for k in sorted({key(r) for r in rows}):
        rs = [r for r in rows if key(r) == k]
        ratios = [r["mi"] / ref[(r["session"], r["pair"], r["cond"])]["mi"] for r in rs if r["pair"] != "AC"]
        ac = [r for r in rs if r["pair"] == "AC"]
        print(f"| {k} | {sum(r['collapsed'] > 0 for r in rs)} of {len(rs)} | "
              f"{sum(r['collapsed'] for r in rs)} of {sum(r['n_members'] for r in rs)} | "
              f"{statistics.median(ratios):.2f} ({min(ratios):.2f}) | {sum(x < 0.7 for x in ratios)} of {len(ratios)} | "
              f"{sum(r['lo'] <= 0 <= r['hi'] for r in ac)} of {len(ac)} | {sum(not r['reliable'] for r in rs)} | "
              f"{sum(r['sec'] for r in rs):.0f} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--results", type=Path, default=Path("results"))
    ap.add_argument("--sessions", default="1,2,3,4,5,6")
    ap.add_argument("--configs", default='[{"weight_decay": 0.04}, {"weight_decay": 0.01}, {"hidden": 256}]')
    ap.add_argument("--out", type=Path, default=Path("w1_rows.jsonl"))
    ap.add_argument("--summary", type=Path, nargs="*")
    a = ap.parse_args()
    if a.summary:
        summary(a.summary)
    else:
        run(a.results, a.sessions.split(","), json.loads(a.configs), a.out)


if __name__ == "__main__":
    main()
