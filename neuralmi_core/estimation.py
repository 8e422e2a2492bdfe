"""The one-call API: ``neuralmi_core.estimate(x, y, ...) -> MIResult``."""

from __future__ import annotations

import dataclasses
import math
import time
from typing import TYPE_CHECKING, Any

import numpy as np

from .collapse import collapse_warning
from .flags import REFIT_TASK_ERROR, density_fit_warnings, warning_text
from .results import MIResult, infonce_k_biased, near_ceiling
from .settings import BASELINES, ESTIMATE, MODEL, RUNTIME, TRAINING, api, parse_options, resolve
from .validation import (
    NeuralMIError,
    as_2d_samples,
    check_int,
    check_paired,
    constant_input_warning,
    emit_warnings,
)

if TYPE_CHECKING:
    from .estimators import ModelSpec
    from .training import TrainConfig

#: ``fit.info["context_x"]`` (or ``_y``) of MIENF's conditional refit (:func:`conditional_refit_side`): the
#: ``conditional_refit`` warning explains it, not ``conditional_flow`` (whose side has no density).
REFIT_REASON = "refit"
MINEE_RELIABLE_DIMS = 4  # MI-NEE with the uniform reference: accurate up to 2 + 2 dims, erratic from 5 + 5
#: Every keyword of :func:`estimate` after X, Y (declared in :mod:`neuralmi_core.settings`).
SETTINGS = MODEL + TRAINING + ESTIMATE + RUNTIME


