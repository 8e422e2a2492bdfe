"""Dimensionality on spike-count populations with a known latent dimension (issue 20 item 7). Not a test.

    OMP_NUM_THREADS=1 python benchmarks/dimensionality_suite.py --json dims.json            # the whole grid
    OMP_NUM_THREADS=1 python benchmarks/dimensionality_suite.py --only demo-40u-3+2-20ms    # one row
    python benchmarks/dimensionality_suite.py --from dims.json                               # table again

Rows:

* ``demo-*``: the demo generator's model (:mod:`neuralmi_core.synth.model`, region A's spike counts binned at
  the given width; its latent has ``n_shared + n_private_a`` dims, all of which both random halves of A see),
  at several population sizes, latent dims and bin widths. Truth: the latent dimension.
* tuned families (:mod:`neuralmi_core.populations`): place cells on a track (manifold dim 1), in an arena
  (2), head-direction cells (a circle: 1-d, but an embedding that keeps it needs 2). Truth: the smallest
  embedding of the encoded variable.
* ``noise-*``: independent Poisson counts: no shared information; any dim is a false alarm.

Every row runs :func:`neuralmi_core.dimensionality` (internal information, the demo's settings: SMILE, hidden 64,
40 epochs, batch 256, patience 10, blocked split for the time series and random for i.i.d. samples,
embedding dims 1-6 and 8, 3 halvings) and keeps every member, from which two saturation rules are scored:

* ``spread`` (the library's rule, NeuralMI's): stop at the first dim whose mean gain is below s times the
  standard deviation over halvings at that dim;
* ``paired``: the same, with the standard deviation of the *paired* gains (each halving's MI at d_k minus the
  same halving's MI at d_{k-1}): every dim is trained on the same halvings, and most of the spread over
  halvings (which units land in which half) is common to all dims.

Both at s = 1 (the headline strictness); "no shared information" is the library's
:func:`~neuralmi_core.analysis.saturation.indistinguishable_from_zero`.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

import numpy as np

DIMS = [1, 2, 3, 4, 5, 6, 8]
SETTINGS = {"estimator": "smile", "hidden": 64, "epochs": 40, "batch_size": 256, "patience": 10, "n_splits": 3,
            "seeds": [0], "progress": False}


def demo_counts(units: int, shared: int, private: int, bin_s: float, duration: float, seed: int) -> np.ndarray:
    """Region A's spike counts (bins, units) of one simulated demo session."""
    from neuralmi_core.synth.model import SynthParams, simulate_session

    p = SynthParams(duration_s=duration, n_units_a=units, n_units_b=4, n_shared=shared, n_private_a=private,
                    n_private_b=0, n_unobserved_units=0)
    data = simulate_session(p, seed)
    edges = np.arange(0.0, duration + bin_s / 2, bin_s)
    rows = [np.histogram(t, edges)[0] for t, r in zip(data.spike_times, data.region, strict=True) if r == "A"]
    return np.stack(rows, axis=1).astype(float)


def rows_grid() -> list[dict]:
    from neuralmi_core import populations as P

    rows = []
    for units, shared, private, bin_ms, dur in [(40, 3, 2, 20, 300), (40, 3, 2, 50, 300), (80, 3, 2, 20, 300),
                                                (160, 3, 2, 20, 300), (40, 3, 2, 20, 1200), (40, 2, 0, 20, 300),
                                                (80, 4, 2, 20, 600)]:
        rows.append({"name": f"demo-{units}u-{shared}+{private}-{bin_ms}ms-{dur}s", "truth": shared + private,
                     "kind": "demo", "args": (units, shared, private, bin_ms / 1000, dur), "split": "blocked"})
    for name, sampler, truth in [("place1d-40-50ms", P.PlaceCells1D(40, n_untuned=10, bin_s=0.05), 1),
                                 ("place2d-50-100ms", P.PlaceCells2D(50, bin_s=0.1), 2),
                                 ("hd-40-25ms", P.HeadDirectionCells(40, bin_s=0.025), 2)]:
        rows.append({"name": name, "truth": truth, "kind": "tuned", "sampler": sampler, "split": "random"})
    rows.append({"name": "noise-40u-0.2", "truth": 0, "kind": "noise", "args": (40, 0.2), "split": "random"})
    rows.append({"name": "noise-40u-1.0", "truth": 0, "kind": "noise", "args": (40, 1.0), "split": "random"})
    return rows


