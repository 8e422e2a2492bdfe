"""The accuracy suite (issue 13): tasks with exact MI that hold the dependence users' data has, and how a
run of :func:`~neuralmi_core.estimate` or :func:`~neuralmi_core.rigorous` on one of them is scored.

A task is a family, its parameters and a sampler (:mod:`neuralmi_core.distributions`,
:mod:`neuralmi_core.samplers`); it runs at every N in ``ns`` (default 5000 and 20000) and on several data
sets (the data seed). Tasks marked ``copula_equivalent`` are element-wise monotone maps of a Gaussian,
which the default copula preprocessing maps back to that Gaussian: regression tests, not evidence of
accuracy (SPEC §8). Tasks with MI 0 check that the interval contains 0.

``benchmarks/suite.py`` is the command line that runs the grid and prints the table and pooled figures.
"""

from __future__ import annotations

import inspect
import json
import math
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import distributions as D
from . import populations as P
from .analysis.rigorous import rigorous
from .estimation import SETTINGS as ESTIMATE_SETTINGS
from .estimation import estimate
from .flags import flag_names
from .samplers import CorrelatedGaussian, Independent
from .settings.constraints import Choice
from .validation import NeuralMIError

MODES = ("estimate", "rigorous")
DEFAULT_NS = (5000, 20000)
DEFAULT_DATA_SEEDS = (0, 1, 2)


@dataclass(frozen=True, eq=False)
class Task:
    """One benchmark task: ``name`` (unique), ``family``, a sampler with exact MI, and a note."""

    name: str
    family: str
    sampler: Any
    copula_equivalent: bool = False
    note: str = ""
    #: keyword settings this task is always run with (e.g. ``{"split": "blocked"}`` for autocorrelated data);
    #: they override the suite's defaults, and options given to :func:`run_one` override them.
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def mi(self) -> float:
        return float(self.sampler.mutual_information())

    @property
    def dims(self) -> str:
        return f"{self.sampler.dim_x}+{self.sampler.dim_y}"


def _sparse5() -> D.MultiNormal:
    return D.sparse_gaussian(5, 5)


