"""Re-assessment: at a follow-up the worker records what changed (a new incident, fear,
mediation status, threats ...) and the case is scored again with the served model, on its
answers so far with the changes over them; when a new champion is loaded, every open case
is re-scored in the background. Every assessment is kept with its score, so the case shows
its tier over time and, for each change, the reasons that changed."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import threading
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from risk.models.tiers import TIERS
from service.audit import audit
from service.auth import Caller, require
from service.db import Database
from service.errors import ServiceError
from service.lifecycle import OPEN_STATES
from service.model_holder import ModelHolder
from service.plans import current_tier
from service.scoring import score_row, stored_household, unit
from service.store import case_record, json_fields, visible_case
from service.tables import Assessment, Case, CaseEvent, Score

__all__ = [
    "assessments_of",
    "read_assessments",
    "reassess",
    "rescore_in_background",
    "rescore_open_cases",
]

log = logging.getLogger(__name__)


def _answers(session: Session, case: Case) -> dict[str, Any]:
    """The case's answers now: its intake fields, each follow-up's changes over them."""
    answers = case_record(case, None)
    for changes in session.scalars(
        select(Assessment.changes)
        .where(Assessment.case_id == case.case_id, Assessment.kind == "follow_up")
        .order_by(Assessment.id)
    ):
        answers.update(changes)
    return answers


def _state(session: Session, case_id: str) -> str:
    return str(
        session.scalars(
            select(CaseEvent.state)
            .where(CaseEvent.case_id == case_id)
            .order_by(CaseEvent.id.desc())
        ).first()
    )


def _scored_unit(session: Session, case: Case, as_of: dt.date, changes: Mapping[str, Any]) -> Any:
    """The unit the case is re-scored as on ``as_of``: its household as stored then
    (without the case itself among its earlier cases), its answers and the changes."""
    household = stored_household(session, case.household_id, as_of)
    others = [c for c in household.cases if c["case_id"] != case.case_id]
    answers = {**_answers(session, case), **changes}
    answers.pop("case_id", None)
    return unit(as_of, dataclasses.replace(household, cases=others), answers)


def _store(
    session: Session,
    who: Caller,
    case: Case,
    result: Mapping[str, Any],
    record: Mapping[str, Any],
    **assessment: Any,
) -> Assessment:
    before = current_tier(session, case.case_id)
    score = score_row(
        result,
        record,
        who,
        case_id=case.case_id,
        household_id=case.household_id,
        grid_id=case.grid_id,
    )
    session.add(score)
    session.flush()
    row = Assessment(
        case_id=case.case_id, score_id=score.id, tier_before=before, key_id=who.key_id, **assessment
    )
    session.add(row)
    return row


def reassess(
    db: Database,
    models: ModelHolder,
    who: Caller,
    case_id: str,
    changes: Mapping[str, Any],
    note: str = "",
    as_of: dt.date | None = None,
) -> dict[str, Any]:
    """Record a follow-up's changes and re-score the open case with the served model."""
    require(who, "store")
    day = as_of or dt.date.today()
    with db.session() as session:
        case = visible_case(session, who, case_id)
        if _state(session, case_id) not in OPEN_STATES:
            raise ServiceError(409, "case_closed")
        if day < case.opened_at:
            raise ServiceError(422, "api_outcome_before_opened", field="as_of")
        record = _scored_unit(session, case, day, changes)
    result = models.serving().predict_record(record)
    with db.session() as session:
        case = visible_case(session, who, case_id)
        if _state(session, case_id) not in OPEN_STATES:  # closed meanwhile
            raise ServiceError(409, "case_closed")
        row = _store(
            session,
            who,
            case,
            result,
            record,
            kind="follow_up",
            as_of=day,
            changes=json_fields(changes),
            note=note,
        )
        audit(db, who, "reassess", f"case:{case_id}", 201, session)
    return {"case_id": case_id, "kind": row.kind, "tier_before": row.tier_before, "score": result}


def _open_cases_scored_by_others(session: Session, version: str) -> list[str]:
    """Open cases whose latest score is not by model ``version``."""
    latest_step = select(func.max(CaseEvent.id)).group_by(CaseEvent.case_id)
    open_cases = select(CaseEvent.case_id).where(
        CaseEvent.id.in_(latest_step), CaseEvent.state != "closed"
    )
    latest_score = (
        select(func.max(Score.id)).where(Score.case_id.is_not(None)).group_by(Score.case_id)
    )
    return list(
        session.scalars(
            select(Score.case_id)
            .where(
                Score.id.in_(latest_score),
                Score.case_id.in_(open_cases),
                Score.model_version != version,
            )
            .order_by(Score.case_id)
        )
    )


