"""The Spark engine: both ledgers grouped by household in Spark, units and scores from the library.

Nothing is collected to the driver. Spark reads both ledgers and shuffles them together
into groups of households (partitions by a hash of the household id, so that each group
holds tens of thousands of households); ``mapInArrow`` hands each group's survey waves and
cases, as Arrow, to a Python worker, which builds the units with the library's one
assembly (:func:`risk.features.asof.household_units`, as the local engine's
workers do) and scores them with the pyfunc's python model, broadcast to the executors as
a pickle of a few tens of kilobytes: executors need the ``risk`` package installed but no
access to the MLflow registry. Their Python workers fork from :mod:`risk.batch.daemon`,
which has imported the library already.

Needs ``pip install 'risk-triage[spark]'`` and Java 17 or newer.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import pickle
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from risk.atomic import sweep_leftovers, temporary_prefix
from risk.batch.local import BatchReport
from risk.batch.output import DICTIONARY_COLUMNS, OUTPUT_SCHEMA, output_table
from risk.batch.session import spark_session
from risk.errors import ContractError
from risk.features.asof import as_of_timestamp, household_units
from risk.features.units import (
    CASE_COLUMNS,
    SURVEY_COLUMNS,
    UNIT_COLUMNS,
    conform_units,
    frame_from_arrow,
)
from risk.models.triage import TriageModel

__all__ = ["GROUP_ROWS", "score_spark", "spark_session", "spark_units"]

_DATES = ("survey_date", "opened_at", "outcome_at")
#: The columns each ledger's groups carry to Python: what a unit and its history read.
_SURVEY_SIDE = ["household_id", *SURVEY_COLUMNS]
_CASE_SIDE = ["household_id", "case_id", *CASE_COLUMNS, "outcome", "outcome_at"]
#: Survey rows per group of households, about: a group is built and scored in one call,
#: like one of the local engine's chunks (risk.batch.ledger.BATCH_ROWS).
GROUP_ROWS = 131_072
_SQL_TYPES = {
    pa.string(): "string",
    pa.date32(): "date",
    pa.float64(): "double",
    pa.bool_(): "boolean",
    pa.int32(): "int",
}


def _spark_schema(schema: pa.Schema) -> pa.Schema:
    """``schema`` as Spark reads it: labels as plain strings, timestamps as dates (the
    contract's dates carry no time)."""
    fields = []
    for f in schema:
        kind = f.type
        if pa.types.is_dictionary(kind) or pa.types.is_large_string(kind):
            kind = pa.string()
        elif pa.types.is_timestamp(kind):
            kind = pa.date32()
        fields.append(pa.field(f.name, kind))
    return pa.schema(fields)


def _ddl(schema: pa.Schema) -> str:
    return ", ".join(f"{f.name} {_SQL_TYPES[f.type]}" for f in schema)


#: The output's and the units' Arrow schemas as Spark reads them.
SPARK_OUTPUT_SCHEMA = _spark_schema(OUTPUT_SCHEMA)
OUTPUT_DDL = _ddl(SPARK_OUTPUT_SCHEMA)
_UNIT_SCHEMA = _spark_schema(
    pa.Schema.from_pandas(conform_units(pd.DataFrame(index=pd.RangeIndex(0))), preserve_index=False)
)
UNITS_DDL = _ddl(_UNIT_SCHEMA)


def spark_units(
    spark: Any, households: str, cases: str, as_of: dt.date, groups: int | None = None
) -> Any:
    """One unit per household as of ``as_of`` as a Spark DataFrame (UNIT_COLUMNS), built by
    :func:`risk.features.asof.household_units` per group of households."""
    day = as_of_timestamp(as_of)

    def units(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        built = _group_units(batches, day)
        if built is not None and len(built):
            table = pa.Table.from_pandas(built[UNIT_COLUMNS], preserve_index=False)
            yield from table.cast(_UNIT_SCHEMA).to_batches()

    return _grouped(spark, households, cases, groups).mapInArrow(units, UNITS_DDL)


def _grouped(spark: Any, households: str, cases: str, groups: int | None) -> Any:
    """Both ledgers in one frame (``_side``: 0 for a survey wave, 1 for a case; each
    side's other columns empty) split into ``groups`` partitions by household id, so that
    a household's waves and cases are all in one. By default one group per GROUP_ROWS
    survey rows, and at least one per shuffle partition.

    One Spark task per group, each group an equal share of the households (a hash of their
    ids): the tasks are as long as one another, and a partition is handed to Python whole
    (``mapInArrow``), without the sort a ``groupBy(...).cogroup(...)`` would add."""
    from pyspark.sql import functions as F

    h = _dates(spark.read.parquet(households))
    c = _dates(spark.read.parquet(cases))
    _require(h, _SURVEY_SIDE, households)
    _require(c, _CASE_SIDE, cases)
    if groups is None:
        partitions = int(spark.conf.get("spark.sql.shuffle.partitions"))
        groups = max(partitions, math.ceil(h.count() / GROUP_ROWS))
    surveys = h.select(F.lit(0).alias("_side"), *_SURVEY_SIDE)
    ledger = c.select(F.lit(1).alias("_side"), *_CASE_SIDE)
    both = surveys.unionByName(ledger, allowMissingColumns=True)
    return both.repartition(groups, "household_id")


def _group_units(batches: Iterator[pa.RecordBatch], day: pd.Timestamp) -> pd.DataFrame | None:
    """The units of one group of households, from its rows of both ledgers in Arrow (None
    for an empty group)."""
    found = [batch for batch in batches if batch.num_rows]
    if not found:
        return None
    table = pa.Table.from_batches(found)
    side = table.column("_side")
    surveys = frame_from_arrow(table.filter(pc.equal(side, 0)), _SURVEY_SIDE)
    ledger = frame_from_arrow(table.filter(pc.equal(side, 1)), _CASE_SIDE)
    return household_units(surveys, ledger, day)


def _dates(frame: Any) -> Any:
    """Contract dates as Spark dates, whether the file holds dates, timestamps or nanoseconds."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import LongType

    for name in _DATES:
        if name not in frame.columns:
            continue
        column = F.col(name)
        if isinstance(frame.schema[name].dataType, LongType):
            column = F.timestamp_micros(F.floor(column / 1000).cast("long"))
        frame = frame.withColumn(name, F.to_date(column))
    return frame


def _require(frame: Any, names: list[str], path: str) -> None:
    missing = [n for n in names if n not in frame.columns]
    if missing:
        raise ContractError(f"{path}: missing columns {', '.join(missing)}")


def _scorer(
    payload: Any, day: pd.Timestamp
) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """The ``mapInArrow`` function: one group's rows of both ledgers → its output rows, the
    model (the broadcast ``payload``) unpickled once per worker.

    Arrow in and out, as the local engine's workers score: the enum columns go straight to
    their categories and the output table is the local engine's, its labels decoded to the
    plain strings Spark reads."""

    def score(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        from risk.batch.worker import loaded_pyfunc

        units = _group_units(batches, day)
        if units is not None and len(units):
            scored = loaded_pyfunc(payload.value).predict(None, units)
            yield from output_table(scored).cast(SPARK_OUTPUT_SCHEMA).to_batches()

    return score


def score_spark(
    households: Path | str,
    cases: Path | str,
    out: Path | str,
    model: TriageModel | Callable[[], TriageModel],
    as_of: dt.date,
    *,
    master: str = "local[*]",
    spark: Any = None,
    groups: int | None = None,
) -> BatchReport:
    """Score every household as of ``as_of`` with Spark; write a Parquet directory at ``out``.

    ``model`` is the TriageModel, or a function that loads it: it is called in a thread
    while Spark starts, counts the survey rows (to size the groups) and plans the query,
    so the two overlap. On a local file system the
    directory is written beside ``out`` under a temporary name and renamed into place when
    complete; elsewhere (HDFS, S3) Spark's own commit protocol applies: the directory is
    complete when its ``_SUCCESS`` marker is there. ``groups``: how many groups of
    households the library is called on (default: about GROUP_ROWS survey rows each).
    """
    started = time.perf_counter()
    day = as_of_timestamp(as_of)
    with ThreadPoolExecutor(1, thread_name_prefix="load-model") as loader:
        loading = loader.submit(model if callable(model) else lambda: model)
        session = spark or spark_session(master)
        if session.sparkContext.master.startswith("local"):  # not waited for
            threading.Thread(target=_start_python_workers, args=(session,), daemon=True).start()
        grouped = _grouped(session, str(households), str(cases), groups)
        triage = loading.result()
    ready = time.perf_counter()  # the scoring: the whole job, the ledgers' shuffle included
    payload = session.sparkContext.broadcast(pickle.dumps(triage, protocol=5))
    scored = grouped.mapInArrow(_scorer(payload, day), OUTPUT_DDL)
    # dictionary pages for the label columns only, as the local engine writes
    writer = scored.write.options(
        **{
            f"parquet.enable.dictionary#{f.name}": "false"
            for f in OUTPUT_SCHEMA
            if f.name not in DICTIONARY_COLUMNS
        }
    )
    target = str(out)
    local = "://" not in target or target.startswith("file://")
    if not local:
        writer.mode("overwrite").parquet(target)
    else:
        final = Path(target.removeprefix("file://"))
        sweep_leftovers(final.parent)  # what runs killed before they were done left
        tmp = final.with_name(f"{temporary_prefix(final.name)}{uuid.uuid4().hex}.part")
        try:
            writer.parquet(str(tmp))
            _replace_dir(tmp, final)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    report = BatchReport(Path(target))
    report.households_scored = session.read.parquet(target).count()
    report.seconds = time.perf_counter() - started
    report.scoring = time.perf_counter() - ready
    return report


def _start_python_workers(spark: Any) -> None:
    """Start the executors' Python daemon, and one worker, with a job of one empty row.

    In local mode the one executor is this machine: run in a thread of its own while the
    driver plans the query and the first stages run (in the JVM alone), the daemon's import
    of the library (:mod:`risk.batch.daemon`) is done by the time the scoring tasks ask for
    workers, and one of them takes the idle worker. Nothing waits for it, and its failure
    (Spark stopped under it, say) costs only the head start: the scoring job starts its own
    workers and reports its own errors."""
    with contextlib.suppress(Exception):
        spark.range(1, numPartitions=1).mapInArrow(_nothing, "id long").collect()


def _nothing(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    yield from ()


def _replace_dir(new: Path, final: Path) -> None:
    """Move the finished directory ``new`` to ``final``, replacing what was there."""
    if final.is_dir():
        old = final.with_name(f".{final.name}.{uuid.uuid4().hex}.old")
        final.rename(old)
        new.rename(final)
        shutil.rmtree(old, ignore_errors=True)
    else:
        if final.exists():
            final.unlink()
        new.rename(final)
