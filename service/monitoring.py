"""The service's records as the monitor reads them: every scored unit (its first score:
the one its tier was decided on) with the tier after any override, and the ledger the
service keeps, within the caller's grids; and the monitor over them, its gauges set."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from sqlalchemy import JSON, Select, String, column, func, select, true

from risk.dataset import Ledger
from risk.models.tiers import TIERS
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
from service.errors import ServiceError
from service.ledger import ledger_frame
from service.tables import Override, Score

__all__ = ["READ_SECONDS", "monitor_service", "recorded", "report_body", "scores_frame"]

#: How long the monitor's reads may take (a city's million scores: about a minute).
READ_SECONDS = 900.0


def scores_frame(db: Database, who: Caller, first: dt.date | None = None) -> pd.DataFrame:
    """One row per scored unit the caller sees, as of ``first`` or later when given
    (:data:`risk.monitor.SCORE_COLUMNS`, and the subgroup fields its inputs had). Only
    those figures are read of each score, taken out of its JSON by the database, not each
    whole record."""
    fields = [g for g in SUBGROUPS if g != "grid_id"]
    query = _figures_query(db, fields, first).where(who.sees_in_sql(Score.grid_id))
    with db.session() as session:
        overrides = dict(
            session.execute(select(Override.case_id, Override.to_tier).order_by(Override.id)).all()
        )
        rows: dict[tuple[str, str, str], dict[str, Any]] = {}
        for household, case_id, grid, tier, version, as_of, decision, *rest in session.execute(
            query
        ):
            key = (household, case_id or "", str(as_of or "")[:10])
            if key in rows:  # a later score of the same unit: the first decided its tier
                continue
            green, yellow, red, *groups = rest
            rows[key] = {
                "unit": "case" if case_id else "survey",
                "household_id": household,
                "case_id": case_id,
                "grid_id": grid,
                "as_of": key[2],
                "decision": decision or ("intake" if case_id else "screening"),
                "tier": tier,
                "final_tier": overrides.get(case_id, tier) if case_id else tier,
                "p_green": float(green),
                "p_yellow": float(yellow),
                "p_red": float(red),
                "model_version": version,
                **dict(zip(fields, groups, strict=True)),
            }
    frame = pd.DataFrame(list(rows.values()), columns=[*SCORE_COLUMNS, *fields])
    frame["as_of"] = pd.to_datetime(frame["as_of"])
    return frame


def _as_of_from(first: dt.date | None) -> list[Any]:
    """Scores as of ``first`` or later (the day leads the stored ISO text), none if None."""
    return [] if first is None else [Score.inputs["as_of"].as_string() >= first.isoformat()]


def _figures_query(db: Database, fields: list[str], first: dt.date | None) -> Select[Any]:
    """The scores' keys, as-of day, decision, probabilities and ``fields``, in id order.
    PostgreSQL parses each JSON document once (``json_to_record``) instead of once per
    figure taken out of it (1M scores: 31 → 11 s in the database)."""
    keys = (Score.household_id, Score.case_id, Score.grid_id, Score.tier, Score.model_version)
    if db.url.startswith("sqlite"):
        probability = [Score.result[("probabilities", t)].as_float() for t in TIERS]
        inputs = [Score.inputs[k].as_string() for k in ("as_of", *fields)]
        query = select(*keys, inputs[0], Score.result["decision"].as_string(), *probability)
        return query.add_columns(*inputs[1:]).where(*_as_of_from(first)).order_by(Score.id)
    unit = (
        func.json_to_record(Score.inputs)
        .table_valued(*(column(k, String) for k in ("as_of", *fields)))
        .render_derived(with_types=True)
    )
    answer = (
        func.json_to_record(Score.result)
        .table_valued(column("decision", String), column("probabilities", JSON))
        .render_derived(with_types=True)
    )
    probability = [answer.c.probabilities[t].as_float() for t in TIERS]
    dated = [] if first is None else [unit.c.as_of >= first.isoformat()]
    return (
        select(*keys, unit.c.as_of, answer.c.decision, *probability)
        .add_columns(*(unit.c[k] for k in fields))
        .select_from(Score)
        .join(unit, true())
        .join(answer, true())
        .where(*dated)
        .order_by(Score.id)
    )


def recorded(
    db: Database, who: Caller, first: dt.date | None = None
) -> tuple[pd.DataFrame, Ledger]:
    """The scored units and the ledger (survey waves, cases with outcomes) the caller
    sees, dated from ``first`` when given (a unit's label needs only the cases opened from
    its day on); needs the ``export`` right, and the read is audited. The reads may take
    minutes in a city (:data:`READ_SECONDS`), not the requests' deadline."""
    require(who, "export")
    with db.patient(READ_SECONDS) as reading:
        scores = scores_frame(reading, who, first)
        waves = ledger_frame(reading, who, "households", first)
        ledger = Ledger(waves, ledger_frame(reading, who, "cases", first), {})
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
    db: Database,
    uri: str | None,
    who: Caller,
    first: dt.date | None = None,
    most: int | None = None,
) -> MonitorReport:
    """The monitor over what the caller sees, from ``first``; the gauges are set. More than
    ``most`` scores in the period is a 409 naming the command that computes it offline."""
    with db.patient(READ_SECONDS) as reading:  # one engine for the count and the reads
        if most is not None:
            _within(reading, who, first, most)
        scores, ledger = recorded(reading, who, first)
    report = watch(scores, ledger, _reference(uri), first=first, fairness=False)
    set_gauges(report)
    return report


def _within(db: Database, who: Caller, first: dt.date | None, most: int) -> None:
    """Refuse a period holding more than ``most`` scores: all the caller sees counted first
    (an index alone), the period's only when those are too many (``db``: one whose
    deadline allows that count)."""
    visible = who.sees_in_sql(Score.grid_id)
    with db.session() as session:
        n = session.scalar(select(func.count()).select_from(Score).where(visible)) or 0
        if n > most and first is not None:
            dated = select(func.count()).select_from(Score).where(visible, *_as_of_from(first))
            n = session.scalar(dated) or 0
    if n > most:
        audit(db, who, "monitor_read", f"refused:{n}", 409)
        raise ServiceError(409, "monitor_too_large", n=f"{n:,}", limit=f"{most:,}")


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
