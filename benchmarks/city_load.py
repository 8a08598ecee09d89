"""A city's ledger in the service: ``risk load`` time and memory, then pages and endpoints.

One run, on 127.0.0.1 only, bounded in time and request count:

1. ``risk generate`` N households (default 1,000,000) and their cases, 3 years;
2. a temporary PostgreSQL database ``risk_bench_<random>`` (created here, dropped at the
   end), an admin key, then ``risk load`` of both ledgers into it as a subprocess: wall
   time and peak memory of the process and its children together, sampled every 0.1 s
   with psutil, as resident sets summed and as proportional sets summed (pages the
   worker shares with the fork server it came from counted once; the PostgreSQL
   server's own memory is in neither); then a ``CHECKPOINT``, timed, so that what
   follows measures the service with the data in place rather than while the database
   writes the load's pages out;
3. ``risk serve --workers 2`` on that database, then, each alone at ``--rate`` (50)
   requests/s open loop (benchmarks/service_load.py's client: latency from the scheduled
   send time) for ``--seconds``: the visit list of the grid with the most households, a
   household's file and a case page (a different household and case per request), and
   the work lists (``GET /v1/worklist``) of one owner of 500 and, at
   ``--supervisor-rate`` (5), of an all-grid supervisor, with every stored case given a
   history of steps first (:func:`seed_lifecycle`);
4. one ``GET /v1/monitor`` over everything (timed: more scores than a report on request
   may read is a 409 at once);
5. with that data in place, ``POST /v1/score`` at saturation (wrk, ``--connections``
   closed loop for ``--seconds`` after a 5 s warm-up, as benchmarks/service_load.py), then
   at 200 requests/s and ``POST /v1/cases`` at 100 requests/s, open loop.

    python benchmarks/city_load.py [--households 1000000] [--mlflow-uri URI] \
        [--pg-admin-url postgresql://postgres@127.0.0.1:5432/test] [--seconds 30]

Without ``--mlflow-uri`` the embedded default model is trained into a throwaway store
first (minutes). Figures are printed and written as JSON (``--json``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from service_load import (
    SCORE_BODY,
    Shot,
    _bin,
    _free_port,
    case_body,
    client_session,
    create_key,
    fire,
    open_loop,
    running,
    saturate,
    serve_argv,
    show,
    summarise,
    temp_postgres,
)

AS_OF = "2024-12-31"


class PeakMemory:
    """The largest memory of a process and its children together, sampled: as resident
    sets summed (``rss``: a page the fork server shares with its worker counts twice) and
    as proportional sets summed (``pss``: each shared page split among its sharers, so the
    sum is what the tree costs the machine)."""

    def __init__(self, pid: int, every: float = 0.1) -> None:
        self.peak = {"rss": 0, "pss": 0}
        self._proc = psutil.Process(pid)
        self._stop = threading.Event()
        self._every = every
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._stop.is_set():
            try:
                procs = [self._proc, *self._proc.children(recursive=True)]
            except psutil.Error:
                return
            total = {"rss": 0, "pss": 0}
            for p in procs:
                with contextlib.suppress(psutil.Error):
                    info = p.memory_full_info()
                    total["rss"] += info.rss
                    total["pss"] += info.pss
            self.peak = {k: max(v, total[k]) for k, v in self.peak.items()}
            time.sleep(self._every)

    def stop(self) -> dict[str, int]:
        self._stop.set()
        self._thread.join()
        return self.peak


def run_timed(argv: list[str], env: dict[str, str], cwd: Path) -> dict[str, Any]:
    """Run ``argv``; its wall time, peak memory (MiB, children included) and output tail."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        argv, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    memory = PeakMemory(proc.pid)
    output, _ = proc.communicate()
    peak = memory.stop()
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"error: {' '.join(argv[:2])} exited {proc.returncode}:\n{output[-3000:]}")
    return {
        "wall_s": wall,
        "peak_rss_mib": peak["rss"] / 2**20,
        "peak_pss_mib": peak["pss"] / 2**20,
        "output": output.strip().splitlines()[-4:],
    }


def checkpoint(admin_url: str) -> float:
    """Write the load's pages out now (``CHECKPOINT``), so that the phases after it measure
    the service with the data in place, not while the database writes the load out (a
    load of a million households leaves gigabytes of pages to write); its time."""
    import psycopg

    started = time.perf_counter()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute("CHECKPOINT")
    return time.perf_counter() - started


