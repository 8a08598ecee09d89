"""Request and response models, derived from the contract table (nothing re-typed here).

Every contract field becomes a pydantic field with its type, range or allowed codes and
its zh/en label as the description; unknown fields are refused.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    create_model,
)
from pydantic_core import PydanticCustomError

from risk.features.history import HISTORY_COLUMNS
from risk.i18n import both, text
from risk.ids import ID_FIELDS, id_ok
from risk.schema import CASE, FIRST_DAY, HOUSEHOLD_SURVEY, LAST_DAY, TIERS
from risk.schema import Field as ContractField

__all__ = [
    "CaseHistory",
    "CaseIn",
    "CaseUnit",
    "Health",
    "Id",
    "ModelDescription",
    "MoveIn",
    "Moved",
    "OutcomeIn",
    "OutcomeStored",
    "Overridden",
    "OverrideIn",
    "Ready",
    "Reloaded",
    "ScoreBatchRequest",
    "ScoreBatchResult",
    "ScoreRequest",
    "ScoreResult",
    "StoredCase",
    "StoredSurvey",
    "SurveyIn",
    "SurveyUnit",
    "VisitList",
    "contract",
    "described",
]

TierName = Literal["green", "yellow", "red"]
Lang = Literal["zh", "en"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _whole(value: Any) -> Any:
    """JSON has one kind of number: 4.0 is the whole number 4 (4.5, "4" and true are not)."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


#: The contract's dates (:data:`risk.schema.FIRST_DAY` to ``LAST_DAY``), written
#: YYYY-MM-DD. The pattern is in the OpenAPI schema, so clients see the range.
DAY_PATTERN = r"^(19[7-9][0-9]|2[01][0-9][0-9])-[0-9]{2}-[0-9]{2}$"


def _in_range(value: Any) -> Any:
    """Only YYYY-MM-DD (a number is never read as a Unix timestamp, nor a date-time as its
    day), within the range."""
    if isinstance(value, dt.date):
        value = value.isoformat()
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        raise PydanticCustomError("date_type", "not a date")
    if not re.match(DAY_PATTERN, value):
        raise PydanticCustomError(
            "date_range", "outside {range}", {"range": f"{FIRST_DAY} – {LAST_DAY}"}
        )
    return value


Day = Annotated[
    dt.date, Field(json_schema_extra={"pattern": DAY_PATTERN}), BeforeValidator(_in_range)
]


def _id(value: str) -> str:
    if not id_ok(value):
        raise PydanticCustomError("id_syntax", "not a valid id")
    return value


def _no_nul(value: str) -> str:
    """PostgreSQL stores no NUL character in text: refused here, not a 503 there."""
    if "\x00" in value:
        raise PydanticCustomError("nul_char", "NUL character")
    return value


#: The ids the OpenAPI schema shows: a portable subset of :func:`risk.ids.id_ok` (ASCII
#: letters and digits, CJK ideographs, ``_ : # - .`` and inner spaces, not starting with
#: ``.``); the service accepts every id the rule allows.
_ID_CHAR = r"A-Za-z0-9\u4e00-\u9fff_:#\-"
ID_PATTERN = rf"^[{_ID_CHAR}]([{_ID_CHAR}. ]*[{_ID_CHAR}.])?$"
ID_SCHEMA = {"pattern": ID_PATTERN}

#: Every id the API takes (body, path or query): the one id syntax of :mod:`risk.ids`.
Id = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64),
    AfterValidator(_id),
    Field(json_schema_extra=ID_SCHEMA),
]


def _text(max_length: int, min_length: int = 1) -> Any:
    return Annotated[
        str,
        StringConstraints(min_length=min_length, max_length=max_length),
        AfterValidator(_no_nul),
        Field(json_schema_extra={"pattern": "^[^\\u0000]*$"}),
    ]


def _annotation(f: ContractField) -> Any:
    if f.kind == "enum":
        return Literal[tuple(f.codes)]
    if f.kind == "int":
        return Annotated[int, Field(ge=f.low, le=f.high, strict=True), BeforeValidator(_whole)]
    if f.kind == "bool":
        return StrictBool
    if f.kind == "date":
        return Day
    if f.name in ID_FIELDS:
        return Id
    return _text(f.max_length or 2000)


def _label(f: ContractField) -> str:
    return f"{f.zh} / {f.en}"


def described(key: str, /, default: Any = ..., **constraints: Any) -> Any:
    """A pydantic field described by the message ``key`` of :mod:`risk.i18n`, in Chinese
    and English (the one table of labels; nothing re-worded here)."""
    return Field(default, description=" / ".join(both(key)), **constraints)


def contract(name: str, /, default: Any = ...) -> Any:
    """A pydantic field described by the contract field ``name``'s zh/en labels."""
    f = CASE[name] if name in CASE else HOUSEHOLD_SURVEY[name]
    return Field(default, description=_label(f))


