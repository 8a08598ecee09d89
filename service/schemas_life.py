"""Request and response models of a case's life: steps, re-assessments, work lists, the
household's file and the override report (the contract's own fields come from
:mod:`service.schemas`, nothing re-typed)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from risk.i18n import both
from service.schemas import CaseUnit, Day, Id, TierName, _Strict, _text, contract, described

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

    action: ActionName = described("page_step", examples=["assign"])
    reason: _text(2000, min_length=2) = described(  # type: ignore[valid-type]
        "page_override_reason", examples=["红色案件，转公安联络员 24 小时内联系"]
    )
    owner_key_id: int | None = described("page_owner_key", None, ge=1, le=2**31 - 1)


class Step(BaseModel):
    at: str = described("page_at")
    action: str = described("page_step")
    state: StateName = described("page_state")
    owner_kind: str | None = described("page_owner")
    owner_key_id: int | None = described("page_owner_key")
    level: str = described("page_level")
    due_on: dt.date | None = described("page_state_due")
    reason: str = described("page_override_reason")
    key_id: int = described("field_key_id")


class PlanOut(BaseModel):
    """What the tier now asks: actions and the follow-up date (set by a score or override)."""

    tier: TierName = described("page_tier")
    set_by: Literal["score", "override"] = described("field_set_by")
    actions_zh: list[str] = described("page_actions")
    actions_en: list[str] = described("page_actions")
    follow_up_days: int = described("field_follow_up_days")
    follow_up_date: dt.date = described("page_follow_up")


class CaseLife(BaseModel):
    """Where a case stands: state, owner, mediation level, deadlines, and its steps."""

    case_id: str = contract("case_id")
    state: StateName = described("page_state")
    owner_kind: str | None = described("page_owner")
    owner_key_id: int | None = described("page_owner_key")
    level: str | None = described("page_level")
    state_due: dt.date | None = described("page_state_due")
    plan: PlanOut | None = described("field_plan")
    overdue: bool = described("page_overdue")
    follow_up_overdue: bool = described("field_follow_up_overdue")
    escalated: bool = described("page_escalated")
    steps: list[Step] = described("page_steps")


class AssessmentIn(_Strict):
    """A follow-up's re-assessment: what changed since the last one (case fields), a note,
    and the day (today if not given)."""

    changes: CaseUnit = Field(  # type: ignore[valid-type]
        default_factory=CaseUnit,
        description=" / ".join(both("page_changes")),
        examples=[{"victim_fear": "high", "mediation_status": "failed"}],
    )
    note: _text(2000, min_length=0) = described("page_reassess_note", "")  # type: ignore[valid-type]
    as_of: Day | None = described("page_reassess_date", None)


class ReasonChange(BaseModel):
    code: str = described("field_code")
    direction: Literal["raises", "lowers"] = described("field_direction")
    label_zh: str = described("field_name_zh")
    label_en: str = described("field_name_en")
    value_zh: str = described("field_value_zh")
    value_en: str = described("field_value_en")
    was_zh: str | None = described("field_was_zh", None)
    was_en: str | None = described("field_was_en", None)


class ReasonChanges(BaseModel):
    added: list[ReasonChange] = described("field_reasons_added")
    removed: list[ReasonChange] = described("field_reasons_removed")
    changed: list[ReasonChange] = described("field_reasons_changed")


class AssessmentOut(BaseModel):
    """One assessment: kind, tier (and the tier before), what changed and which reasons."""

    at: str = described("page_at")
    kind: Literal["intake", "follow_up", "model"] = described("page_kind")
    as_of: dt.date = described("page_reassess_date")
    tier: TierName = described("page_tier")
    tier_before: TierName | None = described("page_tier_before")
    p_red: float = described("page_p_red")
    flags: list[dict[str, Any]] = described("page_flags")
    model_version: str = described("page_model_version")
    changes: dict[str, Any] = described("page_changes")
    note: str = described("page_reassess_note")
    key_id: int = described("field_key_id")
    reasons: list[dict[str, Any]] = described("page_reasons")
    reasons_changed: ReasonChanges | None = described("page_reasons_changed")


class Assessments(BaseModel):
    case_id: str = contract("case_id")
    assessments: list[AssessmentOut] = described("page_tier_history")


class Reassessed(BaseModel):
    case_id: str = contract("case_id")
    kind: Literal["follow_up"] = described("page_kind")
    tier_before: TierName | None = described("page_tier_before")
    score: dict[str, Any] = described("field_stored_score")


class WorkItem(BaseModel):
    """A case in a work list, with why it is there."""

    case_id: str = contract("case_id")
    household_id: str = contract("household_id")
    grid_id: str | None = described("page_grid")
    state: StateName = described("page_state")
    tier: TierName | None = described("page_tier")
    owner_kind: str | None = described("page_owner")
    owner_key_id: int | None = described("page_owner_key")
    level: str | None = described("page_level")
    state_due: dt.date | None = described("page_state_due")
    follow_up_date: dt.date | None = described("page_follow_up")
    overdue: bool = described("page_overdue")
    escalated: bool = described("page_escalated")
    tier_rose: bool = described("page_tier_rose")
    mine: bool = described("field_mine")


class WorkList(BaseModel):
    """The caller's open cases (and, for supervisors, the grid's missed red follow-ups)."""

    today: dt.date = described("page_packet_printed")
    items: list[WorkItem] = described("page_nav_worklist")


class TimelineEntry(BaseModel):
    """One event of a household's file: its day (or moment), its kind, and what it says."""

    model_config = {"extra": "allow"}

    at: str = described("page_at")
    kind: Literal[
        "survey", "screening", "case", "assessment", "override", "step", "outcome", "visit"
    ] = described("page_kind")
    case_id: str | None = contract("case_id", None)
    tier: TierName | None = described("page_tier", None)