@api(SETTINGS)
def estimate(x: Any, y: Any, estimator: str = "infonce", critic: str = "auto", **settings: Any) -> MIResult:
    """Estimate the mutual information I(X; Y) in nats (``.mi_bits`` for bits).

    Parameters
    ----------
    x, y : array-like, shape (n_samples, ...)
        Paired samples, samples on axis 0 (trailing axes are flattened into features).
    estimator : str
        ``infonce`` (default; low variance, capped at log n_eval), ``smile`` (clipped DV, ``tau``),
        ``nwj``, ``dv``, ``mine``, ``js``, ``minee``, ``mienf``, or the baselines ``ksg`` (k-NN, ``k``
        neighbours) and ``gaussian`` (closed form).
    critic : str
        ``auto`` (default: ``poisson`` when exactly one side holds spike counts, else ``separable``),
        ``separable``, ``bilinear``, ``concat``, ``hybrid`` or ``poisson`` (see :mod:`neuralmi_core.models`).
    {settings}

    Returns
    -------
    MIResult
        Held-out MI with sample sizes, seeds, timing, training-curve summary and the InfoNCE ceiling flag.
        With ``n_seeds > 1``, ``mi_nats`` is the mean over the seeds and ``mi_std_nats`` their spread.

    Examples
    --------
    >>> from neuralmi_core.samplers import CorrelatedGaussian
    >>> x, y = CorrelatedGaussian(2, 2, mi_nats=1.0).sample(2000, seed=0)
    >>> res = estimate(x, y, estimator="ksg")
    >>> abs(res.mi_nats - 1.0) < 0.15
    True
    """
    values = resolve(SETTINGS, {"estimator": estimator, "critic": critic, **settings})
    estimator = values["estimator"]
    parse_options(estimator, values["options"])
    x_arr = as_2d_samples("x", x)
    y_arr = as_2d_samples("y", y)
    check_paired(x_arr, y_arr)
    n = x_arr.shape[0]
    seed = values["seed"]
    t0 = time.perf_counter()
    data_warnings = tuple(w for w in (constant_input_warning("x", x_arr), constant_input_warning("y", y_arr)) if w)
    if estimator in BASELINES:
        from .estimators.gaussian import gaussian_mi
        from .estimators.ksg import ksg_mi

        k = check_int("k", values["k"], 1, n - 1, context=f"n_samples={n}")
        mi = ksg_mi(x_arr, y_arr, k=k, seed=seed) if estimator == "ksg" else gaussian_mi(x_arr, y_arr)
        res = MIResult(mi_nats=mi, estimator=estimator, critic=None, n_train=n, n_test=0, n_eval=n, seed=seed,
                       seconds=time.perf_counter() - t0, device="cpu",
                       params={"k": k} if estimator == "ksg" else {}, warnings=data_warnings)
        emit_warnings(res.warnings)
        return res

    from .estimators import fit_ensemble
    from .estimators.neural import setup_training
    from .training import split_member

    if n < 20:
        raise NeuralMIError(f"neural estimators need at least 20 paired samples; got n_samples={n}.")
    spec, cfg, record = setup_training(values)
    cfg = dataclasses.replace(cfg, weight_average=values["weight_average"])
    member = split_member(x_arr, y_arr, values["split"], values["test_fraction"], gap=values["gap"], seed=seed)
    fit = fit_ensemble([member] * values["n_seeds"], spec, cfg, desc=f"{estimator}/{values['critic']}",
                       preprocessing=values["preprocess"])

    def summary(fit: Any, spec: ModelSpec) -> MIResult:
        return result_from_fit(fit, spec, cfg, split=values["split"], seconds=time.perf_counter() - t0,
                               extra_params={"test_fraction": values["test_fraction"], "gap": values["gap"],
                                             "n_seeds": values["n_seeds"], "preprocess": values["preprocess"],
                                             "weight_average": bool(fit.info.get("weight_average", False))})

    res = summary(fit, spec)
    if (estimator == "minee" and parse_options("minee", spec.options)["reference"] == "uniform"
            and x_arr.shape[1] + y_arr.shape[1] > MINEE_RELIABLE_DIMS):
        res = dataclasses.replace(res, warnings=res.warnings + (warning_text(
            "minee_uniform_dims", limit=MINEE_RELIABLE_DIMS, dim_x=x_arr.shape[1], dim_y=y_arr.shape[1]),))
    ksg = witness_nats(estimator, x_arr, y_arr, seed) if np.isfinite(res.mi_nats) else None
    side = conditional_refit_side(estimator, spec.options, fit.info, x_arr.shape[1], y_arr.shape[1])
    if side and misses_witness(res.mi_nats, ksg):
        # MIENF's flows of each side to a jointly Gaussian (Student-t) latent missed dependence the k-NN witness
        # finds (between the components of a mixture, benchmarks/DIAGNOSIS.md section 47): fit the more general
        # model, a conditional flow of one side given the other, and report it where it finds more
        refit_spec = dataclasses.replace(spec, options={**(spec.options or {}), "context_side": side})
        refit = fit_ensemble([member] * values["n_seeds"], refit_spec, cfg, desc=f"{estimator}/conditional refit",
                             preprocessing=values["preprocess"])
        refit.info.update({f"context_{side}": REFIT_REASON, "joint_flows_mi_nats": res.mi_nats,
                           "witness_ksg_nats": ksg})
        found = summary(refit, refit_spec)
        if found.mi_nats > res.mi_nats:
            res = dataclasses.replace(found, warnings=found.warnings + (warning_text(
                "conditional_refit", estimator=estimator, joint=res.mi_nats, ksg=ksg, side=side,
                modelled="y" if side == "x" else "x", mi=found.mi_nats, low=REFIT_TASK_ERROR[estimator]),))
        else:  # kept: the joint fit, and the refit's number on its record
            res.history["timing"]["conditional_refit_mi_nats"] = found.mi_nats
    missed = missed_dependence_warning(estimator, res.mi_nats, x_arr, y_arr, seed, ksg=ksg)
    series = time_series_warnings(x_arr, y_arr, values["split"], res.n_train, values["gap"])
    gap = train_test_gap_warning(res.mi_train_nats, res.mi_nats)
    res = dataclasses.replace(res, warnings=data_warnings + res.warnings + ((missed,) if missed else ())
                              + series + ((gap,) if gap else ()))
    emit_warnings(res.warnings)
    return res


