"""Scoring service under load: saturation, steady-rate latency and storing, against MLflow.

One run, on 127.0.0.1 only, bounded in time and request count:

1. a temporary working dir; the embedded default model is built once into a throwaway
   MLflow store (or ``--mlflow-uri`` names a store that already has a champion); a
   temporary SQLite database; ``risk serve --workers 2`` as a subprocess; a caseworker key;
2. saturation: ``POST /v1/score`` (auth, reasons, audit) from ``wrk``, 32 connections for
   60 s: requests/s, errors, latencies;
3. the peer: ``mlflow models serve -m models:/risk-triage@champion --workers 2
   --env-manager local`` on the same store, the same wrk load on ``POST /invocations``
   with a ``dataframe_split`` of the same unit (its plain prediction); both figures and
   the ratio;
4. latency at a constant offered load of 200 requests/s, open loop (requests sent at
   fixed times whatever the answers do, latency measured from the scheduled send time, so
   a stall counts against every request it delays: no coordinated omission);
5. ``POST /v1/cases`` at 100 requests/s, open loop, on SQLite and on PostgreSQL (a
   temporary database ``risk_bench_<random>``, created and dropped here).

Why wrk: it is a C event loop that drives 32 keep-alive connections with a few percent
of one core, so on a 2-core machine it leaves the CPU to the server; a Python load tool
(locust) needs about a core for a few hundred requests/s and would cap the figure it
measures. wrk2 (constant rate) is not packaged in Debian, so the open-loop phases use a
small asyncio + aiohttp generator in this process (aiohttp comes with mlflow and costs
less client CPU per request than httpx; the figures print it); the client's own time is
inside the latencies, so they are slightly pessimistic.

``--phases`` picks some of score (2 and 4), peer (3), store-sqlite and store-postgres
(5). The load average is printed with every figure: the machine
may be shared.

    python benchmarks/service_load.py [--mlflow-uri URI] [--seconds 60] \
        [--rate-seconds 30] [--pg-admin-url postgresql://postgres@127.0.0.1:5432/test]

Needs ``wrk`` (Debian: ``apt-get install -y wrk``) and, for the PostgreSQL phase, a
server (``--pg-admin-url``).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx2 as httpx
import numpy as np

HERE = Path(__file__).resolve().parent
LUA = HERE / "service_load.lua"
HOST = "127.0.0.1"
PHASES = ("score", "peer", "store-sqlite", "store-postgres")

#: The unit scored in every request: a marital dispute with threats, alcohol misuse.
CASE = {
    "dispute_type": "marital",
    "counterpart": "spouse",
    "threats": True,
    "notes": "男方酒后扬言",
}
SURVEY = {"grid_id": "G1", "alcohol_misuse": "frequent"}
SCORE_BODY = {"case": CASE, "survey": SURVEY}


def _bin(name: str) -> str:
    """An executable from this interpreter's environment, else from PATH."""
    local = Path(sys.executable).parent / name
    if local.exists():
        return str(local)
    found = shutil.which(name)
    if found is None:
        sys.exit(f"error: {name} not found (install it first)")
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


# --------------------------------------------------------------------------- processes


