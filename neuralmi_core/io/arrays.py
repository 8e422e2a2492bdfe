"""Load sample arrays named on the command line: ``file.npy``, ``file.npz[:key]``, ``file.nc:variable``.

Samples are on the first axis. Errors name the file, the item inside it and what was expected.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from ..validation import NeuralMIError
from .atomic import atomic_write_text


def split_spec(spec: str) -> tuple[Path, str | None]:
    """``"a/b.npz:key"`` -> (Path("a/b.npz"), "key"); a plain path gives key None.

    Only a colon after a known suffix separates a key, so Windows drive letters and colons in folder
    names are left alone.
    """
    for suffix in (".npz", ".nc", ".npy"):
        marker = suffix + ":"
        idx = spec.rfind(marker)
        if idx >= 0:
            return Path(spec[: idx + len(suffix)]), spec[idx + len(marker) :] or None
    return Path(spec), None


def load_array(spec: str, name: str = "array") -> np.ndarray:
    """Load the array that ``spec`` names (see module docstring)."""
    path, key = split_spec(spec)
    if not path.exists():
        raise NeuralMIError(f"{name}: file not found: {path}")
    suffix = path.suffix.lower()
    try:
        if suffix == ".npy":
            if key:
                raise NeuralMIError(f"{name}: {path} is a .npy file holding one array; drop ':{key}'.")
            return np.load(path, allow_pickle=False)
        if suffix == ".npz":
            with np.load(path, allow_pickle=False) as z:
                keys = list(z.keys())
                if not keys:
                    raise NeuralMIError(f"{name}: {path} holds no arrays.")
                if key is None:
                    return z[keys[0]]
                if key not in keys:
                    raise NeuralMIError(f"{name}: {path} has no array {key!r}; it holds {keys}.")
                return z[key]
        if suffix == ".nc":
            import xarray as xr

            if key is None:
                raise NeuralMIError(f"{name}: name the variable of the netCDF file as {path}:VARIABLE.")
            with xr.open_dataset(path) as ds:
                if key not in ds.variables:
                    raise NeuralMIError(
                        f"{name}: {path} has no variable {key!r}; it holds {sorted(map(str, ds.data_vars))}."
                    )
                return np.asarray(ds[key].values)
    except NeuralMIError:
        raise
    except Exception as exc:  # unreadable / corrupt file
        raise NeuralMIError(f"{name}: could not read {path} as {suffix} ({type(exc).__name__}: {exc})") from exc
    raise NeuralMIError(f"{name}: {path} has unsupported suffix {suffix!r}; expected .npy, .npz or .nc.")


def write_json(path: str | os.PathLike, obj: Any) -> None:
    """Atomically write ``obj`` as indented JSON (NaN written as null by the result objects)."""
    atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=False, allow_nan=False) + "\n")
