"""The local engine: Parquet in, Parquet out, streamed in chunks over worker processes.

The worker processes (:mod:`risk.batch.pool`) check the case ledger while the parent loads
the model, spilling a large ledger to disk by household range (:mod:`risk.batch.partitions`);
the parent then streams the survey ledger in chunks of complete households
(:mod:`risk.batch.ledger`), hands each chunk with its households' cases to the workers
(:mod:`risk.batch.worker`), and writes their results in
input order, as they come, to a temporary file beside the output that is renamed over
it only when the last chunk is written. At most a few chunks are in flight at once and one
range of cases is in memory, so memory stays flat however many households the files hold.
"""

from __future__ import annotations

import datetime as dt
import os
import pickle
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from risk.atomic import atomic_write, sweep_leftovers
from risk.batch.cases import CaseLedger
from risk.batch.errors import InvalidLedger
from risk.batch.ledger import BATCH_ROWS, household_chunks, survey_rows
from risk.batch.output import DICTIONARY_COLUMNS, OUTPUT_SCHEMA, output_table
from risk.batch.partitions import PARTITION_ROWS, open_cases
from risk.batch.pool import ordered_map, worker_pool
from risk.batch.progress import RowProgress
from risk.batch.worker import ChunkResult, ChunkTask, pyfunc_of, score_chunk
from risk.errors import ConfigError
from risk.features.asof import as_of_timestamp, household_units
from risk.ingest import empty_frame
from risk.models.triage import TriageModel
from risk.schema import HOUSEHOLD_SURVEY

__all__ = ["BatchReport", "quarantine_path", "score_local"]


@dataclass
class BatchReport:
    """What a batch run did."""

    out: Path
    survey_rows: int = 0
    households_scored: int = 0
    survey_rows_quarantined: int = 0
    cases_quarantined: int = 0
    seconds: float = 0.0
    #: of ``seconds``, those from when the model and the case ledger were in hand to the
    #: end: the scoring itself, as a plain ``predict`` call is timed once its frame is built
    scoring: float = 0.0
    quarantine: list[Path] = field(default_factory=list)


def quarantine_path(out: Path, kind: str) -> Path:
    """Where rows of ``kind`` (households or cases) left out with --allow-partial go."""
    return out.with_name(f"{out.stem}.{kind}.quarantine.parquet")


def score_local(
    households: Path,
    cases: Path,
    out: Path,
    model: TriageModel | Callable[[], TriageModel],
    as_of: dt.date,
    *,
    jobs: int | None = None,
    allow_partial: bool = False,
    progress: bool = False,
    batch_rows: int = BATCH_ROWS,
    partition_rows: int = PARTITION_ROWS,
    pool: ProcessPoolExecutor | None = None,
) -> BatchReport:
    """Score every household in ``households`` as of ``as_of``; write one row each to ``out``.

    ``model`` is the TriageModel, or a function that loads it: it is called in a thread
    while the workers check the case ledger, so the two overlap. ``jobs`` worker processes
    (default: one per core; 1 scores in this process), or the processes of ``pool``
    (:func:`risk.batch.pool.worker_pool`, started early to overlap their start-up with
    the caller's). Contract errors in either ledger raise :class:`InvalidLedger` and leave
    ``out`` untouched, unless ``allow_partial``: then bad rows are left out and written,
    with reasons, beside ``out`` (:func:`quarantine_path`). A case ledger of more than
    ``partition_rows`` rows is spilled by household range to a temporary directory beside
    ``out`` (:func:`risk.batch.partitions.open_cases`).
    """
    started = time.perf_counter()
    out = Path(out)
    if out.is_dir():
        raise ConfigError(
            f"{out}: is a directory (a Spark run's output?): the local engine writes one "
            "file; remove the directory or name another output"
        )
    day = as_of_timestamp(as_of).date()
    jobs = jobs or os.cpu_count() or 1
    report = BatchReport(out)
    sweep_leftovers(out.parent)  # what runs killed before they were done left beside out
    with ExitStack() as stack:
        if pool is None and jobs > 1:
            pool = stack.enter_context(worker_pool(jobs))
        loader = stack.enter_context(ThreadPoolExecutor(1, thread_name_prefix="load-model"))
        loading = loader.submit(model if callable(model) else lambda: model)
        ledger = stack.enter_context(
            open_cases(
                cases, day, allow_partial, out.parent, partition_rows=partition_rows, pool=pool
            )
        )
        pa.default_memory_pool().release_unused()  # the reading's transient Arrow memory
        triage = loading.result()
        ready = time.perf_counter()
        run = _runner(triage, pool, jobs)
        report.cases_quarantined = len(ledger.quarantine)
        if report.cases_quarantined:
            report.quarantine.append(_write_quarantine(out, "cases", ledger))
        bar = stack.enter_context(RowProgress(survey_rows(households), enabled=progress))
        tmp = stack.enter_context(atomic_write(out))
        writer = stack.enter_context(
            pq.ParquetWriter(tmp, OUTPUT_SCHEMA, use_dictionary=DICTIONARY_COLUMNS)
        )
        bad: _QuarantineWriter | None = None
        tasks = _tasks(households, ledger, day, batch_rows, pickle.dumps(triage, protocol=5))
        for result in run(tasks):
            if len(result.errors):
                if not allow_partial:
                    raise InvalidLedger(str(households), "households", result.errors, first=True)
                if bad is None:
                    bad = stack.enter_context(_QuarantineWriter(out, report))
                bad.write(result)
            if result.table is not None:
                writer.write_table(result.table)
                report.households_scored += result.table.num_rows
            report.survey_rows += result.rows_in
            bar.advance(result.rows_in, report.households_scored)
        for rest in ledger.remaining():
            table = _case_only(rest, triage, day)
            if table is not None:
                writer.write_table(table)
                report.households_scored += table.num_rows
    report.seconds = time.perf_counter() - started
    report.scoring = time.perf_counter() - ready
    return report


