"""Conditions on a record's fields, declared once and read two ways: over a frame (a mask,
one value per row) and on one record given as a dict. A missing value never meets one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["AnyOf", "Condition", "FieldIn", "is_missing"]


def is_missing(value: object) -> bool:
    """None, pandas' NA and NaT, and a float NaN."""
    return (
        value is None
        or value is pd.NA
        or value is pd.NaT
        or (isinstance(value, float) and value != value)
    )


@dataclass(frozen=True)
class FieldIn:
    """The field holds one of ``values``: contract codes, or ``True`` for a yes/no field."""

    field: str
    values: tuple[str | bool, ...]

    def mask(self, frame: pd.DataFrame) -> np.ndarray:
        if self.field not in frame:
            return np.zeros(len(frame), bool)
        return np.asarray(frame[self.field].isin(self.values).to_numpy(), bool)

    def holds(self, record: Mapping[str, Any]) -> bool:
        value = record.get(self.field)
        if is_missing(value):
            return False
        if isinstance(value, np.bool_):
            value = bool(value)
        # a yes/no answer matches only True or False (1 == True in Python, not here)
        return any(
            value is v if isinstance(v, bool) else not isinstance(value, bool) and value == v
            for v in self.values
        )


@dataclass(frozen=True)
class AnyOf:
    """At least one of ``conditions`` holds."""

    conditions: tuple[FieldIn, ...]

    def mask(self, frame: pd.DataFrame) -> np.ndarray:
        out = np.zeros(len(frame), bool)
        for condition in self.conditions:
            out |= condition.mask(frame)
        return out

    def holds(self, record: Mapping[str, Any]) -> bool:
        return any(condition.holds(record) for condition in self.conditions)

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(c.field for c in self.conditions)


Condition = FieldIn | AnyOf