@dataclass
class Server:
    name: str
    proc: subprocess.Popen[bytes]
    port: int
    log: Path
    _log_file: IO[bytes] = field(repr=False)

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    def stop(self) -> None:
        """SIGTERM to the server's own process group (it and its workers), then SIGKILL."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self._log_file.close()

    def worker_pids(self) -> list[int]:
        """Every descendant process (uvicorn's workers may be grandchildren)."""
        out = subprocess.run(
            ["ps", "-e", "-o", "pid=,ppid="], capture_output=True, text=True, check=False
        ).stdout
        children: dict[int, list[int]] = {}
        for line in out.splitlines():
            pid, ppid = (int(x) for x in line.split())
            children.setdefault(ppid, []).append(pid)
        found, todo = [], [self.proc.pid]
        while todo:
            for child in children.get(todo.pop(), []):
                found.append(child)
                todo.append(child)
        return sorted(found)


def start(name: str, argv: list[str], env: dict[str, str], cwd: Path, port: int) -> Server:
    log = cwd / f"{name}.log"
    log_file = log.open("wb")
    proc = subprocess.Popen(
        argv, cwd=cwd, env=env, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True
    )
    return Server(name, proc, port, log, log_file)


def wait_ready(server: Server, path: str, timeout: float = 300.0) -> float:
    """Seconds until ``GET path`` answers 200; exits with the log's tail if it never does."""
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        if server.proc.poll() is not None:
            break
        try:
            if httpx.get(server.base + path, timeout=2.0).status_code == 200:
                return time.perf_counter() - t0
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    server.stop()
    tail = server.log.read_text(errors="replace")[-3000:]
    sys.exit(f"error: {server.name} did not become ready:\n{tail}")


def wait_settled(server: Server, workers: int, timeout: float = 180.0) -> float:
    """Seconds until ``workers`` of the server's processes have each used over a CPU second
    (loading the model) and none uses more for two seconds. The first worker to be ready
    answers ``/readyz`` while the others may still be loading, and would otherwise accept
    every connection a load tool opens at once."""
    t0 = time.perf_counter()
    last: list[float] = []
    quiet = 0
    while time.perf_counter() - t0 < timeout:
        time.sleep(1.0)
        now = cpu_seconds(server.worker_pids())
        busy = sum(1 for c in now if c > 1.0)
        moved = len(now) != len(last) or any(b - a > 0.05 for a, b in zip(last, now, strict=True))
        quiet = 0 if moved or busy < workers else quiet + 1
        last = now
        if quiet >= 2:
            break
    return time.perf_counter() - t0


@contextmanager
def running(
    name: str,
    argv: list[str],
    env: dict[str, str],
    cwd: Path,
    port: int,
    ready: str,
    workers: int = 1,
) -> Iterator[Server]:
    server = start(name, argv, env, cwd, port)
    try:
        took = wait_ready(server, ready)
        settled = wait_settled(server, workers)
        print(f"  {name} ready on port {port} after {took:.1f} s, settled {settled:.1f} s later")
        yield server
    finally:
        server.stop()


# --------------------------------------------------------------------------- load tools


def wrk(
    url: str, body: dict[str, Any], auth: str | None, seconds: int, connections: int, threads: int
) -> dict[str, float]:
    """Closed-loop saturation with wrk; the figures of the Lua script's summary line."""
    env = {**os.environ, "WRK_BODY": json.dumps(body, ensure_ascii=False)}
    if auth:
        env["WRK_AUTH"] = auth
    argv = [
        _bin("wrk"), f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
        "-s", str(LUA), url,
    ]  # fmt: skip
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=seconds + 60)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("WRK_JSON ")), None)
    if line is None:
        sys.exit(f"error: wrk gave no summary:\n{done.stdout}\n{done.stderr}")
    r = json.loads(line.removeprefix("WRK_JSON "))
    errors = r["connect"] + r["read"] + r["write"] + r["status"] + r["timeout"]
    return {
        "requests": r["requests"],
        "rps": r["requests"] / (r["duration_us"] / 1e6),
        "errors": errors,
        "errors_status": r["status"],
        "errors_socket": errors - r["status"],
        "p50_ms": r["p50_us"] / 1e3,
        "p90_ms": r["p90_us"] / 1e3,
        "p99_ms": r["p99_us"] / 1e3,
        "p999_ms": r["p999_us"] / 1e3,
        "max_ms": r["max_us"] / 1e3,
        "mean_ms": r["mean_us"] / 1e3,
    }


@dataclass
class Shot:
    """One request of an open-loop run."""

    method: str
    url: str
    body: bytes | None = None
    headers: dict[str, str] | None = None


@dataclass
class Fired:
    """What an open-loop run saw: per request, its status (or exception name) and the
    latency from its scheduled send time (seconds); and the run's own figures."""

    statuses: list[str]
    latencies: np.ndarray
    wall: float
    client_cpu: float
    late: float


async def fire(session: Any, shot: Callable[[int], Shot], rate: float, seconds: float) -> Fired:
    """Send ``rate * seconds`` requests at fixed times, whatever the answers do."""
    import aiohttp

    n = int(rate * seconds)
    latencies = np.full(n, np.nan)
    statuses = [""] * n
    late = 0.0

    async def one(i: int, scheduled: float) -> None:
        s = shot(i)
        try:
            async with session.request(s.method, s.url, data=s.body, headers=s.headers) as r:
                await r.read()
                statuses[i] = str(r.status)
        except (aiohttp.ClientError, TimeoutError) as exc:
            statuses[i] = type(exc).__name__
        latencies[i] = time.perf_counter() - scheduled

    tasks = []
    cpu0 = time.process_time()
    t0 = time.perf_counter() + 0.2
    for i in range(n):
        scheduled = t0 + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        else:
            late = max(late, -delay)
        tasks.append(asyncio.create_task(one(i, scheduled)))
    await asyncio.gather(*tasks)
    return Fired(statuses, latencies, time.perf_counter() - t0, time.process_time() - cpu0, late)


