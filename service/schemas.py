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
from risk.ids import ID_FIELDS, id_ok
from risk.schema import CASE, FIRST_DAY, HOUSEHOLD_SURVEY, LAST_DAY, TIERS
from risk.schema import Field as ContractField

__all__ = [
    "CaseIn",
    "CaseUnit",
    "Id",
    "MoveIn",
    "OutcomeIn",
    "OverrideIn",
    "ScoreBatchRequest",
    "ScoreRequest",
    "ScoreResult",
    "SurveyIn",
    "SurveyUnit",
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


def _model(
    name: str, fields: list[ContractField], *, all_optional: bool, **extra: Any
) -> type[BaseModel]:
    spec: dict[str, Any] = dict(extra)
    for f in fields:
        description = f"{f.zh} / {f.en}"
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
        Field(default=None, description="网格编号 / grid id (its household's, if it has one)"),
    ),
    new_household=(
        StrictBool,
        Field(default=False, description="新建该户 / the household is new: create it"),
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


class ScoreRequest(_Strict):
    """One unit: inline survey and/or case fields, or a stored household by id."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={  # at least one of them, not null (the route checks the same)
            "anyOf": [
                {"required": [name], "properties": {name: {"type": kind}}}
                for name, kind in (
                    ("household_id", "string"),
                    ("survey", "object"),
                    ("case", "object"),
                )
            ]
        },
    )

    household_id: Id | None = None
    as_of: Day | None = Field(default=None, description="评估日期 / date scored as of")
    survey: SurveyUnit | None = None  # type: ignore[valid-type]
    case: CaseUnit | None = None  # type: ignore[valid-type]
    lang: Lang = "zh"


class ScoreBatchRequest(_Strict):
    units: list[ScoreRequest] = Field(min_length=1)


class OverrideIn(_Strict):
    tier: TierName
    reason: _text(2000, min_length=2)  # type: ignore[valid-type]


class MoveIn(_Strict):
    """The grid a household moves to."""

    grid_id: Id


class OutcomeIn(_Strict):
    outcome: Literal[tuple(CASE["outcome"].codes)]  # type: ignore[valid-type]
    outcome_at: Day


class Probabilities(BaseModel):
    green: float
    yellow: float
    red: float


class Flag(BaseModel):
    code: str
    tier: TierName
    label: str
    zh: str
    en: str


class Reason(BaseModel):
    code: str
    direction: Literal["raises", "lowers"]
    size: float
    label: str
    value: str
    label_zh: str
    label_en: str
    value_zh: str
    value_en: str


class ModelRef(BaseModel):
    name: str
    version: str


class Unseen(BaseModel):
    """An answer the model could not see, and what knowing it could do to the tier."""

    field: str
    label: str
    label_zh: str
    label_en: str
    tiers: list[TierName]
    changes_tier: bool
    p_red_low: float
    p_red_high: float


class ScoreResult(BaseModel):
    """The model's full result for one unit."""

    decision: Literal["intake", "screening"]
    tier: TierName
    tier_label: str
    model_tier: TierName
    probabilities: Probabilities
    flags: list[Flag]
    reasons: list[Reason]
    reasons_model: Literal["red", "yellow_or_red"]
    base: float
    logit: float
    unseen: list[Unseen]
    actions: list[str]
    follow_up_days: int
    follow_up_date: dt.date
    prediction_set: list[TierName]
    review_recommended: bool
    model: ModelRef


class ScoreBatchResult(BaseModel):
    results: list[ScoreResult]


#: Tier names as the contract spells them (for validation messages).
TIER_CODES = tuple(c.code for c in TIERS)
HISTORY = tuple(HISTORY_COLUMNS)
