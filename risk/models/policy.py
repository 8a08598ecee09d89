"""The tier policy: each decision's targets, red-flag floors, and what each tier means.

Each decision (case intake, household screening) states its targets in terms a centre
sets: the share of units it can treat as red and as yellow-or-red (capacity, which always
holds), the recall and safety it wants (used only when the calibration period holds at
least ``min_events`` events of the class), a minimum P(red) for red, and the share of
borderline units to flag for review. Read from ``risk/config/policy.yaml`` (or a
centre's own copy) and validated, so a typo in the file is a clear error naming the key,
not a silent default. Floors only ever raise a
tier: the policy's tier is the larger of the model's tier and the highest floor that fires.
The answers listed as ``monotone`` are ones where more never means less risk: the model is
fitted so that raising one never lowers a tier, and every red flag's field must be one.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any, Literal, TypeVar

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from risk.errors import ConfigError
from risk.features.history import HISTORY_COLUMNS
from risk.models.decision import DECISIONS
from risk.models.tiers import TIERS
from risk.schema import CASE, HOUSEHOLD_SURVEY

__all__ = [
    "DEFAULT_POLICY",
    "DecisionPolicy",
    "Policy",
    "RedFlag",
    "Targets",
    "Thresholds",
    "load_policy",
    "parse_config",
    "parse_policy",
]

DEFAULT_POLICY = "policy.yaml"
_Config = TypeVar("_Config", bound=BaseModel)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Targets(_Strict):
    """What one decision's thresholds must achieve on its calibration units.

    The two shares are capacity (how many the centre can treat as red, and as yellow or
    red) and always hold; the recall and green-safety targets are sought within them.
    """

    max_red_share: float = Field(gt=0, le=1)
    max_yellow_or_red_share: float = Field(gt=0, le=1)
    red_recall: float = Field(ge=0, le=1)
    max_green_red_rate: float = Field(ge=0, le=1)
    yellow_or_red_recall: float = Field(ge=0, le=1)

    @model_validator(mode="after")
    def _nested(self) -> Targets:
        if self.max_yellow_or_red_share < self.max_red_share:
            raise ValueError("max_yellow_or_red_share must be at least max_red_share")
        return self

    def judge(
        self,
        *,
        red_share: float,
        yellow_or_red_share: float,
        red_recall: float,
        green_red_rate: float,
        yellow_or_red_recall: float,
    ) -> dict[str, bool | None]:
        """Whether tiers achieving these figures meet each target: True or False, or None
        where the figure is undefined (no event of its class to measure it on)."""

        def at_most(value: float, limit: float) -> bool | None:
            return None if value != value else value <= limit + 1e-9

        def at_least(value: float, floor: float) -> bool | None:
            return None if value != value else value >= floor - 1e-9

        return {
            "max_red_share": at_most(red_share, self.max_red_share),
            "max_yellow_or_red_share": at_most(yellow_or_red_share, self.max_yellow_or_red_share),
            "red_recall": at_least(red_recall, self.red_recall),
            "max_green_red_rate": at_most(green_red_rate, self.max_green_red_rate),
            "yellow_or_red_recall": at_least(yellow_or_red_recall, self.yellow_or_red_recall),
        }


class DecisionPolicy(_Strict):
    """One decision's targets and fallbacks."""

    targets: Targets
    #: Never red below this calibrated P(red), whatever the capacity allows.
    min_red_probability: float = Field(ge=0, lt=1)
    #: Fewer calibration events of a class than this: capacity alone places its threshold,
    #: and fewer training red events: the pooled classifier serves the decision.
    min_events: int = Field(ge=1)
    #: The share of the decision's units flagged for review (borderline units).
    review_share: float = Field(ge=0, lt=1)
    #: The capacity shares are measured on the decision's latest units: those whose outcome
    #: is not known yet, and the latest calibration units to make at least this many.
    capacity_units: int = Field(default=1000, ge=1)


class Calibration(_Strict):
    """Platt scaling's priors: the classifier's own logit, worth so many events for its
    slope (its ranking) and for its level (calibration in the large)."""

    prior_events: float = Field(ge=0)
    #: The least the level's prior is worth: it keeps a period without an event (or with
    #: one or two) from setting the level to nothing.
    level_prior_events: float = Field(default=1.0, ge=0)
    #: The level's prior set by how far the period's own level departs beyond its noise
    #: (empirical Bayes, :class:`~risk.models.calibration.PlattScaling`).
    empirical_level: bool = True