def client_session(headers: dict[str, str]) -> Any:
    """An aiohttp session for open-loop runs: many connections, a 10 s timeout."""
    import aiohttp

    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=512),
        timeout=aiohttp.ClientTimeout(total=10.0),
        headers=headers,
    )


def summarise(fired: Fired, rate: float, ok: Callable[[str], bool]) -> dict[str, Any]:
    """Counts, errors and latency percentiles (ms) of an open-loop run."""
    ms = fired.latencies * 1e3
    n = len(ms)
    return {
        "requests": n,
        "offered_rps": rate,
        "achieved_rps": n / fired.wall,
        "errors": sum(not ok(s) for s in fired.statuses),
        "statuses": dict(Counter(fired.statuses)),
        "p50_ms": float(np.percentile(ms, 50)),
        "p90_ms": float(np.percentile(ms, 90)),
        "p99_ms": float(np.percentile(ms, 99)),
        "p999_ms": float(np.percentile(ms, 99.9)),
        "max_ms": float(ms.max()),
        "sender_late_ms": fired.late * 1e3,
        "client_cpu_ms_per_req": fired.client_cpu / n * 1e3,
    }


def open_loop(
    url: str, auth: str, body: Callable[[int], bytes], rate: float, seconds: float, ok: int
) -> dict[str, Any]:
    """POST ``body(i)`` to ``url`` at a constant rate; figures as :func:`summarise`."""

    async def run() -> Fired:
        headers = {"Authorization": auth, "Content-Type": "application/json"}
        async with client_session(headers) as session:
            return await fire(session, lambda i: Shot("POST", url, body(i)), rate, seconds)

    return summarise(asyncio.run(run()), rate, lambda status: status == str(ok))


# --------------------------------------------------------------------------- phases


