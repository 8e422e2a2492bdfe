"""Train/test splits: ``blocked`` (contiguous test blocks with a gap, for time series) and ``random``."""

from __future__ import annotations

import numpy as np

from ..settings.declared import SPLITS
from ..validation import NeuralMIError, check_choice, check_float, check_int


def train_test_split(
    n: int,
    split: str = "blocked",
    test_fraction: float = 0.2,
    n_blocks: int = 5,
    gap: int = 10,
    seed: int = 0,
    min_train: int = 2,
    min_test: int = 2,
) -> tuple[np.ndarray, np.ndarray]:
    """Indices ``(train, test)`` for ``n`` samples.

    ``blocked``: the test set is ``n_blocks`` contiguous blocks of equal length (together
    ``test_fraction`` of the samples) placed at evenly spaced positions with a random common offset, and
    ``gap`` samples on each side of every block are dropped from training, so that autocorrelated
    neighbours of test samples never train the critic. ``random``: a seeded permutation (i.i.d. data).

    Raises ``NeuralMIError`` when the split would leave fewer than ``min_train`` training or ``min_test``
    test samples.
    """
    split = check_choice("split", split, SPLITS)
    n = check_int("n_samples", n, 1)
    test_fraction = check_float("test_fraction", test_fraction, 0.0, 1.0, low_open=True, high_open=True)
    n_blocks = check_int("n_blocks", n_blocks, 1)
    gap = check_int("gap", gap, 0)
    rng = np.random.default_rng(seed)
    n_test = int(round(n * test_fraction))
    if split == "random":
        perm = rng.permutation(n)
        test, train = np.sort(perm[:n_test]), np.sort(perm[n_test:])
    else:
        n_blocks = max(1, min(n_blocks, n_test // max(min_test, 1) or 1))
        block = n_test // n_blocks
        n_test = block * n_blocks
        stride = n // n_blocks
        offset = int(rng.integers(0, max(stride - block, 0) + 1))
        starts = offset + stride * np.arange(n_blocks)
        in_test = np.zeros(n, bool)
        excluded = np.zeros(n, bool)
        for s in starts:
            in_test[s : s + block] = True
            excluded[max(s - gap, 0) : s + block + gap] = True
        test = np.flatnonzero(in_test)
        train = np.flatnonzero(~excluded)
    if train.size < min_train or test.size < min_test:
        raise NeuralMIError(
            f"too few samples for the requested split: n_samples={n}, split={split!r}, "
            f"test_fraction={test_fraction}, gap={gap} leave {train.size} training and {test.size} test "
            f"samples; expected at least {min_train} and {min_test}. Provide more samples, lower `gap` or "
            f"change `test_fraction`."
        )
    return train, test
