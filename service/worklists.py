"""Work lists: "my cases" for each owner, the overdue marked, a missed red follow-up put
before the supervisors of its grid, and a tier a new model raised put first."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from risk.models.policy import Policy
from risk.models.tiers import TIERS
from service.audit import audit
from service.auth import Caller
from service.db import Database
from service.lifecycle import Life, life
from service.tables import Assessment, Case, CaseEvent, Override, Score

__all__ = ["my_cases", "work_item", "work_list"]


def _tier_rose(session: Session, case_id: str, since: dt.datetime) -> bool:
    """The case's latest assessment is a new model's that raised the tier, and nobody
    has taken a step on the case since."""
    latest = session.execute(
        select(Assessment, Score.tier)
        .join(Score, Score.id == Assessment.score_id)
        .where(Assessment.case_id == case_id)
        .order_by(Assessment.id.desc())
        .limit(1)
    ).first()
    if latest is None:
        return False
    assessment, after = latest
    if assessment.kind != "model" or assessment.tier_before is None:
        return False
    raised = TIERS.index(after) > TIERS.index(assessment.tier_before)
    return raised and _naive(assessment.created_at) > _naive(since)


def _naive(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=None) if moment.tzinfo else moment


def work_item(session: Session, case: Case, where: Life, who: Caller) -> dict[str, Any]:
    """A case as a line of a work list."""
    plan = where.plan
    return {
        "case_id": case.case_id,
        "household_id": case.household_id,
        "grid_id": case.grid_id,
        "state": where.state,
        "tier": None if plan is None else plan.tier,
        "owner_kind": where.owner_kind,
        "owner_key_id": where.owner_key_id,
        "level": where.level,
        "state_due": None if where.state_due is None else where.state_due.isoformat(),
        "follow_up_date": None if plan is None else plan.follow_up_date.isoformat(),
        "overdue": where.overdue,
        "escalated": where.escalated,
        "tier_rose": bool(where.steps)
        and _tier_rose(session, case.case_id, where.steps[-1].created_at),
        "mine": where.owner_key_id == who.key_id,
    }


def _urgency(item: dict[str, Any]) -> tuple[Any, ...]:
    rank = -1 if item["tier"] is None else TIERS.index(item["tier"])
    due = min(d for d in (item["state_due"], item["follow_up_date"], "9999-12-31") if d)
    return (not item["tier_rose"], not item["escalated"], not item["overdue"], -rank, due)


def my_cases(
    db: Database, who: Caller, policy: Policy, today: dt.date | None = None
) -> list[dict[str, Any]]:
    """The caller's open cases and, for a supervisor, every escalated case of its grids:
    a tier a new model raised first, then the escalated, the overdue, the riskiest, the
    soonest due."""
    supervises = who.may("supervise")
    latest = select(func.max(CaseEvent.id)).group_by(CaseEvent.case_id)
    where = [CaseEvent.id.in_(latest), CaseEvent.state != "closed", who.sees_in_sql(Case.grid_id)]
    mine = CaseEvent.owner_key_id == who.key_id
    if supervises:  # and the cases that have been red: the escalated are picked out below
        red = select(Score.case_id).where(Score.tier == "red", Score.case_id.is_not(None))
        raised = select(Override.case_id).where(Override.to_tier == "red")
        where.append(or_(mine, Case.case_id.in_(red), Case.case_id.in_(raised)))
    else:
        where.append(mine)
    query = (
        select(Case)
        .join(CaseEvent, CaseEvent.case_id == Case.case_id)
        .where(*where)
        .order_by(Case.case_id)
    )
    items = []
    with db.session() as session:
        for case in session.scalars(query):
            item = work_item(session, case, life(session, case.case_id, policy, today), who)
            if item["mine"] or item["escalated"]:
                items.append(item)
    audit(db, who, "read_worklist", f"key:{who.key_id}")
    return sorted(items, key=_urgency)


def work_list(db: Database, who: Caller, policy: Policy) -> dict[str, Any]:
    """:func:`my_cases` as of today, with the day."""
    today = dt.date.today()
    return {"today": today.isoformat(), "items": my_cases(db, who, policy, today)}
