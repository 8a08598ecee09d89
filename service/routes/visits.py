"""``GET /v1/visits``: the psychologist's ranked visit list for a grid."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from sqlalchemy import func, or_, select

from risk.models.tiers import TIERS
from service.audit import audit
from service.deps import Authed
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
            select(
                Score.id,
                Score.household_id,
                Score.grid_id,
                Score.case_id,
                Score.tier,
                Score.p_red,
                Score.follow_up_date,
                Score.model_version,
                Case.opened_at,
            )
            .outerjoin(Case, Case.case_id == Score.case_id)
            .where(*candidates)
        ).all()
        overrides: dict[str, str] = {}
        for case_id, to_tier in session.execute(
            select(Override.case_id, Override.to_tier)
            .where(Override.case_id.in_(select(Score.case_id).where(*candidates)))
            .order_by(Override.id)
        ):
            overrides[case_id] = to_tier
        best: dict[str, tuple[tuple[int, dt.date, float], Any, str]] = {}
        for row in rows:
            if not visible(row.grid_id):
                continue
            tier = overrides.get(row.case_id or "", row.tier)
            if tier == "green":
                continue
            key = (-TIERS.index(tier), row.follow_up_date, -row.p_red)
            current = best.get(row.household_id)
            if current is None or key < current[0]:
                best[row.household_id] = (key, row, tier)
        ranked = sorted(best.values(), key=lambda entry: entry[0])[:capacity]
        # only the listed scores' flags and reasons are read (the rest could be thousands)
        ids = [row.id for _, row, _ in ranked]
        results = dict(
            session.execute(select(Score.id, Score.result).where(Score.id.in_(ids))).all()
        )
    return [
        {
            "household_id": row.household_id,
            "grid_id": row.grid_id,
            "case_id": row.case_id,
            "opened_at": None if row.opened_at is None else row.opened_at.isoformat(),
            "tier": tier,
            "p_red": row.p_red,
            "follow_up_date": row.follow_up_date.isoformat(),
            "flags": results[row.id].get("flags", []),
            "reasons": results[row.id].get("reasons", []),
            "model_version": row.model_version,
        }
        for _, row, tier in ranked
    ]


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
