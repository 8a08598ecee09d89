"""``POST /v1/score`` and ``/v1/score/batch``: score units, store nothing."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from service import scoring
from service.deps import Authed, DatabaseDep, ModelsDep, SettingsDep
from service.errors import responses
from service.schemas import ScoreBatchRequest, ScoreBatchResult, ScoreRequest, ScoreResult

router = APIRouter(prefix="/v1", tags=["score"], responses=responses(401, 429, 503))
#: What scoring may refuse besides a missing key, the rate limit and an unavailable service.
REFUSALS = responses(400, 403, 404, 413, 422)


@router.post("/score", response_model=ScoreResult, responses=REFUSALS)
def score_unit(
    body: ScoreRequest, who: Authed, db: DatabaseDep, models: ModelsDep
) -> dict[str, Any]:
    """Score one unit sent inline, or a stored household by id. Nothing is stored."""
    return scoring.score(db, models, who, body)


@router.post("/score/batch", response_model=ScoreBatchResult, responses=REFUSALS)
def score_units(
    body: ScoreBatchRequest,
    who: Authed,
    db: DatabaseDep,
    models: ModelsDep,
    settings: SettingsDep,
) -> dict[str, Any]:
    """Score up to the configured limit (1,000 by default) of units in one call."""
    return {"results": scoring.score_batch(db, models, who, body.units, settings.batch_limit)}
