"""Options shared by the training subcommands (estimate, rigorous, dimensionality)."""

from __future__ import annotations

import argparse
from typing import Any

from ..estimators import all_estimators
from ..io.arrays import write_json
from ..io.select import load_xy as select_load_xy
from ..models.critics import CRITICS
from ..training import SPLITS
from ..training.data import PREPROCESS
from ..validation import NeuralMIError


def add_data_arguments(p: argparse.ArgumentParser, y_optional: bool = False) -> None:
    p.add_argument("x", metavar="X", help="samples of X: file.npy, file.npz[:key] or file.nc:variable "
                   "(samples on the first axis, trailing axes flattened into features)")
    p.add_argument("y", metavar="Y", nargs="?" if y_optional else None, help="samples of Y, same forms as X; "
                   "binned netCDF inputs take selectors, e.g. 'binned.nc:spikes[region=A]' (see "
                   "neuralmi_core.io.select)")
    p.add_argument("--window", type=int, default=1, metavar="N",
                   help="stack X over the current and previous N-1 time bins (default: 1)")
    p.add_argument("--lag", type=int, default=0, metavar="N",
                   help="pair X at bin t with Y at bin t+N; negative allowed (default: 0)")


def add_model_arguments(p: argparse.ArgumentParser, default_estimator: str = "infonce") -> None:
    g = p.add_argument_group("estimator and critic")
    g.add_argument("--estimator", default=default_estimator, choices=all_estimators(),
                   help=f"MI estimator (default: {default_estimator})")
    g.add_argument("--critic", default="separable", choices=CRITICS, help="critic (default: separable)")
    g.add_argument("--embedding-dim", type=int, default=32, help="embedding size of separable/bilinear/"
                   "hybrid critics (default: 32)")
    g.add_argument("--hidden", type=int, default=256, help="hidden units per layer (default: 256)")
    g.add_argument("--layers", type=int, default=1, help="hidden layers per network (default: 1)")
    g.add_argument("--activation", default="relu", help="activation: relu, gelu, silu, tanh, leaky_relu, elu")
    g.add_argument("--variational", action="store_true", help="Gaussian variational embeddings (KL to N(0, I))")
    g.add_argument("--beta", type=float, default=1e-3, help="KL weight of variational embeddings")
    g.add_argument("--tau", type=float, default=5.0, help="SMILE clip (default: 5)")
    g.add_argument("--k", type=int, default=3, help="neighbours for the KSG estimator (default: 3)")
    g.add_argument("--option", dest="options", action="append", default=[], metavar="KEY=VALUE",
                   help="estimator-specific setting, repeatable; VALUE is parsed as YAML (numbers, true/false, "
                   "strings), e.g. --option ref_ratio=20 (minee) or --option variant=tridiagonal (mienf)")


def add_training_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("training")
    g.add_argument("--epochs", type=int, default=300, help="maximum epochs (default: 300)")
    g.add_argument("--batch-size", type=int, default=None, help="minibatch size (default: 256, doubled for "
                   "every doubling of the training set beyond 32,767 samples, at most 4096)")
    g.add_argument("--lr", type=float, default=5e-4, help="Adam learning rate (default: 5e-4)")
    g.add_argument("--patience", type=int, default=20, help="early-stopping patience in epochs (default: 20)")
    g.add_argument("--split", default="blocked", choices=SPLITS,
                   help="train/test split: blocked (time series, default) or random (i.i.d.)")
    g.add_argument("--test-fraction", type=float, default=0.2, help="held-out fraction (default: 0.2)")
    g.add_argument("--gap", type=int, default=10, help="samples dropped around test blocks (default: 10)")
    g.add_argument("--eval-size", type=int, default=2048, help="held-out samples scored (default: 2048)")
    g.add_argument("--preprocess", default="copula", choices=PREPROCESS,
                   help="per-feature transform fitted on training data: copula (ranks to normal scores, "
                   "MI-preserving; default), zscore or none")
    g.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    g.add_argument("--device", default="auto", help="auto (cuda > mps > cpu), cpu, cuda, cuda:N, mps")
    g.add_argument("--threads", type=int, default=None, help="CPU threads for torch (default: the CPUs this "
                   "process may use, capped by SLURM_CPUS_PER_TASK and OMP_NUM_THREADS); speed only")
    g.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress bar (default: only when stderr is a terminal)")


def add_output_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", dest="json_out", metavar="OUT.json", required=True,
                   help="write the result as JSON here (atomically)")


def model_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    return dict(estimator=args.estimator, critic=args.critic, embedding_dim=args.embedding_dim,
                hidden=args.hidden, n_layers=args.layers, activation=args.activation,
                variational=args.variational, beta=args.beta, tau=args.tau,
                options=parse_options(getattr(args, "options", None) or []))


def parse_options(items: list[str]) -> dict[str, Any]:
    """``["KEY=VALUE", ...]`` -> dict; each VALUE is parsed as YAML (``20`` -> int, ``true`` -> bool)."""
    import yaml

    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise NeuralMIError(f"--option expects KEY=VALUE. Got {item!r}.")
        out[key.strip()] = yaml.safe_load(value) if value.strip() else ""
    return out


def training_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    return dict(epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, patience=args.patience,
                split=args.split, test_fraction=args.test_fraction, gap=args.gap, eval_size=args.eval_size,
                preprocess=args.preprocess,
                seed=args.seed, device=args.device, progress=args.progress, threads=args.threads)


def load_xy(args: argparse.Namespace):
    return select_load_xy(args.x, getattr(args, "y", None) or None, window=getattr(args, "window", 1),
                          lag=getattr(args, "lag", 0))


__all__ = ["add_data_arguments", "add_model_arguments", "add_output_arguments", "add_training_arguments",
           "load_xy", "model_kwargs", "training_kwargs", "write_json"]
