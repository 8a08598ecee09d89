"""A case's tier now and the plan it sets: the newest of its latest score and its latest
override decides the tier, and that tier's actions and follow-up (from the tier policy)
are the plan. So a supervisor lowering red to green sets green's actions and 90-day
follow-up, and a re-assessment after an override sets the tier again."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session

from risk.models.policy import Policy
from service.store import id_parts
from service.tables import Override, Score

__all__ = ["Plan", "current_tier", "follow_up_after", "latest_rows", "plan", "plans"]


@dataclass(frozen=True)
class Plan:
    """What the case's tier now asks of the centre: actions (zh, en) and the follow-up."""

    tier: str
    set_by: str  # "score" or "override"
    actions_zh: tuple[str, ...]
    actions_en: tuple[str, ...]
    follow_up_days: int
    follow_up_date: dt.date

    def as_json(self) -> dict[str, object]:
        return {
            "tier": self.tier,
            "set_by": self.set_by,
            "actions_zh": list(self.actions_zh),
            "actions_en": list(self.actions_en),
            "follow_up_days": self.follow_up_days,
            "follow_up_date": self.follow_up_date.isoformat(),
        }


def follow_up_after(policy: Policy, tier: str, day: dt.date) -> dt.date:
    """The follow-up date ``tier`` sets from ``day``."""
    return day + dt.timedelta(days=policy.tiers[tier].follow_up_days)


#: What a plan reads of a case's latest score and latest override (not their JSON).
_SCORE = (Score.case_id, Score.tier, Score.follow_up_date, Score.created_at)
_OVERRIDE = (Override.case_id, Override.to_tier, Override.follow_up_date, Override.created_at)


def latest_rows(
    session: Session, table: type[Any], columns: Sequence[Any], case_ids: Sequence[str]
) -> dict[str, Row[Any]]:
    """Each case's latest row of ``table`` (highest id), as ``columns``, by case id: one
    query per thousand cases, each case probed by its index."""
    out: dict[str, Row[Any]] = {}
    for part in id_parts(case_ids):
        newest = select(func.max(table.id)).where(table.case_id.in_(part)).group_by(table.case_id)
        out |= {
            row.case_id: row
            for row in session.execute(select(*columns).where(table.id.in_(newest)))
        }
    return out


def _latest(
    session: Session, case_ids: Sequence[str]
) -> tuple[dict[str, Row[Any]], dict[str, Row[Any]]]:
    """Each case's latest score and latest override (the columns a plan reads)."""
    scores = latest_rows(session, Score, _SCORE, case_ids)
    return scores, latest_rows(session, Override, _OVERRIDE, case_ids)


def _override_decides(score: Row[Any] | None, override: Row[Any] | None) -> bool:
    if override is None:
        return False
    return score is None or _naive(override.created_at) >= _naive(score.created_at)


def _naive(moment: dt.datetime) -> dt.datetime:
    """SQLite hands back naive times, PostgreSQL aware ones (both stored in UTC)."""
    return moment.replace(tzinfo=None) if moment.tzinfo else moment


def current_tier(session: Session, case_id: str) -> str | None:
    """The case's tier now: its latest override or its latest score, whichever is newer."""
    scores, overrides = _latest(session, [case_id])
    score, override = scores.get(case_id), overrides.get(case_id)
    if _override_decides(score, override):
        return str(override.to_tier)  # type: ignore[union-attr]
    return None if score is None else str(score.tier)


def plans(session: Session, case_ids: Sequence[str], policy: Policy) -> dict[str, Plan | None]:
    """The plan each case's tier now sets (None for a case never scored), by case id."""
    scores, overrides = _latest(session, case_ids)
    return {c: _plan(scores.get(c), overrides.get(c), policy) for c in case_ids}


def plan(session: Session, case_id: str, policy: Policy) -> Plan | None:
    """The plan the case's tier now sets (None for a case never scored)."""
    return plans(session, [case_id], policy)[case_id]


def _plan(score: Row[Any] | None, override: Row[Any] | None, policy: Policy) -> Plan | None:
    if override is not None and _override_decides(score, override):
        tier = override.to_tier
        due = override.follow_up_date or follow_up_after(policy, tier, override.created_at.date())
        set_by = "override"
    elif score is not None:
        tier, due, set_by = score.tier, score.follow_up_date, "score"
    else:
        return None
    action = policy.tiers[tier]
    return Plan(tier, set_by, action.actions_zh, action.actions_en, action.follow_up_days, due)
