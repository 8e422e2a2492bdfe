"""The settings every estimate shares: the model (estimator, critic, networks), training and runtime.

Each analysis module declares its own settings next to its code (e.g. ``gammas`` in
:mod:`neuralmi_core.analysis.rigorous`) and may give shared settings other defaults (dimensionality
defaults to ``smile``). The names of estimators, critics, activations, splits and preprocessings are
declared here once; the modules that implement them import these tuples.
"""

from __future__ import annotations

from .constraints import Bool, Choice, Float, Int, Optional, OptionalBool, Options, Text
from .core import Setting, Settings

#: Variational bounds of :mod:`neuralmi_core.bounds`, trained through a critic.
BOUND_ESTIMATORS = ("infonce", "smile", "nwj", "dv", "mine", "js")
#: Trained estimators with their own objective (no critic, no embedding).
OBJECTIVE_ESTIMATORS = ("minee", "mienf")
TRAINED_ESTIMATORS = BOUND_ESTIMATORS + OBJECTIVE_ESTIMATORS
#: Untrained baselines: estimate() only.
BASELINES = ("ksg", "gaussian")
ESTIMATORS = TRAINED_ESTIMATORS + BASELINES
CRITICS = ("auto", "separable", "bilinear", "concat", "hybrid", "poisson")
#: Critics with an embedding whose size bounds the information they carry (auto resolves to one of them).
EMBEDDING_CRITICS = ("auto", "separable", "bilinear", "hybrid", "poisson")
#: Critics that read raw spike counts on one side (that side is passed untransformed).
COUNT_CRITICS = ("poisson",)
ACTIVATIONS = ("relu", "gelu", "silu", "tanh", "leaky_relu", "elu")
SPLITS = ("blocked", "random")
PREPROCESS = ("copula", "zscore", "none")

MODEL = Settings([
    Setting("estimator", "infonce", Choice(ESTIMATORS),
            "MI estimator: a variational bound (infonce, smile, nwj, dv, mine, js), minee, mienf, or the "
            "baselines ksg and gaussian (estimate only)"),
    Setting("critic", "auto", Choice(CRITICS),
            "critic of the variational bounds: auto (poisson when exactly one side holds spike counts, else "
            "separable), separable g(x).h(y), bilinear, concat (joint MLP), hybrid, or poisson (spike counts on one "
            "side: their Poisson log-likelihood under rates predicted from the other)"),
    Setting("embedding_dim", 32, Int(1), "embedding size of separable, bilinear, hybrid and poisson critics"),
    Setting("hidden", 256, Int(1), "hidden units per layer of the critic's networks"),
    Setting("n_layers", 2, Int(0), "hidden layers per network (2: measured on the accuracy suite, benchmarks/README.md)",
            aliases=("--layers",)),
    Setting("activation", "relu", Choice(ACTIVATIONS), "activation function of the networks"),
    Setting("variational", False, Bool(), "Gaussian variational embeddings (KL to N(0, I), weight beta)"),
    Setting("beta", 1e-3, Float(0.0), "KL weight of variational embeddings"),
    Setting("tau", 5.0, Float(0.0, low_open=True), "SMILE's clip of the critic's log-ratio"),
    Setting("options", {}, Options(),
            "estimator-specific settings, e.g. reference=uniform (minee) or variant=tridiagonal (mienf)",
            flag="--option"),
])

TRAINING = Settings([
    Setting("epochs", 300, Int(1), "maximum training epochs"),
    Setting("batch_size", None, Optional(Int(2)), "minibatch size, clipped to the smallest member's training set "
            "(default: automatic: 256, doubled for every doubling of the training set beyond 32,767 samples, at "
            "most 4096; twice that for mienf with latent_fit epoch)"),
    Setting("lr", 5e-4, Float(0.0, low_open=True), "Adam learning rate (the poisson critic trains at 4x it, mienf with latent_fit epoch at 2x)"),
    Setting("weight_decay", 0.01, Float(0.0), "L2 penalty on the network weights (Adam's weight_decay) for "
            "training sets up to 4000 samples, scaled by 4000/n beyond so that it vanishes with the data, and by "
            "hidden/256 for critics narrower than 256 units (a narrow critic collapsed under the full penalty); keeps "
            "the critic from fitting noise before the dependence (benchmarks/README.md; 0 switches it off; the poisson "
            "critic trains without it)"),
    Setting("patience", 20, Int(1), "early stopping: epochs without improvement of the smoothed held-out MI"),
    Setting("split", "blocked", Choice(SPLITS),
            "train/test split: blocked (contiguous test blocks with a gap; time series) or random (i.i.d.)"),
    Setting("test_fraction", 0.2, Float(0.0, 1.0, low_open=True, high_open=True), "held-out fraction"),
    Setting("gap", 10, Int(0), "samples dropped from training on each side of a blocked test block"),
    Setting("eval_size", 2048, Int(2), "held-out samples the MI is computed on (InfoNCE's ceiling is its log)"),
    Setting("preprocess", "copula", Choice(PREPROCESS),
            "per-feature transform fitted on the training data: copula (ranks to normal scores; "
            "MI-preserving), zscore or none"),
    Setting("seed", 0, Int(0), "random seed (split, initialisation, batch order; bit-identical on CPU)",
            config=False),
])

RUNTIME = Settings([
    Setting("device", "auto", Text(r"(auto|cpu|mps|cuda(:[0-9]+)?)", "'auto', 'cpu', 'cuda', 'cuda:N' or 'mps'"),
            "torch device: auto (cuda > mps > cpu), cpu, cuda, cuda:N or mps", stage="runtime", config=False),
    Setting("progress", None, OptionalBool(), "progress bar (default: only when stderr is a terminal)",
            stage="runtime", config=False),
    Setting("threads", None, Optional(Int(1)), "CPU threads for torch (default: the CPUs this process may use, "
            "capped by SLURM_CPUS_PER_TASK and OMP_NUM_THREADS); changes speed, not the numbers",
            stage="runtime", config=False),
])

#: Analyses whose settings include times (lags, shifts, blocks): their unit, and seconds per sample.
TIMING = Settings([
    Setting("time_unit", "s", Choice(("s", "bins")), "unit of the analysis's times (lags, shifts, block "
            "lengths): seconds (needs the bin width) or bins"),
    Setting("bin_width", None, Optional(Float(0.0, low_open=True)), "seconds per sample; the CLI and the "
            "workflow take it from the binned file (default: none: times must then be in bins)", config=False),
])

#: ``estimate()`` only.
ESTIMATE = Settings([
    Setting("n_seeds", 1, Int(1), "independently initialised networks trained as one ensemble; the "
            "estimate is their mean", stage="train", config=False),
    Setting("weight_average", True, Bool(), "report, and stop early on, the held-out MI of the critic's weights "
            "averaged over about the last epoch's optimiser steps (variational bounds; MI-NEE and MIENF train as "
            "without it): it removes the last steps' minibatch noise, which costs the held-out bound a few per cent "
            "(benchmarks/README.md)", stage="train", config=False),
    Setting("k", 3, Int(1), "neighbours of the KSG estimator", config=False),
])
