"""Scoring in the service: its one assembly of a unit from what it stores and what a
request sends, the served model's answer, and that answer as a stored score.

The library assembles a unit and its ledger history (:func:`risk.features.units.unit_record`)
and owns the tier rule; this module only gathers a household's stored records as of a date
and hands them, with the sent fields, to that assembly, for ``/v1/score``, survey waves
(:mod:`service.households`) and case intake (:mod:`service.cases`) alike.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from risk.features.units import unit_record
from service.audit import audit
from service.auth import Caller
from service.db import Database
from service.errors import ServiceError
from service.model_holder import ModelHolder
from service.schemas import UNIT_PARTS, ScoreRequest
from service.store import household_cases, json_fields, latest_survey
from service.tables import Score

__all__ = ["Household", "score", "score_batch", "score_row", "stored_household", "unit"]


@dataclass(frozen=True)
class Household:
    """What is known of a household when one of its units is scored: its cases (contract
    fields, each with its latest outcome) and the survey wave the unit uses, if any."""

    cases: list[dict[str, Any]]
    survey: Mapping[str, Any] = field(default_factory=dict)
    survey_date: dt.date | None = None
    grid: str | None = None

    @property
    def empty(self) -> bool:
        """Nothing is stored about it."""
        return self.survey_date is None and not self.cases


def stored_household(session: Session, household_id: str, as_of: dt.date) -> Household:
    """The household as stored: its cases and its latest survey wave on or before ``as_of``."""
    survey = latest_survey(session, household_id, as_of)
    cases = household_cases(session, household_id)
    if survey is None:
        return Household(cases)
    return Household(cases, survey.fields, survey.survey_date, survey.grid_id)


def unit(as_of: dt.date, household: Household | None, *sent: Mapping[str, Any]) -> dict[str, Any]:
    """The unit to score, as contract fields: the date, the household's survey wave and
    its ledger history as of that date (none for a unit sent without a household), then
    each of ``sent`` in turn, a later one's fields over an earlier one's."""
    if household is None:
        return unit_record(as_of, *sent)
    return unit_record(as_of, household.survey, *sent, cases=household.cases)


def score_row(
    result: Mapping[str, Any], inputs: Mapping[str, Any], who: Caller, **keys: Any
) -> Score:
    """A result as the stored score of the unit ``inputs`` (``keys``: case, household, grid)."""
    return Score(
        tier=result["tier"],
        p_red=result["probabilities"]["red"],
        follow_up_date=dt.date.fromisoformat(result["follow_up_date"]),
        inputs=json_fields(inputs),
        result=result,
        model_version=result["model"]["version"],
        key_id=who.key_id,
        **keys,
    )


def _requested_unit(db: Database, body: ScoreRequest, who: Caller) -> dict[str, Any]:
    """The unit a score request names: a stored household by id and/or fields inline."""
    if all(getattr(body, part) is None for part in UNIT_PARTS):
        raise ServiceError(422, "api_need_unit")
    as_of = body.as_of or dt.date.today()
    household: Household | None = None
    given: list[Mapping[str, Any]] = []
    grid: str | None = None
    if body.household_id is not None:
        with db.session() as session:
            household = stored_household(session, body.household_id, as_of)
        if not who.sees(household.grid):
            # another grid's household is, to this caller, one that is not stored: nothing
            # of it is used, and it answers as a missing one
            household = Household([])
        if household.empty and body.survey is None and body.case is None:
            raise ServiceError(404, "not_found")
        grid = household.grid
        given.append({"household_id": body.household_id})
    if body.survey is not None:
        inline = body.survey.model_dump(exclude_none=True)
        given.append(inline)
        grid = inline.get("grid_id", grid)
    if body.case is not None:
        given.append(body.case.model_dump(exclude_none=True))
    if not who.sees(grid):
        raise ServiceError(403, "out_of_grid")
    return unit(as_of, household, *given)


def score(db: Database, models: ModelHolder, who: Caller, body: ScoreRequest) -> dict[str, Any]:
    """Score one unit (stored household and/or fields inline); nothing is stored."""
    model = models.serving()
    result: dict[str, Any] = model.predict_record(_requested_unit(db, body, who), lang=body.lang)
    audit(db, who, "score", f"household:{body.household_id or 'inline'}")
    return result


def score_batch(
    db: Database, models: ModelHolder, who: Caller, units: Sequence[ScoreRequest], limit: int
) -> list[dict[str, Any]]:
    """Score up to ``limit`` units, all with the model serving when the call began."""
    if len(units) > limit:
        raise ServiceError(422, "api_too_many", limit=limit)
    model = models.serving()
    results = [
        model.predict_record(_requested_unit(db, body, who), lang=body.lang) for body in units
    ]
    audit(db, who, "score_batch", f"units:{len(results)}")
    return results
