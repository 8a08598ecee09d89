"""Households: storing a survey wave with its screening score, and moving a household to
another grid. A household's grid is its grid of record: a survey wave is stored only in
that grid, and only a move (an audited act of a role that may do it) changes it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from service.audit import audit
from service.auth import Caller, require
from service.db import Database
from service.errors import ServiceError
from service.model_holder import ModelHolder
from service.scoring import Household, score_row, unit
from service.store import household_cases, household_grid, json_fields
from service.tables import Case, Outcome, Override, Score, SurveyWave

__all__ = ["add_survey", "household_file", "move_household"]


def _check_grid(session: Session, who: Caller, household: str, grid: str) -> None:
    """Refuse a wave for ``grid`` when the household's grid of record is another (409,
    whether or not the caller sees that grid) or when the caller does not see ``grid``."""
    known, recorded = household_grid(session, household)
    if known and recorded != grid:
        raise ServiceError(409, "household_other_grid")
    if not who.sees(grid):
        raise ServiceError(403, "out_of_grid")


def add_survey(
    db: Database, models: ModelHolder, who: Caller, fields: Mapping[str, Any]
) -> dict[str, Any]:
    """Store a survey wave (contract fields) and its screening score, with the audit
    record, in one transaction; the score is computed before it opens, and the grid is
    checked again inside it."""
    require(who, "store")
    household, day, grid = fields["household_id"], fields["survey_date"], fields["grid_id"]
    if not who.sees(grid):
        raise ServiceError(403, "out_of_grid")
    with db.session() as session:
        _check_grid(session, who, household, grid)
        cases = household_cases(session, household)
    record = unit(day, Household(cases, fields, day, grid))
    result = models.serving().predict_record(record)
    with db.session() as session:
        _check_grid(session, who, household, grid)
        session.add(
            SurveyWave(
                household_id=household,
                survey_date=day,
                grid_id=grid,
                fields=json_fields(fields),
                key_id=who.key_id,
            )
        )
        session.add(score_row(result, record, who, household_id=household, grid_id=grid))
        audit(db, who, "store_survey", f"household:{household}", 201, session)
    return {"household_id": household, "stored": True, "score": result}


def move_household(db: Database, who: Caller, household: str, grid: str) -> dict[str, Any]:
    """Move a household, with its survey waves, cases and scores, to ``grid``: a right of
    the ``move_household`` roles, for a caller who sees both grids; audited with the grids
    from and to. A household the caller cannot see is answered as a missing one."""
    require(who, "move_household")
    with db.session() as session:
        known, recorded = household_grid(session, household)
        if not known or not who.sees(recorded):
            raise ServiceError(404, "not_found")
        if not who.sees(grid):
            raise ServiceError(403, "out_of_grid")
        if recorded == grid:
            raise ServiceError(409, "same_grid")
        for table in (SurveyWave, Case, Score):
            session.execute(
                update(table).where(table.household_id == household).values(grid_id=grid)
            )
        audit(db, who, "move_household", f"household:{household} {recorded}->{grid}", 200, session)
    return {"household_id": household, "from": recorded, "to": grid}


def household_file(db: Database, who: Caller, household: str) -> dict[str, Any]:
    """The household's file: its survey waves, its cases (each with its tier now and its
    outcome) and its latest screening score. Only its own rows are read, each by an index
    that starts with its id or its cases' ids (docs/scaling.md). A household the caller
    cannot see is answered as a missing one."""
    with db.session() as session:
        known, grid = household_grid(session, household)
        if not known or not who.sees(grid):
            raise ServiceError(404, "not_found")
        waves = session.execute(
            select(SurveyWave.survey_date, SurveyWave.grid_id, SurveyWave.fields)
            .where(SurveyWave.household_id == household)
            .order_by(SurveyWave.survey_date, SurveyWave.id)
        ).all()
        cases = session.execute(
            select(Case.case_id, Case.opened_at).where(Case.household_id == household)
        ).all()
        ids = [c.case_id for c in cases]
        latest = select(func.max(Score.id)).where(Score.household_id == household)
        shown = (Score.case_id, Score.tier, Score.p_red, Score.follow_up_date, Score.model_version)
        units = session.execute(
            select(*shown).where(Score.id.in_(latest.group_by(Score.case_id).scalar_subquery()))
        ).all()
        overrides = dict(
            session.execute(
                select(Override.case_id, Override.to_tier)
                .where(Override.case_id.in_(ids))
                .order_by(Override.id)
            ).all()
        )
        outcomes = {
            o.case_id: o
            for o in session.execute(
                select(Outcome.case_id, Outcome.outcome, Outcome.outcome_at)
                .where(Outcome.case_id.in_(ids))
                .order_by(Outcome.id)
            )
        }
    scores = {u.case_id: u for u in units}
    audit(db, who, "read_household", f"household:{household}")

    def score(case_id: str | None) -> dict[str, Any] | None:
        found = scores.get(case_id)
        if found is None:
            return None
        return {
            "tier": found.tier,
            "p_red": found.p_red,
            "follow_up_date": found.follow_up_date.isoformat(),
            "model_version": found.model_version,
        }

    return {
        "household_id": household,
        "grid_id": grid,
        "surveys": [
            {"survey_date": w.survey_date.isoformat(), "grid_id": w.grid_id, "fields": w.fields}
            for w in waves
        ],
        "screening": score(None),
        "cases": [
            {
                "case_id": c.case_id,
                "opened_at": c.opened_at.isoformat(),
                "tier": overrides.get(c.case_id) or (score(c.case_id) or {}).get("tier"),
                "score": score(c.case_id),
                "outcome": None if c.case_id not in outcomes else outcomes[c.case_id].outcome,
                "outcome_at": None
                if c.case_id not in outcomes
                else outcomes[c.case_id].outcome_at.isoformat(),
            }
            for c in sorted(cases, key=lambda c: (c.opened_at, c.case_id))
        ],
    }