def data_of(row: dict, seed: int) -> np.ndarray:
    if row["kind"] == "demo":
        return demo_counts(*row["args"], seed=seed)
    if row["kind"] == "tuned":
        x, _ = row["sampler"].sample(5000, seed=seed)
        return x
    units, rate = row["args"]
    return np.random.default_rng(seed).poisson(rate, (5000, units)).astype(float)


def rules(members: list[dict], strictness: float = 1.0) -> dict:
    """Saturation dim by the spread rule and by the paired rule, from a result's members."""
    from neuralmi_core.analysis.saturation import curve_summary, indistinguishable_from_zero, saturation_dim

    dims = sorted({m["embedding_dim"] for m in members})
    reps = sorted({(m["seed"], m["halving"]) for m in members})
    table = {(m["embedding_dim"], (m["seed"], m["halving"])): m["mi_test_nats"] for m in members}
    a = np.array([[table.get((d, r), np.nan) for d in dims] for r in reps])  # (replicates, dims)
    curve = curve_summary([m["embedding_dim"] for m in members], [m["mi_test_nats"] for m in members])
    zero = indistinguishable_from_zero(curve)
    spread = None if zero else saturation_dim(dims, a.mean(0), a.std(0, ddof=1), strictness)
    paired = None
    if not zero:
        for k in range(1, len(dims)):
            g = a[:, k] - a[:, k - 1]
            if g.mean() <= 0 or g.mean() < strictness * g.std(ddof=1):
                paired = dims[k - 1]
                break
    return {"dims": dims, "mean": a.mean(0).round(4).tolist(), "sd": a.std(0, ddof=1).round(4).tolist(),
            "paired_gain_sd": np.diff(a, axis=1).std(0, ddof=1).round(4).tolist(), "zero": zero,
            "spread": spread, "paired": paired}


def run(row: dict, seed: int) -> dict:
    import neuralmi_core as nmi

    x = data_of(row, seed)
    t0 = time.perf_counter()
    res = nmi.dimensionality(x, embedding_dims=DIMS, split=row["split"], **SETTINGS)
    members = [dataclasses.asdict(m) for m in res.members]
    members = [{k: v for k, v in m.items() if k in ("embedding_dim", "halving", "seed", "mi_test_nats",
                                                     "mi_train_nats")} for m in members]
    return {"name": row["name"], "truth": row["truth"], "data_seed": seed, "shape": list(x.shape),
            "mean_count": float(x.mean()), "library_saturation": res.saturation, "seconds": time.perf_counter() - t0,
            "members": members}


def show(results: list[dict]) -> None:
    print(f"{'row':34} {'set':>3} {'truth':>5} {'mean count':>10} {'spread':>6} {'paired':>6}  mean MI per dim (nats)")
    scored = [(r, rules(r["members"])) for r in results]
    for r, s in scored:
        spread, paired = (("none" if s["zero"] else "-" if s[k] is None else str(s[k])) for k in ("spread", "paired"))
        print(f"{r['name']:34} {r['data_seed']:>3} {r['truth']:>5} {r['mean_count']:>10.3f} {spread:>6} "
              f"{paired:>6}  {' '.join(f'{v:.3f}' for v in s['mean'])}", flush=True)
    for rule in ("spread", "paired"):
        hits = [(r["truth"], s[rule]) for r, s in scored if r["truth"] > 0]
        exact = sum(dim == truth for truth, dim in hits)
        near = sum(dim is not None and abs(dim - truth) <= 1 for truth, dim in hits)
        false = sum(s[rule] is not None for r, s in scored if r["truth"] == 0)
        print(f"{rule}: exact {exact}/{len(hits)}, within 1 dim {near}/{len(hits)}; a dim on noise rows "
              f"{false}/{len(results) - len(hits)}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", nargs="*", help="substrings of row names")
    ap.add_argument("--data-seeds", default="0")
    ap.add_argument("--json", help="write the rows with every member here")
    ap.add_argument("--from", dest="from_json", help="print the table of a saved --json")
    args = ap.parse_args()
    if args.from_json:
        show(json.loads(Path(args.from_json).read_text())["rows"])
        return
    rows = [r for r in rows_grid() if not args.only or any(o in r["name"] for o in args.only)]
    results = []
    for seed in [int(s) for s in args.data_seeds.split(",")]:
        for row in rows:
            results.append(run(row, seed))
            show(results[-1:])
            if args.json:
                Path(args.json).write_text(json.dumps({"settings": SETTINGS, "dims": DIMS, "rows": results}))
    print()
    show(results)


if __name__ == "__main__":
    main()
