"""``risk score``: every household's tier as of a date, Parquet to Parquet, locally or on Spark."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from risk.cli import UriOpt, _fail, _store, app, err, error_rows, out, print_rows
from risk.errors import ConfigError, IngestError, RiskError

if TYPE_CHECKING:
    from risk.batch import BatchReport
    from risk.batch.class_archive import ClassArchive

DEFAULT_MODEL = "models:/risk-triage@champion"


class Engine(StrEnum):
    local = "local"
    spark = "spark"


@app.command()
def score(
    households: Annotated[
        str,
        typer.Option(
            "--households",
            help="Survey ledger (入户调查) as contract Parquet, sorted by household_id "
            "(`risk ingest` output, sorted; `risk generate` writes it so). Spark also "
            "reads directories and hdfs://, s3a:// paths.",
        ),
    ],
    cases: Annotated[
        str,
        typer.Option(
            "--cases",
            help="Case ledger (矛盾纠纷台账): contract Parquet (CSV or XLSX too for the "
            "local engine).",
        ),
    ],
    out_path: Annotated[
        str,
        typer.Option(
            "--out",
            "-o",
            help="Output Parquet: one row per household with tier, probabilities, flags, "
            "top 3 reasons (codes, 中文), prediction set, follow-up date, model version. "
            "The local engine writes one file, Spark a directory of parts; either appears "
            "under this name only when complete.",
        ),
    ],
    model: Annotated[
        str,
        typer.Option(
            "--model",
            help="Model URI or registered version: models:/risk-triage@champion, "
            "models:/risk-triage/3, 3, runs:/RUN/model.",
        ),
    ] = DEFAULT_MODEL,
    as_of: Annotated[
        dt.datetime | None,
        typer.Option(
            "--as-of",
            formats=["%Y-%m-%d"],
            help="Score as of this date (default today): each household's latest survey on "
            "or before it, its open case on it, its ledger history before it.",
        ),
    ] = None,
    engine: Annotated[
        Engine,
        typer.Option(
            "--engine",
            help="local: streams the files over worker processes on this machine; spark: "
            "runs the join, the history and the model on Spark (needs the spark extra "
            "and Java 17+).",
        ),
    ] = Engine.local,
    master: Annotated[
        str,
        typer.Option(
            "--master",
            help="Spark master URL for --engine spark: local[*] (every core here), "
            "spark://HOST:7077, yarn, k8s://… .",
        ),
    ] = "local[*]",
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs", "-j", min=1, help="Local engine worker processes (default: one per core)."
        ),
    ] = None,
    allow_partial: Annotated[
        bool,
        typer.Option(
            "--allow-partial",
            help="Score despite rows that break the contract: they are left out and written, "
            "with reasons, to OUT.households.quarantine.parquet and "
            "OUT.cases.quarantine.parquet. Without it such rows stop the run (exit 1) "
            "and nothing is written.",
        ),
    ] = False,
    show: Annotated[int, typer.Option("--show", help="How many row errors to print.")] = 20,
    tracking_uri: UriOpt = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress bar, only the summary.")
    ] = False,
) -> int:
    """Score every household as of a date with the registered model, Parquet to Parquet.

    Exit 0 when written; 1 when rows break the contract (without --allow-partial; the
    errors are printed); 2 when the input, the model or the command line is unusable.
    """
    from risk.batch.pool import worker_pool

    day = (as_of or dt.datetime.now()).date()
    if engine is Engine.spark and allow_partial:
        raise _fail(
            ConfigError(
                "--allow-partial: the Spark engine does not check rows; check the ledgers "
                "first (risk validate / risk ingest) or use --engine local"
            )
        )
    with ExitStack() as stack:
        # first of all, so that the workers import the library while this process does
        pool = None
        if engine is Engine.local and jobs != 1:
            pool = stack.enter_context(worker_pool(jobs))
        from risk.batch import InvalidLedger
        from risk.registry import Registry

        # next, in threads, while this one imports the engine: the model, and Spark's JVM
        background = stack.enter_context(ThreadPoolExecutor(2, thread_name_prefix="risk-score"))
        store = _store(tracking_uri)
        loading = background.submit(lambda: Registry(store).load(model))
        load = loading.result
        if engine is Engine.spark:
            starting = background.submit(_start_spark, master, not quiet)
        try:
            if engine is Engine.spark:
                from risk.batch.spark import score_spark

                spark, archive = starting.result()
                stack.callback(_keep_archive, archive, spark)  # once the summary is out
                report = score_spark(households, cases, out_path, load, day, spark=spark)
            else:
                from risk.batch.local import score_local

                for path in (households, cases):
                    if not Path(path).is_file():
                        raise IngestError(f"{path}: no such file")
                report = score_local(
                    Path(households),
                    Path(cases),
                    Path(out_path),
                    load,  # waited for in a thread, while the workers check the cases
                    day,
                    jobs=jobs,
                    allow_partial=allow_partial,
                    progress=not quiet,
                    pool=pool,
                )
        except InvalidLedger as exc:
            err.print(f"[red]refused:[/red] {exc}", highlight=False)
            _print_errors(exc.errors, show)
            raise typer.Exit(1) from exc
        except RiskError as exc:
            raise _fail(exc) from exc
        _print_report(report, day)
    return 0


def _print_report(report: BatchReport, day: dt.date) -> None:
    """The run's summary on one line, and where quarantined rows went."""
    rate = report.households_scored / report.seconds if report.seconds else 0.0
    out.print(
        f"{report.households_scored:,} households scored as of {day} in {report.seconds:.1f} s "
        f"({rate:,.0f}/s; {report.scoring:.1f} s of it scoring) → {report.out}",
        highlight=False,
        soft_wrap=True,  # one line however long the path, for scripts that read it
    )
    if report.survey_rows_quarantined or report.cases_quarantined:
        out.print(
            f"quarantined: {report.survey_rows_quarantined:,} survey rows, "
            f"{report.cases_quarantined:,} case rows → "
            + ", ".join(str(p) for p in report.quarantine),
            highlight=False,
        )


def _start_spark(master: str, progress: bool) -> tuple[Any, ClassArchive | None]:
    """A Spark session and, in local mode, the driver JVM's class-data archive it uses."""
    from risk.batch.class_archive import ClassArchive
    from risk.batch.session import spark_session

    archive = ClassArchive.default() if master.startswith("local") else None
    return spark_session(master, progress=progress, archive=archive), archive


def _keep_archive(archive: ClassArchive | None, spark: Any) -> None:
    """Let the JVM write the class-data archive it is recording (saying so: seconds)."""
    if archive is not None and archive.recording:
        from risk.i18n import both

        err.print("\n".join(both("recording_class_archive", path=archive.path)), highlight=False)
        archive.keep(spark)


def _print_errors(errors: object, show: int) -> None:
    import pandas as pd

    assert isinstance(errors, pd.DataFrame)
    if show <= 0 or not len(errors):
        return
    print_rows(error_rows(errors.head(show)), console=err)
    if len(errors) > show:
        err.print(f"… {len(errors) - show} more / 另有 {len(errors) - show} 条")
