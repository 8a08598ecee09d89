"""Reading the service's stored records, shared by its domain modules; records as JSON."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from risk.ingest import empty_frame
from risk.schema import CASE, RecordKind
from service.errors import ServiceError
from service.tables import Case, Outcome, SurveyWave

if TYPE_CHECKING:
    from service.auth import Caller

__all__ = [
    "case_record",
    "contract_frame",
    "household_cases",
    "household_grid",
    "id_parts",
    "json_fields",
    "latest_outcomes",
    "latest_survey",
    "visible_case",
]


#: Ids per ``IN`` list: far below SQLite's limit on a statement's parameters.
ID_PART = 1000


def id_parts(ids: Sequence[str]) -> Iterator[Sequence[str]]:
    """``ids`` in lists of at most :data:`ID_PART`, one ``IN`` list each."""
    for at in range(0, len(ids), ID_PART):
        yield ids[at : at + ID_PART]


def visible_case(session: Session, who: Caller, case_id: str) -> Case:
    """The stored case, if the caller sees its grid; else 404 (another grid's case answers
    as a missing one)."""
    case = session.get(Case, case_id)
    if case is None or not who.sees(case.grid_id):
        raise ServiceError(404, "not_found")
    return case


def latest_survey(session: Session, household_id: str, as_of: dt.date) -> SurveyWave | None:
    return session.scalars(
        select(SurveyWave)
        .where(SurveyWave.household_id == household_id, SurveyWave.survey_date <= as_of)
        .order_by(SurveyWave.survey_date.desc(), SurveyWave.id.desc())
    ).first()


def household_grid(session: Session, household_id: str) -> tuple[bool, str | None]:
    """Whether the household is stored, and its grid of record: the grid its survey waves
    were stored in (one grid, changed only by a move), else that of its cases (none)."""
    grid = session.scalars(
        select(SurveyWave.grid_id).where(SurveyWave.household_id == household_id).limit(1)
    ).first()
    if grid is not None:
        return True, grid
    case = session.scalars(select(Case).where(Case.household_id == household_id).limit(1)).first()
    return case is not None, None if case is None else case.grid_id


def case_record(case: Case, outcome: Outcome | None) -> dict[str, Any]:
    """A stored case as contract fields, with its latest outcome if any."""
    record = {**case.fields, "case_id": case.case_id, "household_id": case.household_id}
    record["opened_at"] = case.opened_at.isoformat()
    if outcome is not None:
        record["outcome"], record["outcome_at"] = outcome.outcome, outcome.outcome_at.isoformat()
    return record


def latest_outcomes(session: Session, case_ids: list[str]) -> dict[str, Outcome]:
    if not case_ids:
        return {}
    rows = session.scalars(
        select(Outcome).where(Outcome.case_id.in_(case_ids)).order_by(Outcome.id)
    )
    return {row.case_id: row for row in rows}  # later rows win


def household_cases(session: Session, household_id: str) -> list[dict[str, Any]]:
    """The household's stored cases as contract fields, each with its latest outcome."""
    cases = list(session.scalars(select(Case).where(Case.household_id == household_id)))
    outcomes = latest_outcomes(session, [c.case_id for c in cases])
    return [case_record(c, outcomes.get(c.case_id)) for c in cases]


def contract_frame(records: list[dict[str, Any]], kind: RecordKind = CASE) -> pd.DataFrame:
    """Stored records (JSON fields) as a frame in the contract's shape and dtypes."""
    template = _template(kind)
    raw = pd.DataFrame(records, columns=template.columns)
    out = {}
    for name, dtype in template.dtypes.items():
        column = raw[name]
        if dtype.kind == "M":
            column = pd.to_datetime(column)
        out[name] = column.astype(dtype)
    return pd.DataFrame(out)


@functools.cache
def _template(kind: RecordKind) -> pd.DataFrame:
    return empty_frame(kind)


def json_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Fields as JSON values: dates as ISO strings; missing numbers (NaN) left out, since
    JSON has no NaN and PostgreSQL refuses it."""
    return {
        k: (v.isoformat() if isinstance(v, dt.date) else v)
        for k, v in fields.items()
        if not (isinstance(v, float) and v != v)
    }
