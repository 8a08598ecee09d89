"""The Spark engine: the as-of join and ledger history in Spark SQL, the model in ``mapInArrow``.

Nothing is collected to the driver. Spark reads both ledgers, picks each household's latest
survey on or before the date and its open case on the date (window functions), counts its
ledger history as of the date (one aggregation over the cases, the same definitions as
:mod:`risk.features.history`), and scores the units in ``mapInArrow`` with the pyfunc's
python model, broadcast to the executors as a pickle of a few tens of kilobytes: executors
need the ``risk`` package installed but no access to the MLflow registry. Their Python
workers fork from :mod:`risk.batch.daemon`, which has imported the library already.

Needs ``pip install 'risk-triage[spark]'`` and Java 17 or newer.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import pickle
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pyarrow as pa

from risk.atomic import sweep_leftovers, temporary_prefix
from risk.batch.local import BatchReport
from risk.batch.output import DICTIONARY_COLUMNS, OUTPUT_SCHEMA, output_table
from risk.batch.session import spark_session
from risk.errors import ContractError
from risk.features.asof import as_of_timestamp
from risk.features.history import HISTORY_COLUMNS
from risk.features.units import CASE_COLUMNS, SURVEY_COLUMNS, units_from_arrow
from risk.models.triage import TriageModel

__all__ = ["score_spark", "spark_session", "spark_units"]

_DATES = ("survey_date", "opened_at", "outcome_at")
#: The output's Arrow schema as Spark reads it: labels as plain strings.
SPARK_OUTPUT_SCHEMA = pa.schema(
    [
        (f.name, f.type.value_type if pa.types.is_dictionary(f.type) else f.type)
        for f in OUTPUT_SCHEMA
    ]
)
_SQL_TYPES = {
    pa.string(): "string",
    pa.date32(): "date",
    pa.float64(): "double",
    pa.bool_(): "boolean",
}
OUTPUT_DDL = ", ".join(f"{f.name} {_SQL_TYPES[f.type]}" for f in SPARK_OUTPUT_SCHEMA)


def spark_units(spark: Any, households: str, cases: str, as_of: dt.date) -> Any:
    """One unit per household as of ``as_of`` as a Spark DataFrame (UNIT_COLUMNS)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    day = F.lit(as_of).cast("date")
    h = _dates(spark.read.parquet(households))
    c = _dates(spark.read.parquet(cases))
    _require(h, ["household_id", *SURVEY_COLUMNS], households)
    _require(c, ["household_id", "case_id", *CASE_COLUMNS, "outcome", "outcome_at"], cases)

    latest = Window.partitionBy("household_id").orderBy(F.col("survey_date").desc())
    surveys = (
        h.where(F.col("survey_date") <= day)
        .withColumn("_n", F.row_number().over(latest))
        .where("_n = 1")
        .select("household_id", *SURVEY_COLUMNS)
    )
    # one pass over each household's cases: its open case on the date (of several, the
    # latest opened, then the greatest case id) is marked, its history counts the others,
    # as in risk.features.asof; both sides of the join below come partitioned by household
    is_open = F.coalesce(
        (F.col("opened_at") <= day) & ~F.coalesce(F.col("outcome_at") <= day, F.lit(False)),
        F.lit(False),
    )
    newest_open = Window.partitionBy("household_id").orderBy(
        is_open.desc(), F.col("opened_at").desc(), F.col("case_id").desc()
    )
    marked = c.withColumn("_own", is_open & (F.row_number().over(newest_open) == 1))
    per_household = _history(marked, day)
    units = surveys.join(per_household, "household_id", "full_outer").where(
        F.col("survey_date").isNotNull() | F.col("case_id").isNotNull()
    )
    counts = [n for n in HISTORY_COLUMNS if n not in ("hist_days_since_case", "days_since_survey")]
    units = units.fillna(0.0, subset=counts).select(
        F.when(F.col("case_id").isNotNull(), "case").otherwise("survey").alias("unit"),
        "household_id",
        "case_id",
        day.alias("as_of"),
        *SURVEY_COLUMNS,
        *CASE_COLUMNS,
        *[n for n in HISTORY_COLUMNS if n != "days_since_survey"],
        F.datediff(day, F.col("survey_date")).cast("double").alias("days_since_survey"),
    )
    return units


