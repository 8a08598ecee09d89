"""Starting Spark for scoring: the session's settings, and the JVM's in local mode.

Light on purpose (it imports neither pyspark nor the numeric libraries until called), so a
command can start the JVM in a thread first thing, while it imports the rest.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from risk.batch.class_archive import ClassArchive
from risk.errors import RiskError

__all__ = ["LOCAL_JAVA_OPTIONS", "spark_session"]

#: The JVM's options in local mode (``spark.driver.defaultJavaOptions``, under any
#: ``extraJavaOptions`` of the user's): for a run of a minute on a few cores, the throughput
#: collector instead of G1, and the optimising compiler kept to the hottest methods. With
#: the defaults, the JIT compilers used 40 of the JVM's 100 CPU-seconds scoring a million
#: households on two cores; with these the JVM used 75 (docs/benchmarks.md).
LOCAL_JAVA_OPTIONS = (
    "-XX:+UseParallelGC -XX:Tier4InvocationThreshold=50000 -XX:Tier4MinInvocationThreshold=20000 "
    "-XX:Tier4CompileThreshold=60000 -XX:Tier4BackEdgeThreshold=400000"
)


def spark_session(
    master: str = "local[*]",
    app: str = "risk-score",
    progress: bool = True,
    archive: ClassArchive | None = None,
) -> Any:
    """A Spark session for scoring (Spark's progress bar on the console when ``progress``);
    in local mode the Python workers use this interpreter, and the driver's JVM maps (or
    records) the class-data ``archive`` when one is given."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise RiskError(
            "the Spark engine needs pyspark: pip install 'risk-triage[spark]' (and Java 17+)"
        ) from exc
    builder = (
        SparkSession.builder.master(master)
        .appName(app)
        .config("spark.sql.session.timeZone", "UTC")
        # pandas and pyarrow write nanosecond timestamps, which Spark reads only as longs
        .config("spark.sql.legacy.parquet.nanosAsLong", "true")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        # the model's cost per call is mostly fixed: score in batches as large as the
        # local engine's chunks, not Spark's default 10,000 rows
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", "65536")
        # no byte limit besides: with one, Spark sums every Arrow buffer's size after each
        # row it adds to a batch (a tenth of the final stage's time); 65,536 units stay
        # far below Arrow's 2 GiB limit however long their notes
        .config("spark.sql.execution.arrow.maxBytesPerBatch", str(2**31 - 1))
        # workers forked from a daemon that has imported the library (risk.batch.daemon)
        .config("spark.python.daemon.module", "risk.batch.daemon")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.debug.maxToStringFields", "1000")  # no warning for our wide plans
        .config("spark.ui.showConsoleProgress", str(progress).lower())
    )
    if master.startswith("local"):
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        builder = (
            builder.config("spark.driver.memory", "4g")
            .config("spark.sql.shuffle.partitions", str(os.cpu_count() or 1))
            .config("spark.driver.defaultJavaOptions", _java_options(archive))
        )

    return builder.getOrCreate()


def _java_options(archive: ClassArchive | None) -> str:
    """The local driver's JVM options; the archive's only when a JVM is started for them."""
    from pyspark import SparkContext

    if archive is None or SparkContext._active_spark_context is not None:
        return LOCAL_JAVA_OPTIONS
    return f"{LOCAL_JAVA_OPTIONS} {archive.java_options()}"
