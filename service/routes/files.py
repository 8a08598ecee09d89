"""The household's file, search by id, visit notes, and Excel exports."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from service import household_file, xlsx_export
from service.deps import Authed, DatabaseDep, PolicyDep
from service.errors import responses
from service.schemas import Id
from service.schemas_life import HouseholdTimeline, SearchResult, VisitNoteIn, VisitNoteOut

router = APIRouter(prefix="/v1", tags=["files"], responses=responses(401, 429, 503))
XLSX_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {xlsx_export.XLSX: {}}, "description": "an .xlsx workbook"}
}


@router.get(
    "/households/{household_id}/file",
    response_model=HouseholdTimeline,
    operation_id="household_timeline",
    responses=responses(403, 404, 422),
)
def get_file(household_id: Id, who: Authed, db: DatabaseDep, policy: PolicyDep) -> dict[str, Any]:
    """The household's survey waves, cases, assessments, overrides, visits and outcomes
    on one timeline."""
    return household_file.household_file(db, who, household_id, policy)


@router.post(
    "/households/{household_id}/visits",
    status_code=201,
    response_model=VisitNoteOut,
    operation_id="add_visit_note",
    responses=responses(400, 403, 404, 409, 413, 422),
)
def add_visit(household_id: Id, body: VisitNoteIn, who: Authed, db: DatabaseDep) -> dict[str, Any]:
    """Record a visit to the household, for one of its cases if named."""
    return household_file.add_visit_note(
        db, who, household_id, body.visited_on, body.note, body.case_id
    )


@router.get(
    "/search", response_model=SearchResult, operation_id="search_records", responses=responses(422)
)
def search(who: Authed, db: DatabaseDep, q: Annotated[Id, Query()]) -> dict[str, Any]:
    """Households and cases whose id is or starts with ``q`` (at most 20)."""
    return {"query": q, "found": household_file.search(db, who, q)}


@router.get(
    "/visits/export.xlsx",
    response_class=Response,
    operation_id="export_visits_xlsx",
    responses={**XLSX_RESPONSE, **responses(403, 422)},
)
def visits_xlsx(
    who: Authed,
    db: DatabaseDep,
    grid: Annotated[Id | None, Query()] = None,
    capacity: Annotated[int, Query(ge=1, le=1000)] = 20,
) -> Response:
    """The visit list (as ``GET /v1/visits``) as an Excel workbook."""
    return xlsx_export.download(xlsx_export.export_visits(db, who, grid, capacity), "visits")


@router.get(
    "/cases/{case_id}/export.xlsx",
    response_class=Response,
    operation_id="export_case_xlsx",
    responses={**XLSX_RESPONSE, **responses(403, 404, 422)},
)
def case_xlsx(case_id: Id, who: Authed, db: DatabaseDep, policy: PolicyDep) -> Response:
    """A case, its tier over time, its steps and overrides as an Excel workbook."""
    return xlsx_export.download(xlsx_export.export_case(db, who, case_id, policy), "case")
