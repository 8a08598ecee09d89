"""``GET /v1/visits``: the psychologist's ranked visit list for a grid."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from sqlalchemy import func, select

from risk.models.tiers import TIERS
from service.deps import Authed, audit
from service.errors import ServiceError, responses
from service.tables import Case, Outcome, Override, Score

router = APIRouter(prefix="/v1", tags=["visits"], responses=responses(401, 429, 503))


def visit_list(db: Any, grid: str | None, capacity: int, visible: Any) -> list[dict[str, Any]]:
    """Households with an open yellow/red case or a yellow/red screening, riskiest and most
    overdue first; one entry per household, its most urgent reason to visit."""
    with db.session() as session:
        latest = (
            select(func.max(Score.id))
            .group_by(Score.household_id, func.coalesce(Score.case_id, ""))
            .scalar_subquery()
        )
        query = select(Score).where(Score.id.in_(latest))
        if grid is not None:
            query = query.where(Score.grid_id == grid)
        scores = list(session.scalars(query))
        closed = set(session.scalars(select(Outcome.case_id)))
        overrides: dict[str, str] = {}
        for o in session.scalars(select(Override).order_by(Override.id)):
            overrides[o.case_id] = o.to_tier
        opened = {c.case_id: c.opened_at for c in session.scalars(select(Case))}
    best: dict[str, dict[str, Any]] = {}
    for s in scores:
        if s.case_id is not None and s.case_id in closed:
            continue
        if not visible(s.grid_id):
            continue
        tier = overrides.get(s.case_id or "", s.tier)
        if tier == "green":
            continue
        entry = {
            "household_id": s.household_id,
            "grid_id": s.grid_id,
            "case_id": s.case_id,
            "opened_at": None if s.case_id is None else opened[s.case_id].isoformat(),
            "tier": tier,
            "p_red": s.p_red,
            "follow_up_date": s.follow_up_date.isoformat(),
            "flags": s.result.get("flags", []),
            "reasons": s.result.get("reasons", []),
            "model_version": s.model_version,
        }
        key = (-TIERS.index(tier), entry["follow_up_date"], -s.p_red)
        current = best.get(s.household_id)
        if current is None or key < current["_key"]:
            best[s.household_id] = {**entry, "_key": key}
    ranked = sorted(best.values(), key=lambda e: e["_key"])[:capacity]
    return [{k: v for k, v in e.items() if k != "_key"} for e in ranked]


@router.get("/visits", responses=responses(403, 422))
def visits(
    request: Request,
    who: Authed,
    grid: Annotated[str | None, Query(max_length=64)] = None,
    capacity: Annotated[int, Query(ge=1, le=1000)] = 20,
) -> dict[str, Any]:
    """Ranked by tier, then follow-up due date, then P(red); limited to ``capacity``."""
    if grid is not None and not who.sees(grid):
        raise ServiceError(403, "out_of_grid")
    items = visit_list(request.app.state.db, grid, capacity, who.sees)
    audit(request.app.state.db, who, "read_visits", f"grid:{grid or 'all'}")
    return {"grid": grid, "capacity": capacity, "visits": items}
