"""Cases: intake (stored with its score and registered), the case with its history and
where it stands, tier overrides and outcomes. Each write and its audit record commit
together, in one transaction.

A case's grid is the grid of record of its household, else the one sent with it; a
household nothing is stored of is created only when the intake says so
(``new_household``), never silently."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from risk.models.policy import Policy
from risk.models.tiers import TIERS
from service.audit import audit
from service.auth import Caller, require
from service.centre import Centre, packaged_policy
from service.db import Database
from service.errors import ServiceError
from service.lifecycle import life, register
from service.model_holder import ModelHolder
from service.plans import current_tier, follow_up_after
from service.scoring import score_row, stored_household, unit
from service.store import household_grid, json_fields, visible_case
from service.tables import Assessment, Case, Outcome, Override, Score

__all__ = ["add_case", "add_outcome", "case_grid", "case_history", "current_tier", "override"]

#: Intake fields that are not the case's contract fields.
INTAKE_ONLY = ("grid_id", "new_household")


def case_grid(session: Session, household: str, sent: str | None, new: bool) -> str:
    """The grid a new case of ``household`` is stored in: the household's grid of record
    (a different one sent is 409), else the one sent; an unknown household needs ``new``
    and a grid (409 naming the field: what is stored decides, not the request alone)."""
    stored, recorded = household_grid(session, household)
    if not stored and not new:
        raise ServiceError(409, "unknown_household", field="household_id")
    if recorded is not None and sent is not None and sent != recorded:
        raise ServiceError(409, "household_other_grid")
    grid = recorded or sent
    if grid is None:
        raise ServiceError(409, "need_grid", field="grid_id")
    return grid


def add_case(
    db: Database, models: ModelHolder, who: Caller, fields: Mapping[str, Any], centre: Centre
) -> dict[str, Any]:
    """Store a case at intake (contract fields, its grid and whether its household is
    new), its score and intake assessment, and register it (:mod:`service.lifecycle`)."""
    require(who, "store")
    case_id, household, opened = fields["case_id"], fields["household_id"], fields["opened_at"]
    contract = {k: v for k, v in fields.items() if k not in INTAKE_ONLY}
    with db.session() as session:
        if session.get(Case, case_id) is not None:
            raise ServiceError(409, "case_exists")
        grid = case_grid(
            session, household, fields.get("grid_id"), bool(fields.get("new_household"))
        )
        known = stored_household(session, household, opened)
    if not who.sees(grid):
        raise ServiceError(403, "out_of_grid")
    record = unit(opened, known, contract)
    result = models.serving().predict_record(record)
    with db.session() as session:
        case = Case(
            case_id=case_id,
            household_id=household,
            grid_id=grid,
            opened_at=opened,
            fields=json_fields({k: v for k, v in contract.items() if k != "case_id"}),
            key_id=who.key_id,
        )
        session.add(case)
        session.flush()
        score = score_row(
            result, record, who, case_id=case_id, household_id=household, grid_id=grid
        )
        session.add(score)
        session.flush()
        session.add(
            Assessment(
                case_id=case_id, score_id=score.id, kind="intake", as_of=opened, key_id=who.key_id
            )
        )
        register(session, centre, case, result["tier"], who)
        audit(db, who, "store_case", f"case:{case_id}", 201, session)
    return {"case_id": case_id, "stored": True, "grid_id": grid, "score": result}


def _visible_case(db: Database, who: Caller, case_id: str) -> Case:
    with db.session() as session:
        return visible_case(session, who, case_id)


def case_history(db: Database, who: Caller, case_id: str, policy: Policy) -> dict[str, Any]:
    """The case with its tier now, where it stands in its life (state, owner, level,
    deadlines, the plan its tier sets) and every score, override and outcome it has had."""
    case = _visible_case(db, who, case_id)
    with db.session() as session:
        scores = session.scalars(select(Score).where(Score.case_id == case_id).order_by(Score.id))
        overrides = session.scalars(
            select(Override).where(Override.case_id == case_id).order_by(Override.id)
        )
        outcomes = session.scalars(
            select(Outcome).where(Outcome.case_id == case_id).order_by(Outcome.id)
        )
        body = {
            "case_id": case.case_id,
            "household_id": case.household_id,
            "grid_id": case.grid_id,
            "fields": case.fields,
            "tier": current_tier(session, case_id),
            "life": life(session, case_id, policy).as_json(),
            "scores": [
                {
                    "at": s.created_at.isoformat(),
                    "model_version": s.model_version,
                    "result": s.result,
                }
                for s in scores
            ],
            "overrides": [
                {
                    "at": o.created_at.isoformat(),
                    "from": o.from_tier,
                    "to": o.to_tier,
                    "reason": o.reason,
                    "key_id": o.key_id,
                    "follow_up_date": None
                    if o.follow_up_date is None
                    else o.follow_up_date.isoformat(),
                }
                for o in overrides
            ],
            "outcomes": [
                {
                    "at": o.created_at.isoformat(),
                    "outcome": o.outcome,
                    "outcome_at": o.outcome_at.isoformat(),
                }
                for o in outcomes
            ],
        }
    audit(db, who, "read_case", f"case:{case_id}")
    return body


def override(
    db: Database, who: Caller, case_id: str, tier: str, reason: str, policy: Policy | None = None
) -> dict[str, Any]:
    """Change the case's tier with a reason; lowering it needs the ``lower_tier`` right.
    The tier after it sets the follow-up (``policy``'s interval for it, from today; None:
    the packaged policy)."""
    require(who, "store")
    _visible_case(db, who, case_id)
    with db.session() as session:
        now = current_tier(session, case_id) or "green"
        if tier == now:
            raise ServiceError(409, "same_tier")
        if TIERS.index(tier) < TIERS.index(now) and not who.may("lower_tier"):
            raise ServiceError(403, "lower_needs_supervisor")
        due = follow_up_after(policy or packaged_policy(), tier, dt.date.today())
        session.add(
            Override(
                case_id=case_id,
                from_tier=now,
                to_tier=tier,
                reason=reason,
                follow_up_date=due,
                key_id=who.key_id,
            )
        )
        audit(db, who, "override", f"case:{case_id}", 201, session)
    return {"case_id": case_id, "from": now, "to": tier, "follow_up_date": due.isoformat()}


def add_outcome(
    db: Database, who: Caller, case_id: str, outcome: str, outcome_at: dt.date
) -> dict[str, Any]:
    """Record what happened to the case (not before it opened), closing it."""
    require(who, "store")
    case = _visible_case(db, who, case_id)
    if outcome_at < case.opened_at:
        raise ServiceError(422, "api_outcome_before_opened", field="outcome_at")
    with db.session() as session:
        session.add(
            Outcome(case_id=case_id, outcome=outcome, outcome_at=outcome_at, key_id=who.key_id)
        )
        audit(db, who, "outcome", f"case:{case_id}", 201, session)
    return {"case_id": case_id, "outcome": outcome}