TASKS: tuple[Task, ...] = (
    Task("gauss-5x5-1nat", "gaussian", CorrelatedGaussian(5, 5, mi_nats=1.0), note="README example"),
    Task("gauss-dense-5x5", "gaussian dense", D.dense_gaussian(5, 5), note="bmi dense, off-diagonal 0.5"),
    Task("gauss-dense-25x25", "gaussian dense", D.dense_gaussian(25, 25)),
    Task("gauss-sparse-5x5", "gaussian sparse", _sparse5(), note="2 interacting pairs, rho 0.8"),
    Task("gauss-sparse-25x25", "gaussian sparse", D.sparse_gaussian(25, 25), note="2 pairs among 23+23 noise dims"),
    Task("gauss-high-5x5", "high MI", CorrelatedGaussian(5, 5, mi_nats=5.0), note="5 nats over 5 pairs"),
    Task("student-df1-2x2", "student-t", D.MultiStudentT.identity(2, 2, 1.0), note="identity dispersion"),
    Task("student-df2-5x5", "student-t", D.MultiStudentT.identity(5, 5, 2.0)),
    Task("student-df3-3x3", "student-t", D.MultiStudentT.identity(3, 3, 3.0)),
    Task("asinh-student-df2-3x3", "asinh student-t", D.Transformed(D.MultiStudentT.identity(3, 3, 2.0), D.Asinh(),
                                                                D.Asinh())),
    Task("halfcube-sparse-5x5", "half-cube", D.Transformed(_sparse5(), D.HalfCube(), D.HalfCube()),
         copula_equivalent=True),
    Task("normalcdf-sparse-25x25", "normal-CDF", D.Transformed(D.sparse_gaussian(25, 25), D.NormalCDF(),
                                                                D.NormalCDF()), copula_equivalent=True),
    Task("spiral-sparse-5x5", "spiral", D.Transformed(_sparse5(), D.Spiral(1 / 3), D.Spiral(1 / 3, 1, 2)),
         note="bmi speed 1/3"),
    Task("spiral-strong-sparse-5x5", "spiral", D.Transformed(_sparse5(), D.Spiral(1.0), D.Spiral(1.0, 1, 2)),
         note="speed 1"),
    Task("swissroll-2x1", "swiss roll", D.SwissRoll(0.75), note="1-d uniform rolled into 2-d against 1-d"),
    Task("xmixture-5x5", "mixture", D.XMixture(5, 5, n_pairs=2, rho=0.9), note="zero linear correlation"),
    Task("poisson-16x2", "poisson", D.PoissonPopulation(2, (0.5, 1.0, 2.0), 0.5, n_untuned=4),
         note="12 tuned + 4 untuned neurons, counts vs 2-d latent"),
    Task("independent-5x5", "independent", Independent(5, 5)),
    Task("poisson-independent-16x2", "independent", D.PoissonPopulation(2, (0.5, 1.0, 2.0), 0.0, n_untuned=4),
         note="gain 0: counts independent of the latent"),
    # issue 20: families shaped like recordings (neuralmi_core/populations.py; MI by quadrature + MC, SE < 0.5 %)
    Task("place1d-40-50ms", "place cells", P.PlaceCells1D(40, n_untuned=10, bin_s=0.05),
         note="40 place + 10 untuned cells on a track, 50 ms bins"),
    Task("place1d-200-25ms", "place cells", P.PlaceCells1D(200, bin_s=0.025), note="200 cells, 25 ms bins"),
    Task("place2d-50-100ms", "place cells", P.PlaceCells2D(50, bin_s=0.1), note="issue 20 headline, 2-d arena"),
    Task("hd-40-25ms", "head direction", P.HeadDirectionCells(40, bin_s=0.025), note="issue 20 headline"),
    Task("hd-20-100ms", "head direction", P.HeadDirectionCells(20, n_untuned=10, bin_s=0.1, layout_seed=1),
         note="20 HD + 10 untuned cells, 100 ms bins"),
    Task("grid-60-3mod", "grid cells", P.GridCells(60, n_modules=3), note="3 modules, 100 ms bins"),
    Task("conj-60-50ms", "mixed selectivity", P.ConjunctiveCells(60), note="place x heading, Y = (p, cos, sin)"),
    Task("shared-gauss2-30x30", "shared latent", P.SharedLatent(30, 30, latent_dim=2),
         note="counts A vs counts B, 2-d Gaussian latent"),
    Task("shared-track-20x20", "shared latent", P.SharedLatent(20, 20, latent="track"),
         note="two place-cell populations on one track"),
    Task("slow-place2d-50-tau50", "slow place cells", P.PlaceCells2D(50, bin_s=0.1, tau_bins=50.0),
         settings={"split": "blocked"}, note="reflected walk, correlation time 50 bins"),
    Task("slow-hd-40-tau50", "slow head direction", P.HeadDirectionCells(40, bin_s=0.025, tau_bins=50.0),
         settings={"split": "blocked"}, note="wrapped walk, correlation time 50 bins"),
    Task("slow-shared-gauss1-tau20", "slow shared latent", P.SharedLatent(30, 30, latent_dim=1, tau_bins=20.0),
         settings={"split": "blocked"}, note="AR(1) latent, lag-1 autocorrelation exp(-1/20)"),
    Task("mixture3-2x2", "mixture", P.three_component_mixture(), note="3 Gaussians, different means/covariances"),
)


def select_tasks(patterns: Sequence[str] | None = None) -> list[Task]:
    """Tasks whose name contains any of ``patterns`` (all when None or empty); raise if a pattern matches none."""
    if not patterns:
        return list(TASKS)
    chosen = []
    for p in patterns:
        hits = [t for t in TASKS if p in t.name]
        if not hits:
            raise NeuralMIError(f"`--tasks` pattern {p!r} matches no task; tasks are {[t.name for t in TASKS]}.")
        chosen += [t for t in hits if t not in chosen]
    return [t for t in TASKS if t in chosen]


