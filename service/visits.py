"""The psychologist's visit list: households to visit, riskiest and most overdue first.

Ranked by the database: the open units are read in order of urgency from an index
(``ix_scores_grid_urgency``) and the reading stops after a few times the list's length,
so a grid's list costs about the same with ten thousand households as with ten.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session, aliased

from risk.models.tiers import TIERS
from service.audit import audit
from service.auth import Caller
from service.db import Database
from service.errors import ServiceError
from service.lifecycle import not_closed
from service.tables import Case, Outcome, Override, Score

__all__ = ["visit_list"]


#: The tiers a visit list walks, most urgent first.
_URGENT = ("red", "yellow")
assert sorted(_URGENT, key=TIERS.index, reverse=True) == list(_URGENT)
_SHOWN = (
    Score.id,
    Score.household_id,
    Score.grid_id,
    Score.case_id,
    Score.p_red,
    Score.follow_up_date,
    Score.model_version,
    Case.opened_at,
)


def _open_latest(who: Caller, grid: str | None) -> list[Any]:
    """Conditions on a score: its unit's latest, not of a closed case, within the grid
    and the caller's grids."""
    later = aliased(Score)
    where = [
        who.sees_in_sql(Score.grid_id),
        ~exists().where(
            later.household_id == Score.household_id,
            or_(
                later.case_id == Score.case_id,
                and_(later.case_id.is_(None), Score.case_id.is_(None)),
            ),
            later.id > Score.id,
        ),
        ~exists().where(Outcome.case_id == Score.case_id),  # a case with an outcome is closed
        or_(Score.case_id.is_(None), not_closed(Score.case_id)),  # and a closed one
    ]
    if grid is not None:
        where.append(Score.grid_id == grid)
    return where


def _by_urgency(who: Caller, grid: str | None, tier: str, limit: int) -> Any:
    """The first ``limit`` open units of ``tier`` by urgency (follow-up date, P(red), then
    the order scored) whose case no override decides, walked in the order of
    ``ix_scores_grid_urgency`` with the grid and the tier fixed: the database reads only
    the rows it returns, whatever the number of candidates (a list of tiers would make it
    read the grid's greens too, to keep the index's order)."""
    overridden = exists().where(Override.case_id == Score.case_id)
    return (
        select(*_SHOWN, Score.tier)
        .outerjoin(Case, Case.case_id == Score.case_id)
        .where(Score.tier == tier, ~overridden, *_open_latest(who, grid))
        .order_by(Score.follow_up_date, Score.p_red.desc(), Score.id)
        .limit(limit)
    )


def _walk(session: Session, who: Caller, grid: str | None, limit: int) -> list[Any]:
    """The first ``limit`` open red and yellow units in order of urgency: the reds, then
    as many yellows as the limit leaves."""
    walked: list[Any] = []
    for tier in _URGENT:
        if len(walked) < limit:
            walked += session.execute(_by_urgency(who, grid, tier, limit - len(walked))).all()
    return walked


def _overridden(who: Caller, grid: str | None) -> Any:
    """The open units whose case an override decides (a person's act: few), with the
    latest override's tier."""
    tier = (
        select(Override.to_tier)
        .where(Override.case_id == Score.case_id)
        .order_by(Override.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    return (
        select(*_SHOWN, tier.label("tier"))
        .join(Case, Case.case_id == Score.case_id)
        .where(Score.case_id.in_(select(Override.case_id)), *_open_latest(who, grid))
    )


def _urgency(row: Any) -> tuple[int, Any, float, int]:
    return (-TIERS.index(row.tier), row.follow_up_date, -row.p_red, row.id)


def _ranked(session: Session, who: Caller, grid: str | None, capacity: int) -> list[Any]:
    """Each household's most urgent open unit, ``capacity`` of them, in order of urgency.

    The units in urgency order are read ``limit`` at a time (doubled until enough), merged
    with the overridden ones, and each household is listed at its first (most urgent)
    unit. The list is complete once it holds ``capacity`` households none of whose units
    ranks after the last unit read, or every unit was read.
    """
    decided = [r for r in session.execute(_overridden(who, grid)).all() if r.tier != "green"]
    limit = capacity * 4
    while True:
        walked = _walk(session, who, grid, limit)
        listed: dict[str, Any] = {}
        for row in sorted([*walked, *decided], key=_urgency):
            listed.setdefault(row.household_id, row)
            if len(listed) == capacity:
                break
        if len(walked) < limit:  # every unit was read
            return list(listed.values())
        last = _urgency(walked[-1])
        if len(listed) == capacity and all(_urgency(r) <= last for r in listed.values()):
            return list(listed.values())
        limit *= 4


def visit_list(db: Database, who: Caller, grid: str | None, capacity: int) -> list[dict[str, Any]]:
    """Households with an open yellow/red case or a yellow/red screening (an override
    decides a case's tier), ranked by tier, then follow-up due date, then P(red); one
    entry per household, its most urgent reason to visit; at most ``capacity`` of them,
    within ``grid`` when given and the caller's grids."""
    if grid is not None and not who.sees(grid):
        raise ServiceError(403, "out_of_grid")
    with db.session() as session:
        rows = _ranked(session, who, grid, capacity)
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
