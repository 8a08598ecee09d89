"""Request and response models of a case's life: steps, re-assessments, work lists, the
household's file and the override report (the contract's own fields come from
:mod:`service.schemas`, nothing re-typed)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from service.schemas import CaseUnit, Day, Id, TierName, _Strict, _text

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

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={  # an owner only with assign (the service checks the same)
            "anyOf": [
                {"properties": {"action": {"const": "assign"}}},
                {"properties": {"owner_key_id": {"type": "null"}}},
            ]
        },
    )

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
        default_factory=CaseUnit,
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


class TimelineEntry(BaseModel):
    """One event of a household's file: its day (or moment), its kind, and what it says."""

    model_config = {"extra": "allow"}

    at: str
    kind: Literal[
        "survey", "screening", "case", "assessment", "override", "step", "outcome", "visit"
    ]
    case_id: str | None = None
    tier: TierName | None = None


class FileCase(BaseModel):
    case_id: str
    opened_at: dt.date
    dispute_type: str | None
    tier: TierName | None
    state: StateName
    overdue: bool


class Wave(BaseModel):
    survey_date: dt.date
    grid_id: str
    fields: dict[str, Any]


class HouseholdFile(BaseModel):
    """Everything stored of a household, and its timeline, oldest first."""

    household_id: str
    grid_id: str | None
    waves: list[Wave]
    cases: list[FileCase]
    timeline: list[TimelineEntry]


class Found(BaseModel):
    kind: Literal["household", "case"]
    id: str
    household_id: str
    grid_id: str | None


class SearchResult(BaseModel):
    query: str
    found: list[Found]


class VisitNoteIn(_Strict):
    """A visit to the household: the day, what was found, and the case it was for."""

    visited_on: Day = Field(description="走访日期 / day of the visit", examples=["2024-04-10"])
    note: _text(2000, min_length=2) = Field(  # type: ignore[valid-type]
        description="走访记录 / what was found", examples=["入户走访，双方情绪平稳"]
    )
    case_id: Id | None = None


class VisitNoteOut(BaseModel):
    household_id: str
    visited_on: dt.date
    stored: bool


class Rate(BaseModel):
    group: str | None
    cases: int
    overridden: int
    raised: int
    lowered: int
    rate: float


class OutcomeShares(BaseModel):
    group: Literal["accepted", "raised", "lowered"]
    with_outcome: int
    outcomes: dict[str, int]
    shares: dict[str, float]


class OverriderCount(BaseModel):
    worker: str
    overrides: int


class OverrideReport(BaseModel):
    """Where judgement and model part: override rates and the outcomes that followed."""

    cases: int
    overridden: int
    rate: float
    by_tier: list[Rate]
    by_grid: list[Rate]
    by_role: list[Rate]
    by_worker: list[Rate]
    overrides_by_worker: list[OverriderCount]
    outcomes: list[OutcomeShares]
