"""The stored ledger in the contract's shape, for retraining: cases with their outcomes,
or survey waves, within the caller's grids, streamed as Parquet.

The rows are read from the database in batches and each batch is written as a row group
and sent as soon as it is written, so memory stays flat however large the ledger.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from typing import Any, Literal

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import select

from risk.schema import CASE, HOUSEHOLD_SURVEY
from service.audit import audit
from service.auth import Caller, require
from service.db import Database
from service.store import case_record, contract_frame, latest_outcomes
from service.tables import Case, SurveyWave

__all__ = ["EXPORT_BATCH_ROWS", "LedgerKind", "export_parquet", "export_stream", "ledger_frame"]

LedgerKind = Literal["cases", "households"]
#: Rows read, written and sent at a time.
EXPORT_BATCH_ROWS = 20_000


def export_stream(
    db: Database, who: Caller, kind: LedgerKind, batch_rows: int = EXPORT_BATCH_ROWS
) -> Iterator[bytes]:
    """The ledger of ``kind`` the caller sees, as the bytes of one Parquet file, a row
    group at a time (needs the ``export`` right: refused before anything is sent). The
    export is audited with its row count once the last row group is sent."""
    require(who, "export")
    return _stream(db, who, kind, batch_rows)


def ledger_frame(
    db: Database, who: Caller, kind: LedgerKind, first: dt.date | None = None
) -> pd.DataFrame:
    """The ledger of ``kind`` the caller sees, dated from ``first`` (surveyed or opened;
    all when None), as one contract frame in memory (for the monitor; not audited here:
    its caller audits the read)."""
    record_kind = CASE if kind == "cases" else HOUSEHOLD_SURVEY
    batches = _batches(db, who, kind, EXPORT_BATCH_ROWS, first)
    records = [r for batch in batches for r in batch]
    return contract_frame(records, record_kind)


def export_parquet(db: Database, who: Caller, kind: LedgerKind) -> bytes:
    """:func:`export_stream` gathered into one value."""
    return b"".join(export_stream(db, who, kind))


def _stream(db: Database, who: Caller, kind: LedgerKind, batch_rows: int) -> Iterator[bytes]:
    record_kind = CASE if kind == "cases" else HOUSEHOLD_SURVEY
    schema = pa.Schema.from_pandas(contract_frame([], record_kind), preserve_index=False)
    sink = io.BytesIO()
    rows = 0
    with pq.ParquetWriter(sink, schema) as writer:
        for records in _batches(db, who, kind, batch_rows):
            table = pa.Table.from_pandas(contract_frame(records, record_kind), preserve_index=False)
            writer.write_table(table.cast(schema))
            rows += len(records)
            yield _drain(sink)
    yield _drain(sink)
    audit(db, who, "export", f"ledger:{kind}:{rows}")


def _drain(sink: io.BytesIO) -> bytes:
    written = sink.getvalue()
    sink.seek(0)
    sink.truncate()
    return written


def _batches(
    db: Database, who: Caller, kind: LedgerKind, batch_rows: int, first: dt.date | None = None
) -> Iterator[list[dict[str, Any]]]:
    """The records as contract fields, ``batch_rows`` at a time, in key order; those dated
    from ``first`` when given."""
    with db.session() as session:
        if kind == "cases":
            cases = session.scalars(
                select(Case)
                .where(who.sees_in_sql(Case.grid_id), *_from(Case.opened_at, first))
                .order_by(Case.case_id)
                .execution_options(yield_per=batch_rows)
            ).partitions()
            for part in cases:
                outcomes = latest_outcomes(session, [c.case_id for c in part])
                yield [case_record(c, outcomes.get(c.case_id)) for c in part]
        else:
            waves = session.execute(
                select(SurveyWave.fields)
                .where(who.sees_in_sql(SurveyWave.grid_id), *_from(SurveyWave.survey_date, first))
                .order_by(SurveyWave.household_id, SurveyWave.survey_date, SurveyWave.id)
                .execution_options(yield_per=batch_rows)
            ).partitions()
            for rows in waves:
                yield [w.fields for w in rows]


def _from(day: Any, first: dt.date | None) -> list[Any]:
    """The condition "``day`` on or after ``first``", none when ``first`` is None."""
    return [] if first is None else [day >= first]
