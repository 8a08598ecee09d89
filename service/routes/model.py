"""``GET /v1/model`` and ``POST /v1/admin/reload``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from service import reloads
from service.deps import Authed, DatabaseDep, ModelDep, ModelsDep
from service.errors import responses
from service.model_info import read_model
from service.schemas import ModelDescription, Reloaded

router = APIRouter(prefix="/v1", tags=["model"], responses=responses(401, 429, 503))


@router.get("/model", response_model=ModelDescription)
def get_model(who: Authed, db: DatabaseDep, model: ModelDep) -> dict[str, Any]:
    """The served model: name, version, when and on what it was trained, its thresholds."""
    return read_model(db, who, model)


@router.post("/admin/reload", response_model=Reloaded, responses=responses(403))
def reload_model(who: Authed, db: DatabaseDep, models: ModelsDep) -> dict[str, Any]:
    """Load the current champion; requests in flight finish on the model they started with.
    If loading fails, the old model keeps serving and the error is reported. The other
    worker processes load it too, within ``RISK_RELOAD_POLL_SECONDS``."""
    return reloads.reload_model(db, models, who)