#: An estimate's training set is "small" when it holds fewer than this many independent samples (its size over
#: the decorrelation time): the size below which rigorous mode warns about a member (``min_chunk``).
MIN_EFFECTIVE_TRAIN = 1000


def time_series_warnings(x: np.ndarray, y: np.ndarray, split: str, n_train: int, gap: int) -> tuple[str, ...]:
    """Warnings for an estimate on autocorrelated samples (issue 20 item 5): the measured decorrelation time
    tau of X and Y (:func:`~neuralmi_core.autocorr.decorrelation_bins`, the larger of the two; 1 for i.i.d.
    samples, so i.i.d. data never warn) makes the training set worth n_train / tau independent samples, and a
    random split puts neighbours of every held-out sample into the training set."""
    from .autocorr import decorrelation_bins

    tau = max(decorrelation_bins(x), decorrelation_bins(y))
    if tau < 2:
        return ()
    out = []
    effective = n_train / tau
    if effective < MIN_EFFECTIVE_TRAIN:
        out.append(warning_text("small_effective_sample", tau=tau, n_train=n_train, effective=effective,
                                minimum=MIN_EFFECTIVE_TRAIN))
    if split == "random":
        out.append(warning_text("random_split_leaks", tau=tau, gap=max(gap, tau)))
    return tuple(out)


#: estimate() warns when its held-out MI is below this fraction of the training-subset MI (the training-subset
#: MI more than 20 % above it) and the two differ by more than TRAIN_TEST_GAP_NATS. Chosen on the accuracy suite
#: with today's defaults (benchmarks/DIAGNOSIS.md section 15: N = 5000, data sets 0 and 1, every task with MI > 0):
#: it warns on 9 of 56 rows, each 13-39 % low, and on none within 10 %; 5 of the 7 rows more than 20 % off (the
#: two strong spirals learn nothing, on either subset, and cannot be told). The ratio was 0.5: no row warned.
TRAIN_TEST_RATIO = 1 / 1.2
TRAIN_TEST_GAP_NATS = 0.1


def train_test_gap_warning(mi_train: float, mi_test: float) -> str | None:
    """``estimate_train_test_gap`` when the network found much more on its training subset than on held-out
    data: over-fitting or an effective sample size far below N; the held-out MI is then likely low."""
    if not (math.isfinite(mi_train) and math.isfinite(mi_test)):
        return None
    if mi_train - mi_test > TRAIN_TEST_GAP_NATS and mi_test < TRAIN_TEST_RATIO * mi_train:
        return warning_text("estimate_train_test_gap", train=mi_train, test=mi_test)
    return None


#: MI-NEE and MIENF estimates below this (nats) are checked against a k-NN (KSG) estimate of the same data.
WITNESS_BELOW_NATS = 0.01
#: ... when the data have at most this many dimensions in all (KSG costs 40 s on 5000 x 80-d counts, and is
#: biased low in high dimensions, where it would be a weak witness anyway) ...
WITNESS_MAX_DIMS = 20
#: ... and the KSG estimate at or above this (nats) means there is dependence the fit missed. KSG on independent
#: data: 0.013 (3+3-d Gaussian) and 0.014 (40+40 Poisson counts) nats at N = 5000.
WITNESS_DEPENDENT_NATS = 0.05
#: ... and also below WITNESS_CHECK_BELOW_NATS, an estimate under WITNESS_FRACTION of the KSG estimate is a miss:
#: MIENF's Student-t latent gives 0.050 nats on xmixture-5x5 (truth 0.817, KSG 0.365), above 0.01, where its
#: Gaussian latent gave -0.002 and warned (DIAGNOSIS.md section 13, "Cure").
WITNESS_CHECK_BELOW_NATS = 0.1
WITNESS_FRACTION = 0.25
#: ... and at or above WITNESS_CHECK_BELOW_NATS, an estimate under WITNESS_FRACTION_ABOVE of the KSG estimate (which
#: is itself biased low) is a miss. Measured on every suite task with at most 20 features, data sets 0 and 1
#: (DIAGNOSIS.md section 32): MIENF's rows under 0.80 of KSG are all 41-98 % low (mixture3-2x2 0.50-0.57, the
#: swiss roll 0.32-0.60, spiral-sparse-5x5 0.80), its rows at 1.07 or more all within 15 %; MI-NEE's accurate
#: mixture3 rows read 0.96-0.98.
WITNESS_FRACTION_ABOVE = 0.85


