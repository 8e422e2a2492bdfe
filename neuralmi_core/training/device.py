"""Device selection: ``auto`` picks cuda > mps > cpu; anything torch accepts can be forced."""

from __future__ import annotations

import torch

from ..validation import NeuralMIError


def resolve_device(device: str | torch.device | None = "auto") -> torch.device:
    """Return the torch device for ``device`` (``"auto"``/None: cuda if available, else mps, else cpu)."""
    if device is None or (isinstance(device, str) and device.lower() == "auto"):
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise NeuralMIError(f"`device` must be 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps'. Got {device!r}.") from exc
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise NeuralMIError(f"`device` is {device!r} but CUDA is not available on this machine; use 'auto' or 'cpu'.")
    return dev