def rescore_open_cases(db: Database, models: ModelHolder, who: Caller) -> int:
    """Re-score, as of today, every open case last scored by another model than the one
    serving (``who``: the admin whose reload loaded it); how many were re-scored. A tier
    that rises is audited (``tier_rose``) and put first in its owner's work list."""
    model = models.serving()
    today = dt.date.today()
    with db.session() as session:
        waiting = _open_cases_scored_by_others(session, model.info.version)
    done = 0
    for case_id in waiting:
        with db.session() as session:
            case = session.get(Case, case_id)
            if case is None or _state(session, case_id) not in OPEN_STATES:
                continue
            record = _scored_unit(session, case, today, {})
        result = model.predict_record(record)
        with db.session() as session:
            case = session.get(Case, case_id)
            if case is None or _state(session, case_id) not in OPEN_STATES:
                continue
            row = _store(session, who, case, result, record, kind="model", as_of=today)
            audit(db, who, "rescore", f"case:{case_id} v{model.info.version}", 201, session)
            if _rose(row.tier_before, result["tier"]):
                moved = f"case:{case_id} {row.tier_before}->{result['tier']}"
                audit(db, who, "tier_rose", moved, 201, session)
        done += 1
    return done


def _rose(before: str | None, after: str) -> bool:
    return before is not None and TIERS.index(after) > TIERS.index(before)


def rescore_in_background(db: Database, models: ModelHolder, who: Caller) -> threading.Thread:
    """:func:`rescore_open_cases` in a thread of its own (a reload answers at once)."""

    def run() -> None:
        try:
            count = rescore_open_cases(db, models, who)
            log.info("re-scored %d open case(s) with the new model", count)
        except Exception as exc:  # the reload stands; the next one tries again
            log.error("re-scoring open cases failed: %s", exc)

    thread = threading.Thread(target=run, name="rescore-open-cases", daemon=True)
    thread.start()
    return thread


def _reason_changes(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> dict[str, Any]:
    """The reasons that changed between two results: new ones, gone ones, changed values."""
    old = {r["code"]: r for r in before}
    new = {r["code"]: r for r in after}
    keep = ("code", "direction", "label_zh", "label_en", "value_zh", "value_en")

    def moved(code: str) -> bool:
        a, b = old[code], new[code]
        return (a["value_zh"], a["direction"]) != (b["value_zh"], b["direction"])

    return {
        "added": [{k: r[k] for k in keep} for code, r in new.items() if code not in old],
        "removed": [{k: r[k] for k in keep} for code, r in old.items() if code not in new],
        "changed": [
            {**{k: r[k] for k in keep}, "was_zh": old[c]["value_zh"], "was_en": old[c]["value_en"]}
            for c, r in new.items()
            if c in old and moved(c)
        ],
    }


def assessments_of(session: Session, case_id: str) -> list[dict[str, Any]]:
    """The case's assessments in order: kind, date, tier (and the tier before), the flags,
    what the worker recorded, and the reasons that changed since the one before."""
    rows = session.execute(
        select(Assessment, Score)
        .join(Score, Score.id == Assessment.score_id)
        .where(Assessment.case_id == case_id)
        .order_by(Assessment.id)
    ).all()
    out: list[dict[str, Any]] = []
    previous: list[dict[str, Any]] = []
    for assessment, score in rows:
        reasons = score.result.get("reasons", [])
        out.append(
            {
                "at": assessment.created_at.isoformat(),
                "kind": assessment.kind,
                "as_of": assessment.as_of.isoformat(),
                "tier": score.tier,
                "tier_before": assessment.tier_before,
                "p_red": score.p_red,
                "flags": score.result.get("flags", []),
                "model_version": score.model_version,
                "changes": assessment.changes,
                "note": assessment.note,
                "key_id": assessment.key_id,
                "reasons": reasons,
                "reasons_changed": _reason_changes(previous, reasons) if out else None,
            }
        )
        previous = reasons
    return out


def read_assessments(db: Database, who: Caller, case_id: str) -> list[dict[str, Any]]:
    """:func:`assessments_of` a case the caller sees (audited)."""
    with db.session() as session:
        visible_case(session, who, case_id)
        out = assessments_of(session, case_id)
    audit(db, who, "read_assessments", f"case:{case_id}")
    return out
