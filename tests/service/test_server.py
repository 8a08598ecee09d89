"""The server process: accepted connections get TCP_NODELAY (no 40 ms delayed-ACK stall);
``risk serve --workers 2`` as a user runs it, started and stopped for real."""

from __future__ import annotations

import asyncio
import http.client
import json
import socket

import pytest
from utils.served import request, served

from service.server import listening_socket


def test_accepted_connections_have_nodelay():
    sock = listening_socket("127.0.0.1", 0)
    assert sock.proto == socket.IPPROTO_TCP
    port = sock.getsockname()[1]
    seen: list[int] = []

    async def main() -> None:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            accepted = writer.get_extra_info("socket")
            seen.append(accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(handle, sock=sock)
        async with server:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            for _ in range(100):
                if seen:
                    break
                await asyncio.sleep(0.01)
            writer.close()

    asyncio.run(main())
    assert seen == [1]


def _get(port: int, path: str, key: str) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers={"Authorization": f"Bearer {key}"})
        response = connection.getresponse()
        assert response.status == 200
        return response.read().decode()
    finally:
        connection.close()


def _sample(metrics: str, name: str, **labels: str) -> list[float]:
    """The values of ``name``'s samples that carry ``labels``."""
    wanted = [f'{k}="{v}"' for k, v in labels.items()]
    return [
        float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line.startswith(name + "{") and all(w in line for w in wanted)
    ]


@pytest.mark.slow
def test_two_workers_are_summed_in_metrics_and_start_and_stop_cleanly(model_store, tmp_path):
    """``risk serve --workers 2`` on a fresh database: the first admin key and the URLs on
    lines of their own, /metrics counting every request whichever worker took it and
    showing both workers, and nothing on the console but those lines and the access log:
    no traceback, no leaked semaphore at Ctrl+C."""
    log = tmp_path / "serve.log"
    env = {
        "RISK_MLFLOW_URI": model_store,
        "RISK_DATABASE_URL": f"sqlite:///{tmp_path / 'risk.db'}",
        "PYTHONWARNINGS": "default",  # (the resource tracker's warnings are shown)
    }
    with served(env, log, args=("--workers", "2")) as server:
        lines = log.read_text().splitlines()
        key = next(line for line in lines if line.startswith("rk_"))
        base = f"http://127.0.0.1:{server.port}"
        assert base in lines and f"{base}/docs" in lines
        # A fresh connection each: the kernel hands them to both workers, though on a
        # loaded machine one may take a run of them; rounds of 40 until both have served
        # (at most 10 rounds), every request counted whichever worker took it.
        sent, workers = 0, set()
        for _ in range(10):
            for _ in range(40):
                assert request(server.port, "GET", "/healthz")[0] == 200
            sent += 40
            metrics = _get(server.port, "/metrics", key)
            served_by = _sample(metrics, "risk_requests_total", route="/healthz", status="200")
            assert served_by == [float(sent)]
            workers = {
                line.split('pid="')[1].split('"')[0]
                for line in metrics.splitlines()
                if line.startswith("risk_model_served{") and line.endswith(" 1.0")
            }
            if len(workers) == 2:
                break
        assert len(workers) == 2
        assert server.stop() == 0
    console = log.read_text()
    assert "Traceback" not in console and "leaked" not in console
    access = [json.loads(line) for line in console.splitlines() if line.startswith("{")]
    assert {(a["method"], a["route"], a["status"]) for a in access} >= {
        ("GET", "/healthz", 200),
        ("GET", "/metrics", 200),
    }
    assert key not in "".join(line for line in console.splitlines() if line.startswith("{"))
