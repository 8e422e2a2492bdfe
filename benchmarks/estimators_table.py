"""MI-NEE and MIENF against InfoNCE (and SMILE) on the accuracy suite: issue 23 item 2's tables, generated.

    python benchmarks/estimators_table.py            # print
    python benchmarks/estimators_table.py --write    # also fill the block in benchmarks/README.md
    python benchmarks/estimators_table.py --check    # exit 1 when that block is stale (tests/test_report.py)

No training: it reads ``benchmarks/suite.py --json`` runs in ``benchmarks/diagnosis/``; the README block lies
between ``<!-- estimators-table:start -->`` and ``<!-- estimators-table:end -->``.

**Estimate mode** (N = 5000, data sets 0-2, library defaults of the day each file names). Each estimator's rows
come from the files in :data:`ESTIMATE`, read in order; a later file's row of the same (task, data set)
replaces an earlier one, since later runs re-measured the tasks a change of default touched. Printed: the
median |relative error| over tasks with MI > 0 per data set and pooled over all three (the suite's own pooled
figure, :func:`neuralmi_core.suite.pool`), over every task and without the two spirals, with each estimator's
ratio to InfoNCE's median (issue 23's goal: within 2x); the (task, data set) rows an estimator lacks; and the
median per family, pooled over data sets (SMILE: data set 0 only, the one run it has).

**Rigorous mode** (N = 5000, data set 0): one row per task that MI-NEE or MIENF was run on, next to InfoNCE's
row of the accuracy table (``benchmarks/trust.py``: re-derived with today's code). MI-NEE and MIENF rows keep
the flags of their run (the ``missed_dependence`` flag needs the k-NN witness of the run's gamma = 1 cell,
which the saved members do not hold); runs made before that flag existed are marked in :data:`RIGOROUS`. Flags
whose condition a row's warnings state (``empirical_reference``, ``conditional_flow``: the fit's data warnings)
are re-derived from them (:func:`neuralmi_core.suite.row_flags`).

**Where a side has no density** (:data:`CONFIGURATIONS`): MI-NEE's empirical reference and MIENF's conditional
flow, the rows of each against InfoNCE's on the same rows and against the estimator's other rows; the figures the
two flags of that name quote.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from trust import README, collect, readme_with  # noqa: E402

from neuralmi_core.suite import FLAG_BY_WARNING, flagged, row_flags, select_tasks  # noqa: E402

START, END = "<!-- estimators-table:start -->", "<!-- estimators-table:end -->"
ESTIMATORS = ("infonce", "minee", "mienf")
SPIRALS = ("spiral-sparse-5x5", "spiral-strong-sparse-5x5")

#: Per estimator and data set, the estimate-mode runs, oldest first (DIAGNOSIS.md sections 44-47 and 51 say what each
#: re-measured: MI-NEE's empirical reference for sides without a density and its poisson joint critic for counts
#: against a variable, MIENF's conditional flow and refit).
ESTIMATE = {
    "infonce": {0: ["x1_est5000_s0_infonce.json"],
                1: ["x22_est5000_s1_infonce.json", "x28_est5000_s1_infonce_spirals.json"],
                2: ["x27_est5000_s2_infonce.json"]},
    "minee": {0: ["x2_est5000_s0_minee_mh128_a.json", "x2_est5000_s0_minee_mh128_b.json",
                  "x22_est5000_s0_minee_empirical.json", "x30_est5000_s0_minee_poisson_joint.json",
                  "x30_est5000_s012_minee_poisson_joint_independent.json"],
              1: ["x5_est5000_s1_minee_mh128.json", "x22_est5000_s1_minee_empirical.json",
                  "x28_est5000_s12_minee_spirals.json", "x30_est5000_s1_minee_poisson_joint.json",
                  "x30_est5000_s012_minee_poisson_joint_independent.json"],
              2: ["x27_est5000_s2_minee_others.json", "x22_est5000_s2_minee_empirical.json",
                  "x28_est5000_s12_minee_spirals.json", "x30_est5000_s2_minee_poisson_joint.json",
                  "x30_est5000_s012_minee_poisson_joint_independent.json"]},
    "mienf": {0: ["x17_est5000_s0_mienf_now.json", "x25_est5000_s0_mienf_conditional.json",
                  "x27_est5000_s0_mienf_refit.json", "x31_est5000_s0_mienf_context_dim.json"],
              1: ["x25_est5000_s1_mienf_others.json", "x25_est5000_s1_mienf_conditional.json",
                  "x27_est5000_s12_mienf_refit_mixtures.json", "x28_est5000_s1_mienf_spirals.json",
                  "x31_est5000_s1_mienf_context_dim.json"],
              2: ["x25_est5000_s2_mienf_conditional.json", "x27_est5000_s2_mienf_refit.json",
                  "x27_est5000_s2_mienf_others.json", "x27_est5000_s12_mienf_refit_mixtures.json",
                  "x31_est5000_s2_mienf_context_dim.json"]},
}
#: SMILE (no count critic): data set 0 only.
SMILE = ["w3_est5000_smile_s0_a.json", "w3_est5000_smile_s0_b.json"]
#: Rigorous runs of MI-NEE and MIENF at N = 5000, data set 0, oldest first; the value names the flags of MI-NEE and
#: MIENF that did not exist yet when the run was made (``missed_dependence`` needs the k-NN witness of the run's
#: gamma = 1 cell, ``no_density`` the fit's record of why neither side had a density: neither is in the members;
#: the x21 and x25 tasks have a density on at least one side, where ``no_density`` cannot fire).
RIGOROUS = {
    "minee": {"x22_rig5000_s0_minee_empirical_hd40.json": ("missed_dependence",),
              "x22_rig5000_s0_minee_empirical_place2d.json": ("missed_dependence",),
              "x28_rig5000_s0_minee_families.json": (),
              "x29_rig5000_s0_minee_families.json": (),
              "x30_rig5000_s0_minee_poisson_joint_a.json": (),
              "x30_rig5000_s0_minee_poisson_joint_b.json": ()},
    "mienf": {"x21_rig5000_s0_mienf_a.json": ("missed_dependence",),
              "x21_rig5000_s0_mienf_b.json": ("missed_dependence",),
              "x25_rig5000_s0_mienf_conditional_place1d.json": ("missed_dependence",),
              "x25_rig5000_s0_mienf_conditional_place2d.json": ("missed_dependence",),
              "x28_rig5000_s0_mienf_families.json": (),
              "x31_rig5000_s0_mienf_context_dim_a.json": (),
              "x31_rig5000_s0_mienf_context_dim_b.json": ()},
}
MARK = {"missed_dependence": "*", "no_density": "†"}
#: MI-NEE's rigorous rows of counts against a variable made before its poisson joint critic (DIAGNOSIS.md section 51:
#: the MLP joint critic), marked ‡; the x30 runs have it.
POISSON_JOINT_TASKS = frozenset({"poisson-16x2", "place1d-40-50ms", "place1d-200-25ms", "place2d-50-100ms",
                                 "hd-40-25ms", "hd-20-100ms", "grid-60-3mod", "conj-60-50ms", "slow-place2d-50-tau50",
                                 "slow-hd-40-tau50"})


def _rows(files, mode: str, seed: int, n: int = 5000) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for name in files:
        path = HERE / "diagnosis" / name
        if not path.exists():
            continue
        for r in json.loads(path.read_text())["rows"]:
            if r["mode"] == mode and r["n"] == n and r["data_seed"] == seed:
                out[r["task"]] = r
    return out


def estimate_rows() -> dict[str, dict[int, dict[str, dict]]]:
    return {e: {s: _rows(files, "estimate", s) for s, files in per_seed.items()} for e, per_seed in ESTIMATE.items()}


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _abs_errors(rows: dict[str, dict], tasks) -> list[float]:
    return [abs(rows[t]["rel_error"]) for t in tasks if t in rows]


def goal_table(est: dict, tasks: list[str], truth: dict[str, float], md: bool) -> list[str]:
    pos = [t for t in tasks if truth[t] > 0]
    seeds = sorted(est["infonce"])
    out = []
    for label, keep in (("every task with MI > 0", pos), ("without the two spirals", [t for t in pos if t not in SPIRALS])):
        head = ["rows", *[f"{e} median" for e in ESTIMATORS], "minee / infonce", "mienf / infonce"]
        out += ["", f"Estimate mode, N = 5000, {label} ({len(keep)} tasks): median |relative error|",
                "| data set | " + " | ".join(head) + " |" if md else f"{'data set':10s}" + "".join(f"{h:>17s}" for h in head)]
        if md:
            out.append("|---" * (len(head) + 1) + "|")
        for s in [*seeds, "all"]:
            use = seeds if s == "all" else [s]
            # a row counts only where all three estimators have it, so the ratios compare like with like
            common = [(t, d) for d in use for t in keep if all(t in est[e][d] for e in ESTIMATORS)]
            meds = [_median([abs(est[e][d][t]["rel_error"]) for t, d in common]) for e in ESTIMATORS]
            cells = [str(len(common)), *[f"{m:.2%}" for m in meds], f"{meds[1] / meds[0]:.2f}x", f"{meds[2] / meds[0]:.2f}x"]
            name = "all" if s == "all" else str(s)
            out.append(f"| {name} | " + " | ".join(cells) + " |" if md else f"{name:10s}" + "".join(f"{c:>17s}" for c in cells))
    missing = [f"{e}: {t} set {d}" for e in ESTIMATORS for d in seeds for t in pos if t not in est[e][d]]
    out += ["", "rows missing (left out of every column above): " + ("; ".join(missing) if missing else "none")]
    return out


def family_table(est: dict, tasks: list[str], truth: dict, family: dict, md: bool) -> list[str]:
    smile = _rows(SMILE, "estimate", 0)
    cols = [*ESTIMATORS, "smile (set 0)"]
    out = ["", "Median |relative error| per family, data sets 0-2 pooled (tasks with MI > 0)",
           "| family | tasks | " + " | ".join(cols) + " | best |" if md else f"{'family':22s}{'tasks':>6s}" + "".join(f"{c:>15s}" for c in cols)]
    if md:
        out.append("|---" * (len(cols) + 3) + "|")
    for fam in dict.fromkeys(family[t] for t in tasks if truth[t] > 0):
        mine = [t for t in tasks if family[t] == fam and truth[t] > 0]
        meds = [_median([v for d in est[e] for v in _abs_errors(est[e][d], mine)]) for e in ESTIMATORS]
        meds.append(_median(_abs_errors(smile, mine)))
        cells = ["–" if m != m else f"{m:.1%}" for m in meds]
        best = min((m, c) for m, c in zip(meds[:3], ESTIMATORS, strict=True) if m == m)[1]
        out.append(f"| {fam} | {len(mine)} | " + " | ".join(cells) + f" | {best} |" if md
                   else f"{fam[:22]:22s}{len(mine):6d}" + "".join(f"{c:>15s}" for c in cells) + f"   best: {best}")
    return out


def rigorous_table(md: bool) -> list[str]:
    info = {r["task"]: r for r in collect()[0] if r["n"] == 5000 and r["data_seed"] == 0}
    rig = {}
    for e, files in RIGOROUS.items():
        rig[e] = {}
        for name, missing in files.items():
            for t, r in _rows([name], "rigorous", 0).items():
                before = e == "minee" and t in POISSON_JOINT_TASKS and not name.startswith("x30")
                rig[e][t] = {**r, "missing_flags": missing, "mlp_joint": before}
    tasks = [t.name for t in select_tasks() if any(t.name in rig[e] for e in rig)]

    def cell(r: dict | None) -> str:
        if r is None:
            return "–"
        err = f"{r['rel_error']:+.1%}" if r["truth"] > 0 else f"{r['mi']:+.3f} nats"
        cov = "covers" if r["covered"] else "misses"
        flags = ",".join(sorted(row_flags(r))) or "no flag"
        marks = "".join(MARK[f] for f in r.get("missing_flags", ())) + ("‡" if r.get("mlp_joint") else "")
        return f"{err}, {cov}, {flags}" + (f" {marks}" if marks else "")

    head = ["task", "truth", "infonce", "minee", "mienf"]
    out = ["", "Rigorous mode, N = 5000, data set 0: error, whether the 68 % CI covers the truth, flags "
           "(run before the flag existed: * missed_dependence, † no_density; empirical_reference and conditional_flow "
           "re-derived from the row's warnings; ‡ MI-NEE before its poisson joint critic, the MLP joint critic)",
           "| " + " | ".join(head) + " |" if md else "  ".join(head)]
    if md:
        out.append("|---" * len(head) + "|")
    own = {e: [] for e in ESTIMATORS}
    common = {e: [] for e in ESTIMATORS}
    for t in tasks:
        rows = [info.get(t), rig["minee"].get(t), rig["mienf"].get(t)]
        truth = next(r["truth"] for r in rows if r)
        for e, r in zip(ESTIMATORS, rows, strict=True):
            if r is not None:  # every task listed has a MI-NEE or MIENF row
                own[e].append(r)
                if all(x is not None for x in rows):
                    common[e].append(r)
        cells = [t, f"{truth:.3f}", *map(cell, rows)]
        out.append("| " + " | ".join(cells) + " |" if md else "  ".join(cells))
    out.append("")
    for e in ESTIMATORS:
        pos = [r for r in own[e] if r["truth"] > 0]
        misses = [r for r in pos if not r["covered"]]
        far = [r for r in pos if abs(r["rel_error"]) > 0.1]
        both = [abs(r["rel_error"]) for r in common[e] if r["truth"] > 0]
        out.append(("- " if md else "") + f"{e}: {len(pos)} tasks with MI > 0: median |error| "
                   f"{_median([abs(r['rel_error']) for r in pos]):.1%}, CI covers {len(pos) - len(misses)}/{len(pos)}, "
                   f"misses flagged {sum(flagged(r) for r in misses)}/{len(misses)}, rows worse than 10 % flagged "
                   f"{sum(flagged(r) for r in far)}/{len(far)}; on the {len(both)} tasks all three ran: median "
                   f"|error| {_median(both):.1%}")
    return out


#: The density-based estimators' configurations on sides without a density: the rigorous flag that says so. A row
#: is of the configuration when its warnings hold the flag's phrase (:data:`neuralmi_core.suite.FLAG_BY_WARNING`);
#: rows saved before a warning existed are classed by their task (whether a side has a density is a property of
#: the task, the same on every data set); a row that warns no_density, MIENF's flows of two sides without one, is
#: not of the configuration.
CONFIGURATIONS = {"minee": "empirical_reference", "mienf": "conditional_flow"}
PHRASE = {flag: phrase for phrase, flag in FLAG_BY_WARNING.items()}


def configuration_table(est: dict, md: bool) -> list[str]:
    """Per configuration: the estimate-mode rows (N = 5000, data sets 0-2) of the tasks where it applies, how many
    are more than 10 % off, against InfoNCE on the same rows and the estimator's other rows; and the rigorous rows
    whose CI missed. The figures the flags ``empirical_reference`` and ``conditional_flow`` quote."""
    rig = {e: {t: r for name in RIGOROUS[e] for t, r in _rows([name], "rigorous", 0).items()} for e in CONFIGURATIONS}
    head = ["estimator", "flag", "tasks", "estimate rows > 10 % off", "infonce, same rows", "other rows > 10 % off",
            "rigorous: CI missed"]
    out = ["", "Where a side has no density: the configuration's rows against the estimator's other rows "
           "(estimate: N = 5000, data sets 0-2, MI > 0; rigorous: data set 0)",
           "| " + " | ".join(head) + " |" if md else "  ".join(head)]
    if md:
        out.append("|---" * len(head) + "|")
    for e, flag in CONFIGURATIONS.items():
        phrase = PHRASE[flag]
        rows = [r for d in est[e].values() for r in d.values()]
        warned = {r["task"] for r in rows if any(phrase in w for w in r.get("warnings", ()))}

        def applies(r: dict, phrase=phrase, warned=warned) -> bool:
            said = " ".join(r.get("warnings", ()))  # MIENF's flows of both sides (no_density) are another configuration
            return phrase in said or (r["task"] in warned and PHRASE["no_density"] not in said)

        mine = [(d, t) for d in est[e] for t, r in est[e][d].items() if r["truth"] > 0 and applies(r)]
        other = [(d, t) for d in est[e] for t, r in est[e][d].items() if r["truth"] > 0 and not applies(r)]
        tasks = sorted({t for _, t in mine} | {t for t, r in rig[e].items() if applies(r)})

        def far(who: str, keys) -> str:
            keys = [(d, t) for d, t in keys if t in est[who][d]]
            return f"{sum(abs(est[who][d][t]['rel_error']) > 0.1 for d, t in keys)}/{len(keys)}"

        missed = [r for r in rig[e].values() if applies(r) and r["truth"] > 0]
        cells = [e, flag, str(len(tasks)), far(e, mine), far("infonce", mine), far(e, other),
                 f"{sum(not r['covered'] for r in missed)}/{len(missed)}"]
        out.append("| " + " | ".join(cells) + " |" if md else "  ".join(cells))
        out.append(("- " if md else "  ") + f"{e} {flag} tasks: " + ", ".join(tasks))
    return out


def tables(md: bool) -> list[str]:
    suite_tasks = select_tasks()
    tasks = [t.name for t in suite_tasks if not t.copula_equivalent]
    family = {t.name: t.family for t in suite_tasks}
    est = estimate_rows()
    truth = {t: r["truth"] for e in est for d in est[e] for t, r in est[e][d].items()}
    tasks = [t for t in tasks if t in truth]
    lines = goal_table(est, tasks, truth, md)
    lines += family_table(est, tasks, truth, family, md)
    lines += rigorous_table(md)
    lines += configuration_table(est, md)
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--markdown", action="store_true", help="print markdown tables")
    ap.add_argument("--write", action="store_true", help="fill the README block (markdown)")
    ap.add_argument("--check", action="store_true", help="exit 1 when the README block is stale; write nothing")
    args = ap.parse_args(argv)
    if args.write or args.check:
        block = "\n".join([START, "", "Generated by `python benchmarks/estimators_table.py --write` (do not edit).",
                           *tables(True), "", END])
        want = readme_with(block, START, END)
        if README.read_text() == want:
            return 0
        if args.check:
            print(f"stale: {README} (run python benchmarks/estimators_table.py --write)")
            return 1
        README.write_text(want)
        print(f"wrote {README}")
        return 0
    print("\n".join(tables(args.markdown)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