class FileCase(BaseModel):
    case_id: str = contract("case_id")
    opened_at: dt.date = contract("opened_at")
    dispute_type: str | None = contract("dispute_type")
    tier: TierName | None = described("page_tier")
    state: StateName = described("page_state")
    overdue: bool = described("page_overdue")


class Wave(BaseModel):
    survey_date: dt.date = contract("survey_date")
    grid_id: str = described("page_grid")
    fields: dict[str, Any] = described("field_wave_fields")


class HouseholdTimeline(BaseModel):
    """Everything stored of a household, and its timeline, oldest first."""

    household_id: str = contract("household_id")
    grid_id: str | None = described("page_grid")
    waves: list[Wave] = described("page_waves")
    cases: list[FileCase] = described("page_cases")
    timeline: list[TimelineEntry] = described("page_timeline")


class Found(BaseModel):
    kind: Literal["household", "case"] = described("page_kind")
    id: str = described("field_found_id")
    household_id: str = contract("household_id")
    grid_id: str | None = described("page_grid")


class SearchResult(BaseModel):
    query: str = described("page_search_label")
    found: list[Found] = described("page_nav_search")


class VisitNoteIn(_Strict):
    """A visit to the household: the day, what was found, and the case it was for."""

    visited_on: Day = described("page_visit_on", examples=["2024-04-10"])
    note: _text(2000, min_length=2) = described(  # type: ignore[valid-type]
        "page_visit_note", examples=["入户走访，双方情绪平稳"]
    )
    case_id: Id | None = contract("case_id", None)


class VisitNoteOut(BaseModel):
    household_id: str = contract("household_id")
    visited_on: dt.date = described("page_visit_on")
    stored: bool = described("field_stored")


class Rate(BaseModel):
    group: str | None = described("page_report_group")
    cases: int = described("page_cases")
    overridden: int = described("page_report_overridden")
    raised: int = described("page_report_raised")
    lowered: int = described("page_report_lowered")
    rate: float = described("page_report_rate")


class OutcomeShares(BaseModel):
    group: Literal["accepted", "raised", "lowered"] = described("page_report_group")
    with_outcome: int = described("page_report_with_outcome")
    outcomes: dict[str, int] = described("page_report_outcomes")
    shares: dict[str, float] = described("field_outcome_shares")


class OverriderCount(BaseModel):
    worker: str = described("page_report_overriders")
    overrides: int = described("page_report_overridden")


class OverrideReport(BaseModel):
    """Where judgement and model part: override rates and the outcomes that followed."""

    cases: int = described("page_cases")
    overridden: int = described("page_report_overridden")
    rate: float = described("page_report_rate")
    by_tier: list[Rate] = described("page_report_by_tier")
    by_grid: list[Rate] = described("page_report_by_grid")
    by_role: list[Rate] = described("page_report_by_role")
    by_worker: list[Rate] = described("page_report_by_worker")
    overrides_by_worker: list[OverriderCount] = described("page_report_overriders")
    outcomes: list[OutcomeShares] = described("page_report_outcomes")