def _tasks(
    households: Path, ledger: CaseLedger, as_of: dt.date, batch_rows: int, model: bytes
) -> Iterator[ChunkTask]:
    for chunk in household_chunks(households, batch_rows):
        cases = ledger.through(chunk.last_id)
        yield ChunkTask(chunk.table, chunk.first_row, cases, as_of, model)


def _case_only(cases: pd.DataFrame, model: TriageModel, as_of: dt.date) -> pa.Table | None:
    """Households known only from the case ledger, sorting after the last surveyed one."""
    if not len(cases):
        return None
    units = household_units(empty_frame(HOUSEHOLD_SURVEY), cases, as_of)
    return output_table(pyfunc_of(model).predict(None, units)) if len(units) else None


def _runner(
    model: TriageModel, pool: ProcessPoolExecutor | None, jobs: int
) -> Callable[[Iterator[ChunkTask]], Iterator[ChunkResult]]:
    """A function from tasks to results in task order: in this process, or over the pool."""
    if pool is None:
        pyfunc = pyfunc_of(model)
        return lambda tasks: (score_chunk(task, pyfunc) for task in tasks)
    return lambda tasks: ordered_map(score_chunk, tasks, pool, in_flight=2 * jobs)


def _write_quarantine(out: Path, kind: str, ledger: CaseLedger) -> Path:
    path = quarantine_path(out, kind)
    with atomic_write(path) as tmp:
        pq.write_table(quarantine_table(ledger.quarantine), tmp)
    return path


def quarantine_table(quarantine: pd.DataFrame) -> pa.Table:
    """Quarantined rows as read (text), their file row number and reasons, as Arrow."""
    text = quarantine.drop(columns="_row").astype("string")
    text.insert(0, "_row", quarantine["_row"].astype("int64"))
    return pa.Table.from_pandas(text, preserve_index=False)


class _QuarantineWriter:
    """Quarantined survey rows, with their reasons, streamed to a Parquet file beside out;
    the file appears (atomically) when the run ends without an error."""

    def __init__(self, out: Path, report: BatchReport) -> None:
        self.path = quarantine_path(out, "households")
        self.report = report
        self._stack = ExitStack()
        self._writer: pq.ParquetWriter | None = None

    def __enter__(self) -> _QuarantineWriter:
        self._tmp = self._stack.enter_context(atomic_write(self.path))
        return self

    def write(self, result: ChunkResult) -> None:
        table = quarantine_table(result.quarantine)
        if self._writer is None:
            self._writer = pq.ParquetWriter(self._tmp, table.schema)
        self._writer.write_table(table.cast(self._writer.schema))
        self.report.survey_rows_quarantined += table.num_rows

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._writer is not None:
            self._writer.close()
        if kind is None:
            self.report.quarantine.append(self.path)
        self._stack.__exit__(kind, error, trace)
