"""``POST /v1/admin/load``: a ledger from the service's load directory into its database."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from service.deps import Authed, DatabaseDep, ModelsDep, SettingsDep
from service.errors import responses
from service.load import load_from_dir
from service.schemas import LoadIn, LoadOut

router = APIRouter(prefix="/v1/admin", tags=["model"], responses=responses(401, 429, 503))


@router.post("/load", response_model=LoadOut, responses=responses(403, 404, 422))
def load_ledger(
    body: LoadIn, who: Authed, db: DatabaseDep, models: ModelsDep, settings: SettingsDep
) -> Any:
    """Load a ledger in bulk and score every household in it (admins who see every grid)."""
    names = {"households": body.households, "cases": body.cases}
    report = load_from_dir(db, models.serving(), who, settings.load_dir, names, body.as_of)
    read = {"households": report.households, "cases": report.cases}
    return LoadOut(
        counts=report.counts,
        quarantined={k: r.rows_quarantined for k, r in read.items() if r is not None},
        summary_zh=report.summary("zh"),
        summary_en=report.summary("en"),
    )
