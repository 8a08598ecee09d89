"""Batch scoring: time and peak memory of `risk score` against household count, both engines.

For each population size it generates a synthetic ledger (3 years, fixed seed), runs
`risk score` end to end as a separate process (interpreter start, model load from MLflow,
reading, scoring with reasons, writing Parquet) with the local engine and, for the sizes
asked, the Spark engine, and samples the resident memory of the whole process tree (Spark's
JVM and Python workers included) every 50 ms. "wall s" is the whole command; "scoring s" is
the part of it the command reports as scoring: for the local engine, from when the model
was loaded and the case ledger checked (the two overlap) to the last row written, the
survey ledger's reading, checking and unit building included; for Spark, the whole job.
Spark's first local run on an installation records the driver's class-data archive, which
costs it seconds at its exit, once (docs/scaling.md): when there is none yet, a Spark run of
10,000 households records it first, its time printed apart, and each Spark row says
whether the archive was mapped.

At the ``--baseline`` size it then runs the peer, ``benchmarks/plain_pyfunc.py``, as a
command of its own: plain ``mlflow.pyfunc`` load and predict of the same model on the same
households' units, built whole in memory, without reasons. It prints two ratios, peer over
engine (≥ 1: the engine is at least as fast): the peer's ``predict`` call alone (its frame
built, its model loaded) against the engine's scoring, and the peer's whole command against
the engine's.

    python benchmarks/batch.py --model 3 --tracking-uri sqlite:///mlruns/mlflow.db \\
        [--households 10000 100000 1000000] [--spark 10000 100000 1000000] [--data DIR]

Without ``--model`` it first trains one (200,000 households, default parameters) into a
throwaway store, as ``benchmarks/model_quality.py`` does.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

AS_OF = "2024-06-30"


def _run(command: list[str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS of the process tree (MiB) and stdout of ``command``."""
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as captured:
        proc = subprocess.Popen(command, stdout=captured, stderr=subprocess.DEVNULL)
        root = psutil.Process(proc.pid)
        peak = 0
        while proc.poll() is None:
            try:
                tree = [root, *root.children(recursive=True)]
                peak = max(peak, sum(_rss(p) for p in tree))
            except psutil.NoSuchProcess:
                pass
            time.sleep(0.05)
        wall = time.perf_counter() - started
        captured.seek(0)
        output = captured.read()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {proc.returncode}:\n{output}")
    return wall, peak / 2**20, output


def _rss(process: psutil.Process) -> int:
    try:
        return int(process.memory_info().rss)
    except psutil.NoSuchProcess:
        return 0


def _ledger(root: Path, households: int) -> Path:
    from risk.synth import generate_to_dir

    path = root / f"h{households}"
    if not (path / "cases.parquet").exists():
        generate_to_dir(path, households=households, years=3, seed=2026, progress=False)
    return path


def _score(data: Path, out: Path, model: str, uri: str, engine: str) -> tuple[float, float, str]:
    command = [
        str(Path(sys.executable).with_name("risk")),
        "score",
        *("--households", str(data / "households.parquet")),
        *("--cases", str(data / "cases.parquet")),
        *("--out", str(out), "--model", model, "--tracking-uri", uri),
        *("--as-of", AS_OF, "--engine", engine, "--quiet"),
    ]
    return _run(command)


def _plain_pyfunc(
    data: Path, out: Path, model: str, uri: str
) -> tuple[float, float, dict[str, float]]:
    """Wall seconds, peak MiB and seconds per step of the plain pyfunc peer."""
    ref = model if ":/" in model else f"models:/risk-triage/{model}"
    script = Path(__file__).with_name("plain_pyfunc.py")
    wall, peak, printed = _run([sys.executable, str(script), str(data), ref, uri, AS_OF, str(out)])
    steps = dict(item.split("=") for item in printed.split())
    return wall, peak, {k: float(v) for k, v in steps.items()}


def _archive_recorded() -> bool:
    """Whether `risk score --engine spark` will map the driver's class-data archive (else
    it records one, which costs that run seconds at its exit)."""
    from risk.batch.class_archive import ClassArchive

    archive = ClassArchive.default()
    return archive is not None and archive.path.is_file()


