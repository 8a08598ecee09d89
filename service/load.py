"""A county's whole ledger into the service at once: ``risk load`` and ``POST /v1/admin/load``.

The ledgers are read and checked by :mod:`risk.ingest` (the readers, mapping files and
quarantine of ``risk ingest``; its Parquet output or ``risk generate``'s is read as it
is). Worker processes make the rows to store and every household's score with the served
model, by the batch engine's code (:mod:`service.load_spool`, :mod:`service.load_scores`);
this process copies them in bulk (PostgreSQL ``COPY``, straight into a table with no rows
yet; SQLite ``executemany``) into staging tables that a few set-based statements merge
into the service's tables; all of it in ONE transaction with its audit record, so a
load stopped half-way (an error, a kill, a lost connection) leaves the database as it was.

What "newer" means (loading the same ledger twice changes nothing):

- a survey wave is keyed by (household, survey date), a case by its case id; a row whose
  stored version differs (another grid, other answers) is replaced by the ledger's: the
  ledger loaded is the county's newer copy;
- an outcome is added to a case unless the case already has one on a later date, or the
  same one on the same date (outcomes, like scores, are only ever added: the latest
  counts, as for ``POST /v1/cases/{id}/outcome``);
- a household's score (as of the load's date) is stored unless its unit's latest stored
  score has the same tier, P(red), follow-up date and model version.
"""

from __future__ import annotations

import datetime as dt
import os
import pickle
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
from sqlalchemy import DateTime, bindparam, text
from sqlalchemy.orm import Session

from risk.atomic import sweep_leftovers, temporary_prefix
from risk.batch.pool import ordered_map, worker_pool
from risk.errors import RiskError
from risk.i18n import Lang
from risk.i18n import text as label
from risk.ids import id_ok
from risk.ingest import IngestResult, empty_frame, read_ledger
from risk.models.triage import TriageModel
from risk.schema import CASE, HOUSEHOLD_SURVEY
from service.ahead import Ahead
from service.auth import Caller, require
from service.db import Database
from service.errors import ServiceError
from service.load_scores import household_chunks
from service.load_spool import ScoreTask, Spooled, StageTask, Stamp, read_spooled, spool
from service.tables import AuditEvent

__all__ = ["LedgerFile", "LoadReport", "Progress", "default_jobs", "load_from_dir", "load_ledger"]

#: ``progress(phase, rows done, rows in all)``, called after each batch is written
Progress = Callable[[str, int, int], None]
BATCH_ROWS = 100_000
_FILLED = ("survey_waves", "cases", "outcomes", "scores")
#: How long one statement of a load (or its commit) may take, in seconds; the service's
#: own sessions allow ``RISK_DB_TIMEOUT_SECONDS`` (1 s), made for requests.
LOAD_SECONDS = 3600.0
_OUTCOME = ("outcome", "outcome_at")
#: The advisory lock a load holds on PostgreSQL (any number no other code uses)
_LOAD_LOCK = 72_0020


@dataclass(frozen=True)
class LedgerFile:
    """A ledger to load: its file, and how to read it (as for ``risk ingest``)."""

    path: Path
    mapping: Path | None = None
    sheet: str | int | None = None


@dataclass
class LoadReport:
    """What a load did. ``households`` / ``cases``: how each ledger was read (rows in,
    stored, quarantined with reasons)."""

    households: IngestResult | None
    cases: IngestResult | None
    as_of: dt.date
    model_version: str
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def summary(self, lang: Lang = "zh") -> str:
        read = [r for r in (self.households, self.cases) if r is not None]
        return label(
            "load_summary",
            lang,
            waves_in=self.households.rows_out if self.households else 0,
            cases_in=self.cases.rows_out if self.cases else 0,
            quarantined=sum(r.rows_quarantined for r in read),
            as_of=self.as_of.isoformat(),
            model_version=self.model_version,
            seconds=f"{self.seconds:.1f}",
            **self.counts,
        )


