"""A case's life: its steps, its re-assessments, and the caller's work list."""

from __future__ import annotations

from typing import Any, cast

from fastapi import APIRouter
from pydantic import BaseModel

from service import assessments, lifecycle, worklists
from service.deps import Authed, CentreDep, DatabaseDep, ModelsDep, PolicyDep
from service.errors import responses
from service.schemas import Id
from service.schemas_life import (
    AssessmentIn,
    Assessments,
    CaseLife,
    Reassessed,
    TransitionIn,
    WorkList,
)

router = APIRouter(prefix="/v1", tags=["case life"], responses=responses(401, 429, 503))


@router.post(
    "/cases/{case_id}/transitions",
    status_code=201,
    response_model=CaseLife,
    operation_id="transition_case",
    responses=responses(400, 403, 404, 409, 413, 422),
)
def transition(
    case_id: Id,
    body: TransitionIn,
    who: Authed,
    db: DatabaseDep,
    centre: CentreDep,
    policy: PolicyDep,
) -> dict[str, Any]:
    """Take a step: assign, mediate, follow up, resume, escalate or close (with why)."""
    return lifecycle.take_step(
        db, centre, policy, who, case_id, body.action, body.reason, body.owner_key_id
    )


@router.post(
    "/cases/{case_id}/reassess",
    status_code=201,
    response_model=Reassessed,
    operation_id="reassess_case",
    responses=responses(400, 403, 404, 409, 413, 422),
)
def reassess(
    case_id: Id, body: AssessmentIn, who: Authed, db: DatabaseDep, models: ModelsDep
) -> dict[str, Any]:
    """Record what changed at a follow-up and re-score the case with the served model."""
    changes = cast(BaseModel, body.changes).model_dump(exclude_none=True)
    return assessments.reassess(db, models, who, case_id, changes, body.note, body.as_of)


@router.get(
    "/cases/{case_id}/assessments",
    response_model=Assessments,
    operation_id="case_assessments",
    responses=responses(403, 404, 422),
)
def case_assessments(case_id: Id, who: Authed, db: DatabaseDep) -> dict[str, Any]:
    """Every assessment of the case: its tier over time and the reasons that changed."""
    return {"case_id": case_id, "assessments": assessments.read_assessments(db, who, case_id)}


@router.get(
    "/worklist",
    response_model=WorkList,
    operation_id="my_cases",
    responses=responses(403, 422),
)
def worklist(who: Authed, db: DatabaseDep, policy: PolicyDep) -> dict[str, Any]:
    """My open cases, overdue ones marked; a supervisor also gets the grids' missed red
    follow-ups."""
    return worklists.work_list(db, who, policy)
