"""A county's whole ledger into the service at once: ``risk load`` and ``POST /v1/admin/load``.

The ledgers are read and checked by :mod:`risk.ingest` (the readers, mapping files and
quarantine of ``risk ingest``; its Parquet output or ``risk generate``'s is read as it
is). The good rows are copied in bulk into staging tables (PostgreSQL ``COPY``; SQLite
``executemany``), merged into the service's tables by a few set-based statements, and
every household is scored with the served model by the batch engine's code
(:mod:`service.load_scores`); all of it in ONE transaction with its audit record, so a
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
import io
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
from pyarrow.csv import WriteOptions, write_csv
from sqlalchemy import DateTime, bindparam, text
from sqlalchemy.orm import Session

from risk.errors import RiskError
from risk.i18n import Lang
from risk.i18n import text as label
from risk.ids import id_ok
from risk.ingest import IngestResult, empty_frame, read_ledger
from risk.models.triage import TriageModel
from risk.schema import CASE, HOUSEHOLD_SURVEY
from service.auth import Caller, require
from service.db import Database
from service.errors import ServiceError
from service.load_scores import json_lines, ledger_scores
from service.tables import AuditEvent

__all__ = ["LedgerFile", "LoadReport", "Progress", "load_from_dir", "load_ledger"]

#: ``progress(phase, rows done, rows in all)``, called after each batch is written
Progress = Callable[[str, int, int], None]
BATCH_ROWS = 100_000
_FILLED = ("survey_waves", "cases", "outcomes", "scores")
#: How long one statement of a load (or its commit) may take, in seconds; the service's
#: own sessions allow ``RISK_DB_TIMEOUT_SECONDS`` (1 s), made for requests.
LOAD_SECONDS = 3600.0
_OUTCOME = ("outcome", "outcome_at")


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
) -> LoadReport:
    """Check the ledgers, store their good rows and score every household they hold as
    of ``as_of`` (default today), in one transaction; needs an admin key that sees every
    grid. Raises :class:`risk.errors.ContractError` (nothing stored) when a file cannot
    be read as a ledger at all."""
    require(who, "admin")
    if who.grids is not None:
        raise ServiceError(403, "load_needs_all_grids")
    started = time.perf_counter()
    day = as_of or dt.date.today()
    waves_read = _read(households, HOUSEHOLD_SURVEY)
    cases_read = _read(cases, CASE)
    waves = waves_read.frame if waves_read else empty_frame(HOUSEHOLD_SURVEY)
    case_rows = cases_read.frame if cases_read else empty_frame(CASE)
    report = LoadReport(waves_read, cases_read, day, model.info.version)
    tell = progress or (lambda *_: None)
    loading = Database(db.url, timeout=LOAD_SECONDS)  # its statements take minutes, not 1 s
    try:
        _write(loading, model, who, waves, case_rows, report, tell)
        _refresh_statistics(loading)
    finally:
        loading.engine.dispose()
    report.seconds = time.perf_counter() - started
    return report


def _write(
    db: Database,
    model: TriageModel,
    who: Caller,
    waves: pd.DataFrame,
    case_rows: pd.DataFrame,
    report: LoadReport,
    tell: Progress,
) -> None:
    """Stage, merge and score, in one transaction with the load's audit record."""
    day = report.as_of
    with db.session() as session:
        event = AuditEvent(key_id=who.key_id, action="load_ledger", resource="ledger", status=200)
        session.add(event)
        session.flush()  # first, so that on SQLite the load holds the writer lock throughout
        sql = _Sql(session, who.key_id)
        sql.stage("load_waves", _batches(_wave_rows(waves)), tell, "survey waves", len(waves))
        sql.stage("load_cases", _batches(_case_rows(case_rows)), tell, "cases", len(case_rows))
        report.counts.update(sql.merge_ledger())
        scored = 0

        def scores() -> Iterator[_Rows]:
            nonlocal scored
            for batch, units in ledger_scores(model, waves, case_rows, day):
                scored += len(batch)
                yield _Rows(batch, units)

        sql.stage("load_scores", scores(), tell, "scores", _households(waves, case_rows))
        report.counts.update(scores_added=sql.merge_scores(), scored=scored)
        sql.drop()
        event.resource = (
            f"ledger:waves={len(waves)},cases={len(case_rows)},scored={scored},as_of={day}"
        )


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


def _day(column: pd.Series) -> pd.Series:
    return column.dt.strftime("%Y-%m-%d")


@dataclass(frozen=True)
class _Rows:
    """Rows to stage: ``keys``, columns stored as they are, and ``fields``, the record
    stored as JSON (the same rows, in the same order)."""

    keys: pd.DataFrame
    fields: pd.DataFrame


def _wave_rows(waves: pd.DataFrame) -> _Rows:
    """Survey waves: key and grid; every contract field as JSON (as ``POST /v1/households``)."""
    return _Rows(waves[["household_id", "survey_date", "grid_id"]], waves)


def _case_rows(cases: pd.DataFrame) -> _Rows:
    """Cases: key, household, opening day, outcome; as JSON every contract field but the
    case id and the outcome (which goes to the outcomes table)."""
    keys = cases[["case_id", "household_id", "opened_at", *_OUTCOME]]
    return _Rows(keys, cases.drop(columns=["case_id", *_OUTCOME]))


