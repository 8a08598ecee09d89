"""Households: storing a survey wave with its screening score."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from service.audit import audit
from service.auth import Caller, require
from service.db import Database
from service.errors import ServiceError
from service.model_holder import ModelHolder
from service.scoring import Household, score_row, unit
from service.store import household_cases, json_fields
from service.tables import SurveyWave

__all__ = ["add_survey"]


def add_survey(
    db: Database, models: ModelHolder, who: Caller, fields: Mapping[str, Any]
) -> dict[str, Any]:
    """Store a survey wave (contract fields) and its screening score, with the audit
    record, in one transaction; the score is computed before it opens."""
    require(who, "store")
    household, day, grid = fields["household_id"], fields["survey_date"], fields["grid_id"]
    if not who.sees(grid):
        raise ServiceError(403, "out_of_grid")
    with db.session() as session:
        cases = household_cases(session, household)
    record = unit(day, Household(cases, fields, day, grid))
    result = models.serving().predict_record(record)
    with db.session() as session:
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
        audit(db, who, "store_survey", f"household:{household}", 201, session)
    return {"household_id": household, "stored": True, "score": result}
