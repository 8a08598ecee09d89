"""``POST /v1/score`` and ``/v1/score/batch``: score units, store nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request

from service.audit import audit
from service.auth import Caller
from service.db import Database
from service.deps import Authed
from service.errors import ServiceError, responses
from service.schemas import ScoreBatchRequest, ScoreBatchResult, ScoreRequest, ScoreResult
from service.store import history, household_cases, latest_survey

router = APIRouter(prefix="/v1", tags=["score"], responses=responses(401, 429, 503))
#: What scoring may refuse besides a missing key, the rate limit and an unavailable service.
REFUSALS = responses(400, 403, 404, 413, 422)


def unit_record(db: Database, body: ScoreRequest, who: Caller) -> tuple[dict[str, Any], str | None]:
    """The unit to score as contract fields (plus history), and its grid."""
    if body.household_id is None and body.survey is None and body.case is None:
        raise ServiceError(422, "api_need_unit")
    as_of = body.as_of or dt.date.today()
    record: dict[str, Any] = {"as_of": as_of}
    grid: str | None = None
    if body.household_id is not None:
        with db.session() as session:
            survey = latest_survey(session, body.household_id, as_of)
            cases = household_cases(session, body.household_id)
        if survey is None and not cases and body.survey is None and body.case is None:
            raise ServiceError(404, "not_found")
        grid = survey.grid_id if survey is not None else None
        if (survey is not None or cases) and not who.sees(grid):
            # what is stored decides, whatever grid the request claims inline
            raise ServiceError(403, "out_of_grid")
        if survey is not None:
            record.update(survey.fields)
        record.update(history(cases, as_of, survey.survey_date if survey else None))
        record["household_id"] = body.household_id
    if body.survey is not None:
        inline = body.survey.model_dump(exclude_none=True)
        record.update(inline)
        grid = inline.get("grid_id", grid)
    if body.case is not None:
        record.update(body.case.model_dump(exclude_none=True))
    if not who.sees(grid):
        raise ServiceError(403, "out_of_grid")
    return record, grid


def score_one(request: Request, body: ScoreRequest, who: Caller) -> dict[str, Any]:
    model = request.app.state.models.current()
    if model is None:
        raise ServiceError(503, "model_unavailable")
    record, _ = unit_record(request.app.state.db, body, who)
    return model.predict_record(record, lang=body.lang)


@router.post("/score", response_model=ScoreResult, responses=REFUSALS)
def score(body: ScoreRequest, request: Request, who: Authed) -> dict[str, Any]:
    """Score one unit sent inline, or a stored household by id. Nothing is stored."""
    result = score_one(request, body, who)
    audit(request.app.state.db, who, "score", f"household:{body.household_id or 'inline'}")
    return result


@router.post("/score/batch", response_model=ScoreBatchResult, responses=REFUSALS)
def score_batch(body: ScoreBatchRequest, request: Request, who: Authed) -> dict[str, Any]:
    """Score up to the configured limit (1,000 by default) of units in one call."""
    limit = request.app.state.settings.batch_limit
    if len(body.units) > limit:
        raise ServiceError(422, "api_too_many", limit=limit)
    results = [score_one(request, unit, who) for unit in body.units]
    audit(request.app.state.db, who, "score_batch", f"units:{len(results)}")
    return {"results": results}
