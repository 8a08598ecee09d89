"""``GET /v1/visits``: the psychologist's ranked visit list for a grid."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from sqlalchemy import func, or_, select

from risk.models.tiers import TIERS
from service.deps import Authed, audit
from service.errors import ServiceError, responses
from service.tables import Case, Outcome, Override, Score

router = APIRouter(prefix="/v1", tags=["visits"], responses=responses(401, 429, 503))


def visit_list(db: Any, grid: str | None, capacity: int, visible: Any) -> list[dict[str, Any]]:
    """Households with an open yellow/red case or a yellow/red screening, riskiest and most
    overdue first; one entry per household, its most urgent reason to visit."""
    latest = select(func.max(Score.id)).group_by(
        Score.household_id, func.coalesce(Score.case_id, "")
    )
    candidates = [
        Score.id.in_(latest.scalar_subquery()),
        # a green score stays off the list unless an override may have raised it
        or_(Score.tier != "green", Score.case_id.in_(select(Override.case_id))),
        # a case with an outcome is closed
        or_(Score.case_id.is_(None), Score.case_id.not_in(select(Outcome.case_id))),
    ]
    if grid is not None:
        candidates.append(Score.grid_id == grid)
    with db.session() as session:
        rows = session.execute(
            select(Score, Case.opened_at)
            .outerjoin(Case, Case.case_id == Score.case_id)
            .where(*candidates)
        ).all()
        overrides: dict[str, str] = {}
        for o in session.scalars(
            select(Override)
            .where(Override.case_id.in_(select(Score.case_id).where(*candidates)))
            .order_by(Override.id)
        ):
            overrides[o.case_id] = o.to_tier
    best: dict[str, dict[str, Any]] = {}
    for s, opened_at in rows:
        if not visible(s.grid_id):
            continue
        tier = overrides.get(s.case_id or "", s.tier)
        if tier == "green":
            continue
        entry = {
            "household_id": s.household_id,
            "grid_id": s.grid_id,
            "case_id": s.case_id,
            "opened_at": None if opened_at is None else opened_at.isoformat(),
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
