"""The stored ledger in the contract's shape, for retraining: cases with their outcomes,
or survey waves, within the caller's grids."""

from __future__ import annotations

import io
from typing import Literal

from sqlalchemy import select

from risk.schema import HOUSEHOLD_SURVEY
from service.audit import audit
from service.auth import Caller, require
from service.db import Database
from service.store import case_record, contract_frame, latest_outcomes
from service.tables import Case, SurveyWave

__all__ = ["LedgerKind", "export_parquet"]

LedgerKind = Literal["cases", "households"]


def export_parquet(db: Database, who: Caller, kind: LedgerKind) -> bytes:
    """The ledger of ``kind`` the caller sees, as Parquet (needs the ``export`` right)."""
    require(who, "export")
    with db.session() as session:
        if kind == "cases":
            rows = [c for c in session.scalars(select(Case)) if who.sees(c.grid_id)]
            outcomes = latest_outcomes(session, [c.case_id for c in rows])
            frame = contract_frame([case_record(c, outcomes.get(c.case_id)) for c in rows])
        else:
            waves = [w for w in session.scalars(select(SurveyWave)) if who.sees(w.grid_id)]
            frame = contract_frame([w.fields for w in waves], HOUSEHOLD_SURVEY)
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    audit(db, who, "export", f"ledger:{kind}:{len(frame)}")
    return buffer.getvalue()
