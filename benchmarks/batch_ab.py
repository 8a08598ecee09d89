"""Batch scoring, two checkouts side by side: wall and CPU seconds of `risk score`, alternated.

On a machine others share, one run's wall time says more about their load than about the
code. This runs the same `risk score` command (``benchmarks/batch.py``'s, on one ledger)
with each checkout's code first on ``PYTHONPATH``, alternating which goes first in each
round, and samples the CPU seconds of the whole process tree (Spark's JVM and Python
workers included) every 50 ms: CPU seconds move much less with the load than wall time.
It prints each run and the medians.

    python benchmarks/batch_ab.py --before OLD_CHECKOUT --after . --data DIR/h200000 \\
        --model 1 --tracking-uri sqlite:///…/mlflow.db [--rounds 4] [--engines local spark]

``--data`` is a ledger directory (``households.parquet``, ``cases.parquet``), e.g. one that
``benchmarks/batch.py --data DIR`` generated. The commands run in a temporary folder, so a
SQLite tracking URI needs an absolute path.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

AS_OF = "2024-06-30"


def _run(command: list[str], code: Path, where: Path) -> tuple[float, float, str]:
    """Wall seconds, CPU seconds of the process tree and the last line ``command`` printed,
    run with ``code`` first on the path, in the folder ``where``: not a checkout, since the
    worker processes (a fork server's, Spark's Python daemon) start with ``python -c``,
    which puts the folder they start in before ``PYTHONPATH``."""
    env = {**os.environ, "PYTHONPATH": str(code)}
    started = time.perf_counter()
    proc = subprocess.Popen(
        command, env=env, cwd=where, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    root = psutil.Process(proc.pid)
    cpu: dict[int, float] = {}
    while proc.poll() is None:
        try:
            tree = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            tree = []
        for process in tree:
            try:
                times = process.cpu_times()
            except psutil.NoSuchProcess:
                continue
            cpu[process.pid] = max(cpu.get(process.pid, 0.0), times.user + times.system)
        time.sleep(0.05)
    wall = time.perf_counter() - started
    output = proc.stdout.read() if proc.stdout else ""
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {proc.returncode}:\n{output}")
    return wall, sum(cpu.values()), output.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True, help="the older checkout")
    parser.add_argument("--after", type=Path, required=True, help="the newer checkout")
    parser.add_argument("--data", type=Path, required=True, help="a ledger directory")
    parser.add_argument("--model", required=True, help="registered version or model URI")
    parser.add_argument("--tracking-uri", default=os.environ.get("RISK_MLFLOW_URI"))
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--engines", nargs="+", default=["local", "spark"])
    args = parser.parse_args()
    if args.tracking_uri is None:
        parser.error("--tracking-uri (or RISK_MLFLOW_URI) is needed")

    work = Path(tempfile.mkdtemp(prefix="risk-batch-ab-"))
    codes = {"before": args.before.resolve(), "after": args.after.resolve()}
    data = args.data.resolve()
    runs: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for round_ in range(args.rounds):
        order = ("before", "after") if round_ % 2 == 0 else ("after", "before")
        for engine in args.engines:
            for name in order:
                command = [
                    str(Path(sys.executable).with_name("risk")),
                    "score",
                    *("--households", str(data / "households.parquet")),
                    *("--cases", str(data / "cases.parquet")),
                    *("--out", str(work / f"{name}-{engine}.parquet")),
                    *("--model", args.model, "--tracking-uri", args.tracking_uri),
                    *("--as-of", AS_OF, "--engine", engine, "--quiet"),
                ]
                wall, cpu, line = _run(command, codes[name], work)
                runs.setdefault((engine, name), []).append((wall, cpu))
                print(f"round {round_} {engine:<6}{name:<7} wall {wall:6.1f} s  cpu {cpu:6.1f} s"
                      f"  load {os.getloadavg()[0]:4.1f}  | {line}", flush=True)  # fmt: skip
    for (engine, name), found in sorted(runs.items()):
        walls, cpus = [w for w, _ in found], [c for _, c in found]
        print(f"{engine:<6}{name:<7} median wall {statistics.median(walls):6.1f} s, "
              f"median cpu {statistics.median(cpus):6.1f} s over {len(found)} runs")  # fmt: skip


if __name__ == "__main__":
    main()
