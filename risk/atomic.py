"""Atomic file writes: a file appears under its final name complete, or not at all.

A write in progress lives beside its target as ``.NAME.HOST-PID.XXXX.part``: the name of
the process that writes it, so that what a killed writer left can be told from what a
running one is writing (:func:`sweep_leftovers`).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

__all__ = ["atomic_write", "sweep_leftovers", "temporary_prefix"]

_HOST = re.sub(r"[^A-Za-z0-9_]", "_", socket.gethostname()) or "host"
_LEFTOVER = re.compile(rf"^\..+\.{re.escape(_HOST)}-(\d+)\..*\.part$")


def temporary_prefix(name: str) -> str:
    """The start of the name of this process's temporaries for ``name``."""
    return f".{name}.{_HOST}-{os.getpid()}."


@contextmanager
def atomic_write(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it over ``path`` once the block succeeds.

    The temporary file lives in the same directory, so the rename is atomic on one file
    system; if the block raises (or the process dies), ``path`` is left untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=temporary_prefix(path.name), suffix=".part", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        with tmp.open("rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def sweep_leftovers(directory: Path) -> list[Path]:
    """Remove the temporaries (files or directories) in ``directory`` that writers on this
    host left when they were killed; a running writer's stay. Returns what was removed."""
    removed = []
    entries = list(Path(directory).iterdir()) if Path(directory).is_dir() else []
    for entry in entries:
        found = _LEFTOVER.match(entry.name)
        if found is None or _running(int(found.group(1))):
            continue
        with suppress(FileNotFoundError):
            if entry.is_dir():
                shutil.rmtree(entry)
            else:
                entry.unlink()
            removed.append(entry)
    return removed


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True