def _model(
    name: str, fields: list[ContractField], *, all_optional: bool, **extra: Any
) -> type[BaseModel]:
    spec: dict[str, Any] = dict(extra)
    for f in fields:
        description = _label(f)
        if f.required and not all_optional:
            spec[f.name] = (_annotation(f), Field(description=description))
        else:
            spec[f.name] = (_annotation(f) | None, Field(default=None, description=description))
    return create_model(name, __base__=_Strict, **spec)


_SCORING_SKIP = {"household_id", "case_id", "opened_at", "survey_date"}

#: ``POST /v1/households``: one survey wave, required fields as in the contract.
SurveyIn = _model("SurveyIn", list(HOUSEHOLD_SURVEY), all_optional=False)
#: ``POST /v1/cases``: a case at intake (outcomes arrive later, through /outcome), with
#: its grid (needed unless its household has a grid of record) and, for a household
#: nothing is stored of yet, ``new_household: true``.
CaseIn = _model(
    "CaseIn",
    [f for f in CASE if not f.training_only],
    all_optional=False,
    grid_id=(
        Id | None,
        described("page_grid_hint", None),
    ),
    new_household=(
        StrictBool,
        described("page_new_household", False),
    ),
)
#: The survey part of a unit sent inline for scoring: every field optional.
SurveyUnit = _model(
    "SurveyUnit", [f for f in HOUSEHOLD_SURVEY if f.name not in _SCORING_SKIP], all_optional=True
)
#: The case part of a unit sent inline for scoring: every field optional.
CaseUnit = _model(
    "CaseUnit",
    [f for f in CASE if not f.training_only and f.name not in _SCORING_SKIP],
    all_optional=True,
)


#: What the examples in the OpenAPI schema show: a case as a case worker records it at
#: intake (inline, for scoring) and the survey wave of its household.
EXAMPLE_CASE: dict[str, Any] = {
    "source": "grid_worker",
    "dispute_type": "marital",
    "counterpart": "spouse",
    "prior_incidents_12m": 3,
    "threat_to_kill": True,
    "victim_fear": "high",
    "notes": "男方酒后扬言要杀了她",
}
EXAMPLE_SURVEY: dict[str, Any] = {
    "area": "rural",
    "household_size": 4,
    "children": 2,
    "elderly": 1,
    "alcohol_misuse": "frequent",
    "conflict_frequency": "weekly",
}
EXAMPLE_SCORE: dict[str, Any] = {
    "as_of": "2024-04-01",
    "case": EXAMPLE_CASE,
    "survey": EXAMPLE_SURVEY,
}


#: What a unit to score needs: at least one of these, not null (the route refuses a unit
#: without, 422 ``api_need_unit``). Not in the published schema: client generators cannot
#: read an ``anyOf`` of required fields on an object (openapi-python-client drops the
#: model); the fuzz test adds it.
UNIT_PARTS = ("household_id", "survey", "case")


class ScoreRequest(_Strict):
    """One unit: inline survey and/or case fields, or a stored household by id (at least
    one of household_id, survey and case)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [EXAMPLE_SCORE, {"household_id": "H-0001", "lang": "en"}]},
    )

    household_id: Id | None = contract("household_id", None)
    as_of: Day | None = described("field_as_of", None)
    survey: SurveyUnit | None = described("field_survey", None)  # type: ignore[valid-type]
    case: CaseUnit | None = described("field_case", None)  # type: ignore[valid-type]
    lang: Lang = described("field_lang", "zh")


class ScoreBatchRequest(_Strict):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"units": [EXAMPLE_SCORE]}]}
    )

    units: list[ScoreRequest] = described("field_units", min_length=1)


class OverrideIn(_Strict):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"tier": "red", "reason": "回访时发现男方仍持刀威胁"}]},
    )

    tier: TierName = described("field_tier_to")
    reason: _text(2000, min_length=2) = described("field_override_reason")  # type: ignore[valid-type]


class MoveIn(_Strict):
    """The grid a household moves to."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"grid_id": "G-B"}]})

    grid_id: Id = described("field_grid_to")


class OutcomeIn(_Strict):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"outcome": "resolved", "outcome_at": "2024-06-30"}]},
    )

    outcome: Literal[tuple(CASE["outcome"].codes)] = contract("outcome")  # type: ignore[valid-type]
    outcome_at: Day = contract("outcome_at")


# --- answers -------------------------------------------------------------------------------


def _probability(tier: str) -> Any:
    choice = next(c for c in TIERS if c.code == tier)
    zh, en = (
        text("field_probability", "zh", tier=choice.zh),
        text("field_probability", "en", tier=choice.en),
    )
    return Field(description=f"{zh} / {en}")


