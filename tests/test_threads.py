"""Thread count and OpenMP wait policy: what the process may use, explicit settings, restoring torch's count."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import torch

from neuralmi_core import threads as th
from neuralmi_core.cli import build_parser
from neuralmi_core.validation import NeuralMIError


@pytest.fixture
def clean_env(monkeypatch):
    for var in ("SLURM_CPUS_PER_TASK", "OMP_NUM_THREADS"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(th, "available_cpus", lambda: 8)
    return monkeypatch


@pytest.mark.parametrize("env, expected", [
    ({}, 8),
    ({"SLURM_CPUS_PER_TASK": "3"}, 3),
    ({"OMP_NUM_THREADS": "2"}, 2),
    ({"SLURM_CPUS_PER_TASK": "4", "OMP_NUM_THREADS": "6"}, 4),
    ({"SLURM_CPUS_PER_TASK": "16"}, 8),  # never more than the affinity allows
    ({"OMP_NUM_THREADS": "garbage"}, 8),
    ({"OMP_NUM_THREADS": "2,1"}, 2),  # nested-levels form
])
def test_default_threads(clean_env, env, expected):
    for k, v in env.items():
        clean_env.setenv(k, v)
    assert th.default_threads() == expected
    assert th.resolve_threads(None) == expected
    assert th.resolve_threads(5) == 5  # an explicit count wins


def test_available_cpus_follows_affinity():
    if hasattr(os, "sched_getaffinity"):
        assert th.available_cpus() == len(os.sched_getaffinity(0))
    assert th.available_cpus() >= 1


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2", True])
def test_bad_threads(bad):
    with pytest.raises(NeuralMIError, match="`threads` must be"):
        th.resolve_threads(bad)


def test_torch_threads_sets_and_restores():
    before = torch.get_num_threads()
    with th.torch_threads(1) as n:
        assert n == 1 and torch.get_num_threads() == 1
    assert torch.get_num_threads() == before


def _policy(env: dict, code: str) -> str:
    full = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "NEURALMI_OMP_DEFAULTS")}
    full.update(env)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=full, check=True)
    return out.stdout.strip()


def test_passive_wait_policy_on_import():
    read = "import os; print(os.environ.get('OMP_WAIT_POLICY'))"
    assert _policy({}, "import neuralmi_core; " + read) == "PASSIVE"
    assert _policy({"OMP_WAIT_POLICY": "ACTIVE"}, "import neuralmi_core; " + read) == "ACTIVE"  # the user's choice
    assert _policy({"NEURALMI_OMP_DEFAULTS": "0"}, "import neuralmi_core; " + read) == "None"
    assert _policy({}, "import torch, neuralmi_core; " + read) == "None"  # too late to matter: left alone


def test_cli_takes_threads():
    args = build_parser().parse_args(["estimate", "x.npy", "y.npy", "--threads", "3", "--json", "o.json"])
    assert args.threads == 3 and args.batch_size is None


def test_estimate_runs_with_the_threads_it_was_given():
    import numpy as np

    import neuralmi_core as nmi

    x = np.random.default_rng(0).normal(size=(300, 2))
    before = torch.get_num_threads()
    res = nmi.estimate(x, x + 0.5 * np.random.default_rng(1).normal(size=(300, 2)), epochs=2, hidden=8,
                       progress=False, device="cpu", threads=1)
    assert res.history["timing"]["threads"] == 1 and torch.get_num_threads() == before
    with pytest.raises(NeuralMIError, match="threads"):
        nmi.estimate(x, x, epochs=2, progress=False, device="cpu", threads=0)
