"""Estimator-specific settings (``options``), declared per estimator; the rest take none.

``minee`` and ``mienf`` read these from ``options`` (``--option KEY=VALUE`` on the CLI, ``options:`` in
the workflow config); :func:`parse_options` fills their defaults and checks them. Light (no torch), so
the workflow checks options while planning.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..validation import NeuralMIError
from .constraints import Bool, Choice, Float, Int
from .core import Setting, Settings, resolve, unknown_error

MINEE_REFERENCES = ("gaussian", "uniform")
MINEE_EMPIRICAL = ("auto", "none", "x", "y", "both")
MINEE_JOINT = ("auto", "mlp", "poisson")
MIENF_VARIANTS = ("general", "tridiagonal")
MIENF_FLOWS = ("nsf", "maf", "realnvp")
MIENF_LATENTS = ("auto", "gaussian", "student")
MIENF_LATENT_FITS = ("running", "epoch")
MIENF_CONTEXT = ("auto", "none", "x", "y")

#: Both density-based estimators (MI-NEE, MIENF) dequantize integer-valued features; fit_ensemble applies it
#: (estimators.neural.dequantize_members), so the objectives never see the option.
DEQUANTIZE = Setting("dequantize", True, Bool(), "add Uniform[0, 1) noise to every integer-valued feature (spike "
                     "counts, binary codes) before fitting: the MI is unchanged (the integer is the noisy value's "
                     "floor) and the data get a density; without it the fitted densities (MI-NEE's divergences to its "
                     "continuous reference, MIENF's likelihood) grow without bound")

ESTIMATOR_OPTIONS: dict[str, Settings] = {
    "minee": Settings([
        Setting("reference", "gaussian", Choice(MINEE_REFERENCES),
                "product reference: N(mean, cov) per block (gaussian) or uniform on the data's box"),
        Setting("ref_ratio", 2, Int(1), "reference samples per data sample, in training and evaluation (was 10 "
                "before issue 23: same MI within seed spread at a third of the training cost)"),
        Setting("pad", 0.0, Float(0.0), "widen the uniform box by this fraction of its width on each side"),
        Setting("eval_ref", 16384, Int(1), "at least this many fixed reference samples when evaluating (was 65536; "
                "raise it for the uniform reference, whose divergences are large)"),
        Setting("eval_chunk", 8192, Int(1), "reference samples per forward pass when evaluating (memory only)"),
        Setting("marginal_hidden", 0, Int(0), "width of the two marginal critics f(x), f(y); 0 = half the joint "
                "critic's width (`hidden`; measured on the suite: the same error or less at 0.6x the time of equal "
                "widths, which `marginal_hidden` = `hidden` gives back)"),
        Setting("empirical_sides", "auto", Choice(MINEE_EMPIRICAL),
                "sides whose reference is their own training sample (whole rows, drawn independently of the other "
                "side) instead of the continuous reference: then D(P_X||Q_X) = 0 and its critic is off, and the MI is "
                "D(P_XY||P_X x Q_Y) - D(P_Y||Q_Y). auto: every side without a density, i.e. all of its features "
                "integer-valued (spike counts: kept as counts, not dequantized) or its continuous features on a "
                "lower-dimensional set (the intrinsic-dimension check, e.g. (cos, sin) of an angle); none: the "
                "continuous reference everywhere (the numbers of before, counts dequantized). Measured on the suite's "
                "13 count tasks with MI > 0 and the swiss roll: median error 24 -> 15 percent on the 30 tasks, every "
                "changed row closer but one (+0.5 -> +1.4 percent; benchmarks/DIAGNOSIS.md section 44)"),
        Setting("joint_critic", "auto", Choice(MINEE_JOINT),
                "the joint critic f(x, y): mlp (an MLP of the concatenated features) or poisson (spike counts on one "
                "side: the Poisson log-likelihood of the counts under rates predicted from the other side through an "
                "`embedding_dim`-rank map, plus learned terms in each side alone; the counts get their empirical "
                "reference). auto: poisson when exactly one side holds spike counts (non-negative integers in two or "
                "more columns, some above 1) and has its empirical reference, else mlp. Measured on the suite's 10 "
                "tasks of counts against a variable, three data sets: every row closer, median error 20 -> 7 "
                "percent (benchmarks/DIAGNOSIS.md section 51)"),
        DEQUANTIZE,
    ]),
    "mienf": Settings([
        Setting("variant", "general", Choice(MIENF_VARIANTS),
                "general (N-MIENF) or tridiagonal (per-component MIs)"),
        Setting("flow", "nsf", Choice(MIENF_FLOWS),
                "zuko flow: nsf (neural spline), maf (affine autoregressive), realnvp (coupling)"),
        Setting("transforms", 2, Int(1), "flow layers per side"),
        Setting("bins", 8, Int(2), "spline bins (nsf)"),
        Setting("softclip", 4.0, Float(0.0, 5.0), "first squash each feature into (-b, b); 0 = off"),
        Setting("linear", True, Bool(), "end with a learned invertible linear map"),
        Setting("jitter", 1e-5, Float(0.0), "added to the latent covariance's diagonal"),
        Setting("ema", 0.05, Float(0.0, 1.0, low_open=True),
                "rate of the running moments of the training latents (latent_fit running)"),
        Setting("latent", "auto", Choice(MIENF_LATENTS),
                "latent model: gaussian, student (multivariate t, nu chosen by likelihood on a grid that ends "
                "in the Gaussian; holds dependence through a shared scale; general variant only), or auto "
                "(student for the general variant, gaussian for the tridiagonal)"),
        Setting("flow_hidden", 0, Int(0), "hidden units per layer of the flows' networks; 0 = a quarter of `hidden` "
                "(measured on the suite: the same error as flows `hidden` wide, and a third of the time per step on "
                "the heavy-tailed task; `flow_hidden` = `hidden` gives back the numbers of those)"),
        Setting("latent_fit", "epoch", Choice(MIENF_LATENT_FITS),
                "how the latent model follows the flows: epoch (the maximum-likelihood fit to the latents of the "
                "whole training set, before the first step and after every epoch, held during the epoch's steps: "
                "the moments, and for the student latent EM on every nu of the grid and the choice of nu; early "
                "stopping then needs a gain of 0.005 of the MI to reset its patience, and the automatic batch and "
                "the learning rate are twice the trainer's; measured on the suite: the heavy-tailed tasks closer "
                "to the truth in a third of the time) or running (running moments of the training batches at rate "
                "`ema`, the trainer's batch and learning rate: the numbers of before)"),
        Setting("context_side", "auto", Choice(MIENF_CONTEXT),
                "a side that is only the context of a conditional flow of the other side: MIENF then flows that "
                "other side alone, a conditional flow q(m|c) and an unconditional one p(m), and the MI is the held-out "
                "mean of log q(m|c) - log p(m) (a difference of likelihoods, not a bound; the latent options do not "
                "apply). auto: the side without a density when exactly one has none, i.e. all of its features "
                "integer-valued (spike counts: kept as counts, not dequantized) or its continuous features on a "
                "lower-dimensional set (the intrinsic-dimension check); none otherwise, and for the tridiagonal "
                "variant; none: a flow of each side (the numbers of before, counts dequantized). Measured on the "
                "suite's 7 tasks with one such side: every row closer, 2-71 percent low on three data sets (median "
                "16; before 14-100), the median over the 30 tasks 41 -> 15 percent (benchmarks/DIAGNOSIS.md "
                "section 46). With auto, estimate() also refits as a conditional flow (the larger side as context) "
                "where both sides have a density and a k-NN witness says the flows of each side missed dependence "
                "(a mixture), and reports the refit when it finds more (warning conditional_refit; section 47)"),
        Setting("context_dim", 16, Int(0),
                "the conditional flow's context (context_side x or y) enters through a learned linear map to this many "
                "features, shared by the flow's layers, where the context side has more; and a context of spike "
                "counts is z-scored, not rank-transformed (the log-likelihood of counts under Poisson tuning is linear "
                "in the counts: a linear map of them is a low-rank tuning model's sufficient statistic). 0: neither, "
                "the context as it is after `preprocess` (the numbers of before). Measured on the suite's 7 tasks of counts against "
                "a variable, three data sets: every row with more than 16 neurons closer, median error 16 -> 11 "
                "percent (benchmarks/DIAGNOSIS.md section 52)"),
        DEQUANTIZE,
    ]),
}


def parse_options(estimator: str, options: Mapping[str, Any] | None, where: str = "") -> dict[str, Any]:
    """``options`` of ``estimator`` with defaults filled and every value checked.

    Raises ``NeuralMIError`` for options given to an estimator that takes none, for unknown keys (with
    close matches) and for bad values, naming ``options.KEY``.
    """
    opts = dict(options or {})
    declared = ESTIMATOR_OPTIONS.get(estimator)
    if declared is None:
        if opts:
            pre = f"{where}: " if where else ""
            raise NeuralMIError(f"{pre}`options` {sorted(opts)} were given, but estimator {estimator!r} takes none "
                                f"(options apply to {', '.join(sorted(ESTIMATOR_OPTIONS))}).")
        return {}
    unknown = set(opts) - set(declared.names)
    if unknown:
        raise unknown_error(unknown, declared.names, where, what=f"{estimator} option")
    if opts.get("softclip", 0) is None:
        opts["softclip"] = 0.0
    prefixed = Settings(Setting(f"options.{s.name}", s.default, s.constraint, s.help) for s in declared)
    out = resolve(prefixed, {f"options.{k}": v for k, v in opts.items()}, where or f"{estimator} options")
    return {k.split(".", 1)[1]: v for k, v in out.items()}
