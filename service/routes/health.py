"""Health checks (no key needed) and Prometheus metrics."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from service.db import DatabaseCorrupt
from service.deps import Authed, DatabaseDep, ModelsDep
from service.errors import ServiceError, responses
from service.metrics import CONTENT_TYPE_LATEST, exposition
from service.schemas import Health, Ready

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
def check_health() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz", response_model=Ready, responses=responses(503))
def check_ready(db: DatabaseDep, models: ModelsDep) -> dict[str, Any]:
    """Ready to serve: the database answers and a model is loaded."""
    try:
        db.ping()
    except DatabaseCorrupt as exc:
        raise ServiceError(503, "db_corrupt") from exc
    except Exception as exc:
        raise ServiceError(503, "db_unavailable") from exc
    if models.current() is None:
        raise ServiceError(503, models.problem or "model_unavailable", model=models.ref)
    return {"status": "ready", "model_version": models.version}


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}}, **responses(401, 429, 503)},
)
def get_metrics(_: Authed) -> Response:
    """Prometheus metrics, summed over the worker processes: requests by method, route and
    status, latency histograms, the model version each worker serves (needs a key)."""
    return Response(exposition(), media_type=CONTENT_TYPE_LATEST)
