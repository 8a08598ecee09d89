"""Households: storing a survey wave with its screening score, and moving a household to
another grid. A household's grid is its grid of record: a survey wave is stored only in
that grid, and only a move (an audited act of a role that may do it) changes it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from service.audit import audit
from service.auth import Caller, require
from service.db import Database
from service.errors import ServiceError
from service.model_holder import ModelHolder
from service.scoring import Household, score_row, unit
from service.store import household_cases, household_grid, json_fields
from service.tables import Case, Score, SurveyWave

__all__ = ["add_survey", "move_household"]


def _check_grid(session: Session, who: Caller, household: str, grid: str) -> None:
    """Refuse a wave for ``grid`` when the household's grid of record is another (409,
    whether or not the caller sees that grid) or when the caller does not see ``grid``."""
    known, recorded = household_grid(session, household)
    if known and recorded is not None and recorded != grid:
        raise ServiceError(409, "household_other_grid")
    if not who.sees(grid):
        raise ServiceError(403, "out_of_grid")


def _adopt(session: Session, household: str, grid: str) -> None:
    """Cases (and their scores) stored without a grid take the household's first survey
    grid, so the grid's workers see them (cases stored before intake took a grid)."""
    for table in (Case, Score):
        session.execute(
            update(table)
            .where(table.household_id == household, table.grid_id.is_(None))
            .values(grid_id=grid)
        )


def add_survey(
    db: Database, models: ModelHolder, who: Caller, fields: Mapping[str, Any]
) -> dict[str, Any]:
    """Store a survey wave (contract fields) and its screening score, with the audit
    record, in one transaction; the score is computed before it opens, and the grid is
    checked again inside it."""
    require(who, "store")
    household, day, grid = fields["household_id"], fields["survey_date"], fields["grid_id"]
    if not who.sees(grid):
        raise ServiceError(403, "out_of_grid")
    with db.session() as session:
        _check_grid(session, who, household, grid)
        cases = household_cases(session, household)
    record = unit(day, Household(cases, fields, day, grid))
    result = models.serving().predict_record(record)
    with db.session() as session:
        _check_grid(session, who, household, grid)
        session.add(
            SurveyWave(
                household_id=household,
                survey_date=day,
                grid_id=grid,
                fields=json_fields(fields),
                key_id=who.key_id,
            )
        )
        session.add(score_row(result, record, who, household_id=household, grid_id=grid))
        _adopt(session, household, grid)
        audit(db, who, "store_survey", f"household:{household}", 201, session)
    return {"household_id": household, "stored": True, "score": result}


def move_household(db: Database, who: Caller, household: str, grid: str) -> dict[str, Any]:
    """Move a household, with its survey waves, cases and scores, to ``grid``: a right of
    the ``move_household`` roles, for a caller who sees both grids; audited with the grids
    from and to. A household the caller cannot see is answered as a missing one."""
    require(who, "move_household")
    with db.session() as session:
        known, recorded = household_grid(session, household)
        if not known or not who.sees(recorded):
            raise ServiceError(404, "not_found")
        if not who.sees(grid):
            raise ServiceError(403, "out_of_grid")
        if recorded == grid:
            raise ServiceError(409, "same_grid")
        for table in (SurveyWave, Case, Score):
            session.execute(
                update(table).where(table.household_id == household).values(grid_id=grid)
            )
        audit(db, who, "move_household", f"household:{household} {recorded}->{grid}", 200, session)
    return {"household_id": household, "from": recorded, "to": grid}
