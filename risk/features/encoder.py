"""The one fitted transformer from scoring units to the model's feature matrix.

Each feature is declared once (a :class:`FeatureSpec` and how to read it) and read two
ways from the same declaration: vectorised over a units frame (training, batch) and
value by value from a dict (one unit in the service, without pandas). Both give the
same numbers; missing is NaN, never an error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

from risk.features.conditions import is_missing
from risk.features.history import HISTORY_COLUMNS
from risk.features.notes import NOTE_PHRASES, note_flags, note_flags_one
from risk.features.specs import FeatureKind, FeatureSource, FeatureSpec
from risk.schema import CASE, HOUSEHOLD_SURVEY, Field

__all__ = ["FeatureEncoder", "feature_specs"]

_FLAG_VALUES = {1.0: ("是", "yes"), 0.0: ("否", "no")}
_HISTORY_LABELS = {
    "hist_prior_cases": ("既往案件数", "earlier cases"),
    "hist_cases_12m": ("近12个月案件数", "cases in the last 12 months"),
    "hist_days_since_case": ("距上次案件天数", "days since the last case"),
    "hist_open_cases": ("未结案件数", "cases still open"),
    "hist_recurred": ("既往反复/升级次数", "earlier cases that recurred"),
    "hist_serious_harm": ("既往严重事件次数", "earlier serious-harm outcomes"),
    "hist_red_flag_cases": ("既往高危情形案件数", "earlier cases with a hard red flag"),
    "days_since_survey": ("距上次入户调查天数", "days since the last survey"),
}
#: Choices that mean "no" or "none" (not mediated is not one: it is a state of the case).
_NO_CHOICES = ("none", "never")
#: Counts where zero means "none": no earlier incident or case is never a raising reason.
_NO_COUNTS = ("prior_incidents_12m", *(h for h in HISTORY_COLUMNS if "days" not in h))
#: A unit has a case when this required case field is present, a survey when this one is.
_CASE_MARKER, _SURVEY_MARKER = "dispute_type", "household_size"


def _model_fields() -> list[Field]:
    return [
        f
        for kind in (HOUSEHOLD_SURVEY, CASE)
        for f in kind
        if f.model_input and f.kind in ("int", "bool", "enum")
    ]


def feature_specs() -> list[FeatureSpec]:
    """Every feature, in matrix column order: unit kind, survey, case, history, notes."""
    specs = [
        FeatureSpec("has_case", "有在办案件", "has a dispute case", "flag", "unit", _FLAG_VALUES),
        FeatureSpec(
            "has_survey", "有入户调查", "has a household survey", "flag", "unit", _FLAG_VALUES
        ),
    ]
    for f in _model_fields():
        source: FeatureSource = "survey" if f.name in HOUSEHOLD_SURVEY else "case"
        if f.kind == "int":
            zero = 0.0 if f.name in _NO_COUNTS else None
            specs.append(FeatureSpec(f.name, f.zh, f.en, "continuous", source, no_value=zero))
        elif f.kind == "bool":
            specs.append(FeatureSpec(f.name, f.zh, f.en, "flag", source, _FLAG_VALUES, 0.0))
        else:
            values = {float(i): (c.zh, c.en) for i, c in enumerate(f.choices)}
            kind: FeatureKind = "ordinal" if f.ordered else "nominal"
            no = next((float(i) for i, c in enumerate(f.choices) if c.code in _NO_CHOICES), None)
            if f.name == "mediation_status":
                no = None
            specs.append(FeatureSpec(f.name, f.zh, f.en, kind, source, values, no))
    for name in HISTORY_COLUMNS:
        zh, en = _HISTORY_LABELS[name]
        zero = 0.0 if name in _NO_COUNTS else None
        specs.append(FeatureSpec(name, zh, en, "continuous", "history", no_value=zero))
    for name, (zh, en, _) in NOTE_PHRASES.items():
        specs.append(FeatureSpec(name, zh, en, "flag", "notes", _FLAG_VALUES, 0.0))
    return specs


class FeatureEncoder(TransformerMixin, BaseEstimator):
    """Scoring units (a frame, or dicts) → float matrix with NaN for missing values.

    Fitting learns no statistics (every encoding comes from the data contract); it fixes
    the feature list so a saved model keeps the columns it was trained with.
    """

    def fit(self, units: pd.DataFrame, y: object = None) -> FeatureEncoder:
        self.specs_ = feature_specs()
        self.feature_names_out_ = np.array([s.name for s in self.specs_], dtype=object)
        self.n_features_out_ = len(self.specs_)
        self._codes_ = {
            f.name: {c.code: float(i) for i, c in enumerate(f.choices)}
            for f in _model_fields()
            if f.kind == "enum"
        }
        return self

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        return self.feature_names_out_

    def transform(self, units: pd.DataFrame) -> np.ndarray:
        """The feature matrix of a units frame; absent columns are missing values."""
        n = len(units)
        out = np.full((n, self.n_features_out_), np.nan)
        for j, spec in enumerate(self.specs_):
            if spec.source == "notes":
                continue
            out[:, j] = self._column(units, spec, n)
        if "notes" in units:
            first = self.n_features_out_ - len(NOTE_PHRASES)
            out[:, first:] = note_flags(units["notes"])
        return out

    def transform_records(self, records: Sequence[Mapping[str, Any]]) -> np.ndarray:
        """The feature matrix of units given as dicts, without pandas (the one-unit path)."""
        out = np.empty((len(records), self.n_features_out_))
        for i, record in enumerate(records):
            row = [self._value(record, spec) for spec in self.specs_ if spec.source != "notes"]
            row.extend(note_flags_one(record.get("notes")).values())
            out[i] = row
        return out

    def _column(self, units: pd.DataFrame, spec: FeatureSpec, n: int) -> np.ndarray:
        if spec.source == "unit":
            marker = _CASE_MARKER if spec.name == "has_case" else _SURVEY_MARKER
            return units[marker].notna().to_numpy(float) if marker in units else np.zeros(n)
        if spec.name not in units:
            return np.full(n, np.nan)
        column = units[spec.name]
        codes = self._codes_.get(spec.name)
        if codes is not None:
            if isinstance(column.dtype, pd.CategoricalDtype):
                # Look codes up once per category rather than once per row.
                lookup = np.array([codes.get(c, np.nan) for c in column.cat.categories] + [np.nan])
                return lookup[column.cat.codes.to_numpy()]
            column = column.astype(object).map(codes)
        return pd.to_numeric(column, errors="coerce").to_numpy(dtype=float, na_value=np.nan)

    def _value(self, record: Mapping[str, Any], spec: FeatureSpec) -> float:
        if spec.source == "unit":
            marker = _CASE_MARKER if spec.name == "has_case" else _SURVEY_MARKER
            return 0.0 if is_missing(record.get(marker)) else 1.0
        value = record.get(spec.name)
        if is_missing(value):
            return np.nan
        if spec.name in self._codes_:
            return self._codes_[spec.name].get(str(value), np.nan)
        try:
            return float(cast(Any, value))
        except (TypeError, ValueError):
            return np.nan
