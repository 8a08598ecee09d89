"""The psychologist's visit list: households to visit, riskiest and most overdue first.

Ranked in SQL: only the listed rows leave the database, whatever the number of candidates.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func, or_, select

from risk.models.tiers import TIERS
from service.audit import audit
from service.auth import Caller
from service.db import Database
from service.errors import ServiceError
from service.lifecycle import closed_cases
from service.tables import Case, Outcome, Override, Score

__all__ = ["visit_list"]


def _ranked(who: Caller, grid: str | None, capacity: int) -> Any:
    """The query: each household's most urgent open unit, ``capacity`` of them, in order."""
    latest_score = select(func.max(Score.id)).group_by(
        Score.household_id, func.coalesce(Score.case_id, "")
    )
    last_override = (
        select(Override.case_id, Override.to_tier)
        .where(Override.id.in_(select(func.max(Override.id)).group_by(Override.case_id)))
        .subquery()
    )
    tier = func.coalesce(last_override.c.to_tier, Score.tier)  # an override decides
    rank = case({name: place for place, name in enumerate(TIERS)}, value=tier)
    where = [
        Score.id.in_(latest_score.scalar_subquery()),  # each unit's latest score
        # a case with an outcome, or closed, is done
        or_(Score.case_id.is_(None), Score.case_id.not_in(select(Outcome.case_id))),
        or_(Score.case_id.is_(None), Score.case_id.not_in(closed_cases())),
        tier != "green",
        who.sees_in_sql(Score.grid_id),
    ]
    if grid is not None:
        where.append(Score.grid_id == grid)
    # tier, then the follow-up date, then P(red); equal ones in the order they were scored
    urgency = (rank.desc(), Score.follow_up_date, Score.p_red.desc(), Score.id)
    units = (
        select(
            Score.id,
            Score.household_id,
            Score.grid_id,
            Score.case_id,
            tier.label("tier"),
            rank.label("rank"),
            Score.p_red,
            Score.follow_up_date,
            Score.model_version,
            Case.opened_at,
            func.row_number()
            .over(partition_by=Score.household_id, order_by=urgency)
            .label("place"),
        )
        .outerjoin(Case, Case.case_id == Score.case_id)
        .outerjoin(last_override, last_override.c.case_id == Score.case_id)
        .where(*where)
        .subquery()
    )
    u = units.c
    return (
        select(units)
        .where(u.place == 1)
        .order_by(u.rank.desc(), u.follow_up_date, u.p_red.desc(), u.id)
        .limit(capacity)
    )


def visit_list(db: Database, who: Caller, grid: str | None, capacity: int) -> list[dict[str, Any]]:
    """Households with an open yellow/red case or a yellow/red screening (an override
    decides a case's tier), ranked by tier, then follow-up due date, then P(red); one
    entry per household, its most urgent reason to visit; at most ``capacity`` of them,
    within ``grid`` when given and the caller's grids."""
    if grid is not None and not who.sees(grid):
        raise ServiceError(403, "out_of_grid")
    with db.session() as session:
        rows = session.execute(_ranked(who, grid, capacity)).all()
        # only the listed scores' flags and reasons are read (the rest could be thousands)
        results: dict[int, dict[str, Any]] = dict(
            session.execute(
                select(Score.id, Score.result).where(Score.id.in_([row.id for row in rows]))
            ).all()
        )
    audit(db, who, "read_visits", f"grid:{grid or 'all'}")
    return [
        {
            "household_id": row.household_id,
            "grid_id": row.grid_id,
            "case_id": row.case_id,
            "opened_at": None if row.opened_at is None else row.opened_at.isoformat(),
            "tier": row.tier,
            "p_red": row.p_red,
            "follow_up_date": row.follow_up_date.isoformat(),
            "flags": results[row.id].get("flags", []),
            "reasons": results[row.id].get("reasons", []),
            "model_version": row.model_version,
        }
        for row in rows
    ]