def create_key(env: dict[str, str], cwd: Path, role: str = "caseworker") -> str:
    done = subprocess.run(
        [_bin("risk"), "keys", "create", "--role", role, "--all-grids", "--label", "benchmark"],
        env=env, cwd=cwd, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return done.stdout.strip().splitlines()[-1].strip()


def check(response: httpx.Response, status: int, what: str) -> None:
    if response.status_code != status:
        sys.exit(f"error: {what}: HTTP {response.status_code}: {response.text[:500]}")


def case_body(run: str) -> Callable[[int], bytes]:
    """A new case per request (unique id; four cases per household, so some history)."""

    def body(i: int) -> bytes:
        return json.dumps(
            {
                "case_id": f"bench-{run}-{i}",
                "household_id": f"bench-{run}-h{i // 4}",
                "grid_id": "G-bench",
                # (a household's first case may still be being stored when its next one comes)
                "new_household": True,
                "opened_at": "2026-11-20",
                "source": "grid_worker",
                **CASE,
            },
            ensure_ascii=False,
        ).encode()

    return body


def serve_env(base: dict[str, str], database_url: str) -> dict[str, str]:
    return {**base, "RISK_DATABASE_URL": database_url}


def serve_argv(port: int, workers: int) -> list[str]:
    return [_bin("risk"), "serve", "--host", HOST, "--port", str(port), "--workers", str(workers)]


def show(title: str, r: dict[str, Any]) -> None:
    print(f"  {title}  (load average {os.getloadavg()[0]:.1f})")
    for k, v in r.items():
        print(f"    {k:<22} {v:,.2f}" if isinstance(v, float) else f"    {k:<22} {v}")


def cpu_seconds(pids: list[int]) -> list[float]:
    """User + system CPU seconds of each process, from /proc (Linux)."""
    tick = os.sysconf("SC_CLK_TCK")
    out = []
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            out.append((int(fields[11]) + int(fields[12])) / tick)
        except (OSError, IndexError, ValueError):
            out.append(float("nan"))
    return out


def saturate(
    s: Server, url: str, body: dict[str, Any], auth: str | None, args: argparse.Namespace
) -> dict[str, Any]:
    """A 5 s warm-up, then the measured wrk run; adds each worker's CPU seconds in it."""
    wrk(url, body, auth, 5, args.connections, args.wrk_threads)
    pids = s.worker_pids()
    before = cpu_seconds(pids)
    r: dict[str, Any] = wrk(url, body, auth, args.seconds, args.connections, args.wrk_threads)
    after = cpu_seconds(pids)
    r["worker_cpu_s"] = " / ".join(f"{b - a:.1f}" for a, b in zip(before, after, strict=True))
    return r


def score_phases(
    label: str, argv: list[str], env: dict[str, str], tmp: Path, port: int,
    args: argparse.Namespace,
) -> dict[str, dict[str, Any]]:  # fmt: skip
    """Saturation and steady-rate latency on POST /v1/score, and optionally /v1/cases."""
    key = create_key(env, tmp)
    auth = f"Bearer {key}"
    out: dict[str, dict[str, Any]] = {}
    with running(label, argv, env, tmp, port, "/readyz", args.workers) as s:
        url = s.base + "/v1/score"
        probe = httpx.post(url, json=SCORE_BODY, headers={"Authorization": auth}, timeout=30)
        check(probe, 200, f"POST /v1/score ({label})")
        print(f"  probe: tier {probe.json()['tier']}, {len(probe.json()['reasons'])} reasons")
        out["score"] = saturate(s, url, SCORE_BODY, auth, args)
        show(f"[{label}] POST /v1/score, wrk {args.connections} connections, {args.seconds} s",
             out["score"])  # fmt: skip
        body = json.dumps(SCORE_BODY, ensure_ascii=False).encode()
        out["steady"] = open_loop(url, auth, lambda _: body, args.rate, args.rate_seconds, ok=200)
        show(f"[{label}] POST /v1/score, {args.rate:g} req/s open loop, "
             f"{args.rate_seconds:g} s", out["steady"])  # fmt: skip
    return out


def store_phase(
    label: str, argv: list[str], env: dict[str, str], tmp: Path, port: int,
    args: argparse.Namespace,
) -> dict[str, Any]:  # fmt: skip
    """Start a server on the database in ``env``, then POST /v1/cases at the store rate."""
    key = create_key(env, tmp)
    with running(label, argv, env, tmp, port, "/readyz", args.workers) as s:
        run = secrets.token_hex(3)
        url = s.base + "/v1/cases"
        probe = httpx.post(
            url, content=case_body(run + "w")(0), timeout=30,
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        )  # fmt: skip
        check(probe, 201, f"POST /v1/cases ({label})")
        r = open_loop(
            url, f"Bearer {key}", case_body(run), args.store_rate, args.rate_seconds, ok=201
        )
    show(f"[{label}] POST /v1/cases, {args.store_rate:g} req/s open loop, "
         f"{args.rate_seconds:g} s", r)  # fmt: skip
    return r


@contextmanager
def temp_postgres(admin_url: str) -> Iterator[str]:
    """A new empty database ``risk_bench_<random>``; dropped afterwards."""
    import psycopg

    name = f"risk_bench_{secrets.token_hex(4)}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    info = psycopg.conninfo.conninfo_to_dict(admin_url)
    user = info.get("user", "postgres")
    host, port = info.get("host", HOST), info.get("port", 5432)
    try:
        yield f"postgresql+psycopg://{user}@{host}:{port}/{name}"
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mlflow-uri", help="MLflow store with a champion (default: build one)")
    parser.add_argument("--seconds", type=int, default=60, help="each saturation run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rate", type=float, default=200.0, help="steady-load requests/s")
    parser.add_argument("--store-rate", type=float, default=100.0, help="POST /v1/cases req/s")
    parser.add_argument("--rate-seconds", type=float, default=30.0, help="each open-loop run")
    parser.add_argument(
        "--pg-admin-url",
        default="postgresql://postgres@127.0.0.1:5432/test",
        help="libpq URL of a database to create and drop the temporary one from",
    )
    parser.add_argument(
        "--phases", nargs="+", choices=PHASES, default=list(PHASES),
        help="which phases to run (default: all)",
    )  # fmt: skip
    args = parser.parse_args()

    wrk_version = subprocess.run([_bin("wrk"), "-v"], capture_output=True, text=True).stdout
    print(
        f"machine: {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"wrk {wrk_version.split()[1]}, {dt.date.today()}, "
        f"load average {os.getloadavg()[0]:.1f} at start"
    )
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="risk-bench-") as tmp_name:
        tmp = Path(tmp_name)
        uri = args.mlflow_uri or f"sqlite:///{tmp}/mlruns/mlflow.db"
        (tmp / "mlruns").mkdir()
        from service.bootstrap import ensure_champion

        t0 = time.perf_counter()
        version = ensure_champion(uri, progress=False)
        print(f"champion: risk-triage version {version} ({time.perf_counter() - t0:.1f} s)")
        base_env = {
            **os.environ,
            "RISK_MLFLOW_URI": uri,
            "MLFLOW_TRACKING_URI": uri,
            "PYTHONWARNINGS": "ignore",
        }
        sqlite_env = serve_env(base_env, f"sqlite:///{tmp}/risk.db")

        # --- 2. saturation and 4. steady latency on POST /v1/score (risk serve, SQLite)
        if "score" in args.phases:
            port = _free_port()
            argv = serve_argv(port, args.workers)
            results.update(score_phases("risk serve", argv, sqlite_env, tmp, port, args))
        # --- 5. storing, SQLite (a fresh server on the same database file)
        if "store-sqlite" in args.phases:
            port = _free_port()
            results["cases_sqlite"] = store_phase(
                "risk serve, SQLite", serve_argv(port, args.workers), sqlite_env, tmp, port, args
            )
        # --- 5. storing, PostgreSQL
        if "store-postgres" in args.phases:
            with temp_postgres(args.pg_admin_url) as pg_url:
                port = _free_port()
                results["cases_postgres"] = store_phase(
                    "risk serve, PostgreSQL", serve_argv(port, args.workers),
                    serve_env(base_env, pg_url), tmp, port, args,
                )  # fmt: skip

        # --- 3. the peer: mlflow models serve, its plain prediction of the same unit
        if "peer" in args.phases:
            port = _free_port()
            argv = [
                _bin("mlflow"), "models", "serve", "-m", "models:/risk-triage@champion",
                "--workers", str(args.workers), "--env-manager", "local",
                "-h", HOST, "-p", str(port),
            ]  # fmt: skip
            unit = {**CASE, **SURVEY}
            peer_body = {"dataframe_split": {"columns": list(unit), "data": [list(unit.values())]}}
            peer = "mlflow models serve"
            with running(peer, argv, base_env, tmp, port, "/ping", args.workers) as s:
                url = s.base + "/invocations"
                probe = httpx.post(url, json=peer_body, timeout=60)
                check(probe, 200, "mlflow POST /invocations")
                results["peer"] = saturate(s, url, peer_body, None, args)
            show(f"[mlflow models serve] POST /invocations, wrk {args.connections} connections, "
                 f"{args.seconds} s", results["peer"])  # fmt: skip

    report(results)


