"""Request and response models of a case's life: steps, re-assessments, work lists, the
household's file and the override report (the contract's own fields come from
:mod:`service.schemas`, nothing re-typed)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field

from service.schemas import CaseUnit, Day, TierName, _Strict, _text

__all__ = [
    "AssessmentIn",
    "AssessmentOut",
    "CaseLife",
    "Reassessed",
    "TransitionIn",
    "WorkItem",
    "WorkList",
]

ActionName = Literal["assign", "mediate", "follow_up", "resume", "escalate", "close"]
StateName = Literal["registered", "assigned", "in_mediation", "follow_up", "closed"]


class TransitionIn(_Strict):
    """A step in the case's life, with why; ``owner_key_id`` only when assigning (the
    caller's own key if not given)."""

    action: ActionName = Field(description="步骤 / step", examples=["assign"])
    reason: _text(2000, min_length=2) = Field(  # type: ignore[valid-type]
        description="理由 / why", examples=["红色案件，转公安联络员 24 小时内联系"]
    )
    owner_key_id: int | None = Field(
        default=None, ge=1, le=2**31 - 1, description="负责人密钥编号 / owner's key number"
    )


class Step(BaseModel):
    at: str
    action: str
    state: StateName
    owner_kind: str | None
    owner_key_id: int | None
    level: str
    due_on: dt.date | None
    reason: str
    key_id: int


class PlanOut(BaseModel):
    """What the tier now asks: actions and the follow-up date (set by a score or override)."""

    tier: TierName
    set_by: Literal["score", "override"]
    actions_zh: list[str]
    actions_en: list[str]
    follow_up_days: int
    follow_up_date: dt.date


class CaseLife(BaseModel):
    """Where a case stands: state, owner, mediation level, deadlines, and its steps."""

    case_id: str
    state: StateName
    owner_kind: str | None
    owner_key_id: int | None
    level: str
    state_due: dt.date | None
    plan: PlanOut | None
    overdue: bool = Field(description="回访或时限已过 / the follow-up date or deadline passed")
    follow_up_overdue: bool
    escalated: bool = Field(description="红色回访逾期，转督导 / a missed red follow-up")
    steps: list[Step]


class AssessmentIn(_Strict):
    """A follow-up's re-assessment: what changed since the last one (case fields), a note,
    and the day (today if not given)."""

    changes: CaseUnit = Field(  # type: ignore[valid-type]
        default_factory=dict,
        description="变化的情况 / what changed",
        examples=[{"victim_fear": True, "mediation_status": "failed"}],
    )
    note: _text(2000, min_length=0) = ""  # type: ignore[valid-type]
    as_of: Day | None = Field(default=None, description="评估日期 / day of the re-assessment")


class ReasonChange(BaseModel):
    code: str
    direction: Literal["raises", "lowers"]
    label_zh: str
    label_en: str
    value_zh: str
    value_en: str
    was_zh: str | None = None
    was_en: str | None = None


class ReasonChanges(BaseModel):
    added: list[ReasonChange]
    removed: list[ReasonChange]
    changed: list[ReasonChange]


class AssessmentOut(BaseModel):
    """One assessment: kind, tier (and the tier before), what changed and which reasons."""

    at: str
    kind: Literal["intake", "follow_up", "model"]
    as_of: dt.date
    tier: TierName
    tier_before: TierName | None
    p_red: float
    flags: list[dict[str, Any]]
    model_version: str
    changes: dict[str, Any]
    note: str
    key_id: int
    reasons: list[dict[str, Any]]
    reasons_changed: ReasonChanges | None


class Assessments(BaseModel):
    case_id: str
    assessments: list[AssessmentOut]


class Reassessed(BaseModel):
    case_id: str
    kind: Literal["follow_up"]
    tier_before: TierName | None
    score: dict[str, Any]


class WorkItem(BaseModel):
    """A case in a work list, with why it is there."""

    case_id: str
    household_id: str
    grid_id: str | None
    state: StateName
    tier: TierName | None
    owner_kind: str | None
    owner_key_id: int | None
    level: str
    state_due: dt.date | None
    follow_up_date: dt.date | None
    overdue: bool
    escalated: bool
    tier_rose: bool = Field(description="新模型重评后等级升高 / a new model raised the tier")
    mine: bool


class WorkList(BaseModel):
    """The caller's open cases (and, for supervisors, the grid's missed red follow-ups)."""

    today: dt.date
    items: list[WorkItem]
