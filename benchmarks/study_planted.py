"""The study layer against planted structure (issue 22 item 5): does `pairs:` x `conditions:` x `study:` find
what was planted, and nothing else?

Each archive is written by ``neuralmi_core.synth.network.generate_study_archive`` (NWB files, read back by the
project's binner): ``--regions`` (default 6: A..F) of which ``--coupled`` pairs (default A-B, C-D, E-F) share
latents and the 12 others share nothing; a ``running`` condition doubling the latent MI of
``--condition-pair`` (A-B); ``--subjects`` mice per genotype (wt, ko), one session each, with the latent MI of
``--group-pair`` (C-D) halved in ko; and a per-session jitter of every coupling (sd 0.1 of the log latent MI).
Each session's binned spike counts are cut per region pair and condition (bins of ``intervals/running`` and
``intervals/rest``) and measured by ``neuralmi_core.rigorous`` (the workflow's rigorous mode: InfoNCE, a small
separable critic, 1/N extrapolation over ``--gammas``, 68 % CIs). The rows are pooled by
``neuralmi_core.study.study_dataset`` (group by genotype, contrast wt-ko, Benjamini-Hochberg), exactly as
``study:`` does on summary.csv.

What is known exactly, and therefore what is measured:

* **Which pairs are 0.** An uncoupled pair's regions are independent: its count MI is exactly 0 in every
  condition and group. A coupled pair's count MI is > 0 (its latent MI is > 0 and every unit is tuned to it).
  So per archive: planted (analysis, group) cells found at q <= 0.05 of the pooled test (power), false ones
  found (uncoupled cells), and the false discovery proportion (false / found, 0 when nothing is found),
  averaged over archives (the FDR; BH at 0.05 should keep it <= 0.05).
* **Contrasts whose truth is 0.** The per-session condition contrast (running - rest, ``neuralmi_core.study.
  conditions.contrast``, only where both fits are reliable, as in the session report) of every pair other than
  the condition pair has truth exactly 0 (same coupling in both conditions): the coverage of 0 by its 95 % CI
  is measured. Likewise the study's wt - ko contrast of every
  analysis not on the group pair, and the pooled 95 % CI of every uncoupled cell (truth 0).
* **Direction of planted effects.** The condition pair's running - rest contrast and the group pair's wt - ko
  contrast are > 0 in truth, but their size in count MI is not known exactly (the sidecar states the latent
  MI, an upper bound): reported is how often the CI lies above 0.

The coverage of non-zero truths (a coupled pair's group mean, the planted contrasts) needs the count MI of the
sessions: ``study_twins.py`` measures it on long twins of the same sessions and scores these runs against it.

Also printed: the share of rows with a reliable rigorous fit (the study pools only those), the planted pairs found
in at least one / all four (condition, group) cells, and how often each planted cell was found. ``--rescore``
scores saved ``--json`` runs again as one table (no training).

The run of record (2026-12-05, 2 CPU cores, two processes of 10 archives each, about 7 min per archive and
process with other jobs beside them; ``benchmarks/README.md``, "The study against planted structure"):
``python benchmarks/study_planted.py --archives 10 --seed S --json study_S.json`` for S = 0 and 100 (the defaults:
4 mice per genotype, 10-min sessions, the demo archive's 40 units per region and tuning gain 2.0). With 5-min
sessions (20 units at gain 1.2, or 40 at 2.0) a condition holds about 3000 bins, and
the coupled pairs' fits are sample-limited: the MI halves from gamma 1 to 2 and 9-25 % of those rows are
unreliable. With 4 mice per group the study's HKSJ interval has at most 3 degrees of freedom, and nothing
planted was found, in 2 of 2 archives.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from neuralmi_core import rigorous  # noqa: E402
from neuralmi_core.io.session import bin_session  # noqa: E402
from neuralmi_core.study import study_dataset  # noqa: E402
from neuralmi_core.study.conditions import contrast  # noqa: E402
from neuralmi_core.synth.network import generate_study_archive, parse_pairs  # noqa: E402

Z95 = 1.959963984540054
CONDITIONS = ("running", "rest")


def parse(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--archives", type=int, default=20)
    p.add_argument("--seed", type=int, default=0, help="archive k uses seed + k")
    p.add_argument("--subjects", type=int, default=4, help="mice per genotype (one session each)")
    p.add_argument("--duration", type=float, default=600.0, help="seconds per session")
    p.add_argument("--regions", default="A,B,C,D,E,F")
    p.add_argument("--coupled", default="A-B,C-D,E-F")
    p.add_argument("--condition-pair", default="A-B")
    p.add_argument("--group-pair", default="C-D")
    p.add_argument("--units", type=int, default=40, help="units per region")
    p.add_argument("--bin", type=float, default=0.05, help="bin width (s)")
    p.add_argument("--gain", type=float, default=2.0, help="tuning gain of the units (the demo archive: 2.0)")
    p.add_argument("--gammas", default="1,2,3")
    p.add_argument("--min-gammas", type=int, default=None, help="gammas the fit may keep (default: all)")
    p.add_argument("--min-chunk", type=int, default=200)
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--device", default="cpu")
    p.add_argument("--json", default=None, help="write every row and the summary here")
    p.add_argument("--rescore", nargs="+", metavar="JSON", help="score saved --json runs again as one table "
                   "(archives keep their seeds); no training")
    return p.parse_args(argv)


def archive_options(args: argparse.Namespace) -> dict:
    """The :class:`NetworkParams` fields every session of an archive is drawn with."""
    return dict(regions=args.regions, coupled=args.coupled, condition_pair=args.condition_pair,
                group_pair=args.group_pair, n_units=args.units, gain=getattr(args, "gain", 1.2),
                duration_s=args.duration,
                block_s=(min(20.0, args.duration / 6), min(40.0, args.duration / 3)))


def fit(x: np.ndarray, y: np.ndarray, args: argparse.Namespace):
    """The workflow's rigorous mode on one (pair, condition): InfoNCE, a small separable critic, 68 % CI."""
    gammas = [int(g) for g in args.gammas.split(",")]
    return rigorous(x, y, estimator="infonce", critic="separable", embedding_dim=8, hidden=32, epochs=args.epochs,
                    patience=8, batch_size=256, gammas=gammas, min_gammas=args.min_gammas or len(gammas),
                    min_chunk=args.min_chunk, confidence=0.68, device=args.device, progress=False)


