"""A TCP proxy on 127.0.0.1 that a test can cut and restore, to fail a server it cannot stop.

``down()`` closes the listening socket and every live connection, so clients see refused
connects and broken pipes, as when the database host goes away; ``up()`` listens again on
the same port. ``pause()`` black-holes instead: connections are still accepted and kept
open, but no byte is passed on either way until ``resume()`` (a stalled network or host).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress

__all__ = ["TcpProxy"]


class TcpProxy:
    """Forward ``127.0.0.1:port`` to ``target`` in threads until :meth:`close`."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = 0
        self._lock = threading.Lock()
        self._live: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self._flowing = threading.Event()
        self._flowing.set()
        self.up()

    def up(self) -> None:
        """Listen (again, on the same port) and forward every connection accepted."""
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def down(self) -> None:
        """Stop listening and cut every live connection."""
        listener, self._listener = self._listener, None
        if listener is not None:
            _close(listener)
        with self._lock:
            live, self._live = self._live, set()
        for sock in live:
            _close(sock)

    close = down

    def pause(self) -> None:
        """Pass no byte on, either way, on any connection (new ones included)."""
        self._flowing.clear()

    def resume(self) -> None:
        self._flowing.set()

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Black-holed for the block, flowing again after it."""
        self.pause()
        try:
            yield
        finally:
            self.resume()

    @contextmanager
    def cut(self) -> Iterator[None]:
        """Down for the block, up again after it."""
        self.down()
        try:
            yield
        finally:
            self.up()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # the listener was closed: down
            try:
                server = socket.create_connection(self.target, timeout=5)
            except OSError:
                _close(client)
                continue
            server.settimeout(None)
            with self._lock:
                if self._listener is not listener:  # went down meanwhile
                    _close(client)
                    _close(server)
                    return
                self._live.update((client, server))
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                self._flowing.wait()
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                _close(sock)
            with self._lock:
                self._live.difference_update((source, sink))


def _close(sock: socket.socket) -> None:
    with suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
