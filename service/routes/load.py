"""``POST /v1/admin/load``: a ledger from the service's load directory into its database."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from service.deps import Authed, DatabaseDep, ModelsDep, SettingsDep
from service.errors import responses
from service.load import load_from_dir

router = APIRouter(prefix="/v1/admin", tags=["model"], responses=responses(401, 429, 503))


class LoadIn(BaseModel):
    """The ledger files to load, by name in ``RISK_LOAD_DIR``; at least one."""

    households: str | None = Field(None, max_length=200, description="Survey ledger file.")
    cases: str | None = Field(None, max_length=200, description="Case ledger file.")
    as_of: dt.date | None = Field(None, description="Score as of this day (default today).")


class LoadOut(BaseModel):
    """What the load did, counted, and its summary in both languages."""

    counts: dict[str, int] = Field(description="Rows added, replaced and scored, by kind.")
    quarantined: dict[str, int] = Field(description="Rows left out, per ledger.")
    summary_zh: str
    summary_en: str


@router.post("/load", response_model=LoadOut, responses=responses(403, 404, 422))
def load(
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
