"""Planning the members of rigorous and dimensionality runs: gamma lists, chunks, seeds, channel halvings.

Everything here is deterministic given its arguments, and a (gamma, seed) or (embedding_dim, seed) cell
never depends on which other cells run: that is what lets a workflow train each cell as its own job and
gather the parts into exactly the numbers of one call.
"""

from __future__ import annotations

import numpy as np

from ..validation import check_choice, check_int

CHUNKINGS = ("auto", "contiguous", "random")


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


def fingerprint(*arrays: np.ndarray) -> str:
    """SHA-256 (hex, first 16 chars) of the arrays' float64 bytes and shapes: identifies the input data."""
    import hashlib

    h = hashlib.sha256()
    for a in arrays:
        a = np.ascontiguousarray(a, dtype=np.float64)
        h.update(str(a.shape).encode())
        h.update(a.tobytes())
    return h.hexdigest()[:16]
