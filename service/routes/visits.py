"""``GET /v1/visits``: the psychologist's ranked visit list for a grid."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from service.deps import Authed, DatabaseDep
from service.errors import responses
from service.schemas import Id, VisitList
from service.visits import visit_list

router = APIRouter(prefix="/v1", tags=["visits"], responses=responses(401, 429, 503))


@router.get("/visits", response_model=VisitList, responses=responses(403, 422))
def list_visits(
    who: Authed,
    db: DatabaseDep,
    grid: Annotated[Id | None, Query()] = None,
    capacity: Annotated[int, Query(ge=1, le=1000)] = 20,
) -> dict[str, Any]:
    """Ranked by tier, then follow-up due date, then P(red); limited to ``capacity``."""
    items = visit_list(db, who, grid, capacity)
    return {"grid": grid, "capacity": capacity, "visits": items}
