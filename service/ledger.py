"""The stored ledger in the contract's shape, for retraining and monitoring: cases with
their outcomes, or survey waves, within the caller's grids."""

from __future__ import annotations

import io
from typing import Literal

import pandas as pd
from sqlalchemy import select

from risk.schema import HOUSEHOLD_SURVEY
from service.audit import audit
from service.auth import Caller, require
from service.db import Database
from service.store import case_record, contract_frame, latest_outcomes
from service.tables import Case, SurveyWave

__all__ = ["LedgerKind", "export_parquet", "ledger_frame"]

LedgerKind = Literal["cases", "households"]


def ledger_frame(db: Database, who: Caller, kind: LedgerKind) -> pd.DataFrame:
    """The ledger of ``kind`` the caller sees, as a contract frame (not audited here)."""
    with db.session() as session:
        if kind == "cases":
            rows = [c for c in session.scalars(select(Case)) if who.sees(c.grid_id)]
            outcomes = latest_outcomes(session, [c.case_id for c in rows])
            return contract_frame([case_record(c, outcomes.get(c.case_id)) for c in rows])
        waves = [w for w in session.scalars(select(SurveyWave)) if who.sees(w.grid_id)]
        return contract_frame([w.fields for w in waves], HOUSEHOLD_SURVEY)


def export_parquet(db: Database, who: Caller, kind: LedgerKind) -> bytes:
    """The ledger of ``kind`` the caller sees, as Parquet (needs the ``export`` right)."""
    require(who, "export")
    frame = ledger_frame(db, who, kind)
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    audit(db, who, "export", f"ledger:{kind}:{len(frame)}")
    return buffer.getvalue()
