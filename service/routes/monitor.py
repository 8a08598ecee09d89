"""``GET /v1/monitor``: the model in service against what happened (data scientists,
supervisors, admins)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.exceptions import RequestValidationError

from service import monitoring
from service.deps import Authed, DatabaseDep, ModelsDep, SettingsDep
from service.errors import responses
from service.schemas import MonitorReportOut

router = APIRouter(prefix="/v1", tags=["monitor"], responses=responses(401, 429, 503))


@router.get("/monitor", response_model=MonitorReportOut, responses=responses(403, 409, 422))
def get_monitor(
    who: Authed,
    db: DatabaseDep,
    models: ModelsDep,
    settings: SettingsDep,
    since: Annotated[
        str | None,
        Query(
            pattern=r"^\d{4}-\d{2}-\d{2}$",
            description="first day, YYYY-MM-DD",
            json_schema_extra={"format": "date"},
        ),
    ] = None,
) -> dict[str, Any]:
    """Outcomes against predictions per decision, month and tier; drift; alerts. A period
    of more scores than the service computes on request is a 409 (``risk monitor``)."""
    day = None if since is None else _day(since)
    most = settings.monitor_live_scores
    return monitoring.report_body(monitoring.monitor_service(db, models.uri, who, day, most))


def _day(value: str) -> dt.date:
    """An ISO day the pattern let through; one that is no date (2024-13-40) is a 422."""
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise RequestValidationError(
            [{"loc": ("query", "since"), "msg": "not a date", "type": "date_parsing"}]
        ) from exc