class Health(BaseModel):
    status: Literal["ok"] = described("field_status")


class Ready(BaseModel):
    status: Literal["ready"] = described("field_status")
    model_version: str | None = described("page_model_version")


class Probabilities(BaseModel):
    green: float = _probability("green")
    yellow: float = _probability("yellow")
    red: float = _probability("red")


class Flag(BaseModel):
    """A red flag that fired: it sets the tier to at least its own."""

    code: str = described("field_code")
    tier: TierName = described("field_flag_tier")
    label: str = described("field_name")
    zh: str = described("field_name_zh")
    en: str = described("field_name_en")


class Reason(BaseModel):
    """One factor and how much it moved the explained model's log-odds."""

    code: str = described("field_code")
    direction: Literal["raises", "lowers"] = described("field_direction")
    size: float = described("field_size")
    label: str = described("field_name")
    value: str = described("field_value")
    label_zh: str = described("field_name_zh")
    label_en: str = described("field_name_en")
    value_zh: str = described("field_value_zh")
    value_en: str = described("field_value_en")


class ModelRef(BaseModel):
    name: str = described("page_model_name")
    version: str = described("page_model_version")


class Unseen(BaseModel):
    """An answer the model could not see, and what knowing it could do to the tier."""

    field: str = described("field_unseen_field")
    label: str = described("field_name")
    label_zh: str = described("field_name_zh")
    label_en: str = described("field_name_en")
    tiers: list[TierName] = described("field_unseen_tiers")
    changes_tier: bool = described("field_changes_tier")
    p_red_low: float = described("field_p_red_low")
    p_red_high: float = described("field_p_red_high")


class ScoreResult(BaseModel):
    """The model's full result for one unit."""

    decision: Literal["intake", "screening"] = described("field_decision")
    tier: TierName = described("field_tier")
    tier_label: str = described("field_tier_label")
    model_tier: TierName = described("field_model_tier")
    probabilities: Probabilities = described("field_probabilities")
    flags: list[Flag] = described("field_flags")
    reasons: list[Reason] = described("field_reasons")
    reasons_model: Literal["red", "yellow_or_red"] = described("field_reasons_model")
    base: float = described("field_base")
    logit: float = described("field_logit")
    unseen: list[Unseen] = described("page_unseen")
    actions: list[str] = described("page_actions")
    follow_up_days: int = described("field_follow_up_days")
    follow_up_date: dt.date = described("page_follow_up")
    prediction_set: list[TierName] = described("page_prediction_set")
    review_recommended: bool = described("field_review_recommended")
    model: ModelRef = described("field_model")


class ScoreBatchResult(BaseModel):
    results: list[ScoreResult] = described("field_results")


class StoredSurvey(BaseModel):
    """A survey wave stored, with the screening score stored beside it."""

    household_id: str = contract("household_id")
    stored: Literal[True] = described("field_stored")
    score: ScoreResult = described("field_stored_score")


class StoredCase(BaseModel):
    """A case stored at intake, with the score stored beside it."""

    case_id: str = contract("case_id")
    stored: Literal[True] = described("field_stored")
    grid_id: str = described("page_grid")
    score: ScoreResult = described("field_stored_score")


