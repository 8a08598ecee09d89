"""Running the app under uvicorn, on a listening socket we create ourselves.

uvicorn binds the socket with protocol 0; asyncio then leaves Nagle's algorithm on for
the connections it accepts, and every keep-alive request after the first waits about
40 ms for a delayed ACK. A socket made with ``IPPROTO_TCP`` gets TCP_NODELAY on each
accepted connection, so one to several workers answer in milliseconds.
"""

from __future__ import annotations

import copy
import socket
from typing import Any

import uvicorn
from uvicorn.config import LOGGING_CONFIG
from uvicorn.supervisors import Multiprocess

from service.metrics import multiprocess_dir

__all__ = ["listening_socket", "log_config", "run"]

APP = "service.main:create_app"


def listening_socket(host: str, port: int) -> socket.socket:
    """A bound, listening TCP socket whose accepted connections get TCP_NODELAY."""
    info = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    family, kind, proto, _, address = info[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(address)
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


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
    """Serve until interrupted: one process, or ``workers`` processes sharing the socket."""
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
    sock = listening_socket(host, port)
    try:
        if workers > 1:
            with multiprocess_dir():  # before the workers start: /metrics sums them all
                Multiprocess(config, sockets=[sock]).run()
        else:
            uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()
