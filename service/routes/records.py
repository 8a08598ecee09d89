"""Stored records: survey waves, cases (scored on intake), overrides, outcomes, export."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any, Literal, cast

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel
from sqlalchemy import select

from risk.models.tiers import TIERS
from risk.schema import HOUSEHOLD_SURVEY
from service.audit import audit
from service.auth import Caller, require
from service.deps import Authed
from service.errors import ServiceError, responses
from service.schemas import CaseIn, OutcomeIn, OverrideIn, SurveyIn
from service.store import (
    case_record,
    contract_frame,
    history,
    household_cases,
    latest_outcomes,
    latest_survey,
)
from service.tables import Case, Outcome, Override, Score, SurveyWave

PARQUET = "application/vnd.apache.parquet"
router = APIRouter(prefix="/v1", tags=["records"], responses=responses(401, 429, 503))


def _json(fields: dict[str, Any]) -> dict[str, Any]:
    """Fields as JSON values: dates as ISO strings; missing numbers (NaN) left out, since
    JSON has no NaN and PostgreSQL refuses it."""
    return {
        k: (v.isoformat() if isinstance(v, dt.date) else v)
        for k, v in fields.items()
        if not (isinstance(v, float) and v != v)
    }


def _score(request: Request, record: dict[str, Any]) -> dict[str, Any]:
    model = request.app.state.models.current()
    if model is None:
        raise ServiceError(503, "model_unavailable")
    return model.predict_record(record)


def _stored_score(
    result: dict[str, Any], inputs: dict[str, Any], who: Caller, **keys: Any
) -> Score:
    return Score(
        tier=result["tier"],
        p_red=result["probabilities"]["red"],
        follow_up_date=dt.date.fromisoformat(result["follow_up_date"]),
        inputs=_json(inputs),
        result=result,
        model_version=result["model"]["version"],
        key_id=who.key_id,
        **keys,
    )


@router.post("/households", status_code=201, responses=responses(400, 403, 413, 422))
def add_survey(body: SurveyIn, request: Request, who: Authed) -> dict[str, Any]:  # type: ignore[valid-type]
    """Store a survey wave and its screening score."""
    require(who, "store")
    fields = cast(BaseModel, body).model_dump(exclude_none=True)
    if not who.sees(fields["grid_id"]):
        raise ServiceError(403, "out_of_grid")
    db = request.app.state.db
    with db.session() as session:
        cases = household_cases(session, fields["household_id"])
    record = {**fields, "as_of": fields["survey_date"]}
    record.update(history(cases, fields["survey_date"], fields["survey_date"]))
    result = _score(request, record)
    with db.session() as session:
        wave = SurveyWave(
            household_id=fields["household_id"],
            survey_date=fields["survey_date"],
            grid_id=fields["grid_id"],
            fields=_json(fields),
            key_id=who.key_id,
        )
        session.add(wave)
        session.add(
            _stored_score(
                result, record, who, household_id=fields["household_id"], grid_id=fields["grid_id"]
            )
        )
        audit(db, who, "store_survey", f"household:{fields['household_id']}", 201, session)
    return {"household_id": fields["household_id"], "stored": True, "score": result}


@router.post("/cases", status_code=201, responses=responses(400, 403, 409, 413, 422))
def add_case(body: CaseIn, request: Request, who: Authed) -> dict[str, Any]:  # type: ignore[valid-type]
    """Store a case at intake and score it (its stored score is returned)."""
    require(who, "store")
    fields = cast(BaseModel, body).model_dump(exclude_none=True)
    db = request.app.state.db
    household, opened = fields["household_id"], fields["opened_at"]
    with db.session() as session:
        if session.get(Case, fields["case_id"]) is not None:
            raise ServiceError(409, "case_exists")
        survey = latest_survey(session, household, opened)
        cases = household_cases(session, household)
    grid = survey.grid_id if survey is not None else None
    if not who.sees(grid):
        raise ServiceError(403, "out_of_grid")
    record = {**(survey.fields if survey else {}), **fields, "as_of": opened}
    record.update(history(cases, opened, survey.survey_date if survey else None))
    result = _score(request, record)
    with db.session() as session:
        case = Case(
            case_id=fields["case_id"],
            household_id=household,
            grid_id=grid,
            opened_at=opened,
            fields=_json({k: v for k, v in fields.items() if k not in ("case_id",)}),
            key_id=who.key_id,
        )
        session.add(case)
        session.flush()
        session.add(
            _stored_score(
                result, record, who, case_id=case.case_id, household_id=household, grid_id=grid
            )
        )
        audit(db, who, "store_case", f"case:{fields['case_id']}", 201, session)
    return {"case_id": fields["case_id"], "stored": True, "score": result}


def _visible_case(request: Request, case_id: str, who: Caller) -> Case:
    with request.app.state.db.session() as session:
        case = session.get(Case, case_id)
    if case is None:
        raise ServiceError(404, "not_found")
    if not who.sees(case.grid_id):
        raise ServiceError(403, "out_of_grid")
    return case


def current_tier(session: Any, case_id: str) -> str | None:
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


@router.get("/cases/{case_id}", responses=responses(403, 404, 422))
def get_case(case_id: str, request: Request, who: Authed) -> dict[str, Any]:
    """The case with every score, override and outcome it has had."""
    case = _visible_case(request, case_id, who)
    db = request.app.state.db
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


@router.post(
    "/cases/{case_id}/override", status_code=201, responses=responses(400, 403, 404, 409, 413, 422)
)
def override(case_id: str, body: OverrideIn, request: Request, who: Authed) -> dict[str, Any]:
    """Raise the tier with a reason; lowering needs the supervisor role."""
    require(who, "store")
    _visible_case(request, case_id, who)
    db = request.app.state.db
    with db.session() as session:
        now = current_tier(session, case_id) or "green"
        if body.tier == now:
            raise ServiceError(409, "same_tier")
        if TIERS.index(body.tier) < TIERS.index(now) and not who.may("lower_tier"):
            raise ServiceError(403, "lower_needs_supervisor")
        session.add(
            Override(
                case_id=case_id,
                from_tier=now,
                to_tier=body.tier,
                reason=body.reason,
                key_id=who.key_id,
            )
        )
        audit(db, who, "override", f"case:{case_id}", 201, session)
    return {"case_id": case_id, "from": now, "to": body.tier}


@router.post(
    "/cases/{case_id}/outcome", status_code=201, responses=responses(400, 403, 404, 413, 422)
)
def outcome(case_id: str, body: OutcomeIn, request: Request, who: Authed) -> dict[str, Any]:
    """Record what happened, closing the loop for retraining."""
    require(who, "store")
    case = _visible_case(request, case_id, who)
    if body.outcome_at < case.opened_at:
        raise ServiceError(422, "api_bad_value")
    db = request.app.state.db
    with db.session() as session:
        session.add(
            Outcome(
                case_id=case_id, outcome=body.outcome, outcome_at=body.outcome_at, key_id=who.key_id
            )
        )
        audit(db, who, "outcome", f"case:{case_id}", 201, session)
    return {"case_id": case_id, "outcome": body.outcome}


@router.get(
    "/ledger/export",
    response_class=Response,
    responses={200: {"content": {PARQUET: {}}}, **responses(403, 422)},
)
def export(
    request: Request, who: Authed, kind: Literal["cases", "households"] = "cases"
) -> Response:
    """The ledger in the contract's shape as Parquet: cases with outcomes, or survey waves."""
    require(who, "export")
    db = request.app.state.db
    with db.session() as session:
        if kind == "cases":
            rows = [c for c in session.scalars(select(Case)) if who.sees(c.grid_id)]
            outcomes = latest_outcomes(session, [c.case_id for c in rows])
            frame = contract_frame([case_record(c, outcomes.get(c.case_id)) for c in rows])
        else:
            waves = [w for w in session.scalars(select(SurveyWave)) if who.sees(w.grid_id)]
            frame = contract_frame([w.fields for w in waves], HOUSEHOLD_SURVEY)
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    audit(db, who, "export", f"ledger:{kind}:{len(frame)}")
    return Response(
        buffer.getvalue(),
        media_type=PARQUET,
        headers={"Content-Disposition": f'attachment; filename="{kind}.parquet"'},
    )
