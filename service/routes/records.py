"""Stored records: survey waves, cases (scored on intake), overrides, outcomes, export."""

from __future__ import annotations

from typing import Any, cast

from fastapi import APIRouter, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from service import cases, households, ledger
from service.deps import Authed, DatabaseDep, ModelsDep
from service.errors import responses
from service.schemas import (
    CaseHistory,
    CaseIn,
    HouseholdFile,
    Id,
    Moved,
    MoveIn,
    OutcomeIn,
    OutcomeStored,
    Overridden,
    OverrideIn,
    StoredCase,
    StoredSurvey,
    SurveyIn,
)

PARQUET = "application/vnd.apache.parquet"
router = APIRouter(prefix="/v1", tags=["records"], responses=responses(401, 429, 503))


def _fields(body: Any) -> dict[str, Any]:
    """A contract request model's fields as given (the models are built from the contract
    table at import, so their type is not one mypy can name)."""
    return cast(BaseModel, body).model_dump(exclude_none=True)


@router.post(
    "/households",
    status_code=201,
    response_model=StoredSurvey,
    responses=responses(400, 403, 409, 413, 422),
)
def add_survey(body: SurveyIn, who: Authed, db: DatabaseDep, models: ModelsDep) -> dict[str, Any]:  # type: ignore[valid-type]
    """Store a survey wave and its screening score."""
    return households.add_survey(db, models, who, _fields(body))


@router.get(
    "/households/{household_id}", response_model=HouseholdFile, responses=responses(404, 422)
)
def household_file(household_id: Id, who: Authed, db: DatabaseDep) -> dict[str, Any]:
    """The household's file: survey waves, cases with their tier and outcome, screening."""
    return households.household_file(db, who, household_id)


@router.post(
    "/households/{household_id}/grid",
    response_model=Moved,
    responses=responses(400, 403, 404, 409, 413, 422),
)
def move_household(household_id: Id, body: MoveIn, who: Authed, db: DatabaseDep) -> dict[str, Any]:
    """Move a household to another grid (supervisors and admins who see both grids)."""
    return households.move_household(db, who, household_id, body.grid_id)


@router.post(
    "/cases",
    status_code=201,
    response_model=StoredCase,
    responses=responses(400, 403, 409, 413, 422),
)
def add_case(body: CaseIn, who: Authed, db: DatabaseDep, models: ModelsDep) -> dict[str, Any]:  # type: ignore[valid-type]
    """Store a case at intake and score it (its stored score is returned)."""
    return cases.add_case(db, models, who, _fields(body))


@router.get("/cases/{case_id}", response_model=CaseHistory, responses=responses(403, 404, 422))
def get_case(case_id: Id, who: Authed, db: DatabaseDep) -> dict[str, Any]:
    """The case with every score, override and outcome it has had."""
    return cases.case_history(db, who, case_id)


@router.post(
    "/cases/{case_id}/override",
    status_code=201,
    response_model=Overridden,
    responses=responses(400, 403, 404, 409, 413, 422),
)
def override_tier(case_id: Id, body: OverrideIn, who: Authed, db: DatabaseDep) -> dict[str, Any]:
    """Raise the tier with a reason; lowering needs the supervisor role."""
    return cases.override(db, who, case_id, body.tier, body.reason)


@router.post(
    "/cases/{case_id}/outcome",
    status_code=201,
    response_model=OutcomeStored,
    responses=responses(400, 403, 404, 413, 422),
)
def add_outcome(case_id: Id, body: OutcomeIn, who: Authed, db: DatabaseDep) -> dict[str, Any]:
    """Record what happened, closing the loop for retraining."""
    return cases.add_outcome(db, who, case_id, body.outcome, body.outcome_at)


@router.get(
    "/ledger/export",
    response_class=Response,
    responses={200: {"content": {PARQUET: {}}}, **responses(403, 422)},
)
def export_ledger(who: Authed, db: DatabaseDep, kind: ledger.LedgerKind = "cases") -> Response:
    """The ledger in the contract's shape as Parquet: cases with outcomes, or survey waves."""
    return StreamingResponse(
        ledger.export_stream(db, who, kind),
        media_type=PARQUET,
        headers={"Content-Disposition": f'attachment; filename="{kind}.parquet"'},
    )
