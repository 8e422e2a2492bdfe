"""How many CPU threads torch may use for training, and OpenMP's wait policy.

The networks trained here are small (a few hundred units, batches of a few hundred samples), so each
operation is short and OpenMP's worker threads spend much of their time waiting between operations.
By default GNU OpenMP *spins* while it waits; on a machine where other processes compete for the cores
(a laptop, a login node, several workflow jobs on one node) the spinning threads steal the cores the
work needs. Measured with ``benchmarks/cpu_speed.py`` on the issue-15 quickstart task (a 2-core machine
kept busy by other jobs; docs/guide/threads.md): ``rigorous()`` took 158 s with two spinning threads, 18 s
with two passive ones and 14 s with one; with two more busy processes 506 s, 31 s and 44 s.

- :func:`default_threads`: the CPUs this process may use — its CPU affinity, capped by
  ``SLURM_CPUS_PER_TASK`` (clusters that do not bind tasks to cores) and ``OMP_NUM_THREADS``.
- :func:`resolve_threads`: an explicit ``threads=`` wins (validated), else :func:`default_threads`.
- :func:`torch_threads`: a context manager that sets torch's intra-op threads and restores them.
- :func:`set_passive_wait_policy`: sets ``OMP_WAIT_POLICY=PASSIVE`` unless the user chose a policy; it
  only takes effect before the OpenMP runtime starts (i.e. before torch is imported), which is why
  ``neuralmi_core`` calls it first thing on import.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from .validation import NeuralMIError


def _env_int(name: str) -> int | None:
    value = os.environ.get(name, "").strip()
    if not value:
        return None
    try:
        n = int(value.split(",")[0])  # OMP_NUM_THREADS may be a list for nested levels
    except ValueError:
        return None
    return n if n >= 1 else None


def available_cpus() -> int:
    """CPUs this process may run on (its affinity mask; ``os.cpu_count()`` where affinity is unknown)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def default_threads() -> int:
    """Threads for training when none are given: the affinity, capped by SLURM and OpenMP settings."""
    n = available_cpus()
    for var in ("SLURM_CPUS_PER_TASK", "OMP_NUM_THREADS"):
        cap = _env_int(var)
        if cap is not None:
            n = min(n, cap)
    return max(1, n)


def resolve_threads(threads: int | None) -> int:
    """``threads`` if given (an int >= 1), else :func:`default_threads`."""
    if threads is None:
        return default_threads()
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise NeuralMIError(f"`threads` must be None (automatic) or an int >= 1. Got {threads!r}.")
    return threads


@contextmanager
def torch_threads(threads: int | None) -> Iterator[int]:
    """Run the body with torch's intra-op thread count set to :func:`resolve_threads` (restored after)."""
    import torch

    n = resolve_threads(threads)
    old = torch.get_num_threads()
    if n != old:
        torch.set_num_threads(n)
    try:
        yield n
    finally:
        if torch.get_num_threads() != old:
            torch.set_num_threads(old)


def set_passive_wait_policy() -> bool:
    """Set ``OMP_WAIT_POLICY=PASSIVE`` if no policy is set and torch is not imported yet; True if set.

    Idle OpenMP threads then sleep instead of spinning. Set ``OMP_WAIT_POLICY`` yourself (e.g. ``ACTIVE``)
    to override; ``NEURALMI_OMP_DEFAULTS=0`` leaves the environment untouched.
    """
    if os.environ.get("NEURALMI_OMP_DEFAULTS", "1") == "0" or "OMP_WAIT_POLICY" in os.environ:
        return False
    if "torch" in sys.modules:  # the OpenMP runtime has (probably) read its environment already
        return False
    os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
    return True