def seed_lifecycle(database_url: str, owner: str, days: int = 90) -> int:
    """A year and more of the service's own case steps, made in SQL: every stored case
    registered and assigned to one of 500 owners (``owner``, a key, among them), and those
    opened more than ``days`` before the load's day followed up and closed. The work lists
    then have a city's history of steps to pick their cases from; how many steps."""
    import psycopg

    url = database_url.replace("postgresql+psycopg://", "postgresql://")
    prefix = owner.split("_")[1]
    with psycopg.connect(url) as conn:
        conn.execute(
            "INSERT INTO api_keys (prefix, secret_hash, role, grids, label, created_at) "
            "SELECT 'owner' || g, md5(random()::text), 'caseworker', NULL, 'benchmark owner', "
            "now() FROM generate_series(1, 499) g"
        )
        conn.execute(
            """
            WITH k AS (SELECT array_agg(id ORDER BY id) AS ids FROM api_keys
                       WHERE label = 'benchmark owner' OR prefix = %(prefix)s),
                 c AS (SELECT case_id, opened_at, row_number() OVER (ORDER BY case_id) AS n
                       FROM cases)
            INSERT INTO case_events (case_id, action, state, owner_kind, owner_key_id, level,
                                     due_on, reason, key_id, created_at)
            SELECT c.case_id, a.action, a.state, a.owner_kind,
                   CASE WHEN a.owned THEN k.ids[1 + c.n %% 500] END, 'village', NULL, '',
                   k.ids[1], c.opened_at + a.after * interval '1 day'
            FROM c, k, (VALUES ('register', 'registered', NULL, false, 0),
                               ('assign', 'assigned', 'mediation_committee', true, 1),
                               ('follow_up', 'follow_up', 'mediation_committee', true, 20),
                               ('close', 'closed', 'mediation_committee', true, 40))
                       AS a(action, state, owner_kind, owned, after)
            WHERE a.action IN ('register', 'assign')
               OR c.opened_at < %(as_of)s::date - %(days)s::int
            """,
            {"prefix": prefix, "as_of": AS_OF, "days": days},
        )
        conn.execute("ANALYZE case_events")
        return int(conn.execute("SELECT count(*) FROM case_events").fetchone()[0])


def pick_targets(database_url: str, count: int = 2000) -> dict[str, Any]:
    """The grid with the most households, and households and open cases to ask for."""
    import psycopg

    url = database_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url) as conn:
        grid = conn.execute(
            "SELECT grid_id FROM scores GROUP BY grid_id ORDER BY count(*) DESC LIMIT 1"
        ).fetchone()[0]
        households = [
            r[0]
            for r in conn.execute(
                "SELECT household_id FROM scores TABLESAMPLE SYSTEM (5) LIMIT %s", (count,)
            )
        ]
        cases = [
            r[0]
            for r in conn.execute(
                "SELECT case_id FROM scores WHERE case_id IS NOT NULL LIMIT %s", (count,)
            )
        ]
        in_grid = conn.execute(
            "SELECT count(DISTINCT household_id) FROM scores WHERE grid_id = %s", (grid,)
        ).fetchone()[0]
        sizes = dict(
            conn.execute(
                "SELECT 'survey_waves', count(*) FROM survey_waves UNION ALL "
                "SELECT 'cases', count(*) FROM cases UNION ALL "
                "SELECT 'outcomes', count(*) FROM outcomes UNION ALL "
                "SELECT 'scores', count(*) FROM scores"
            ).fetchall()
        )
    return {"grid": grid, "grid_households": in_grid, "households": households,
            "cases": cases, "rows": sizes}  # fmt: skip


def get_loop(base: str, auth: str, paths: list[str], rate: float, seconds: float) -> dict:
    """GET ``paths`` in turn at ``rate`` requests/s, open loop; figures as summarise."""

    async def go() -> Any:
        async with client_session({"Authorization": auth}) as session:
            return await fire(
                session, lambda i: Shot("GET", base + paths[i % len(paths)]), rate, seconds
            )

    return summarise(asyncio.run(go()), rate, lambda status: status == "200")