def report(results: dict[str, dict[str, Any]]) -> None:
    print("\ntargets")
    rows: list[tuple[str, str, bool]] = []
    score = results.get("score")
    if score is not None:
        rows.append((
            "saturation >= 500 req/s, zero errors",
            f"{score['rps']:,.0f} req/s, {score['errors']} errors",
            score["rps"] >= 500 and score["errors"] == 0,
        ))  # fmt: skip
    if score is not None and "peer" in results:
        peer = results["peer"]
        ratio = score["rps"] / peer["rps"] if peer["rps"] else float("inf")
        rows.append((
            ">= 10x mlflow models serve",
            f"{score['rps']:,.0f} / {peer['rps']:,.1f} req/s = {ratio:.1f}x "
            f"(peer errors {peer['errors']})",
            ratio >= 10,
        ))  # fmt: skip
    steady = results.get("steady")
    if steady is not None:
        rows.append((
            "200 req/s: p50 <= 5 ms, p99 <= 25 ms",
            f"p50 {steady['p50_ms']:.2f} ms, p99 {steady['p99_ms']:.2f} ms, "
            f"{steady['errors']} errors",
            steady["p50_ms"] <= 5 and steady["p99_ms"] <= 25 and steady["errors"] == 0,
        ))  # fmt: skip
    for name in ("cases_sqlite", "cases_postgres"):
        if name in results:
            r = results[name]
            rows.append((
                f"{name}: p99 <= 50 ms, zero errors",
                f"p99 {r['p99_ms']:.2f} ms, {r['errors']} errors",
                r["p99_ms"] <= 50 and r["errors"] == 0,
            ))  # fmt: skip
    for what, figure, ok in rows:
        print(f"  {'pass' if ok else 'MISS'}  {what:<40} {figure}")


if __name__ == "__main__":
    main()
