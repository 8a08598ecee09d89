"""The service's records as the monitor reads them: every scored unit (its first score:
the one its tier was decided on) with the tier after any override, and the ledger the
service keeps, within the caller's grids; and the monitor over them, its gauges set."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from sqlalchemy import select

from risk.dataset import Ledger
from risk.monitor import (
    SCORE_COLUMNS,
    SUBGROUPS,
    MonitorReport,
    Reference,
    champion_reference,
    watch,
)
from service.audit import audit
from service.auth import Caller, require
from service.db import Database
from service.ledger import ledger_frame
from service.tables import Override, Score

__all__ = ["monitor_service", "recorded", "report_body", "scores_frame"]


def scores_frame(db: Database, who: Caller) -> pd.DataFrame:
    """One row per scored unit the caller sees (:data:`risk.monitor.SCORE_COLUMNS`, and
    the subgroup fields its inputs had)."""
    with db.session() as session:
        overrides = {
            o.case_id: o.to_tier for o in session.scalars(select(Override).order_by(Override.id))
        }
        rows: dict[tuple[str, str, str], dict[str, Any]] = {}
        for s in session.scalars(select(Score).order_by(Score.id)):
            if not who.sees(s.grid_id):
                continue
            as_of = str(s.inputs.get("as_of", ""))[:10]
            key = (s.household_id, s.case_id or "", as_of)
            if key in rows:  # a later score of the same unit: the first decided its tier
                continue
            p = s.result["probabilities"]
            rows[key] = {
                "unit": "case" if s.case_id else "survey",
                "household_id": s.household_id,
                "case_id": s.case_id,
                "grid_id": s.grid_id,
                "as_of": as_of,
                "decision": s.result.get("decision", "intake" if s.case_id else "screening"),
                "tier": s.tier,
                "final_tier": overrides.get(s.case_id, s.tier) if s.case_id else s.tier,
                "p_green": float(p["green"]),
                "p_yellow": float(p["yellow"]),
                "p_red": float(p["red"]),
                "model_version": s.model_version,
                **{g: s.inputs.get(g) for g in SUBGROUPS if g != "grid_id"},
            }
    frame = pd.DataFrame(list(rows.values()), columns=[*SCORE_COLUMNS, *SUBGROUPS[:-1]])
    frame["as_of"] = pd.to_datetime(frame["as_of"])
    return frame


def recorded(db: Database, who: Caller) -> tuple[pd.DataFrame, Ledger]:
    """The scored units and the ledger (survey waves, cases with outcomes) the caller
    sees; needs the ``export`` right, and the read is audited."""
    require(who, "export")
    scores = scores_frame(db, who)
    ledger = Ledger(ledger_frame(db, who, "households"), ledger_frame(db, who, "cases"), {})
    audit(db, who, "monitor_read", f"scores:{len(scores)}")
    return scores, ledger


def set_gauges(report: MonitorReport) -> None:
    """Put the report's figures on the Prometheus gauges."""
    from service.metrics import monitor_figures

    monitor_figures(report.gauges())


_REFERENCES: dict[tuple[str | None, str], Reference | None] = {}


def _reference(uri: str | None) -> Reference | None:
    """The champion's reference, computed once per champion version in this process."""
    from risk.registry import Registry

    champion = Registry(uri).champion()
    if champion is None:
        return None
    key = (uri, str(champion.version))
    if key not in _REFERENCES:
        _REFERENCES[key] = champion_reference(uri)
    return _REFERENCES[key]


def monitor_service(
    db: Database, uri: str | None, who: Caller, first: dt.date | None = None
) -> MonitorReport:
    """The monitor over what the caller sees, from ``first``; the gauges are set."""
    scores, ledger = recorded(db, who)
    report = watch(scores, ledger, _reference(uri), first=first, fairness=False)
    set_gauges(report)
    return report


def report_body(report: MonitorReport) -> dict[str, Any]:
    """The report as the API's :class:`~service.schemas.MonitorReportOut`."""
    zh, en = report.alert_lines("zh"), report.alert_lines("en")
    alerts = [
        {
            **{k: r[k] for k in ("decision", "month", "figure", "value", "low", "high")},
            "message_zh": a,
            "message_en": b,
        }
        for r, a, b in zip(report.alerts.to_dict("records"), zh, en, strict=False)
    ]
    rows = []
    for r in report.figures.to_dict("records") if len(report.figures) else []:
        figures = {
            k: (None if v != v else float(v))
            for k, v in r.items()
            if k not in ("decision", "month", "tier")
        }
        rows.append(
            {"decision": r["decision"], "month": r["month"], "tier": r["tier"], "figures": figures}
        )
    drift = report.drift
    return {
        "generated": report.generated,
        "alerts": alerts,
        "rows": rows,
        "drift_zh": [] if drift is None else drift.findings("zh"),
        "drift_en": [] if drift is None else drift.findings("en"),
    }
