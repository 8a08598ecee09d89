"""Cases: intake (stored with its score), the case with its history, tier overrides and
outcomes. Each write and its audit record commit together, in one transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from risk.models.tiers import TIERS
from service.audit import audit
from service.auth import Caller, require
from service.db import Database
from service.errors import ServiceError
from service.model_holder import ModelHolder
from service.scoring import score_row, stored_household, unit
from service.store import json_fields
from service.tables import Case, Outcome, Override, Score

__all__ = ["add_case", "add_outcome", "case_history", "current_tier", "override"]


def add_case(
    db: Database, models: ModelHolder, who: Caller, fields: Mapping[str, Any]
) -> dict[str, Any]:
    """Store a case at intake (contract fields) and its score; the case takes the grid of
    the household's latest survey wave on or before the day it opened."""
    require(who, "store")
    case_id, household, opened = fields["case_id"], fields["household_id"], fields["opened_at"]
    with db.session() as session:
        if session.get(Case, case_id) is not None:
            raise ServiceError(409, "case_exists")
        known = stored_household(session, household, opened)
    if not who.sees(known.grid):
        raise ServiceError(403, "out_of_grid")
    record = unit(opened, known, fields)
    result = models.serving().predict_record(record)
    with db.session() as session:
        case = Case(
            case_id=case_id,
            household_id=household,
            grid_id=known.grid,
            opened_at=opened,
            fields=json_fields({k: v for k, v in fields.items() if k != "case_id"}),
            key_id=who.key_id,
        )
        session.add(case)
        session.flush()
        session.add(
            score_row(
                result, record, who, case_id=case_id, household_id=household, grid_id=known.grid
            )
        )
        audit(db, who, "store_case", f"case:{case_id}", 201, session)
    return {"case_id": case_id, "stored": True, "score": result}


def _visible_case(db: Database, who: Caller, case_id: str) -> Case:
    with db.session() as session:
        case = session.get(Case, case_id)
    if case is None or not who.sees(case.grid_id):
        raise ServiceError(404, "not_found")  # another grid's case answers as a missing one
    return case


def current_tier(session: Session, case_id: str) -> str | None:
    """The case's tier now: its latest override, else its latest score."""
    override = session.scalars(
        select(Override).where(Override.case_id == case_id).order_by(Override.id.desc())
    ).first()
    if override is not None:
        return str(override.to_tier)
    score = session.scalars(
        select(Score).where(Score.case_id == case_id).order_by(Score.id.desc())
    ).first()
    return None if score is None else str(score.tier)


def case_history(db: Database, who: Caller, case_id: str) -> dict[str, Any]:
    """The case with its tier now and every score, override and outcome it has had."""
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


def override(db: Database, who: Caller, case_id: str, tier: str, reason: str) -> dict[str, Any]:
    """Change the case's tier with a reason; lowering it needs the ``lower_tier`` right."""
    require(who, "store")
    _visible_case(db, who, case_id)
    with db.session() as session:
        now = current_tier(session, case_id) or "green"
        if tier == now:
            raise ServiceError(409, "same_tier")
        if TIERS.index(tier) < TIERS.index(now) and not who.may("lower_tier"):
            raise ServiceError(403, "lower_needs_supervisor")
        session.add(
            Override(case_id=case_id, from_tier=now, to_tier=tier, reason=reason, key_id=who.key_id)
        )
        audit(db, who, "override", f"case:{case_id}", 201, session)
    return {"case_id": case_id, "from": now, "to": tier}


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
