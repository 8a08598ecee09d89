"""A centre's rules for a case's life: who takes a case by tier and dispute type, how long
each state may last, the levels of layered mediation and what closing needs. Read from
``service/config/centre.yaml`` (or a centre's own copy, ``RISK_CENTRE_CONFIG``) and
validated, so a typo is a clear error naming the key, not a silent default."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from risk.errors import ConfigError
from risk.i18n import MESSAGES
from risk.models.policy import Policy, load_policy, parse_config
from risk.models.tiers import TIERS
from risk.schema import CASE
from service.model_holder import ModelHolder

__all__ = ["OWNER_KINDS", "Centre", "Level", "load_centre", "packaged_policy", "tier_policy"]

DEFAULT_CENTRE = Path(__file__).with_name("config") / "centre.yaml"
OwnerKind = Literal["mediation_committee", "grid_worker", "psychologist", "police_liaison"]
OWNER_KINDS: tuple[str, ...] = OwnerKind.__args__  # type: ignore[attr-defined]
#: The states a deadline in days is set for (a case in follow-up is due on its follow-up date).
TimedState = Literal["registered", "assigned", "in_mediation"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Level(_Strict):
    """A level of layered mediation and the attempts it makes before the next one."""

    code: str
    attempts: int = Field(ge=1)

    @model_validator(mode="after")
    def _labelled(self) -> Level:
        if f"level_{self.code}" not in MESSAGES:
            raise ValueError(f"level {self.code!r}: no label level_{self.code} in risk/i18n.py")
        return self


class Closure(_Strict):
    """Closing a yellow or red case: this many latest re-assessments below its highest tier."""

    consecutive_below: int = Field(ge=1, le=10)


class Centre(_Strict):
    """The whole centre file."""

    version: int
    owners: dict[str, dict[str, OwnerKind]]
    deadlines: dict[TimedState, dict[str, int]]
    levels: tuple[Level, ...] = Field(min_length=1)
    closure: Closure

    @model_validator(mode="after")
    def _complete(self) -> Centre:
        types = set(CASE["dispute_type"].codes) | {"default"}
        if sorted(self.owners) != sorted(TIERS):
            raise ValueError(f"owners: need exactly {', '.join(TIERS)}")
        for tier, rules in self.owners.items():
            if "default" not in rules:
                raise ValueError(f"owners.{tier}: needs a default")
            unknown = sorted(set(rules) - types)
            if unknown:
                raise ValueError(f"owners.{tier}: not dispute types: {', '.join(unknown)}")
        for state, days in self.deadlines.items():
            if sorted(days) != sorted(TIERS) or min(days.values()) < 1:
                raise ValueError(f"deadlines.{state}: need days >= 1 for each of {TIERS}")
        if sorted(self.deadlines) != sorted(TimedState.__args__):  # type: ignore[attr-defined]
            raise ValueError("deadlines: need registered, assigned and in_mediation")
        return self

    def owner_for(self, tier: str, dispute_type: str | None) -> str:
        """The owner kind the centre's rules give a case of ``tier`` and ``dispute_type``."""
        rules = self.owners[tier]
        return rules.get(dispute_type or "default", rules["default"])

    def days_in(self, state: str, tier: str) -> int | None:
        """Days a case of ``tier`` may stay in ``state`` (None: not set by days)."""
        days = self.deadlines.get(state)  # type: ignore[call-overload]
        return None if days is None else int(days[tier])

    def level(self, code: str) -> Level:
        return next(level for level in self.levels if level.code == code)

    def next_level(self, code: str) -> Level | None:
        """The level above ``code`` (None at the top)."""
        codes = [level.code for level in self.levels]
        place = codes.index(code) + 1
        return self.levels[place] if place < len(codes) else None


@functools.cache
def load_centre(path: str | None = None) -> Centre:
    """The centre's rules from ``path``, or the packaged default."""
    where = Path(path) if path else DEFAULT_CENTRE
    try:
        text = where.read_text("utf-8")
    except OSError as exc:
        raise ConfigError(f"centre {where}: cannot read: {exc.strerror}") from exc
    return parse_config(text, f"centre {where}", Centre)


@functools.cache
def packaged_policy() -> Policy:
    """The packaged tier policy (``risk/config/policy.yaml``)."""
    return load_policy()


def tier_policy(models: ModelHolder) -> Policy:
    """The tier policy a case's plan follows: the served model's, else the packaged one."""
    model = models.current()
    return packaged_policy() if model is None else model.policy