def witness_nats(estimator: str, x: np.ndarray, y: np.ndarray, seed: int) -> float | None:
    """The k-NN (KSG, k = 3) witness of a MI-NEE or MIENF estimate: KSG's MI (nats) on the same data (at most 5000
    rows), or None where no witness runs (other estimators, more than :data:`WITNESS_MAX_DIMS` dimensions)."""
    if estimator not in ("minee", "mienf"):
        return None
    if x.shape[1] + y.shape[1] > WITNESS_MAX_DIMS:
        return None
    from .estimators.ksg import ksg_mi

    rows = np.random.default_rng(seed).permutation(len(x))[:5000]
    return float(ksg_mi(x[rows], y[rows], k=3, seed=seed))


def misses_witness(mi: float, ksg: float | None) -> bool:
    """Whether an estimate ``mi`` missed dependence its KSG witness ``ksg`` finds (:func:`witness_nats`; thresholds
    above)."""
    if ksg is None or ksg < WITNESS_DEPENDENT_NATS or not np.isfinite(mi):
        return False
    if mi < WITNESS_CHECK_BELOW_NATS:
        return bool(mi < WITNESS_BELOW_NATS or mi < WITNESS_FRACTION * ksg)
    return bool(mi < WITNESS_FRACTION_ABOVE * ksg)


def missed_dependence_warning(estimator: str, mi: float, x: np.ndarray, y: np.ndarray, seed: int,
                              ksg: float | None = None) -> str | None:
    """The ``fit_missed_dependence`` warning when a MI-NEE or MIENF estimate is ~0 but a k-NN estimate of the same
    data (at most 5000 samples) finds dependence, or an estimate below 0.1 nats is under a quarter of KSG's, or one
    above it under 0.85 of KSG's (issue 23 item 1): their model class can miss a dependence
    that leaves the marginals and the correlations alone (MIENF's separate flows to a jointly Gaussian latent
    return 0.003 nats on the 3+3-d asinh Student-t, truth 0.291, where KSG gives 0.198), or part of one (MIENF
    0.33 nats on the 3-component mixture mixture3-2x2, truth 0.569, KSG 0.571). KSG runs whenever the data have at
    most :data:`WITNESS_MAX_DIMS` dimensions (0.3-2 s at 5000 rows); ``ksg``: its value when already computed."""
    if ksg is None and np.isfinite(mi):
        ksg = witness_nats(estimator, x, y, seed)
    if not misses_witness(mi, ksg):
        return None
    return warning_text("fit_missed_dependence", estimator=estimator, mi=mi, ksg=ksg)


def conditional_refit_side(estimator: str, options: Any, info: dict[str, Any], dim_x: int, dim_y: int) -> str | None:
    """The context side of MIENF's conditional refit (:func:`estimate`), or None where none is made: MIENF's general
    variant with ``context_side="auto"`` that flowed each side (``auto`` resolved to none) where both sides have a
    density (no integer-valued feature dequantized, neither side lower-dimensional; on counts against counts a
    conditional flow over-fits its context, benchmarks/DIAGNOSIS.md section 46). The context is the side with more
    features (x on a tie): the flow models the smaller side."""
    if estimator != "mienf":
        return None
    opts = parse_options(estimator, options)
    if opts["variant"] != "general" or opts["context_side"] != "auto":
        return None
    if any(f"context_{side}" in info or int(info.get(f"dequantized_{side}", 0)) for side in "xy"):
        return None
    from .intrinsic import check_from_info, is_lower_dimensional

    if any(is_lower_dimensional(check_from_info(info, side)) for side in "xy"):
        return None
    return "y" if dim_y > dim_x else "x"


