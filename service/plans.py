"""A case's tier now and the plan it sets: the newest of its latest score and its latest
override decides the tier, and that tier's actions and follow-up (from the tier policy)
are the plan. So a supervisor lowering red to green sets green's actions and 90-day
follow-up, and a re-assessment after an override sets the tier again."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from risk.models.policy import Policy
from service.tables import Override, Score

__all__ = ["Plan", "current_tier", "follow_up_after", "plan"]


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


def _latest(session: Session, case_id: str) -> tuple[Score | None, Override | None]:
    score = session.scalars(
        select(Score).where(Score.case_id == case_id).order_by(Score.id.desc())
    ).first()
    override = session.scalars(
        select(Override).where(Override.case_id == case_id).order_by(Override.id.desc())
    ).first()
    return score, override


def _override_decides(score: Score | None, override: Override | None) -> bool:
    if override is None:
        return False
    return score is None or _naive(override.created_at) >= _naive(score.created_at)


def _naive(moment: dt.datetime) -> dt.datetime:
    """SQLite hands back naive times, PostgreSQL aware ones (both stored in UTC)."""
    return moment.replace(tzinfo=None) if moment.tzinfo else moment


def current_tier(session: Session, case_id: str) -> str | None:
    """The case's tier now: its latest override or its latest score, whichever is newer."""
    score, override = _latest(session, case_id)
    if _override_decides(score, override):
        return str(override.to_tier)  # type: ignore[union-attr]
    return None if score is None else str(score.tier)


def plan(session: Session, case_id: str, policy: Policy) -> Plan | None:
    """The plan the case's tier now sets (None for a case never scored)."""
    score, override = _latest(session, case_id)
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
