"""Running the app under uvicorn, on a listening socket we create ourselves.

uvicorn binds the socket with protocol 0; asyncio then leaves Nagle's algorithm on for
the connections it accepts, and every keep-alive request after the first waits about
40 ms for a delayed ACK. A socket made with ``IPPROTO_TCP`` gets TCP_NODELAY on each
accepted connection, so one to several workers answer in milliseconds.

Several workers on Linux each listen on a socket of their own in one ``SO_REUSEPORT``
group, and the kernel spreads new connections over them by address hash. Sharing one
socket, a worker woken by a burst of connections accepts every one waiting (asyncio
accepts up to the backlog per wake-up), and a load opening its connections at once ran
on one worker of two (``docs/benchmarks.md``).
"""

from __future__ import annotations

import copy
import socket
import sys
from typing import Any

import uvicorn
from uvicorn.config import LOGGING_CONFIG
from uvicorn.supervisors import Multiprocess
from uvicorn.supervisors import multiprocess as supervisor

from service.metrics import multiprocess_dir

__all__ = ["listening_socket", "log_config", "run"]

APP = "service.main:create_app"


def listening_socket(host: str, port: int, shared_port: bool = False) -> socket.socket:
    """A bound, listening TCP socket whose accepted connections get TCP_NODELAY; with
    ``shared_port``, one of a ``SO_REUSEPORT`` group on the port."""
    info = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    family, kind, proto, _, address = info[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if shared_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(address)
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


class _OwnSocketWorker(supervisor.Process):
    """A worker that listens on a socket of its own in the port's ``SO_REUSEPORT`` group
    (made in the worker, so a worker the supervisor restarts makes its own too)."""

    def target(self, sockets: list[socket.socket] | None = None) -> None:  # pragma: no cover
        own = listening_socket(self.config.host, self.config.port, shared_port=True)
        super().target([own])


def _spread_by_kernel(workers: int, port: int) -> bool:
    """Several workers on a port named in advance (port 0 would give each its own), on
    Linux, whose kernel spreads a ``SO_REUSEPORT`` group's connections."""
    return workers > 1 and port != 0 and sys.platform == "linux" and hasattr(socket, "SO_REUSEPORT")


def log_config() -> dict[str, Any]:
    """uvicorn's logging, plus the service's access log (:mod:`service.access`) on stdout;
    uvicorn's own access log is off (it would print each query string)."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config["formatters"]["line"] = {"format": "%(message)s"}
    config["handlers"]["risk.access"] = {
        "class": "logging.StreamHandler",
        "formatter": "line",
        "stream": "ext://sys.stdout",
    }
    config["loggers"]["risk.access"] = {
        "handlers": ["risk.access"],
        "level": "INFO",
        "propagate": False,
    }
    return config


def run(host: str, port: int, workers: int = 1, log_level: str = "warning") -> None:
    """Serve until interrupted: one process, or ``workers`` processes, each on a socket of
    its own where the kernel spreads connections, else sharing one."""
    config = uvicorn.Config(
        APP,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        log_config=log_config(),
        access_log=False,
        backlog=2048,
    )
    if _spread_by_kernel(workers, port):
        _serve_spread(config, host, port)
        return
    sock = listening_socket(host, port)
    try:
        if workers > 1:
            with multiprocess_dir():  # before the workers start: /metrics sums them all
                Multiprocess(config, sockets=[sock]).run()
        else:
            uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()


def _serve_spread(config: uvicorn.Config, host: str, port: int) -> None:
    """The workers each on a socket of their own (:class:`_OwnSocketWorker`). A port
    already taken fails here, in the parent, as with one shared socket."""
    listening_socket(host, port).close()
    supervisor.Process = _OwnSocketWorker  # type: ignore[misc]
    with multiprocess_dir():
        Multiprocess(config, sockets=[]).run()
