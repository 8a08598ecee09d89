"""Temporaries as a writer that was killed would have left them (risk.atomic's naming)."""

from __future__ import annotations

import os
import subprocess
import sys

from risk.atomic import temporary_prefix


def ended_pid() -> int:
    """The id of a process that has ended."""
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    return int(done.stdout)


def killed_writers_prefix(name: str) -> str:
    """``temporary_prefix(name)`` as a process of this host that has ended made it."""
    return temporary_prefix(name).replace(f"-{os.getpid()}.", f"-{ended_pid()}.")
