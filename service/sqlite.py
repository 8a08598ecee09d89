"""SQLite as the service's embedded database: WAL, and one writer at a time without polling.

SQLite lets one connection write at a time. A connection that finds the write lock taken
waits in SQLite's busy handler, which sleeps and retries (1, 2, 5, 10 … 100 ms), so under
concurrent writes a 1 ms commit can cost a waiter a hundred times that. Here every write
transaction first takes a lock that wakes the next writer the moment it is released: a
thread lock within the process, then ``flock`` on a file beside the database across the
server's worker processes (``flock`` blocks in the kernel; it does not poll). Reads take
no lock: in WAL mode they never wait for a writer.
"""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

__all__ = ["WriterLock", "configure"]

_HELD = "sqlite_writer_lock"


class WriterLock:
    """An exclusive lock shared by the threads of this process and by other processes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._thread_lock = threading.Lock()
        self._fd: int | None = None

    def acquire(self) -> None:
        self._thread_lock.acquire()
        try:
            if self._fd is None:
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(self._fd, fcntl.LOCK_EX)
        except BaseException:
            self._thread_lock.release()
            raise

    def release(self) -> None:
        try:
            if self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._thread_lock.release()


def _pragmas(connection: Any, _: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def configure(
    engine: Engine, sessions: sessionmaker[Session], database: Path | None
) -> WriterLock | None:
    """Set the pragmas on every new connection and, for a database file, make each session
    that writes hold the writer lock from its first flush until its transaction ends
    (committed or not)."""
    event.listen(engine, "connect", _pragmas)
    if database is None:
        return None
    lock = WriterLock(database.with_name(database.name + ".writer-lock"))

    def before_flush(session: Session, *_: Any) -> None:
        if not session.info.get(_HELD):
            lock.acquire()
            session.info[_HELD] = True

    def after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
        if transaction.parent is None and session.info.pop(_HELD, False):
            lock.release()

    event.listen(sessions, "before_flush", before_flush)
    event.listen(sessions, "after_transaction_end", after_transaction_end)
    return lock
