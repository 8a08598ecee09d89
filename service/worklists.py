"""Work lists: "my cases" for each owner, the overdue marked, a missed red follow-up put
before the supervisors of its grid, and a tier a new model raised put first."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select, union
from sqlalchemy.orm import Session, load_only

from risk.models.policy import Policy
from risk.models.tiers import TIERS
from service.audit import audit
from service.auth import Caller
from service.db import Database
from service.lifecycle import Life, latest_step, lives
from service.plans import latest_rows
from service.tables import Assessment, Case, CaseEvent, Override, Score

__all__ = ["my_cases", "work_item", "work_list"]


def _risen(session: Session, where: Mapping[str, Life]) -> set[str]:
    """Of the cases ``where`` stand, those whose latest assessment is a new model's that
    raised the tier, with no step taken on the case since."""
    columns = (Assessment.case_id, Assessment.kind, Assessment.tier_before, Assessment.created_at)
    latest = latest_rows(session, Assessment, (*columns, Assessment.score_id), list(where))
    raised = {r.case_id: r for r in latest.values() if r.kind == "model" and r.tier_before}
    if not raised:
        return set()
    scored = select(Score.id, Score.tier).where(Score.id.in_([r.score_id for r in raised.values()]))
    after = dict(session.execute(scored).all())
    return {
        case_id
        for case_id, r in raised.items()
        if where[case_id].steps
        and TIERS.index(after[r.score_id]) > TIERS.index(r.tier_before)
        and _naive(r.created_at) > _naive(where[case_id].steps[-1].created_at)
    }


def _naive(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=None) if moment.tzinfo else moment


def work_item(case: Case, where: Life, who: Caller, tier_rose: bool) -> dict[str, Any]:
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
        "tier_rose": tier_rose,
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
    soonest due. Reads the candidates' rows only: the cases the caller has owned (by the
    steps' owner index) and, for a supervisor, those with a red score past its follow-up
    date or a red override; each case's latest step by its own index."""
    today = today or dt.date.today()
    supervises = who.may("supervise")
    candidates = select(CaseEvent.case_id).where(CaseEvent.owner_key_id == who.key_id)
    if supervises:  # and the cases whose red follow-up may have been missed
        red = select(Score.case_id).where(
            Score.tier == "red",
            Score.case_id.is_not(None),
            Score.follow_up_date < today,
            who.sees_in_sql(Score.grid_id),
        )
        raised = select(Override.case_id).where(Override.to_tier == "red")
        candidates = union(candidates, red, raised)  # type: ignore[assignment]
    # open: a case with steps, the latest not closing it (one loaded in bulk has none)
    open_ = latest_step(CaseEvent.state, Case.case_id) != "closed"
    query = (
        select(Case)
        .options(load_only(Case.case_id, Case.household_id, Case.grid_id))
        .where(Case.case_id.in_(candidates), open_, who.sees_in_sql(Case.grid_id))
        .order_by(Case.case_id)
    )
    with db.session() as session:
        cases = list(session.scalars(query))
        where = lives(session, [c.case_id for c in cases], policy, today)
        risen = _risen(session, where)
    items = [work_item(c, where[c.case_id], who, c.case_id in risen) for c in cases]
    audit(db, who, "read_worklist", f"key:{who.key_id}")
    shown = (i for i in items if i["mine"] or (supervises and i["escalated"]))
    return sorted(shown, key=_urgency)


def work_list(db: Database, who: Caller, policy: Policy) -> dict[str, Any]:
    """:func:`my_cases` as of today, with the day."""
    today = dt.date.today()
    return {"today": today.isoformat(), "items": my_cases(db, who, policy, today)}
