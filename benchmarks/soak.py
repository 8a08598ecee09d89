"""Soak: the service for 10 minutes at a steady rate of mixed requests, on PostgreSQL.

One run, on 127.0.0.1 only, bounded in time and count (``--rate`` x ``--seconds``
requests): ``risk serve --workers 2`` on a temporary PostgreSQL database
(``risk_soak_<random>``, dropped afterwards), seeded with survey waves and cases; then an
open-loop mix (requests sent at fixed times whatever the answers do, latency from the
scheduled time) of what case workers and psychologists do:

====================================  =====
``POST /v1/score`` (inline unit)        35%
``POST /v1/score`` (stored household)   15%
``POST /v1/cases`` (stores and scores)  20%
``POST /v1/households`` (survey wave)    5%
``GET /v1/cases/{id}`` (with history)   15%
``GET /v1/visits`` (a grid's list)      10%
====================================  =====

Half-way, ``POST /v1/admin/reload`` loads the champion again while the load goes on.
The resident memory of the server's processes is sampled every 5 s. Targets: zero errors
(every answer 200/201, none refused, none timed out), memory at the end within 10% of
memory after the first minute, and no request around the reload failing.

    python benchmarks/soak.py [--mlflow-uri URI] [--seconds 600] [--rate 50] \\
        [--pg-admin-url postgresql://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import platform
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import psutil
from service_load import (
    CASE,
    SCORE_BODY,
    SURVEY,
    Fired,
    Server,
    Shot,
    _free_port,
    client_session,
    create_key,
    fire,
    running,
    serve_argv,
    serve_env,
    summarise,
    temp_postgres,
)

#: (share of requests, kind); kinds are the mix in the module docstring.
MIX = (
    (35, "score_inline"),
    (15, "score_household"),
    (20, "store_case"),
    (5, "store_survey"),
    (15, "read_case"),
    (10, "visits"),
)
GRIDS = ("G1", "G2", "G3", "G4")
SEEDED = 400  # households seeded before the soak, each with a survey wave and a case


def kinds(n: int) -> list[str]:
    """The kind of each of ``n`` requests: the mix, interleaved evenly and repeatably."""
    deck = [kind for share, kind in MIX for _ in range(share)]
    rng = np.random.default_rng(2026)
    return [deck[i] for i in rng.integers(0, len(deck), n)]


def _json(value: dict[str, Any]) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode()


def survey(household: str, grid: str, day: str) -> dict[str, Any]:
    return {
        **SURVEY,
        "household_id": household,
        "survey_date": day,
        "grid_id": grid,
        "area": "rural",
        "household_size": 4,
        "children": 1,
        "elderly": 1,
    }


def case(case_id: str, household: str) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "household_id": household,
        "opened_at": dt.date.today().isoformat(),
        "source": "grid_worker",
        **CASE,
    }


class Mix:
    """Builds request ``i`` of the soak for the server at ``base``."""

    def __init__(self, base: str, run: str, keys: dict[str, str], n: int) -> None:
        self.base, self.run, self.kind = base, run, kinds(n)
        self.auth = {role: {"Authorization": f"Bearer {key}"} for role, key in keys.items()}
        self.json = {"Content-Type": "application/json"}

    def household(self, i: int) -> str:
        return f"soak-{self.run}-h{i % SEEDED}"

    def __call__(self, i: int) -> Shot:
        kind, worker = self.kind[i], {**self.auth["caseworker"], **self.json}
        if kind == "score_inline":
            return Shot("POST", f"{self.base}/v1/score", _json(SCORE_BODY), worker)
        if kind == "score_household":
            body = {"household_id": self.household(i)}
            return Shot("POST", f"{self.base}/v1/score", _json(body), worker)
        if kind == "store_case":
            body = case(f"soak-{self.run}-c{i}", self.household(i))
            return Shot("POST", f"{self.base}/v1/cases", _json(body), worker)
        if kind == "store_survey":
            day = (dt.date(2025, 1, 1) + dt.timedelta(days=i % 600)).isoformat()
            body = survey(f"soak-{self.run}-w{i}", GRIDS[i % 4], day)  # a new household
            return Shot("POST", f"{self.base}/v1/households", _json(body), worker)
        if kind == "read_case":
            url = f"{self.base}/v1/cases/soak-{self.run}-seed{i % SEEDED}"
            return Shot("GET", url, None, self.auth["caseworker"])
        url = f"{self.base}/v1/visits?grid={GRIDS[i % 4]}&capacity=20"
        return Shot("GET", url, None, self.auth["psychologist"])


async def seed(session: Any, mix: Mix) -> None:
    """A survey wave and an open case for each of the seeded households."""
    headers = {**mix.auth["caseworker"], **mix.json}
    for h in range(SEEDED):
        household = mix.household(h)
        wave = survey(household, GRIDS[h % 4], "2025-06-01")
        for path, body in (
            ("households", wave),
            ("cases", case(f"soak-{mix.run}-seed{h}", household)),
        ):
            url = f"{mix.base}/v1/{path}"
            async with session.post(url, data=_json(body), headers=headers) as r:
                if r.status != 201:
                    raise SystemExit(f"error: seeding {path}: HTTP {r.status}: {await r.text()}")


def tree_rss(server: Server) -> float:
    """Resident memory of the server and its workers, MiB."""
    total = 0
    for pid in [server.proc.pid, *server.worker_pids()]:
        with contextlib.suppress(psutil.NoSuchProcess):
            total += psutil.Process(pid).memory_info().rss
    return total / 2**20


async def soak(server: Server, keys: dict[str, str], args: argparse.Namespace) -> dict[str, Any]:
    n = int(args.rate * args.seconds)
    mix = Mix(server.base, os.urandom(3).hex(), keys, n)
    memory: list[tuple[float, float]] = []
    reload: dict[str, Any] = {}

    async def sample_memory(t0: float) -> None:
        while True:
            memory.append((time.perf_counter() - t0, tree_rss(server)))
            await asyncio.sleep(5.0)

    async def reload_half_way(t0: float) -> None:
        await asyncio.sleep(args.seconds / 2)
        started = time.perf_counter()
        async with session.post(
            f"{server.base}/v1/admin/reload", headers=mix.auth["admin"]
        ) as response:
            reload.update(status=response.status, body=await response.json())
        reload.update(at=started - t0, seconds=time.perf_counter() - started)

    async with client_session({}) as session:
        await seed(session, mix)
        t0 = time.perf_counter()
        sampler = asyncio.create_task(sample_memory(t0))
        reloader = asyncio.create_task(reload_half_way(t0))
        fired: Fired = await fire(session, mix, args.rate, args.seconds)
        await reloader
        sampler.cancel()
    memory.append((time.perf_counter() - t0, tree_rss(server)))
    return {"fired": fired, "kinds": mix.kind, "memory": memory, "reload": reload}


def ok(status: str) -> bool:
    return status in ("200", "201")


def report(result: dict[str, Any], args: argparse.Namespace) -> bool:
    fired: Fired = result["fired"]
    whole = summarise(fired, args.rate, ok)
    print(f"\nall requests ({args.rate:g} req/s for {args.seconds:g} s)")
    for k, v in whole.items():
        print(f"    {k:<22} {v:,.2f}" if isinstance(v, float) else f"    {k:<22} {v}")
    print("\nby kind                 requests  errors   p50 ms   p99 ms")
    by_kind: dict[str, list[int]] = {}
    for i, kind in enumerate(result["kinds"]):
        by_kind.setdefault(kind, []).append(i)
    for kind, rows in by_kind.items():
        ms = fired.latencies[rows] * 1e3
        errors = sum(not ok(fired.statuses[i]) for i in rows)
        print(f"    {kind:<20} {len(rows):>8} {errors:>7} {np.percentile(ms, 50):>8.1f} "
              f"{np.percentile(ms, 99):>8.1f}")  # fmt: skip
    reload = result["reload"]
    at = reload.get("at", float("nan"))
    scheduled = np.arange(len(fired.statuses)) / args.rate
    around = np.flatnonzero(np.abs(scheduled - at) <= 10.0)
    around_errors = Counter(fired.statuses[i] for i in around if not ok(fired.statuses[i]))
    around_ms = fired.latencies[around] * 1e3
    print(f"\nreload at {at:.1f} s: HTTP {reload.get('status')}, {reload.get('body')}, "
          f"took {reload.get('seconds', float('nan')) * 1e3:.0f} ms; the {len(around)} requests "
          f"scheduled within 10 s of it: errors {dict(around_errors) or 0}, "
          f"p99 {np.percentile(around_ms, 99):.1f} ms")  # fmt: skip
    memory = result["memory"]
    since, baseline = next(((t, m) for t, m in memory if t >= 60.0), memory[0])
    last = memory[-1][1]
    growth = last / baseline - 1
    print("\nserver memory (RSS of the server and its workers), MiB:")
    print("    " + ", ".join(f"{t:.0f}s {m:.0f}" for t, m in memory[:: max(1, len(memory) // 12)]))
    print(f"    at {since:.0f} s (after the first minute, or the first sample of a shorter "
          f"run) {baseline:.0f}, at the end {last:.0f}: {growth:+.1%}")  # fmt: skip
    checks = [
        ("zero errors", whole["errors"] == 0, f"{whole['errors']} errors"),
        ("memory growth <= 10%", growth <= 0.10, f"{growth:+.1%}"),
        (
            "reload drops no request",
            reload.get("status") == 200 and not around_errors,
            f"HTTP {reload.get('status')}, {sum(around_errors.values())} errors around it",
        ),
    ]
    print("\ntargets")
    for what, passed, figure in checks:
        print(f"  {'pass' if passed else 'MISS'}  {what:<28} {figure}")
    return all(passed for _, passed, _ in checks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mlflow-uri", help="MLflow store with a champion (default: build one)")
    parser.add_argument("--seconds", type=float, default=600.0)
    parser.add_argument("--rate", type=float, default=50.0, help="requests/s")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--pg-admin-url",
        default="postgresql://postgres@127.0.0.1:5432/test",
        help="libpq URL of a database to create and drop the temporary one from",
    )
    args = parser.parse_args()
    print(
        f"machine: {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"{dt.date.today()}, load average {os.getloadavg()[0]:.1f} at start"
    )
    with tempfile.TemporaryDirectory(prefix="risk-soak-") as tmp_name:
        tmp = Path(tmp_name)
        uri = args.mlflow_uri or f"sqlite:///{tmp}/mlruns/mlflow.db"
        (tmp / "mlruns").mkdir()
        from service.bootstrap import ensure_champion

        version = ensure_champion(uri, progress=False)
        print(f"champion: risk-triage version {version}")
        base = {**os.environ, "RISK_MLFLOW_URI": uri, "MLFLOW_TRACKING_URI": uri}
        base["PYTHONWARNINGS"] = "ignore"
        with temp_postgres(args.pg_admin_url) as pg_url:
            env = serve_env(base, pg_url)
            roles = ("caseworker", "psychologist", "admin")
            keys = {role: create_key(env, tmp, role) for role in roles}
            port = _free_port()
            with running("risk serve, PostgreSQL", serve_argv(port, args.workers), env, tmp,
                         port, "/readyz", args.workers) as server:  # fmt: skip
                result = asyncio.run(soak(server, keys, args))
    passed = report(result, args)
    raise SystemExit(0 if passed else 1)


if __name__ == "__main__":
    main()
