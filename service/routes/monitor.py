"""``GET /v1/monitor``: the model in service against what happened (data scientists,
supervisors, admins)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter

from service import monitoring
from service.deps import Authed, DatabaseDep, ModelsDep
from service.errors import responses
from service.schemas import MonitorReportOut

router = APIRouter(prefix="/v1", tags=["monitor"], responses=responses(401, 429, 503))


@router.get("/monitor", response_model=MonitorReportOut, responses=responses(403, 422))
def get_monitor(
    who: Authed, db: DatabaseDep, models: ModelsDep, since: dt.date | None = None
) -> dict[str, Any]:
    """Outcomes against predictions per decision, month and tier; drift; alerts."""
    return monitoring.report_body(monitoring.monitor_service(db, models.uri, who, since))
