"""``risk serve`` as a real process the test can kill, and a plain HTTP client for it."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["Served", "free_port", "request", "served"]

RISK = str(Path(sys.executable).with_name("risk"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def request(
    port: int, method: str, path: str, body: Any = None, key: str | None = None, timeout: float = 30
) -> tuple[int, Any]:
    """One request on a fresh connection: (status, JSON body)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = {"Content-Type": "application/json"}
        if key:
            headers["Authorization"] = f"Bearer {key}"
        data = None if body is None else json.dumps(body).encode()
        connection.request(method, path, body=data, headers=headers)
        response = connection.getresponse()
        text = response.read()
        return response.status, (json.loads(text) if text else None)
    finally:
        connection.close()


class Served:
    """A running ``risk serve``: its port, its process, its log."""

    def __init__(self, process: subprocess.Popen[bytes], port: int, log: Path) -> None:
        self.process, self.port, self.log = process, port, log

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(30)

    def stop(self) -> int:
        """Stop it as Ctrl+C does; its exit status."""
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(60)


@contextmanager
def served(
    env: dict[str, str], log: Path, ready_within: float = 180, args: tuple[str, ...] = ()
) -> Iterator[Served]:
    """Start ``risk serve`` with ``env`` (RISK_* settings) and ``args``, and wait until it
    is ready."""
    port = free_port()
    with log.open("ab") as out:
        process = subprocess.Popen(
            [RISK, "serve", "--port", str(port), *args],
            env={**os.environ, "PYTHONWARNINGS": "ignore", **env},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Served(process, port, log)
    try:
        deadline = time.monotonic() + ready_within
        while True:
            if process.poll() is not None:
                raise AssertionError(f"risk serve exited {process.returncode}:\n{log.read_text()}")
            try:
                if request(port, "GET", "/readyz", timeout=5)[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"risk serve not ready:\n{log.read_text()}")
            time.sleep(0.1)
        yield server
    finally:
        if process.poll() is None:
            server.kill()
