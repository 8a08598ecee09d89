"""Baselines every evaluation reports beside the model: a DASH-style checklist and a
plain logistic regression.

The checklist follows the DASH risk identification checklist (Richards 2009): one point
per risk item answered yes, tiers by cut-offs on the count; a missing answer counts as no,
as in DASH practice. DASH has 27 items (14+ yes: high risk; 10+: medium); this ledger
records 20 of its items or their nearest equivalent, so the cut-offs are scaled to the
share of items (14/27 and 10/27 of 20 give 10 and 7). Its probabilities, for AUROC and
calibration, are the observed tier rates per count on the training data.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from risk.features.specs import FeatureSpec
from risk.models.tiers import TIERS, tier_codes

__all__ = ["CHECKLIST_ITEMS", "ChecklistBaseline", "LogisticBaseline"]

Item = Callable[[pd.DataFrame], pd.Series]


def _yes(name: str) -> Item:
    return lambda u: u[name].astype("boolean").fillna(False) if name in u else _no(u)


def _in(name: str, values: Sequence[str]) -> Item:
    return lambda u: u[name].astype(object).isin(values) if name in u else _no(u)


def _at_least(name: str, n: float) -> Item:
    return lambda u: (
        (pd.to_numeric(u[name], errors="coerce") >= n).fillna(False) if name in u else _no(u)
    )


def _no(units: pd.DataFrame) -> pd.Series:
    return pd.Series(False, index=units.index)


#: DASH item → the contract field that records it.
CHECKLIST_ITEMS: dict[str, Item] = {
    "current incident resulted in injury": _in("injury", ["minor", "serious"]),
    "victim very frightened": _in("victim_fear", ["high"]),
    "separation or trying to separate": _yes("separation"),
    "conflict over child contact": _in("dispute_type", ["custody"]),
    "pregnant or recently had a baby": _yes("pregnancy"),
    "abuse happening more often": _at_least("prior_incidents_12m", 3),
    "abuse getting worse": _yes("escalating"),
    "tried to strangle, choke or suffocate": _yes("strangulation"),
    "threats to kill": _yes("threat_to_kill"),
    "used a weapon or object to hurt": _in("weapon", ["knife", "firearm", "blunt", "other"]),
    "threatened to harm others": _yes("threats"),
    "children witness the abuse": _yes("child_witness"),
    "police called before": _yes("police_called"),
    "protection order or court involvement": _yes("protection_order"),
    "abuser has had problems with alcohol": _in("alcohol_misuse", ["frequent"]),
    "financial issues or unemployment": _yes("unemployed"),
    "debts or money pressure": _yes("debt_pressure"),
    "abuser has mental health problems or suicidal thoughts": _yes("suicidal_ideation"),
    "serious mental illness in the household": _yes("severe_mental_illness"),
    "history of violence": _yes("violence_history"),
}
HIGH_CUT, MEDIUM_CUT = 10, 7


class ChecklistBaseline:
    """Count of yes answers; tiers by DASH-style cut-offs; rates per count for probabilities."""

    def __init__(self, high: int = HIGH_CUT, medium: int = MEDIUM_CUT, smoothing: float = 1.0):
        self.high, self.medium, self.smoothing = high, medium, smoothing

    def score(self, units: pd.DataFrame) -> np.ndarray:
        """Yes answers per unit."""
        return sum(
            np.asarray(item(units), bool).astype(np.int64) for item in CHECKLIST_ITEMS.values()
        )  # type: ignore[return-value]

    def fit(self, units: pd.DataFrame, labels: Any) -> ChecklistBaseline:
        y = tier_codes(labels)
        count = self.score(units)
        size = len(CHECKLIST_ITEMS) + 1
        prior = np.bincount(y, minlength=3) / y.size
        table = np.zeros((size, 3))
        np.add.at(table, (count, y), 1.0)
        self.rates_ = (table + self.smoothing * prior) / (
            table.sum(axis=1, keepdims=True) + self.smoothing
        )
        return self

    def predict_proba(self, units: pd.DataFrame) -> np.ndarray:
        return self.rates_[self.score(units)]

    def tiers(self, units: pd.DataFrame) -> np.ndarray:
        count = self.score(units)
        rank = np.where(count >= self.high, 2, np.where(count >= self.medium, 1, 0))
        return np.asarray(TIERS, object)[rank]


class LogisticBaseline:
    """Multinomial logistic regression on the model's feature matrix."""

    def __init__(self, max_iter: int = 500, C: float = 1.0) -> None:
        self.max_iter, self.C = max_iter, C

    def fit(self, X: np.ndarray, y: Any, specs: Sequence[FeatureSpec]) -> LogisticBaseline:
        nominal = [i for i, s in enumerate(specs) if s.kind == "nominal"]
        other = [i for i, s in enumerate(specs) if s.kind != "nominal"]
        prepare = ColumnTransformer(
            [
                (
                    "nominal",
                    make_pipeline(
                        SimpleImputer(strategy="constant", fill_value=-1.0),
                        OneHotEncoder(handle_unknown="ignore"),
                    ),
                    nominal,
                ),
                (
                    "other",
                    make_pipeline(
                        SimpleImputer(
                            strategy="median", add_indicator=True, keep_empty_features=True
                        ),
                        StandardScaler(),
                    ),
                    other,
                ),
            ]
        )
        self.pipeline_ = Pipeline(
            [
                ("prepare", prepare),
                (
                    "model",
                    LogisticRegression(max_iter=self.max_iter, C=self.C, solver="newton-cholesky"),
                ),
            ]
        ).fit(X, tier_codes(y))
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Columns green, yellow, red."""
        proba = self.pipeline_.predict_proba(X)
        out = np.zeros((proba.shape[0], 3))
        out[:, self.pipeline_.classes_] = proba
        return out
