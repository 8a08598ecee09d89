"""``GET /v1/model`` and ``POST /v1/admin/reload``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from service.audit import audit
from service.auth import require
from service.deps import Authed
from service.errors import ServiceError, responses
from service.reloads import request_reload

router = APIRouter(prefix="/v1", tags=["model"], responses=responses(401, 429, 503))


def describe(model: Any) -> dict[str, Any]:
    info = model.info
    return {
        "name": info.name,
        "version": info.version,
        "trained_at": info.trained_at,
        "data": info.data,
        "thresholds": model.thresholds.model_dump(),
        "policy_version": model.policy.version,
        "conformal_coverage": model.conformal.coverage,
        "red_flags": [f.code for f in model.policy.red_flags],
    }


@router.get("/model")
def model_info(request: Request, who: Authed) -> dict[str, Any]:
    """The served model: name, version, when and on what it was trained, its thresholds."""
    model = request.app.state.models.current()
    if model is None:
        raise ServiceError(503, "model_unavailable")
    audit(request.app.state.db, who, "read_model", "model")
    return describe(model)


@router.post("/admin/reload", responses=responses(403))
def reload(request: Request, who: Authed) -> dict[str, Any]:
    """Load the current champion; requests in flight finish on the model they started with.
    If loading fails, the old model keeps serving and the error is reported. The other
    worker processes load it too, within ``RISK_RELOAD_POLL_SECONDS``."""
    require(who, "admin")
    holder = request.app.state.models
    holder.reload_seen = request_reload(request.app.state.db, who.key_id)
    try:
        holder.load()
    except Exception as exc:
        audit(request.app.state.db, who, "reload", "model", 503)
        raise ServiceError(503, holder.problem or "model_unavailable", model=holder.ref) from exc
    audit(request.app.state.db, who, "reload", f"model:{holder.version}")
    return {"reloaded": True, "version": holder.version}