class Moved(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    household_id: str = contract("household_id")
    from_grid: str = described("field_grid_from", alias="from")
    to: str = described("field_grid_to")


class ScoreEntry(BaseModel):
    at: str = described("page_at")
    model_version: str = described("page_model_version")
    result: dict[str, Any] = described("field_score_result")


class OverrideEntry(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    at: str = described("page_at")
    from_tier: TierName = described("field_tier_from", alias="from")
    to: TierName = described("field_tier_to")
    reason: str = described("field_override_reason")
    key_id: int = described("field_key_id")
    follow_up_date: dt.date | None = described("page_follow_up", None)


class OutcomeEntry(BaseModel):
    at: str = described("page_at")
    outcome: str = contract("outcome")
    outcome_at: dt.date = contract("outcome_at")


class CaseHistory(BaseModel):
    """A case with its tier now and every score, override and outcome it has had."""

    case_id: str = contract("case_id")
    household_id: str = contract("household_id")
    grid_id: str | None = contract("grid_id")  # (a case whose household has no survey)
    fields: dict[str, Any] = described("field_case_fields")
    tier: TierName | None = described("field_tier_now")
    scores: list[ScoreEntry] = described("page_scores")
    overrides: list[OverrideEntry] = described("page_overrides")
    outcomes: list[OutcomeEntry] = described("page_outcomes")
    life: dict[str, Any] = described("field_case_life")


class Overridden(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    case_id: str = contract("case_id")
    from_tier: TierName = described("field_tier_from", alias="from")
    to: TierName = described("field_tier_to")
    follow_up_date: dt.date = described("page_follow_up")


class OutcomeStored(BaseModel):
    case_id: str = contract("case_id")
    outcome: str = contract("outcome")


class Visit(BaseModel):
    """A household to visit, for its most urgent open case or screening."""

    household_id: str = contract("household_id")
    grid_id: str | None = contract("grid_id")  # (a case whose household has no survey)
    case_id: str | None = contract("case_id")
    opened_at: dt.date | None = contract("opened_at")
    tier: TierName = described("field_tier_now")
    p_red: float = described("field_p_red")
    follow_up_date: dt.date = described("page_follow_up")
    flags: list[Flag] = described("field_flags")
    reasons: list[Reason] = described("field_reasons")
    model_version: str = described("page_model_version")


class VisitList(BaseModel):
    grid: str | None = described("page_visits_grid")
    capacity: int = described("page_visits_capacity")
    visits: list[Visit] = described("field_visits")


class Thresholds(BaseModel):
    red: float = described("field_threshold_red")
    yellow: float = described("field_threshold_yellow")


class DecisionInfo(BaseModel):
    thresholds: Thresholds = described("page_model_thresholds")
    review_share: float = described("page_model_coverage")
    pooled: bool = described("field_pooled")


class ModelDescription(ModelRef):
    """The served model: what it is, when and on what it was trained, its thresholds."""

    trained_at: str = described("field_trained_at")
    data: dict[str, Any] = described("field_training_data")
    decisions: dict[Literal["intake", "screening"], DecisionInfo] = described("field_decisions")
    policy_version: int = described("page_model_policy")
    red_flags: list[str] = described("page_model_red_flags")


class Reloaded(BaseModel):
    reloaded: Literal[True] = described("field_reloaded")
    version: str = described("page_model_version")


class _MonitorCell(BaseModel):
    """What a monitor's alert or row is about: one decision in one month."""

    decision: str = described("field_decision")
    month: str = described("field_monitor_month")


class MonitorAlert(_MonitorCell):
    figure: str = described("field_monitor_figure")
    value: float = described("field_monitor_value")
    low: float = described("field_monitor_band_low")
    high: float = described("field_monitor_band_high")
    message_zh: str = described("field_monitor_message")
    message_en: str = described("field_monitor_message")


class MonitorRow(_MonitorCell):
    tier: str = described("field_monitor_tier")
    figures: dict[str, float | None] = described("field_monitor_figures")


class MonitorReportOut(BaseModel):
    """The model in service: outcomes against predictions, drift, alerts."""

    generated: str = described("field_monitor_generated")
    alerts: list[MonitorAlert] = described("field_monitor_alerts")
    rows: list[MonitorRow] = described("field_monitor_rows")
    drift_zh: list[str] = described("field_monitor_drift")
    drift_en: list[str] = described("field_monitor_drift")


#: Tier names as the contract spells them (for validation messages).
TIER_CODES = tuple(c.code for c in TIERS)
HISTORY = tuple(HISTORY_COLUMNS)


class UnitScore(BaseModel):
    """A unit's latest stored score, as a household's file shows it."""

    tier: TierName = described("page_tier")
    p_red: float = described("field_p_red")
    follow_up_date: str = described("page_follow_up")
    model_version: str = described("page_model_version")


class HouseholdSurvey(BaseModel):
    survey_date: str = contract("survey_date")
    grid_id: str = contract("grid_id")
    fields: dict[str, Any] = described("field_survey_fields")


class HouseholdCase(BaseModel):
    case_id: str = contract("case_id")
    opened_at: str = contract("opened_at")
    tier: TierName | None = described("field_tier_now")
    score: UnitScore | None = described("field_unit_score")
    outcome: str | None = contract("outcome")
    outcome_at: str | None = contract("outcome_at")


class HouseholdFile(BaseModel):
    """A household's file: its survey waves, its latest screening, its cases."""

    household_id: str = contract("household_id")
    grid_id: str | None = contract("grid_id")
    surveys: list[HouseholdSurvey] = described("field_household_surveys")
    screening: UnitScore | None = described("field_household_screening")
    cases: list[HouseholdCase] = described("field_household_cases")


class LoadIn(BaseModel):
    """The ledger files to load, by name in ``RISK_LOAD_DIR``; at least one."""

    households: str | None = described("field_load_file", None, max_length=200)
    cases: str | None = described("field_load_file", None, max_length=200)
    as_of: dt.date | None = described("field_load_as_of", None)


class LoadOut(BaseModel):
    """What a load did, counted, and its summary in both languages."""

    counts: dict[str, int] = described("field_load_counts")
    quarantined: dict[str, int] = described("field_load_quarantined")
    summary_zh: str = described("field_load_summary")
    summary_en: str = described("field_load_summary")