class RedFlag(_Strict):
    """A structured-judgement floor: when ``field`` meets the condition, at least ``tier``."""

    code: str
    field: str
    tier: Literal["yellow", "red"]
    zh: str
    en: str
    is_: bool | None = Field(default=None, alias="is")
    in_: tuple[str, ...] | None = Field(default=None, alias="in")
    at_least: float | None = None

    @model_validator(mode="after")
    def _one_condition(self) -> RedFlag:
        given = [c for c in (self.is_, self.in_, self.at_least) if c is not None]
        if len(given) != 1:
            raise ValueError(f"red flag {self.code!r}: give exactly one of is, in, at_least")
        return self

    @property
    def rank(self) -> int:
        return TIERS.index(self.tier)

    def fires(self, units: pd.DataFrame) -> np.ndarray:
        """Whether the flag fires for each unit; a missing or absent field never fires."""
        if self.field not in units:
            return np.zeros(len(units), bool)
        column = units[self.field]
        if self.is_ is not None:
            if not pd.api.types.is_bool_dtype(column.dtype):
                return np.zeros(len(units), bool)  # only a yes/no answer can fire
            values = column.astype("boolean")
            hit = values.fillna(not self.is_).to_numpy(bool) == self.is_
            return np.asarray(hit, bool)
        if self.in_ is not None:
            return np.asarray(column.isin(self.in_).to_numpy(), bool)
        number = pd.to_numeric(column, errors="coerce").to_numpy(np.float64, na_value=np.nan)
        return np.asarray(number >= float(self.at_least), bool)  # type: ignore[arg-type]

    def fires_one(self, record: Mapping[str, Any]) -> bool:
        value = record.get(self.field)
        if value is None or value is pd.NA or (isinstance(value, float) and value != value):
            return False
        if self.is_ is not None:
            return bool(value) is self.is_ if isinstance(value, bool | np.bool_) else False
        if self.in_ is not None:
            return str(value) in self.in_
        try:
            return float(value) >= float(self.at_least)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return False

    def label(self, lang: str = "zh") -> str:
        return self.zh if lang == "zh" else self.en


class TierAction(_Strict):
    """What the centre does for a tier and when it follows up."""

    follow_up_days: int = Field(gt=0)
    actions_zh: tuple[str, ...]
    actions_en: tuple[str, ...]

    def actions(self, lang: str = "zh") -> tuple[str, ...]:
        return self.actions_zh if lang == "zh" else self.actions_en


class Reasons(_Strict):
    top_k: int = Field(ge=1, le=20)


class Thresholds(_Strict):
    """The chosen cut-offs: red when P(red) ≥ red, else yellow when P(yellow or red) ≥ yellow."""

    red: float = Field(ge=0, le=1)
    yellow: float = Field(ge=0, le=1)


class Policy(_Strict):
    """The whole policy file."""

    version: int
    decisions: dict[str, DecisionPolicy]
    calibration: Calibration
    red_flags: tuple[RedFlag, ...]
    tiers: dict[str, TierAction]
    reasons: Reasons
    monotone: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _complete(self) -> Policy:
        missing = [t for t in TIERS if t not in self.tiers]
        unknown = [t for t in self.tiers if t not in TIERS]
        if missing or unknown:
            raise ValueError(
                f"tiers: need exactly green, yellow, red; missing {missing}, unknown {unknown}"
            )
        if sorted(self.decisions) != sorted(DECISIONS):
            raise ValueError(f"decisions: need exactly {', '.join(DECISIONS)}")
        codes = [f.code for f in self.red_flags]
        if len(set(codes)) != len(codes):
            raise ValueError("red_flags: codes must be unique")
        ordered = _ordered_answers()
        for name in self.monotone:
            if name not in ordered:
                raise ValueError(
                    f"monotone: {name!r} is not a model input with an order (a number, a "
                    "yes/no field or an ordered choice)"
                )
        for flag in self.red_flags:
            if flag.field in ordered and flag.field not in self.monotone:
                raise ValueError(
                    f"red_flags {flag.code}: field {flag.field!r} must be listed under "
                    "monotone, or the model could lower the tier the flag raises"
                )
        return self

    def floors(self, units: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """``(floor rank per unit, fired matrix (n, n_flags))``; rank 0 when none fires."""
        fired = np.zeros((len(units), len(self.red_flags)), bool)
        for j, flag in enumerate(self.red_flags):
            fired[:, j] = flag.fires(units)
        ranks = np.array([f.rank for f in self.red_flags], np.int64)
        floor = (fired * ranks).max(axis=1, initial=0)
        return floor, fired

    def floors_one(self, record: Mapping[str, Any]) -> tuple[int, list[RedFlag]]:
        fired = [flag for flag in self.red_flags if flag.fires_one(record)]
        return max((f.rank for f in fired), default=0), fired

    def to_yaml(self) -> str:
        data = self.model_dump(mode="json", by_alias=True, exclude_none=True)
        return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def _ordered_answers() -> set[str]:
    """Model inputs whose answers have an order of risk: numbers, yes/no, ordered enums."""
    out = set(HISTORY_COLUMNS)
    for kind in (HOUSEHOLD_SURVEY, CASE):
        for f in kind.scoring_fields():
            if f.model_input and (f.kind in ("int", "bool") or (f.kind == "enum" and f.ordered)):
                out.add(f.name)
    return out


def load_policy(path: str | Path | None = None) -> Policy:
    """The policy from ``path``, or the packaged default."""
    if path is None:
        text = resources.files("risk").joinpath("config", DEFAULT_POLICY).read_text("utf-8")
        where = f"risk/config/{DEFAULT_POLICY}"
    else:
        try:
            text = Path(path).read_text("utf-8")
        except OSError as exc:
            raise ConfigError(f"policy {path}: cannot read: {exc.strerror}") from exc
        where = str(path)
    return parse_policy(text, where)


def parse_policy(text: str, where: str = "policy") -> Policy:
    return parse_config(text, where, Policy)


def parse_config(text: str, where: str, model: type[_Config]) -> _Config:
    """A YAML configuration file's ``text`` validated as ``model``: a problem is a
    :class:`ConfigError` naming ``where`` and each key at fault."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{where}: not valid YAML: {exc}") from exc
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(top)'}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(f"{where}: {problems}") from exc