def _train(root: Path) -> tuple[str, str]:
    from risk.train import train

    data = _ledger(root, 200_000)
    (root / "mlruns").mkdir(exist_ok=True)
    uri = f"sqlite:///{root / 'mlruns' / 'mlflow.db'}"
    outcome = train(data, uri=uri)
    return str(outcome.version), uri


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--spark", type=int, nargs="*", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--model", help="registered version or model URI (default: train one)")
    parser.add_argument("--tracking-uri", default=os.environ.get("RISK_MLFLOW_URI"))
    parser.add_argument("--data", type=Path, help="where to keep the generated ledgers")
    parser.add_argument("--baseline", type=int, default=1_000_000, help="size for the ratio")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="risk-batch-"))
    data_root = args.data or work
    model, uri = args.model, args.tracking_uri
    if model is None:
        print("training a model on 200,000 households …", flush=True)
        model, uri = _train(work)
    if uri is None:
        parser.error("--tracking-uri (or RISK_MLFLOW_URI) is needed with --model")
    print(f"{dt.date.today()}, {os.cpu_count()} cores, model {model}, as of {AS_OF}")
    if args.spark and not _archive_recorded():
        # once per installation, and not what a run costs after: recorded apart, and said
        small = _ledger(data_root, 10_000)
        wall, _, _ = _score(small, work / "record.parquet", model, uri, "spark")
        print(f"spark: the driver's class-data archive recorded by a run of 10,000 households, "
              f"{wall:.1f} s (once per installation; the runs below map it)")  # fmt: skip
    print(f"{'engine':<7}{'households':>12}{'survey rows':>13}{'scored':>11}{'wall s':>9}"
          f"{'scoring s':>10}{'rows/s':>11}{'peak MiB':>10}")  # fmt: skip
    walls: dict[tuple[str, int], float] = {}
    owns: dict[tuple[str, int], float] = {}
    sizes = sorted(set(args.households) | set(args.spark))
    for n in sizes:
        data = _ledger(data_root, n)
        import pyarrow.parquet as pq

        rows = pq.ParquetFile(data / "households.parquet").metadata.num_rows
        for engine in ("local", "spark"):
            if n not in (args.households if engine == "local" else args.spark):
                continue
            out = work / f"scores-{engine}-{n}.parquet"
            note = ""
            if engine == "spark":
                note = "  (driver class archive: " + (
                    "mapped)" if _archive_recorded() else "recorded by this run, at its exit)"
                )
            wall, peak, printed = _score(data, out, model, uri, engine)
            scored = printed.split(" households scored")[0].strip().replace(",", "")
            own = float(re.search(r"([0-9.]+) s of it scoring", printed).group(1))  # type: ignore[union-attr]
            walls[(engine, n)] = wall
            owns[(engine, n)] = own
            print(f"{engine:<7}{n:>12,}{rows:>13,}{int(scored):>11,}{wall:>9.1f}{own:>10.1f}"
                  f"{rows / wall:>11,.0f}{peak:>10,.0f}{note}", flush=True)  # fmt: skip
    n = args.baseline
    if ("local", n) in walls:
        wall, peak, steps = _plain_pyfunc(_ledger(data_root, n), work / "plain.parquet", model, uri)
        local, own = walls[("local", n)], owns[("local", n)]
        print(
            f"peer at {n:,}: plain mlflow.pyfunc, {int(steps['units']):,} units whole in memory, "
            f"no reasons: {wall:.1f} s wall, peak {peak:,.0f} MiB; "
            + ", ".join(f"{k} {v:.1f} s" for k, v in steps.items() if k != "units")
        )
        print(
            f"ratio, predict call alone / engine's scoring: "
            f"{steps['predict']:.1f} / {own:.1f} = {steps['predict'] / own:.2f}; "
            f"whole commands: {wall:.1f} / {local:.1f} = {wall / local:.2f} (≥ 1: the engine "
            "is at least as fast)"
        )
        if ("spark", n) in walls:
            print(f"spark / local at {n:,}: {walls[('spark', n)] / local:.2f}× (target ≤ 3×)")


if __name__ == "__main__":
    main()
