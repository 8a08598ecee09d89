"""``GET /v1/overrides/report``: where the centre's judgement and the model part."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from service.deps import Authed, DatabaseDep
from service.errors import responses
from service.override_report import override_report
from service.schemas_life import OverrideReport

router = APIRouter(prefix="/v1", tags=["overrides"], responses=responses(401, 429, 503))


@router.get(
    "/overrides/report",
    response_model=OverrideReport,
    operation_id="override_report",
    responses=responses(403),
)
def report(who: Authed, db: DatabaseDep) -> dict[str, Any]:
    """Override rates by tier, grid, role and worker; outcomes of overridden and accepted
    tiers (supervisors and admins)."""
    return override_report(db, who)
