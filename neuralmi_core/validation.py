"""Parameter and data checks with messages that name who, what was expected and what was received."""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Iterable
from typing import Any

import numpy as np

from .flags import warning_text


class NeuralMIError(ValueError):
    """Raised for invalid input: the message names the item, what was expected and what was received."""


class SignalAbsent(NeuralMIError):
    """Raised when a session lacks a signal that was asked for: a kind (units, imaging, LFP, an events series,
    an intervals table) absent from the NWB file, a variable absent from a binned file, or a selector value
    that matches no unit/ROI/channel (``spikes[region=CA1]`` in a session without CA1).

    A subclass of :class:`NeuralMIError`, so that it is an error wherever it is not handled; the binning
    (``required: false`` in the signal spec) and the workflow's check (``required: false`` on an analysis)
    catch it to record the signal as absent, or the analysis as skipped, instead of failing. Other errors
    (a bad setting, a session too short) stay plain :class:`NeuralMIError`.
    """


class NeuralMIWarning(UserWarning):
    """A result that holds but needs care (no signal, a capped bound, small chunks, an unreliable fit, ...).

    Every such message is also stored in the result's ``warnings``. Silence them with
    ``warnings.simplefilter("ignore", neuralmi_core.NeuralMIWarning)``; turn them into errors with
    ``"error"``.
    """


def emit_warnings(messages: Iterable[str], stacklevel: int = 3) -> None:
    """Emit each message as a :class:`NeuralMIWarning` (``stacklevel`` 3: the caller's caller)."""
    for message in messages:
        warnings.warn(message, NeuralMIWarning, stacklevel=stacklevel)


def constant_input_warning(name: str, arr: np.ndarray) -> str | None:
    """A warning when every feature of ``arr`` (n_samples, n_features) is constant, else None.

    A constant variable carries no information: the MI is exactly 0 and any estimate is training noise
    (a session whose units never spike, a disconnected channel, a behaviour signal that never moves).

    Examples
    --------
    >>> constant_input_warning("x", np.zeros((100, 3)))[:40]
    '`x` is constant: all 3 feature(s) take o'
    >>> constant_input_warning("x", np.arange(6.0).reshape(3, 2)) is None
    True
    """
    a = np.asarray(arr)
    if a.ndim == 1:
        a = a[:, None]
    if a.shape[0] == 0 or a.shape[1] == 0 or not bool(np.all(a == a[:1])):
        return None
    value = np.unique(a[0])
    what = f"the value {value[0]:g}" if value.size == 1 else "one value each"
    return warning_text("constant_input", name=name, n_features=a.shape[1], what=what, n_samples=a.shape[0])


def check_int(name: str, value: Any, low: int | None = None, high: int | None = None, context: str = "") -> int:
    """Return ``value`` as int if it is an integer in ``[low, high]``, else raise ``NeuralMIError``."""
    ok = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if ok and (low is None or value >= low) and (high is None or value <= high):
        return int(value)
    rng = f"[{low if low is not None else '-inf'}, {high if high is not None else 'inf'}]"
    ctx = f" ({context})" if context else ""
    raise NeuralMIError(f"`{name}` must be an int in {rng}. Got {value!r}{ctx}.")


def check_float(
    name: str,
    value: Any,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """Return ``value`` as float if it is a finite real in the given interval, else raise."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and np.isfinite(value)
    if ok:
        v = float(value)
        if low is not None and (v < low or (low_open and v == low)):
            ok = False
        if high is not None and (v > high or (high_open and v == high)):
            ok = False
    if ok:
        return float(value)
    lb = "(" if low_open else "["
    hb = ")" if high_open else "]"
    rng = f"{lb}{low if low is not None else '-inf'}, {high if high is not None else 'inf'}{hb}"
    raise NeuralMIError(f"`{name}` must be a finite number in {rng}. Got {value!r}.")


def check_choice(name: str, value: Any, choices: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``choices`` (case-insensitive), lower-cased; else raise."""
    choices = list(choices)
    if isinstance(value, str) and value.lower() in choices:
        return value.lower()
    raise NeuralMIError(f"`{name}` must be one of {', '.join(map(repr, choices))}. Got {value!r}.")


def as_2d_samples(name: str, value: Any, source: str | None = None) -> np.ndarray:
    """Return a float64 array of shape (n_samples, n_features); 1-d input becomes one feature.

    Raises when the array is empty, has more than 2 dimensions after flattening trailing axes is not
    possible, or holds NaN/inf (naming how many and where the first one is).
    """
    where = f" (from {source})" if source else ""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise NeuralMIError(f"`{name}`{where} must be a numeric array. Got {type(value).__name__}: {exc}") from exc
    if arr.ndim == 0:
        raise NeuralMIError(f"`{name}`{where} must be an array with samples on axis 0. Got a scalar.")
    if arr.ndim == 1:
        arr = arr[:, None]
    elif arr.ndim > 2:
        arr = arr.reshape(arr.shape[0], -1)
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise NeuralMIError(f"`{name}`{where} is empty: shape {arr.shape}; expected (n_samples, n_features).")
    bad = ~np.isfinite(arr)
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        raise NeuralMIError(
            f"`{name}`{where} holds {int(bad.sum())} NaN/inf values (first at sample {first[0]}, "
            f"feature {first[1]}); expected finite numbers. Drop or impute those samples first."
        )
    return arr


def check_paired(x: np.ndarray, y: np.ndarray, x_name: str = "x", y_name: str = "y") -> None:
    """Raise unless ``x`` and ``y`` have the same number of samples."""
    if x.shape[0] != y.shape[0]:
        raise NeuralMIError(
            f"`{x_name}` and `{y_name}` must have the same number of samples on axis 0. "
            f"Got {x.shape[0]} and {y.shape[0]}."
        )