def flows_untrained_warning(estimator: str, members: Any) -> str | None:
    """The ``flows_untrained`` warning for a MIENF fit whose own record says its flows did not train (issue 23
    item 1): a member's best epoch is the first (its smoothed held-out MI never rose after one epoch), or its
    held-out MI is not finite or exactly 0. ``members``: the fit's member records (``MIResult.members``)."""
    if estimator != "mienf":
        return None
    reasons = []
    first = [m.member for m in members if m.best_epoch <= 1]
    if first:
        reasons.append(f"best epoch <= 1 in member(s) {first}")
    bad = [m.member for m in members if not np.isfinite(m.mi_test_nats) or m.mi_test_nats == 0.0]
    if bad:
        reasons.append(f"held-out MI NaN or exactly 0 in member(s) {bad}")
    return warning_text("flows_untrained", estimator=estimator, reason="; ".join(reasons)) if reasons else None


def result_from_fit(fit: Any, spec: ModelSpec, cfg: TrainConfig, split: str | None, seconds: float,
                    extra_params: dict[str, Any] | None = None) -> MIResult:
    """Summarise an :class:`~neuralmi_core.training.EnsembleFit` of seed replicates as one MIResult."""
    mis = np.array([m.mi_test_nats for m in fit.members])
    trains = np.array([m.mi_train_nats for m in fit.members])
    mi = float(np.mean(mis))
    warnings: list[str] = []
    near = near_ceiling(mi, fit.ceiling_nats)
    if near:
        warnings.append(warning_text("near_ceiling", estimator=spec.estimator, mi=mi, ceiling=fit.ceiling_nats))
    elif spec.estimator == "infonce" and infonce_k_biased(mi, fit.n_eval, "estimate"):
        warnings.append(warning_text("infonce_k_bias_estimate", mi=mi, ceiling=fit.ceiling_nats))
    if not np.all(np.isfinite(mis)):
        warnings.append(warning_text("diverged"))
    untrained = flows_untrained_warning(spec.estimator, fit.members)
    if untrained:
        warnings.append(untrained)
    warnings.extend(density_fit_warnings(spec.estimator, fit.info))
    collapsed = collapse_warning(fit.info, len(fit.members))
    if collapsed:
        warnings.append(collapsed)
    m0 = fit.members[0]
    history = {
        "best_epoch": [m.best_epoch for m in fit.members],
        "epochs_run": [m.epochs_run for m in fit.members],
        "stopped_early": [m.stopped_early for m in fit.members],
        "steps_per_epoch": fit.steps_per_epoch,
        "batch_size": fit.batch_size,
        "curve_epochs": list(m0.curve_epochs),
        "curve_test_nats": list(m0.curve_test_nats),
        "curve_train_nats": list(m0.curve_train_nats),
        "timing": dict(fit.info),
    }
    params = {**spec.to_dict(), "epochs": cfg.epochs, "batch_size": cfg.batch_size, "lr": cfg.lr,
              "patience": cfg.patience, "eval_size": cfg.eval_size, **(extra_params or {})}
    if "counts_side" in fit.info:  # a count critic: which input held the spike counts it models
        params["counts_side"] = fit.info["counts_side"]
    return MIResult(
        mi_nats=mi,
        mi_std_nats=float(np.std(mis, ddof=1)) if len(mis) > 1 else math.nan,
        mi_train_nats=float(np.mean(trains)),
        estimator=spec.estimator,
        critic=fit.info.get("critic", spec.critic) if spec.estimator not in ("minee", "mienf") else None,
        n_train=m0.n_train,
        n_test=m0.n_test,
        n_eval=fit.n_eval,
        n_seeds=len(fit.members),
        seed=cfg.seed,
        seconds=seconds,
        split=split,
        device=fit.device,
        ceiling_nats=fit.ceiling_nats,
        near_ceiling=bool(near),
        history=history,
        params=params,
        members=fit.members,
        warnings=tuple(warnings),
    )
