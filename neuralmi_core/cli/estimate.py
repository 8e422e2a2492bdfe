"""Estimate I(X; Y) in nats (and bits) with a neural or baseline estimator; write every field as JSON.

JSON fields: mi_nats, mi_bits, mi_std_nats, mi_std_bits, mi_train_nats, estimator, critic, n_train,
n_test, n_eval, n_seeds, seed, seconds, split, device, ceiling_nats, near_ceiling, history (best_epoch,
epochs_run, training curves), params, members (per-network records), warnings, inputs, selection (how X
and Y were cut from their files: window, lag in bins and seconds, bins dropped by reason, the label of
every feature column).

Example:
  neuralmi estimate x.npy y.npz:pos --estimator smile --epochs 200 --json out.json
"""

from __future__ import annotations

import argparse

from ..settings import from_args
from .common import (
    add_data_arguments,
    add_output_arguments,
    add_settings_arguments,
    load_inputs,
    write_result,
)

NAME = "estimate"
HELP = "estimate I(X; Y) once (held-out MI, no bias correction)"


def _settings():
    from ..estimation import SETTINGS

    return SETTINGS


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_data_arguments(p)
    add_settings_arguments(p, _settings(), "estimate")
    add_output_arguments(p)


def run(args: argparse.Namespace) -> int:
    from ..estimation import estimate

    x, y, selection = load_inputs(args)
    res = estimate(x, y, **from_args(args, _settings()))
    write_result(args, res, selection)
    return 0