def _history(c: Any, day: Any) -> Any:
    """Per household: the case marked ``_own`` (its columns; missing when none) and the ledger
    history of the others as of ``day``, cases opened and outcomes recorded strictly before
    it (risk.features.history)."""
    from pyspark.sql import functions as F

    other = ~F.col("_own")
    opened_before = other & (F.col("opened_at") < day)
    closed_before = other & (F.col("outcome_at") < day)
    red_flag = (
        F.coalesce(F.col("threat_to_kill"), F.lit(False))
        | F.coalesce(F.col("weapon").isin("knife", "firearm"), F.lit(False))
        | F.coalesce(F.col("strangulation"), F.lit(False))
        | F.coalesce(F.col("injury") == "serious", F.lit(False))
    )

    def count(condition: Any) -> Any:
        return F.sum(F.when(condition, 1.0).otherwise(0.0))

    own = F.struct("case_id", *CASE_COLUMNS)
    return (
        c.groupBy("household_id")
        .agg(
            F.first(F.when(F.col("_own"), own), ignorenulls=True).alias("_case"),
            count(opened_before).alias("hist_prior_cases"),
            count(opened_before & (F.col("opened_at") >= F.date_sub(day, 365))).alias(
                "hist_cases_12m"
            ),
            F.datediff(day, F.max(F.when(opened_before, F.col("opened_at"))))
            .cast("double")
            .alias("hist_days_since_case"),
            (count(opened_before) - count(closed_before)).alias("hist_open_cases"),
            count(closed_before & (F.col("outcome") == "recurred")).alias("hist_recurred"),
            count(closed_before & (F.col("outcome") == "serious_harm")).alias("hist_serious_harm"),
            count(opened_before & red_flag).alias("hist_red_flag_cases"),
        )
        .select("household_id", "_case.*", *[n for n in HISTORY_COLUMNS if n.startswith("hist_")])
    )


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


def _scorer(model: bytes) -> Any:
    """The ``mapInArrow`` function: units → output rows, the model unpickled once per worker.

    Arrow in and out, as the local engine's workers score: the enum columns go straight to
    their categories and the output table is the local engine's, its labels decoded to the
    plain strings Spark reads."""

    def score(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        from risk.batch.worker import loaded_pyfunc

        pyfunc = loaded_pyfunc(model)
        for batch in batches:
            if batch.num_rows:
                scored = pyfunc.predict(None, units_from_arrow(batch))
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
) -> BatchReport:
    """Score every household as of ``as_of`` with Spark; write a Parquet directory at ``out``.

    ``model`` is the TriageModel, or a function that loads it: it is called in a thread
    while Spark starts and plans the query, so the two overlap. On a local file system the
    directory is written beside ``out`` under a temporary name and renamed into place when
    complete; elsewhere (HDFS, S3) Spark's own commit protocol applies: the directory is
    complete when its ``_SUCCESS`` marker is there.
    """
    started = time.perf_counter()
    day = as_of_timestamp(as_of).date()
    with ThreadPoolExecutor(1, thread_name_prefix="load-model") as loader:
        loading = loader.submit(model if callable(model) else lambda: model)
        session = spark or spark_session(master)
        if session.sparkContext.master.startswith("local"):  # not waited for
            threading.Thread(target=_start_python_workers, args=(session,), daemon=True).start()
        units = spark_units(session, str(households), str(cases), day)
        triage = loading.result()
    ready = time.perf_counter()  # the scoring: the whole job, the ledgers' joins included
    payload = session.sparkContext.broadcast(pickle.dumps(triage, protocol=5))
    scorer = _broadcast_scorer(payload)
    scored = units.mapInArrow(scorer, OUTPUT_DDL)
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


def _broadcast_scorer(payload: Any) -> Any:
    def score(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        yield from _scorer(payload.value)(batches)

    return score


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
