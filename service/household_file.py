"""The household's file (一户一档): its survey waves and screening scores, its cases with
their assessments, overrides, steps and outcomes, and its visits, on one timeline; a
search by household or case id; visit notes. Within the caller's grids, every read and
write audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import or_, select

from risk.models.policy import Policy
from service.assessments import assessments_of
from service.audit import audit
from service.auth import Caller, require
from service.db import Database
from service.errors import ServiceError
from service.lifecycle import lives
from service.store import household_grid, visible_case
from service.tables import Case, Outcome, Override, Score, SurveyWave, VisitNote

__all__ = ["add_visit_note", "household_file", "search"]


def _visible_household(session: Any, who: Caller, household_id: str) -> str | None:
    """The household's grid of record, if it is stored and the caller sees it; else 404."""
    known, grid = household_grid(session, household_id)
    if not known or not who.sees(grid):
        raise ServiceError(404, "not_found")
    return grid


def _entry(at: Any, kind: str, **detail: Any) -> dict[str, Any]:
    day = at.isoformat() if isinstance(at, dt.date | dt.datetime) else str(at)
    return {"at": day, "kind": kind, **detail}


def household_file(db: Database, who: Caller, household_id: str, policy: Policy) -> dict[str, Any]:
    """Everything stored of the household, and its timeline (oldest first)."""
    with db.session() as session:
        grid = _visible_household(session, who, household_id)
        waves = list(
            session.scalars(
                select(SurveyWave)
                .where(SurveyWave.household_id == household_id)
                .order_by(SurveyWave.survey_date, SurveyWave.id)
            )
        )
        screenings = list(
            session.scalars(
                select(Score)
                .where(Score.household_id == household_id, Score.case_id.is_(None))
                .order_by(Score.id)
            )
        )
        stored = list(
            session.scalars(
                select(Case).where(Case.household_id == household_id).order_by(Case.opened_at)
            )
        )
        notes = list(
            session.scalars(
                select(VisitNote)
                .where(VisitNote.household_id == household_id)
                .order_by(VisitNote.visited_on, VisitNote.id)
            )
        )
        timeline = [
            _entry(w.survey_date, "survey", grid_id=w.grid_id, fields=w.fields) for w in waves
        ]
        timeline += [
            _entry(s.created_at, "screening", tier=s.tier, p_red=s.p_red) for s in screenings
        ]
        cases = []
        where_now = lives(session, [c.case_id for c in stored], policy)
        for case in stored:
            where = where_now[case.case_id]
            tiers = assessments_of(session, case.case_id)
            overrides = session.scalars(
                select(Override).where(Override.case_id == case.case_id).order_by(Override.id)
            )
            outcomes = session.scalars(
                select(Outcome).where(Outcome.case_id == case.case_id).order_by(Outcome.id)
            )
            cases.append(
                {
                    "case_id": case.case_id,
                    "opened_at": case.opened_at.isoformat(),
                    "dispute_type": case.fields.get("dispute_type"),
                    "tier": None if where.plan is None else where.plan.tier,
                    "state": where.state,
                    "overdue": where.overdue,
                }
            )
            timeline.append(_entry(case.opened_at, "case", case_id=case.case_id))
            timeline += [
                _entry(
                    a["as_of"],
                    "assessment",
                    case_id=case.case_id,
                    tier=a["tier"],
                    assessment=a["kind"],
                    tier_before=a["tier_before"],
                    note=a["note"],
                )
                for a in tiers
            ]
            timeline += [
                _entry(
                    o.created_at,
                    "override",
                    case_id=case.case_id,
                    tier=o.to_tier,
                    tier_before=o.from_tier,
                    note=o.reason,
                )
                for o in overrides
            ]
            timeline += [
                _entry(
                    s.created_at,
                    "step",
                    case_id=case.case_id,
                    action=s.action,
                    state=s.state,
                    note=s.reason,
                )
                for s in where.steps
            ]
            timeline += [
                _entry(o.outcome_at, "outcome", case_id=case.case_id, outcome=o.outcome)
                for o in outcomes
            ]
        timeline += [_entry(n.visited_on, "visit", case_id=n.case_id, note=n.note) for n in notes]
    timeline.sort(key=lambda e: e["at"][:10])  # by day; stable within a day
    audit(db, who, "read_household", f"household:{household_id}")
    return {
        "household_id": household_id,
        "grid_id": grid,
        "waves": [
            {"survey_date": w.survey_date.isoformat(), "grid_id": w.grid_id, "fields": w.fields}
            for w in waves
        ],
        "cases": cases,
        "timeline": timeline,
    }


def search(db: Database, who: Caller, query: str, limit: int = 20) -> list[dict[str, Any]]:
    """Households and cases whose id is or starts with ``query``, within the caller's grids."""
    pattern = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    with db.session() as session:
        cases = session.execute(
            select(Case.case_id, Case.household_id, Case.grid_id)
            .where(
                or_(
                    Case.case_id.like(pattern, escape="\\"),
                    Case.household_id.like(pattern, escape="\\"),
                ),
                who.sees_in_sql(Case.grid_id),
            )
            .order_by(Case.case_id)
            .limit(limit)
        ).all()
        waves = session.execute(
            select(SurveyWave.household_id, SurveyWave.grid_id)
            .where(
                SurveyWave.household_id.like(pattern, escape="\\"),
                who.sees_in_sql(SurveyWave.grid_id),
            )
            .distinct()
            .order_by(SurveyWave.household_id)
            .limit(limit)
        ).all()
    households = {(h, g) for h, g in waves} | {(c.household_id, c.grid_id) for c in cases}
    found = [
        {"kind": "household", "id": h, "household_id": h, "grid_id": g}
        for h, g in sorted(households, key=lambda pair: pair[0])
    ] + [
        {"kind": "case", "id": c.case_id, "household_id": c.household_id, "grid_id": c.grid_id}
        for c in cases
    ]
    audit(db, who, "search", f"found:{len(found)}")
    return found[:limit]


def add_visit_note(
    db: Database,
    who: Caller,
    household_id: str,
    visited_on: dt.date,
    note: str,
    case_id: str | None = None,
) -> dict[str, Any]:
    """Record a visit to the household (for one of its cases, if named)."""
    require(who, "store")
    with db.session() as session:
        _visible_household(session, who, household_id)
        if case_id is not None:
            case = visible_case(session, who, case_id)
            if case.household_id != household_id:
                raise ServiceError(409, "case_of_other_household", field="case_id")
        session.add(
            VisitNote(
                household_id=household_id,
                case_id=case_id,
                visited_on=visited_on,
                note=note,
                key_id=who.key_id,
            )
        )
        audit(db, who, "visit_note", f"household:{household_id}", 201, session)
    return {"household_id": household_id, "visited_on": visited_on.isoformat(), "stored": True}
