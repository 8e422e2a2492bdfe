"""Planning the members of rigorous and dimensionality runs: gamma lists, chunks, seeds, channel halvings.

Everything here is deterministic given its arguments, and a (gamma, seed) or (embedding_dim, seed) cell
never depends on which other cells run: that is what lets a workflow train each cell as its own job and
gather the parts into exactly the numbers of one call.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from ..validation import NeuralMIError, check_choice, check_int

CHUNKINGS = ("auto", "contiguous", "random")


def parse_int_list(value: str | int | Iterable[int], name: str, low: int = 1) -> tuple[int, ...]:
    """Parse ``"1-10"``, ``"1,2,4"``, ``"1-4,8,16"``, an int or a sequence of ints into a sorted unique tuple.

    >>> parse_int_list("1-4,8", "gammas")
    (1, 2, 3, 4, 8)
    """
    items: list[int] = []
    if isinstance(value, str):
        for part in value.replace(" ", "").split(","):
            if not part:
                continue
            try:
                if "-" in part[1:]:
                    lo, hi = part.split("-", 1) if not part.startswith("-") else (part, "")
                    lo_i, hi_i = int(lo), int(hi)
                    if hi_i < lo_i:
                        raise ValueError
                    items.extend(range(lo_i, hi_i + 1))
                else:
                    items.append(int(part))
            except ValueError:
                raise NeuralMIError(
                    f"`{name}` must be a list of integers such as '1-10', '1,2,4' or '1-4,8'. Got {value!r}."
                ) from None
    elif isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        items = [int(value)]
    else:
        try:
            items = [check_int(name, v, low) for v in value]  # type: ignore[union-attr]
        except TypeError:
            raise NeuralMIError(f"`{name}` must be an int, a list of ints or a string like '1-10'. Got {value!r}.") \
                from None
    if not items:
        raise NeuralMIError(f"`{name}` is empty; expected at least one integer. Got {value!r}.")
    bad = [v for v in items if v < low]
    if bad:
        raise NeuralMIError(f"`{name}` must hold integers >= {low}. Got {value!r}.")
    return tuple(sorted(set(items)))


def resolve_seeds(seed: int = 0, n_seeds: int | None = None, seed_list: str | Sequence[int] | None = None) -> tuple[
        int, ...]:
    """The seeds of a run: ``seed_list`` if given, else ``seed, seed + 1, ..., seed + n_seeds - 1``."""
    if seed_list is not None:
        if n_seeds not in (None, 1):
            raise NeuralMIError(f"give either `n_seeds` or `seed_list`, not both. Got n_seeds={n_seeds!r} and "
                                f"seed_list={seed_list!r}.")
        return parse_int_list(seed_list, "seed_list", low=0)
    seed = check_int("seed", seed, 0)
    n = check_int("n_seeds", 1 if n_seeds is None else n_seeds, 1)
    return tuple(range(seed, seed + n))


def derive_seed(*keys: int) -> int:
    """A 31-bit seed from integer keys (``numpy.random.SeedSequence``): distinct cells get unrelated seeds."""
    return int(np.random.SeedSequence([int(k) for k in keys]).generate_state(1)[0] >> 1)


def resolve_chunking(chunking: str, split: str) -> str:
    """``auto`` -> ``contiguous`` for a blocked split (time series), ``random`` for a random split (i.i.d.)."""
    chunking = check_choice("chunking", chunking, CHUNKINGS)
    if chunking == "auto":
        return "contiguous" if split == "blocked" else "random"
    return chunking


def chunk_indices(n: int, gamma: int, chunking: str = "contiguous", seed: int = 0) -> list[np.ndarray]:
    """Split sample indices ``0..n-1`` into ``gamma`` disjoint chunks of (nearly) equal size.

    ``contiguous``: consecutive blocks (time series keep their order and autocorrelation inside a chunk).
    ``random``: a permutation drawn from ``(seed, gamma)``, each chunk's indices sorted (i.i.d. data).
    """
    n = check_int("n_samples", n, 1)
    gamma = check_int("gamma", gamma, 1, n, context=f"n_samples={n}")
    chunking = check_choice("chunking", chunking, CHUNKINGS[1:])
    if chunking == "contiguous":
        return np.array_split(np.arange(n), gamma)
    perm = np.random.default_rng([seed, gamma]).permutation(n)
    return [np.sort(c) for c in np.array_split(perm, gamma)]


def channel_halves(n_channels: int, n_splits: int, seed: int = 0) -> tuple[list[tuple[np.ndarray, np.ndarray]],
                                                                          bool]:
    """``n_splits`` random halvings of ``n_channels`` channels into two equal-size halves (A, B).

    With an odd channel count one channel (drawn per split) is left out of each halving so that every
    ensemble member has the same feature dims; the second return value says so. Halving ``j`` depends
    only on ``(seed, j)``, so every embedding dim of a sweep sees the same halvings.
    """
    n_channels = check_int("n_channels", n_channels, 2, context="a halving needs at least 2 channels of X")
    n_splits = check_int("n_splits", n_splits, 1)
    half = n_channels // 2
    out = []
    for j in range(n_splits):
        perm = np.random.default_rng([seed, j]).permutation(n_channels)
        out.append((np.sort(perm[:half]), np.sort(perm[half : 2 * half])))
    return out, bool(n_channels % 2)


def settings_mismatch(parts: Sequence[dict[str, Any]], keys: Iterable[str]) -> list[str]:
    """Names of the ``keys`` whose values differ between the ``parts`` (dicts)."""
    return [k for k in keys if any(p.get(k) != parts[0].get(k) for p in parts[1:])]


def training_setup(*, estimator: str, **kwargs: Any) -> tuple[Any, Any, dict[str, Any]]:
    """Validate the estimate-style options of an analysis; return ``(ModelSpec, TrainConfig, settings)``.

    As :func:`neuralmi_core.estimators.neural.training_setup` (shared with ``estimate()``), and refuses the
    untrained baselines, which have no members to extrapolate or embedding to sweep.
    """
    from ..estimators import BASELINES, trained_estimators
    from ..estimators.neural import training_setup as _setup

    if isinstance(estimator, str) and estimator.lower() in BASELINES:
        raise NeuralMIError(f"`estimator` must be a trained estimator here ({', '.join(trained_estimators())}); "
                            f"the baselines {BASELINES} are not supported by this analysis. Got {estimator!r}.")
    return _setup(estimator=estimator, **kwargs)


def fingerprint(*arrays: np.ndarray) -> str:
    """SHA-256 (hex, first 16 chars) of the arrays' float64 bytes and shapes: identifies the input data."""
    import hashlib

    h = hashlib.sha256()
    for a in arrays:
        a = np.ascontiguousarray(a, dtype=np.float64)
        h.update(str(a.shape).encode())
        h.update(a.tobytes())
    return h.hexdigest()[:16]
