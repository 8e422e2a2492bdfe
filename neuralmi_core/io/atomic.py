"""Atomic file writes: a temporary file in the target's folder, renamed over the target when complete.

Readers never see a half-written file and a failed write leaves the target untouched. The finished
file gets the mode an ordinary ``open(path, "w")`` would give it (``0o666`` minus the process umask,
0644 under the usual umask 022), so a lab sharing a cluster folder can read every output; a bare
``tempfile.mkstemp`` + ``os.replace`` would leave it 0600 whatever the umask.

Every writer of the package goes through :func:`atomic_path` (writers that take a file name, such as
netCDF and NWB) or :func:`atomic_write_text` / :func:`atomic_write_bytes`.

Examples
--------
>>> import tempfile, pathlib
>>> out = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
>>> atomic_write_text(out, "hello\\n")
>>> out.read_text()
'hello\\n'
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

_UMASK_LOCK = threading.Lock()


def current_umask() -> int:
    """The process umask (read from ``/proc`` where possible; else set and restored under a lock)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    with _UMASK_LOCK:
        old = os.umask(0o077)  # the restrictive direction for the instant it is set
        os.umask(old)
    return old


def default_file_mode() -> int:
    """Mode of a new regular file under the current umask (``0o666 & ~umask``)."""
    return 0o666 & ~current_umask()


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str = ".tmp") -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success it is given the umask's mode and renamed to ``path``.

    The temporary file exists (empty) when yielded, so writers that open by name may overwrite it. On any
    exception it is removed and ``path`` is left as it was. ``suffix`` keeps the extension some writers
    look at (e.g. ``".tmp.nwb"``). The folder of ``path`` is created if needed.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, default_file_mode())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (see module docstring)."""
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        fh.write(data)


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically (see module docstring)."""
    atomic_write_bytes(path, text.encode("utf-8"))


__all__ = ["atomic_path", "atomic_write_bytes", "atomic_write_text", "current_umask", "default_file_mode"]