def load_ledger(
    db: Database,
    model: TriageModel,
    who: Caller,
    households: LedgerFile | None,
    cases: LedgerFile | None,
    *,
    as_of: dt.date | None = None,
    progress: Progress | None = None,
    jobs: int | None = None,
) -> LoadReport:
    """Check the ledgers, store their good rows and score every household they hold as
    of ``as_of`` (default today), in one transaction, with ``jobs`` worker processes
    (default :func:`default_jobs`); needs an admin key that sees every grid. Raises
    :class:`risk.errors.ContractError` (nothing stored) when a file cannot be read as a
    ledger at all."""
    require(who, "admin")
    if who.grids is not None:
        raise ServiceError(403, "load_needs_all_grids")
    started = time.perf_counter()
    day = as_of or dt.date.today()
    # the workers start first: they import the library while the ledgers are read
    jobs = jobs or default_jobs()
    with worker_pool(jobs) as pool:
        waves_read = _read(households, HOUSEHOLD_SURVEY)
        cases_read = _read(cases, CASE)
        waves = waves_read.frame if waves_read else empty_frame(HOUSEHOLD_SURVEY)
        case_rows = cases_read.frame if cases_read else empty_frame(CASE)
        report = LoadReport(waves_read, cases_read, day, model.info.version)
        tell = progress or (lambda *_: None)
        with db.patient(LOAD_SECONDS) as loading:  # statements of minutes, not 1 s
            _write(loading, (pool, jobs), model, who, waves, case_rows, report, tell)
            _refresh_statistics(loading)
    report.seconds = time.perf_counter() - started
    return report


def _write(
    db: Database,
    workers: tuple[ProcessPoolExecutor, int],
    model: TriageModel,
    who: Caller,
    waves: pd.DataFrame,
    case_rows: pd.DataFrame,
    report: LoadReport,
    tell: Progress,
) -> None:
    """Stage, merge and score, in one transaction with the load's audit record.

    The staging rows are made by worker processes (:mod:`service.load_spool`), from the
    first ledger batch to the last household's score, while this process copies those
    made so far into the database and the database merges them."""
    day = report.as_of
    pool, jobs = workers
    stamp = Stamp(who.key_id, dt.datetime.now(dt.UTC), db.engine.dialect.name == "postgresql")
    spool_dir = Path(tempfile.gettempdir())
    sweep_leftovers(spool_dir)  # what killed loads left
    with (
        tempfile.TemporaryDirectory(
            prefix=temporary_prefix("risk-load"), suffix=".part", dir=spool_dir
        ) as folder,
        Ahead(
            ordered_map(
                spool,
                _tasks(model, waves, case_rows, day, stamp, Path(folder)),
                pool,
                in_flight=jobs + 1,  # (each task holds its rows in memory)
            ),
            0,
        ) as files,
        db.session() as session,
    ):
        event = AuditEvent(key_id=who.key_id, action="load_ledger", resource="ledger", status=200)
        session.add(event)
        session.flush()  # first, so that on SQLite the load holds the writer lock throughout
        sql = _Sql(session, stamp)
        counts = sql.store_waves(islice(files, _batch_count(len(waves))), tell, len(waves))
        counts |= sql.store_cases(islice(files, _batch_count(len(case_rows))), tell, len(case_rows))
        scored, counts["scores_added"] = sql.store_scores(
            files, tell, _households(waves, case_rows)
        )
        report.counts.update(counts, scored=scored)
        sql.drop()
        event.resource = (
            f"ledger:waves={len(waves)},cases={len(case_rows)},scored={scored},as_of={day}"
        )


def _tasks(
    model: TriageModel,
    waves: pd.DataFrame,
    cases: pd.DataFrame,
    day: dt.date,
    stamp: Stamp,
    folder: Path,
) -> Iterator[StageTask | ScoreTask]:
    """The load's work in the order the database takes it: the survey waves' batches, the
    cases', then the households' chunks to score."""
    for name, (keys, fields) in (("waves", _wave_rows(waves)), ("cases", _case_rows(cases))):
        for n, i in enumerate(range(0, _batch_count(len(keys)) * BATCH_ROWS, BATCH_ROWS)):
            part = slice(i, i + BATCH_ROWS)
            yield StageTask(keys.iloc[part], fields.iloc[part], stamp, folder / f"{name}-{n:05d}")
    pickled = pickle.dumps(model, protocol=5)
    for n, (chunk_waves, chunk_cases) in enumerate(household_chunks(waves, cases)):
        yield ScoreTask(chunk_waves, chunk_cases, day, pickled, stamp, folder / f"scores-{n:05d}")


