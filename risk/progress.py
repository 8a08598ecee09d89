"""Per-step status lines on stderr: what is being done and how long it took."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console

__all__ = ["RowsBar", "Steps"]


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


class RowsBar:
    """``with RowsBar(enabled) as bar:`` one bar on stderr per phase of a long job:
    ``bar(phase, done, total)`` moves the bar of ``phase`` (rows done of ``total``)."""

    def __init__(self, enabled: bool) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

        self._progress = Progress(
            "{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            disable=not enabled,
        )
        self._tasks: dict[str, object] = {}

    def __enter__(self) -> RowsBar:
        self._progress.__enter__()
        return self

    def __call__(self, phase: str, done: int, total: int) -> None:
        task = self._tasks.get(phase)
        if task is None:
            task = self._tasks[phase] = self._progress.add_task(phase, total=total or None)
        self._progress.update(task, completed=done, total=total or None)  # type: ignore[arg-type]

    def __exit__(self, *exc: object) -> None:
        self._progress.__exit__(None, None, None)