def route_options(options: dict[str, Any], modes: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Send each estimator option to the modes whose function takes it; raise when none of them does."""
    funcs = {"estimate": estimate, "rigorous": rigorous}
    params = {m: set(inspect.signature(funcs[m]).parameters) - {"x", "y"} for m in modes}
    out: dict[str, dict[str, Any]] = {m: {} for m in modes}
    for key, value in options.items():
        takers = [m for m in modes if key in params[m]]
        if not takers:
            raise NeuralMIError(f"option {key!r} is not a keyword of {' or '.join(f'{m}()' for m in modes)}.")
        for m in takers:
            out[m][key] = value
    return out


def _is_choice_of(key: str, value: str) -> bool:
    """Whether ``key``, a declared setting of :func:`estimate`, is a choice that lists ``value``."""
    c = ESTIMATE_SETTINGS[key].constraint if key in ESTIMATE_SETTINGS else None
    return isinstance(c, Choice) and value in c.options


def parse_option(text: str) -> tuple[str, Any]:
    """``KEY=VALUE`` with VALUE read as int, float, bool or none where it parses, a JSON object or list where it
    starts with ``{`` or ``[`` (e.g. ``options={"ref_ratio": 1}``), else kept as a string. ``none`` is None
    (``batch_size=none``) except for a setting whose choices list it (``preprocess=none`` stays the string)."""
    key, sep, raw = text.partition("=")
    if not sep or not key:
        raise NeuralMIError(f"an option must look like KEY=VALUE (e.g. hidden=512). Got {text!r}.")
    if raw.lstrip()[:1] in ("{", "["):
        try:
            return key, json.loads(raw)
        except json.JSONDecodeError as exc:
            raise NeuralMIError(f"option {key!r}: {raw!r} starts like JSON but does not parse ({exc}).") from None
    low = raw.lower()
    if low in ("true", "false"):
        return key, low == "true"
    if low == "none":
        return key, "none" if _is_choice_of(key, "none") else None  # preprocess=none is a choice, not "no value"
    for kind in (int, float):
        try:
            return key, kind(raw)
        except ValueError:
            pass
    return key, raw


def run_one(task: Task, n: int, data_seed: int, mode: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run ``mode`` (estimate or rigorous, ``split="random"`` unless the task's ``settings`` or ``options``
    say otherwise) on one data set; return a row."""
    if mode not in MODES:
        raise NeuralMIError(f"`mode` must be one of {MODES}. Got {mode!r}.")
    x, y = task.sampler.sample(n, seed=data_seed)
    kw = {"split": "random", "progress": False, "seed": data_seed, **task.settings, **(options or {})}
    truth = task.mi
    t0 = time.perf_counter()
    row: dict[str, Any] = {"task": task.name, "family": task.family, "n": n, "data_seed": data_seed, "mode": mode,
                           "truth": truth, "copula_equivalent": task.copula_equivalent, "options": dict(options or {})}
    if mode == "estimate":
        res = estimate(x, y, **kw)
        curve_train = [m.curve_train_nats for m in res.members]
        row.update(mi=res.mi_nats, mi_train=res.mi_train_nats, ceiling=res.ceiling_nats,
                   best_epoch=res.history.get("best_epoch"), epochs_run=res.history.get("epochs_run"),
                   curve_train_max=float(np.mean([max(c) for c in curve_train])) if all(curve_train) else math.nan,
                   curve_test_max=float(np.mean([max(m.curve_test_nats) for m in res.members]))
                   if all(m.curve_test_nats for m in res.members) else math.nan,
                   flags=["near_ceiling"] if res.near_ceiling else [], warnings=list(res.warnings),
                   # the estimator's own per-member diagnostics (MI-NEE's three divergences, MIENF's latent, ...)
                   member_info=[{k: v for k, v in (m.info or {}).items() if isinstance(v, (int, float, str, bool))
                                 and not k.endswith("_s")} for m in res.members])
    else:
        res = rigorous(x, y, **kw)
        row.update(mi=res.mi_nats, naive=res.naive_mi_nats, ci=[res.ci_low_nats, res.ci_high_nats],
                   fit_ci=[res.fit_ci_low_nats, res.fit_ci_high_nats], se=res.se_nats, shared_se=res.shared_se_nats,
                   systematic=res.systematic_nats, confidence=res.confidence,
                   intercepts={k: f.intercept_nats for k, f in res.fits.items()},
                   per_gamma_train=_per_gamma(res, "mi_train_nats"), per_gamma_test=_per_gamma(res, "mi_test_nats"),
                   gammas_used=list(res.gammas_used), flags=list(res.flags), warnings=list(res.warnings),
                   members=[{k: v for k, v in m.to_dict().items() if not k.startswith("curve")} for m in res.members])
    row["seconds"] = time.perf_counter() - t0
    return score(row)


def score(row: dict[str, Any]) -> dict[str, Any]:
    """Set a row's ``error``, ``rel_error`` (NaN when the truth is 0) and, when it has a ``ci``, ``covered``
    from its ``mi`` and ``truth``; return the row (also used on rows re-derived from saved members)."""
    truth = row["truth"]
    row["error"] = row["mi"] - truth
    row["rel_error"] = row["error"] / truth if truth > 0 else math.nan
    if "ci" in row:
        row["covered"] = bool(row["ci"][0] <= truth <= row["ci"][1])
    return row


def _per_gamma(res: Any, key: str) -> dict[int, float]:
    out: dict[int, list[float]] = {}
    for m in res.members:
        out.setdefault(m.gamma, []).append(getattr(m, key))
    return {g: float(np.mean(v)) for g, v in sorted(out.items())}


#: Flags of the headline interval that say it is likely to miss (see :data:`neuralmi_core.flags.FLAGS`).
MISS_FLAGS = flag_names(misses=True)


#: A phrase of a warning that rigorous mode emits with a flag of :data:`MISS_FLAGS`, for rows saved before the flag
#: existed: the flag is re-derived from the warning (the warning's condition is the flag's).
FLAG_BY_WARNING = {"extrapolations disagree": "train_test_disagree", "of log(n_eval)": "infonce_k_bias",
                   "its reference there is the side's own training sample": "empirical_reference",
                   "flowed the other side alone": "conditional_flow", "neither side has one": "no_density"}


def row_flags(row: dict[str, Any]) -> list[str]:
    """A rigorous row's flags: those it saved and those of :data:`FLAG_BY_WARNING` that its warnings imply."""
    found = list(row.get("flags", ()))
    for phrase, name in FLAG_BY_WARNING.items():
        if name not in found and any(phrase in w for w in row.get("warnings", ())):
            found.append(name)
    return found


def flagged(row: dict[str, Any]) -> bool:
    """A flag of :data:`MISS_FLAGS` fired on this rigorous row (runs before the flags existed: its warning)."""
    return bool(set(row_flags(row)) & set(MISS_FLAGS))


def pool(rows: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Pooled figures per mode: median and worst |relative error| (MI > 0 tasks), CI coverage over
    (task, N, data set) rows, the misses on which no flag of :data:`MISS_FLAGS` fired, and for MI = 0 tasks
    how often the CI contains 0 and the largest |estimate|. Copula-equivalent rows are left out (they repeat
    their Gaussian base: regression tests, not evidence)."""
    out = {}
    for mode in MODES:
        mine = [r for r in rows if r["mode"] == mode and not r.get("copula_equivalent")]
        if not mine:
            continue
        pos = [r for r in mine if r["truth"] > 0 and math.isfinite(r["mi"])]
        zero = [r for r in mine if r["truth"] == 0]
        rel = [abs(r["rel_error"]) for r in pos]
        worst = max(pos, key=lambda r: abs(r["rel_error"])) if pos else None
        summary: dict[str, Any] = {
            "rows": len(mine),
            "median_abs_rel_error": statistics.median(rel) if rel else math.nan,
            "worst_abs_rel_error": abs(worst["rel_error"]) if worst else math.nan,
            "worst": f"{worst['task']} N={worst['n']} seed {worst['data_seed']}" if worst else "",
            "median_signed_rel_error": statistics.median(r["rel_error"] for r in pos) if pos else math.nan,
            "max_abs_estimate_mi0": max((abs(r["mi"]) for r in zero), default=math.nan),
            "seconds": sum(r["seconds"] for r in mine),
        }
        if mode == "rigorous":
            summary["ci_covers"] = sum(r["covered"] for r in pos)
            summary["ci_rows"] = len(pos)
            summary["unflagged_misses"] = sorted(f"{r['task']} N={r['n']} seed {r['data_seed']}" for r in pos
                                                 if not r["covered"] and not flagged(r))
            summary["flagged"] = sum(flagged(r) for r in pos)
            summary["flagged_covered"] = sum(flagged(r) and r["covered"] for r in pos)
            summary["ci_contains_0"] = sum(r["covered"] for r in zero)
            summary["ci_rows_mi0"] = len(zero)
        out[mode] = summary
    return out