def _batches(rows: _Rows) -> Iterator[_Rows]:
    for i in range(0, max(len(rows.keys), 1), BATCH_ROWS):
        part = slice(i, i + BATCH_ROWS)
        yield _Rows(rows.keys.iloc[part], rows.fields.iloc[part])


def _pg_type(dtype: Any) -> str:
    if dtype.kind == "M":
        return "DATE"
    if pd.api.types.is_bool_dtype(dtype):
        return "BOOLEAN"
    if pd.api.types.is_integer_dtype(dtype):
        return "BIGINT"
    if pd.api.types.is_float_dtype(dtype):
        return "DOUBLE PRECISION"
    return "TEXT"


def _csv(frame: pd.DataFrame) -> bytes:
    """The frame as CSV for ``COPY ... (FORMAT csv)``, written by Arrow (C++): missing
    values as empty fields (NULL), dates as days, labels as text."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    columns = []
    for kind, column in zip(table.schema.types, table.columns, strict=True):
        if pa.types.is_dictionary(kind):
            column = column.cast(pa.string())
        elif pa.types.is_timestamp(kind):
            column = column.cast(pa.date32())
        columns.append(column)
    sink = io.BytesIO()
    write_csv(pa.table(columns, names=table.column_names), sink, WriteOptions(include_header=False))
    return sink.getvalue()


class _Sql:
    """The load's statements in one session, in the dialect's words where they differ.

    A staging table holds a batch's key columns and its record: on PostgreSQL the record's
    fields as typed columns (``f_<name>``), COPYed as CSV, and made JSON by the database;
    on SQLite the record as JSON text, inserted with ``executemany``.
    """

    def __init__(self, session: Session, key_id: int) -> None:
        self.session = session
        self.postgres = session.get_bind().dialect.name == "postgresql"
        self.raw: Any = session.connection().connection.driver_connection
        self.values = {"key": key_id, "now": dt.datetime.now(dt.UTC)}
        self.fields: dict[str, list[str]] = {}  # staging table: its record's field names

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

    # -- dialect ----------------------------------------------------------------------

    def record(self, table: str, alias: str = "l") -> str:
        """The staged record as stored JSON, without its missing fields (as
        :func:`service.store.json_fields` stores a request's)."""
        if not self.postgres:
            return f"json_patch('{{}}', {alias}.fields)"
        named = ", ".join(f"{alias}.f_{n} AS {n}" for n in self.fields[table])
        return f"json_strip_nulls((SELECT row_to_json(r) FROM (SELECT {named}) AS r))"

    def _differs(self, a: str, b: str) -> str:
        if self.postgres:
            return f"{a}::jsonb IS DISTINCT FROM {b}::jsonb"
        return f"json({a}) IS NOT json({b})"

    def _distinct(self, a: str, b: str) -> str:
        return f"{a} IS DISTINCT FROM {b}" if self.postgres else f"{a} IS NOT {b}"

    # -- staging ----------------------------------------------------------------------

    def stage(
        self, table: str, batches: Iterator[_Rows], tell: Progress, phase: str, total: int
    ) -> None:
        done = 0
        tell(phase, 0, total)
        for rows in batches:
            if table not in self.fields:
                self._create(table, rows)
            self._copy(table, rows)
            done += len(rows.keys)
            tell(phase, done, total)
        tell(phase, done, done)  # (households with nothing to score as of the day: none)

    def _create(self, table: str, rows: _Rows) -> None:
        self.fields[table] = [str(name) for name in rows.fields.columns]
        if self.postgres:
            columns = [f"{k} {_pg_type(t)}" for k, t in rows.keys.dtypes.items()]
            columns += [f"f_{k} {_pg_type(t)}" for k, t in rows.fields.dtypes.items()]
            end = "ON COMMIT DROP"
        else:
            columns = [f"{k} {_pg_type(t)}" for k, t in rows.keys.dtypes.items()]
            columns += ["fields TEXT"]
            end = ""
        self._run(f"CREATE TEMP TABLE {table} ({', '.join(columns)}) {end}")

    def _copy(self, table: str, rows: _Rows) -> None:
        if not len(rows.keys):
            return
        if self.postgres:
            fields = rows.fields.set_axis([f"f_{c}" for c in rows.fields.columns], axis=1)
            both = pd.concat(
                [rows.keys.reset_index(drop=True), fields.reset_index(drop=True)], axis=1
            )
            names = ", ".join(both.columns)
            with (
                self.raw.cursor() as cursor,
                cursor.copy(f"COPY {table} ({names}) FROM STDIN (FORMAT csv)") as copy,
            ):
                copy.write(_csv(both))
            return
        keys = rows.keys.copy()
        for name, dtype in keys.dtypes.items():
            if dtype.kind == "M":
                keys[name] = _day(keys[name])
        keys["fields"] = json_lines(rows.fields)
        names = ", ".join(keys.columns)
        marks = ", ".join("?" * len(keys.columns))
        values = keys.astype(object).where(keys.notna(), None).itertuples(index=False, name=None)
        self.raw.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", values)

    def drop(self) -> None:
        if not self.postgres:  # (PostgreSQL drops them at commit)
            for table in self.fields:
                self._run(f"DROP TABLE temp.{table}")

    # -- merging ----------------------------------------------------------------------

    def merge_ledger(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        fields = self.record("load_waves")
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
        fields = self.record("load_cases")
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
        if "load_scores" not in self.fields:
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
                       {self.record("load_scores")}, {result}, l.model_version, :key, :now
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
