"""Per-step status lines on stderr: what is being done and how long it took."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console

__all__ = ["Steps"]


class Steps:
    """``with steps("what"):`` prints ``<prefix>: what … 1.2 s`` on stderr when enabled."""

    def __init__(self, enabled: bool, prefix: str = "risk") -> None:
        self.enabled = enabled
        self.prefix = prefix
        self._console = Console(stderr=True, highlight=False) if enabled else None

    @contextmanager
    def __call__(self, what: str) -> Iterator[None]:
        started = time.perf_counter()
        yield
        if self._console is not None:
            elapsed = time.perf_counter() - started
            self._console.print(f"{self.prefix}: {what} … {elapsed:.1f} s")
