"""An iterator run ahead of its reader in a thread, so that Python's work on the next items
overlaps what the reader waits for (the database, in :mod:`service.load`).

``depth`` items at most wait in memory; ``depth=0`` lets the producer run to the end
whatever the reader does (for items that are small, such as the paths of spooled files).
An error in the producer is raised in the reader, at the item where it happened; a reader
that stops early (``close``, or leaving the ``with`` block) stops the producer at its
next item.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from types import TracebackType
from typing import Generic, TypeVar

__all__ = ["Ahead"]

T = TypeVar("T")
_END = object()


class Ahead(Generic[T]):
    """``for item in Ahead(items, depth): ...``; the thread starts at once."""

    def __init__(self, items: Iterable[T], depth: int = 1, name: str = "ahead") -> None:
        self._queue: queue.Queue[object] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._done = False
        self._thread = threading.Thread(target=self._produce, args=(items,), name=name, daemon=True)
        self._thread.start()

    def _put(self, item: object) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _produce(self, items: Iterable[T]) -> None:
        try:
            for item in items:
                if not self._put(item):
                    return
        except BaseException as exc:  # handed to the reader, raised there
            self._put(exc)
            return
        self._put(_END)

    def __iter__(self) -> Iterator[T]:
        return self

    def __next__(self) -> T:
        if self._done:
            raise StopIteration
        item = self._queue.get()
        if item is _END:
            self._done = True
            raise StopIteration
        if isinstance(item, BaseException):
            self._done = True
            raise item
        return item  # type: ignore[return-value]

    def close(self) -> None:
        """Stop the producer (at its next item) and wait for it."""
        self._done = True
        self._stop.set()
        self._thread.join()

    def __enter__(self) -> Ahead[T]:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
