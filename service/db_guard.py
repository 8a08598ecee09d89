"""Bounding how long PostgreSQL may keep a request waiting.

A black-holed connection (the host or the network stalls, the TCP connection stays open)
leaves a client blocked in a read that no server-side ``statement_timeout`` and no TCP
keepalive ends, since every byte is still acknowledged. So each statement, commit, rollback
and checkout ping gets a deadline, and a watchdog thread cuts (``shutdown``) the socket of a
connection past it: the blocked read then fails, SQLAlchemy discards the connection, and
the request answers 503. After a failure, :class:`Breaker` answers further requests 503 at
once for a moment, so they do not each wait for a connect to time out.
"""

from __future__ import annotations

import socket
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event, exc

__all__ = ["Breaker", "DatabaseUnavailable", "guard"]


class DatabaseUnavailable(Exception):
    """The database failed a moment ago; not asked again yet (answered 503)."""


class Breaker:
    """Open for ``cool`` seconds after a failure: :meth:`check` then raises at once, except
    in a :meth:`probe` (the readiness check), whose success closes it again."""

    def __init__(self, cool: float) -> None:
        self.cool = cool
        self._open_until = 0.0
        self._local = threading.local()

    def check(self) -> None:
        if time.monotonic() < self._open_until and not getattr(self._local, "probe", False):
            raise DatabaseUnavailable

    def failed(self) -> None:
        self._open_until = time.monotonic() + self.cool

    @contextmanager
    def probe(self) -> Iterator[None]:
        self._local.probe = True
        try:
            yield
        finally:
            self._local.probe = False
        self._open_until = 0.0


class _Watchdog:
    """Deadlines by thread (a thread runs one statement at a time) and the thread that cuts
    the connections past theirs."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._due: dict[int, tuple[weakref.ref[Any], int, float]] = {}
        self._lock = threading.Lock()
        threading.Thread(target=self._watch, name="db-deadlines", daemon=True).start()

    def start(self, dbapi_connection: Any) -> None:
        try:
            fd = dbapi_connection.fileno()
        except Exception:
            return  # closed already: nothing can block on it
        due = time.monotonic() + self.seconds
        with self._lock:
            self._due[threading.get_ident()] = (weakref.ref(dbapi_connection), fd, due)

    def stop(self, *_: Any) -> None:
        with self._lock:
            self._due.pop(threading.get_ident(), None)

    def _watch(self) -> None:
        while True:
            time.sleep(0.05)
            now = time.monotonic()
            with self._lock:
                late = [k for k, (_, _, due) in self._due.items() if due < now]
                cut = [self._due.pop(k)[:2] for k in late]
            for ref, fd in cut:
                _cut(ref(), fd)


def _cut(connection: Any, fd: int) -> None:
    """Shut the connection's socket down (a duplicate of its descriptor, so the
    connection still owns and closes the original); skip one closed meanwhile."""
    if connection is None or connection.closed or connection.fileno() != fd:
        return
    try:
        with socket.fromfd(fd, socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def guard(engine: Engine, seconds: float, breaker: Breaker) -> None:
    """Give every statement, commit and rollback on ``engine`` and every checkout (which
    pings the connection first, in place of ``pool_pre_ping``) ``seconds`` to finish; a
    failed ping opens ``breaker``, and no new connection is tried while it is open."""
    watchdog = _Watchdog(seconds)

    @event.listens_for(engine, "do_connect")
    def _connect(*_: Any) -> None:
        breaker.check()

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn: Any, *_: Any) -> None:
        watchdog.start(conn.connection.dbapi_connection)

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _ending(conn: Any) -> None:
        watchdog.start(conn.connection.dbapi_connection)

    event.listen(engine, "after_cursor_execute", watchdog.stop)
    event.listen(engine, "handle_error", watchdog.stop)

    @event.listens_for(engine, "reset")
    def _reset(dbapi_connection: Any, *_: Any) -> None:
        watchdog.start(dbapi_connection)

    event.listen(engine, "checkin", watchdog.stop)

    @event.listens_for(engine, "checkout")
    def _ping(dbapi_connection: Any, *_: Any) -> None:
        watchdog.start(dbapi_connection)
        try:
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        except Exception as error:  # the pool retries once with a new connection
            breaker.failed()
            raise exc.DisconnectionError() from error
        finally:
            watchdog.stop()