def monitor_once(base: str, key: str) -> dict[str, Any]:
    """One ``GET /v1/monitor`` over everything: its status, error code and seconds (a
    city's scores are more than a report on request may read: a 409 at once)."""
    import httpx2 as httpx

    started = time.perf_counter()
    response = httpx.get(base + "/v1/monitor", headers={"Authorization": f"Bearer {key}"},
                         timeout=600)  # fmt: skip
    seconds = time.perf_counter() - started
    body = response.json()
    return {"status": response.status_code, "error": body.get("error"), "seconds": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--mlflow-uri", default=None)
    parser.add_argument("--pg-admin-url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--rate", type=float, default=50.0, help="page requests/s")
    parser.add_argument("--seconds", type=int, default=30, help="each phase")
    parser.add_argument("--supervisor-rate", type=float, default=5.0,
                        help="an all-grid supervisor's work list, requests/s")  # fmt: skip
    parser.add_argument("--score-rate", type=float, default=200.0)
    parser.add_argument("--store-rate", type=float, default=100.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32, help="wrk, saturation")
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    results: dict[str, Any] = {
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "households": args.households,
        "machine": f"{platform.node()} {os.cpu_count()} cores",
    }
    with tempfile.TemporaryDirectory(prefix="risk-city-") as tmp_name:
        tmp = Path(tmp_name)
        env = {**os.environ, "RISK_HOME": str(tmp)}
        if args.mlflow_uri is None:
            from service.bootstrap import ensure_champion

            args.mlflow_uri = f"sqlite:///{tmp / 'mlflow.db'}"
            ensure_champion(args.mlflow_uri)
        env["RISK_MLFLOW_URI"] = args.mlflow_uri
        data = tmp / "data"
        generate = [_bin("risk"), "generate", "-n", str(args.households), "-y", str(args.years),
                    "-s", str(args.seed), "-o", str(data)]  # fmt: skip
        results["generate"] = run_timed(generate, env, tmp)
        show("risk generate", results["generate"])
        with temp_postgres(args.pg_admin_url) as database_url:
            env["RISK_DATABASE_URL"] = database_url
            key = create_key(env, tmp, role="admin")
            load = [_bin("risk"), "load", "--key", key, "--households",
                    str(data / "households.parquet"), "--cases", str(data / "cases.parquet"),
                    "--as-of", AS_OF, "--quiet"]  # fmt: skip
            print(f"loading (load average {os.getloadavg()[0]:.1f}) …", flush=True)
            results["load"] = run_timed(load, env, tmp)
            show("risk load", results["load"])
            results["checkpoint_s"] = checkpoint(args.pg_admin_url)
            print(f"  CHECKPOINT after the load: {results['checkpoint_s']:.1f} s", flush=True)
            targets = pick_targets(database_url)
            results["rows"] = targets["rows"]
            results["grid_households"] = targets["grid_households"]
            print(f"  stored: {targets['rows']}; grid {targets['grid']}: "
                  f"{targets['grid_households']:,} households")  # fmt: skip
            owner = create_key(env, tmp)
            supervisor = create_key(env, tmp, role="supervisor")
            results["case_steps"] = seed_lifecycle(database_url, owner)
            results["checkpoint_steps_s"] = checkpoint(args.pg_admin_url)
            print(f"  seeded {results['case_steps']:,} case steps", flush=True)
            port = _free_port()
            with running("serve", serve_argv(port, args.workers), env, tmp, port, "/readyz",
                         args.workers) as server:  # fmt: skip
                auth = f"Bearer {create_key(env, tmp)}"
                pages = {
                    "visits": [f"/v1/visits?grid={targets['grid']}&capacity=20"],
                    "household": [f"/v1/households/{h}" for h in targets["households"]],
                    "case": [f"/v1/cases/{c}" for c in targets["cases"]],
                }
                for name, paths in pages.items():
                    random.Random(0).shuffle(paths)
                    r = get_loop(server.base, auth, paths, args.rate, args.seconds)
                    results[name] = r
                    show(f"GET {name}, {args.rate:g} req/s open loop, {args.seconds:g} s", r)
                lists = (("worklist_owner", owner, args.rate),
                         ("worklist_supervisor", supervisor, args.supervisor_rate))  # fmt: skip
                for name, key, rate in lists:
                    r = get_loop(server.base, f"Bearer {key}", ["/v1/worklist"], rate, args.seconds)
                    results[name] = r
                    show(f"GET {name}, {rate:g} req/s open loop, {args.seconds:g} s", r)
                results["monitor"] = monitor_once(server.base, supervisor)
                print(f"  GET /v1/monitor: {results['monitor']}", flush=True)
                results["score_saturation"] = saturate(server, server.base + "/v1/score",
                                                       SCORE_BODY, auth, args)  # fmt: skip
                show(f"POST /v1/score, wrk {args.connections} connections, {args.seconds:g} s",
                     results["score_saturation"])  # fmt: skip
                body = json.dumps(SCORE_BODY, ensure_ascii=False).encode()
                results["score"] = open_loop(server.base + "/v1/score", auth, lambda _: body,
                                             args.score_rate, args.seconds, ok=200)  # fmt: skip
                show(f"POST /v1/score, {args.score_rate:g} req/s open loop", results["score"])
                run = f"city{random.Random().randrange(10**6)}"
                results["cases_post"] = open_loop(server.base + "/v1/cases", auth,
                                                  case_body(run), args.store_rate,
                                                  args.seconds, ok=201)  # fmt: skip
                show(f"POST /v1/cases, {args.store_rate:g} req/s open loop", results["cases_post"])
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    print(json.dumps({k: v for k, v in results.items() if k != "load"}, default=str)[:2000])


if __name__ == "__main__":
    main()