def _batch_count(rows: int) -> int:
    """Batches of ``BATCH_ROWS`` (none: one empty batch, which makes the staging table
    the merges read)."""
    return max(-(-rows // BATCH_ROWS), 1)


def default_jobs() -> int:
    """Worker processes for a load: one per core but one, which the database's ``COPY``
    keeps busy (it runs on the same machine, as a rule; at least one). On two cores one
    worker keeps up with the database, and two only add their memory."""
    return max((os.cpu_count() or 1) - 1, 1)


def load_from_dir(
    db: Database,
    model: TriageModel,
    who: Caller,
    folder: Path | None,
    names: dict[str, str | None],
    as_of: dt.date | None = None,
) -> LoadReport:
    """:func:`load_ledger` of the files ``names`` (``households``, ``cases``: plain file
    names) in ``folder``, the service's load directory; a missing folder or file, or one
    that is no ledger, is refused (404, 422)."""
    require(who, "admin")
    if folder is None:
        raise ServiceError(404, "load_no_dir")
    if not any(names.values()):
        raise ServiceError(422, "load_nothing")
    files: dict[str, LedgerFile | None] = {}
    for kind, name in names.items():
        path = None if name is None else folder / name
        if name is not None and (not id_ok(name) or path is None or not path.is_file()):
            raise ServiceError(404, "load_no_file", value=name)
        files[kind] = None if path is None else LedgerFile(path)
    try:
        return load_ledger(db, model, who, files["households"], files["cases"], as_of=as_of)
    except RiskError as exc:
        raise ServiceError(422, "load_unreadable", value=str(exc)[:300]) from exc


def _refresh_statistics(db: Database) -> None:
    """After the commit, the planner's statistics of the tables a load filled (without
    them it may plan a grid's visit list as for the empty tables it saw before), and on
    PostgreSQL their visibility maps, so the visit list reads a grid's scores from the
    index alone (``VACUUM`` cannot run inside the load's transaction)."""
    if db.engine.dialect.name != "postgresql":
        with db.engine.begin() as connection:
            for table in _FILLED:
                connection.execute(text(f"ANALYZE {table}"))
        return
    pooled = db.engine.raw_connection()
    try:
        raw: Any = pooled.driver_connection
        raw.rollback()  # (the pool's checkout ping opened a transaction)
        raw.autocommit = True
        for table in _FILLED:
            raw.execute(f"VACUUM (ANALYZE) {table}")
    finally:
        pooled.invalidate()  # not back to the pool in autocommit: the engine ends here


def _read(ledger: LedgerFile | None, kind: Any) -> IngestResult | None:
    return None if ledger is None else read_ledger(ledger.path, kind, ledger.mapping, ledger.sheet)


def _households(waves: pd.DataFrame, cases: pd.DataFrame) -> int:
    return int(pd.concat([waves["household_id"], cases["household_id"]]).nunique())


def _wave_rows(waves: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Survey waves: key and grid; every contract field as JSON (as ``POST /v1/households``)."""
    return waves[["household_id", "survey_date", "grid_id"]], waves


def _case_rows(cases: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cases: key, household, opening day, outcome; as JSON every contract field but the
    case id and the outcome (which goes to the outcomes table)."""
    keys = cases[["case_id", "household_id", "opened_at", *_OUTCOME]]
    return keys, cases.drop(columns=["case_id", *_OUTCOME])


def _sqlite_value(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """A staged column as SQLite takes it: days and times as text (the merges store the
    load's time as SQLAlchemy writes it, ``:now``), the rest as it is."""
    kind = column.type
    return column.cast(pa.string()) if pa.types.is_temporal(kind) else column


class _Sql:
    """The load's statements in one session, in the dialect's words where they differ.

    Staged rows (:mod:`service.load_spool`: key columns, the record as JSON text, the
    load's key and time) are COPYed in ``COPY``'s text format on PostgreSQL and inserted
    with ``executemany`` on SQLite, into a staging table whose rows a few set-based
    statements then merge into the service's table; or, on PostgreSQL, straight into the
    service's table when it has no rows yet (a first load: nothing to merge, and one
    write of each row instead of two).
    """

    def __init__(self, session: Session, stamp: Stamp) -> None:
        self.session = session
        self.postgres = stamp.postgres
        self.raw: Any = session.connection().connection.driver_connection
        self.values = {"key": stamp.key_id, "now": stamp.now}
        self.tables: set[str] = set()  # the staging tables made
        if self.postgres:  # one load at a time (two first loads would both copy)
            self._run(f"SELECT pg_advisory_xact_lock({_LOAD_LOCK})")

    def _run(self, statement: str) -> int:
        """Run ``statement`` with the key (``:key``) and the time (``:now``) it names;
        the number of rows it wrote."""
        query = text(statement)
        if ":now" in statement:
            query = query.bindparams(bindparam("now", type_=DateTime(timezone=True)))
        wanted = {k: v for k, v in self.values.items() if f":{k}" in statement}
        return int(self.session.execute(query, wanted).rowcount)  # type: ignore[attr-defined]

    def _count(self, statement: str) -> int:
        return int(self.session.execute(text(statement)).scalar_one())

    def _empty(self, table: str) -> bool:
        """Whether rows can go straight into ``table``: PostgreSQL, and no row in it yet."""
        return self.postgres and not self._count(
            f"SELECT count(*) FROM (SELECT 1 FROM {table} LIMIT 1) AS t"
        )

    # -- dialect ----------------------------------------------------------------------

    def record(self, column: str = "fields") -> str:
        """The staged record as stored JSON."""
        return f"l.{column}::json" if self.postgres else f"l.{column}"

    def _differs(self, a: str, b: str) -> str:
        if self.postgres:
            return f"{a}::jsonb IS DISTINCT FROM {b}::jsonb"
        return f"json({a}) IS NOT json({b})"

    def _distinct(self, a: str, b: str) -> str:
        return f"{a} IS DISTINCT FROM {b}" if self.postgres else f"{a} IS NOT {b}"

    # -- staging ----------------------------------------------------------------------

    def stage(
        self,
        table: str,
        files: Iterable[Spooled],
        tell: Progress,
        phase: str,
        total: int,
        *,
        staging: bool = True,
    ) -> int:
        """Copy the spooled batches into ``table``, a staging table made from the first
        batch's columns (``staging``) or a service table; the number of rows."""
        done = 0
        tell(phase, 0, total)
        for item in files:
            if item.path is None:
                continue
            if staging and table not in self.tables:
                self._create(table, item.columns)
            self._copy(table, item)
            done += item.rows
            tell(phase, done, total)
        tell(phase, done, done)  # (households with nothing to score as of the day: none)
        return done

    def _create(self, table: str, columns: tuple[tuple[str, str], ...]) -> None:
        self.tables.add(table)
        named = ", ".join(f"{name} {kind}" for name, kind in columns)
        end = "ON COMMIT DROP" if self.postgres else ""
        self._run(f"CREATE TEMP TABLE {table} ({named}) {end}")

    def _copy(self, table: str, item: Spooled) -> None:
        names = ", ".join(name for name, _ in item.columns)
        data = read_spooled(item)
        if not item.rows:
            return
        if isinstance(data, bytes):
            with (
                self.raw.cursor() as cursor,
                cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
            ):
                copy.write(data)
            return
        columns = [_sqlite_value(c) for c in data.columns]
        values = zip(*(c.to_pylist() for c in columns), strict=True)
        marks = ", ".join("?" * data.num_columns)
        self.raw.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", values)

    def drop(self) -> None:
        if not self.postgres:  # (PostgreSQL drops them at commit)
            for table in self.tables:
                self._run(f"DROP TABLE temp.{table}")

    # -- storing ----------------------------------------------------------------------

    def store_waves(self, files: Iterable[Spooled], tell: Progress, total: int) -> dict[str, int]:
        if self._empty("survey_waves"):
            added = self.stage("survey_waves", files, tell, "survey waves", total, staging=False)
            return {"waves_replaced": 0, "waves_added": added}
        self.stage("load_waves", files, tell, "survey waves", total)
        return self.merge_waves()

    def store_cases(self, files: Iterable[Spooled], tell: Progress, total: int) -> dict[str, int]:
        self.stage("load_cases", files, tell, "cases", total)
        return self.merge_cases()

    def store_scores(self, files: Iterable[Spooled], tell: Progress, total: int) -> tuple[int, int]:
        """The scores stored: (households scored, scores added)."""
        if self._empty("scores"):
            added = self.stage("scores", files, tell, "scores", total, staging=False)
            return added, added
        scored = self.stage("load_scores", files, tell, "scores", total)
        return scored, self.merge_scores()

    # -- merging ----------------------------------------------------------------------

    def merge_waves(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        fields = self.record()
        counts["waves_replaced"] = self._run(
            f"""UPDATE survey_waves SET grid_id = l.grid_id, fields = {fields}
            FROM load_waves AS l
            WHERE survey_waves.household_id = l.household_id
              AND survey_waves.survey_date = l.survey_date
              AND (survey_waves.grid_id <> l.grid_id
                   OR {self._differs("survey_waves.fields", fields)})"""
        )
        counts["waves_added"] = self._run(
            f"""INSERT INTO survey_waves (household_id, survey_date, grid_id, fields, key_id,
                                          created_at)
            SELECT l.household_id, l.survey_date, l.grid_id, {fields}, :key, :now
            FROM load_waves AS l
            WHERE NOT EXISTS (SELECT 1 FROM survey_waves AS w
                              WHERE w.household_id = l.household_id
                                AND w.survey_date = l.survey_date)"""
        )
        return counts

    def merge_cases(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        fields = self.record()
        new_cases = self._count(
            """SELECT count(*) FROM load_cases AS l
            WHERE NOT EXISTS (SELECT 1 FROM cases AS c WHERE c.case_id = l.case_id)"""
        )
        # a case's grid: that of its household's latest wave on or before it opened (as
        # at intake), found by ix_survey_waves_household_date
        changed = " OR ".join(
            [
                self._differs("cases.fields", "excluded.fields"),
                "cases.household_id <> excluded.household_id",
                "cases.opened_at <> excluded.opened_at",
                self._distinct("cases.grid_id", "excluded.grid_id"),
            ]
        )
        merged = self._run(
            f"""INSERT INTO cases (case_id, household_id, grid_id, opened_at, fields, key_id,
                                   created_at)
            SELECT l.case_id, l.household_id,
                   (SELECT w.grid_id FROM survey_waves AS w
                    WHERE w.household_id = l.household_id AND w.survey_date <= l.opened_at
                    ORDER BY w.survey_date DESC, w.id DESC LIMIT 1),
                   l.opened_at, {fields}, :key, :now
            FROM load_cases AS l WHERE true
            ON CONFLICT (case_id) DO UPDATE SET
                household_id = excluded.household_id, grid_id = excluded.grid_id,
                opened_at = excluded.opened_at, fields = excluded.fields
            WHERE {changed}"""
        )
        counts["cases_added"], counts["cases_replaced"] = new_cases, merged - new_cases
        counts["outcomes_added"] = self._run(
            """INSERT INTO outcomes (case_id, outcome, outcome_at, key_id, created_at)
            SELECT l.case_id, l.outcome, l.outcome_at, :key, :now
            FROM load_cases AS l
            WHERE l.outcome IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM outcomes AS o
                              WHERE o.case_id = l.case_id
                                AND (o.outcome_at > l.outcome_at
                                     OR (o.outcome_at = l.outcome_at
                                         AND o.outcome = l.outcome)))"""
        )
        return counts

    def merge_scores(self) -> int:
        """Store each staged score unless its unit's latest stored score says the same;
        case units and screenings apart, so that each lookup is one probe of
        ``ix_scores_unit`` (household, case, id)."""
        if "load_scores" not in self.tables:
            return 0  # nothing was scored
        result = "l.result::json" if self.postgres else "l.result"
        added = 0
        for which, unit in (
            ("l.case_id IS NOT NULL", "s.case_id = l.case_id"),
            ("l.case_id IS NULL", "s.case_id IS NULL"),
        ):
            added += self._run(
                f"""INSERT INTO scores (case_id, household_id, grid_id, tier, p_red,
                                        follow_up_date, inputs, result, model_version, key_id,
                                        created_at)
                SELECT l.case_id, l.household_id, l.grid_id, l.tier, l.p_red, l.follow_up_date,
                       {self.record("inputs")}, {result}, l.model_version, :key, :now
                FROM load_scores AS l
                WHERE {which} AND NOT EXISTS (
                    SELECT 1 FROM scores AS last
                    WHERE last.id = (SELECT s.id FROM scores AS s
                                     WHERE s.household_id = l.household_id AND {unit}
                                     ORDER BY s.id DESC LIMIT 1)
                      AND last.tier = l.tier AND last.p_red = l.p_red
                      AND last.follow_up_date = l.follow_up_date
                      AND last.model_version = l.model_version)"""
            )
        return added
