"""A progress bar for batch scoring: rows read of the total, rows per second, households."""

from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

__all__ = ["RowProgress"]


class _RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("… rows/s" if speed is None else f"{speed:,.0f} rows/s")


class RowProgress:
    """``with RowProgress(total, enabled):`` a bar on stderr; ``advance(rows, households)``."""

    def __init__(self, total: int, enabled: bool = True) -> None:
        self.enabled = enabled
        self._progress = Progress(
            TextColumn("scoring"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("survey rows"),
            _RateColumn(),
            TextColumn("{task.fields[households]:,} households"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            disable=not enabled,
        )
        self._task = self._progress.add_task("scoring", total=total or None, households=0)

    def __enter__(self) -> RowProgress:
        self._progress.__enter__()
        return self

    def advance(self, rows: int, households: int) -> None:
        self._progress.update(self._task, advance=rows, households=households)

    def __exit__(self, *exc: object) -> None:
        self._progress.__exit__(None, None, None)