def binned(path: Path, args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """A session's spike counts (bins x units), the units' regions and each condition's bin mask."""
    spec = {"spikes": {}, "intervals": {c: f"intervals/{c}" for c in CONDITIONS}}
    ds = bin_session(path, spec, args.bin)
    masks = {c: ds[f"{c}_in_interval"].values.astype(bool) for c in CONDITIONS}
    return ds.spikes.values.astype(np.float32), ds.region.values, masks


def session_rows(path: Path, genotype: str, subject: str, args: argparse.Namespace) -> list[dict]:
    """One rigorous row per (region pair, condition) of one session, in the layout of summary.csv."""
    counts, region, masks = binned(path, args)
    rows = []
    regions = args.regions.split(",")
    for a, b in itertools.combinations(regions, 2):
        for c in CONDITIONS:
            res = fit(counts[masks[c]][:, region == a], counts[masks[c]][:, region == b], args)
            rows.append({"session": path.stem, "subject": subject, "genotype": genotype, "analysis": f"{a}-{b}/{c}",
                         "pair": f"{a}-{b}", "condition": c, "mode": "rigorous", "mi_nats": res.mi_nats,
                         "ci_low_nats": res.ci_low_nats, "ci_high_nats": res.ci_high_nats, "confidence": 0.68,
                         "reliable": bool(res.reliable), "status": "ok"})
    return rows


def score(rows: list[dict], truth: dict, args: argparse.Namespace) -> dict:
    """The archive's numbers (see the module docstring)."""
    coupled = set(truth["coupled_pairs"])
    ds = study_dataset(rows, group_by="genotype", contrasts=["wt-ko"], unit="nats")
    analyses = [str(a) for a in ds["analysis"].values]
    pair_of = {a: a.split("/")[0] for a in analyses}
    found = (ds["q_value"] <= 0.05).values
    planted = np.array([[pair_of[a] in coupled] * ds.sizes["group"] for a in analyses])
    n_found, n_false = int(found.sum()), int((found & ~planted).sum())
    null_cells = ~planted
    lo, hi = ds["pooled_ci_low"], ds["pooled_ci_high"]  # the study's reported 95 % CI (HKSJ, t on k - 1 df)
    covers0 = ((lo <= 0) & (hi >= 0)).values
    # every planted (pair, condition, group) cell counts, also one whose rows were all left out (unreliable fits)
    n_planted = len(coupled) * len(CONDITIONS) * len(truth["groups"]["genotypes"])
    out = {"rows_reliable": float(np.mean([bool(r["reliable"]) for r in rows])),
           "found_planted": int((found & planted).sum()), "planted": n_planted, "false": n_false,
           "fdp": n_false / n_found if n_found else 0.0,
           "null_pooled_cover": float(covers0[null_cells & np.isfinite(lo.values)].mean())}
    groups = [str(g) for g in ds["group"].values]
    cells = {f"{a}|{g}": bool(found[i, j]) for i, a in enumerate(analyses) for j, g in enumerate(groups)
             if pair_of[a] in coupled}
    out["pairs_found_any"] = sum(any(v for k, v in cells.items() if k.startswith(p + "/")) for p in coupled)
    out["pairs_found_all"] = sum(sum(v for k, v in cells.items() if k.startswith(p + "/")) == n_planted // len(coupled)
                                 for p in coupled)
    out["cells"] = cells
    # the study's wt - ko contrast: truth 0 off the group pair
    d = ds["diff"].sel(contrast="wt-ko").values
    dlo, dhi = ds["diff_ci_low"].sel(contrast="wt-ko").values, ds["diff_ci_high"].sel(contrast="wt-ko").values
    off = np.array([pair_of[a] != args.group_pair for a in analyses]) & np.isfinite(d)
    on = np.array([pair_of[a] == args.group_pair for a in analyses]) & np.isfinite(d)
    out["null_group_contrast_cover"] = float(np.mean((dlo[off] <= 0) & (dhi[off] >= 0)))
    out["group_contrast_above_0"] = float(np.mean(dlo[on] > 0)) if on.any() else math.nan
    # per-session condition contrasts: truth 0 off the condition pair
    by = {(r["session"], r["pair"], r["condition"]): r for r in rows}
    null_cover, planted_above = [], []
    for (session, pair, cond), r in by.items():
        if cond != "running":
            continue
        s = by[session, pair, "rest"]
        if not (r["reliable"] and s["reliable"]):  # as in the session report: no contrast of an unreliable fit
            continue
        dd, sd, *_ = contrast(r["mi_nats"], r["ci_low_nats"], r["ci_high_nats"], s["mi_nats"], s["ci_low_nats"],
                              s["ci_high_nats"], confidence=0.68)
        if pair == args.condition_pair:
            planted_above.append(dd - Z95 * sd > 0)
        else:
            null_cover.append(abs(dd) <= Z95 * sd)
    out["null_condition_contrast_cover"] = float(np.mean(null_cover)) if null_cover else math.nan
    out["condition_contrast_above_0"] = float(np.mean(planted_above)) if planted_above else math.nan
    return out


LABELS = {"rows_reliable": "share of rows with a reliable fit (the others are not pooled)",
          "found_planted": "planted (pair x condition, group) cells found at q <= 0.05",
          "planted": "planted cells", "false": "false cells found (uncoupled pairs)",
          "fdp": "false discovery proportion (FDR)",
          "null_pooled_cover": "95 % pooled CI of an uncoupled cell covers 0",
          "null_group_contrast_cover": "95 % wt-ko CI covers 0 off the group pair",
          "group_contrast_above_0": "wt-ko CI of the group pair above 0",
          "null_condition_contrast_cover": "95 % running-rest CI covers 0 off the condition pair",
          "condition_contrast_above_0": "running-rest CI of the condition pair above 0",
          "pairs_found_any": "planted pairs found in at least one (condition, group) cell",
          "pairs_found_all": "planted pairs found in all four (condition, group) cells"}


def print_summary(results: list[dict], args: argparse.Namespace) -> dict:
    summary = {key: float(np.nanmean([r[key] for r in results])) for key in LABELS}
    print(f"\n{len(results)} archives of {2 * args.subjects} sessions ({args.duration:g} s, {args.units} units per "
          f"region, regions {args.regions}, coupled {args.coupled}):")
    print("| measure | mean over archives |\n|---|---|")
    for key, value in summary.items():
        print(f"| {LABELS[key]} | {value:.3f} |")
    print(f"archives with a false cell: {sum(r['false'] > 0 for r in results)} of {len(results)}; all planted cells "
          f"found in {sum(r['found_planted'] == r['planted'] for r in results)}")
    cells = sorted({c for r in results for c in r.get("cells", {})})
    if cells:
        print("found per planted cell (analysis | group): " + ", ".join(
            f"{c} {sum(r['cells'].get(c, False) for r in results)}/{len(results)}" for c in cells))
    return summary


def rescore(files: list[str]) -> int:
    """Score saved runs again (``--json`` files) with today's study code, as one table."""
    results = []
    for f in files:
        d = json.loads(Path(f).read_text())
        args = argparse.Namespace(**d["args"])
        truth = {"coupled_pairs": args.coupled.split(","), "groups": {"genotypes": ["wt", "ko"]}}
        for k in sorted({r["archive"] for r in d["rows"]}):
            r = score([row for row in d["rows"] if row["archive"] == k], truth, args)
            results.append({**r, "archive": args.seed + k})
    print_summary(results, args)
    return 0


def main(argv=None) -> int:
    args = parse(argv)
    if args.rescore:
        return rescore(args.rescore)
    for key in ("coupled", "condition_pair", "group_pair"):
        parse_pairs(getattr(args, key), key)  # a typo is refused before any training
    results, all_rows = [], []
    t0 = time.time()
    for k in range(args.archives):
        with tempfile.TemporaryDirectory() as tmp:
            paths = generate_study_archive(tmp, n_sessions=2 * args.subjects, seed=args.seed + k,
                                           sessions_per_subject=1, **archive_options(args))
            rows = []
            for p in paths:
                t = json.loads(p.with_name(p.stem + ".truth.json").read_text())
                rows += session_rows(p, t["genotype"], t["subject_id"], args)
        r = score(rows, t, args)
        r["archive"] = k
        results.append(r)
        all_rows += [{**row, "archive": k} for row in rows]
        print(f"archive {k}: planted found {r['found_planted']}/{r['planted']}, false {r['false']}, "
              f"FDP {r['fdp']:.3f} ({time.time() - t0:.0f} s)", flush=True)
        if args.json:  # after every archive: a long run stopped early keeps what it measured (--rescore)
            write_json(args, results, all_rows, None)
    summary = print_summary(results, args)
    if args.json:
        write_json(args, results, all_rows, summary)
    return 0


def write_json(args: argparse.Namespace, results: list[dict], rows: list[dict], summary: dict | None) -> None:
    path = Path(args.json)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps({"args": vars(args), "archives": results, "summary": summary, "rows": rows},
                              indent=1))
    tmp.replace(path)


if __name__ == "__main__":
    sys.exit(main())
