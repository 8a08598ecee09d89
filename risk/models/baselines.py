"""Baselines every evaluation reports beside the model: a DASH-style checklist and a
plain logistic regression.

The checklist follows the DASH (2009) risk identification checklist (Richards, for ACPO
and CAADA): one point per question answered yes; a missing answer counts as no, as in
DASH practice. DASH asks 27 questions; 18 of them are recorded in this ledger, each by
the contract fields below (a question is yes when any of its fields is):

==  ==========================================  =============================================
Q   DASH question (paraphrased)                 contract fields
==  ==========================================  =============================================
1   the current incident caused an injury       injury minor or serious
2   the victim is very frightened               victim_fear high
4   isolated from family and friends            social_support weak
5   depressed or having suicidal thoughts       suicidal_ideation; phq9 ≥ 10 (moderate)
6   separated or trying to separate             separation; dispute_type divorce
7   conflict over child contact                 dispute_type custody
8   constant contact, stalking, harassment      threats (threats or intimidation)
9   pregnant or a recent baby                   pregnancy
11  the children have been hurt                 child_witness (seeing abuse harms a child)
12  the abuse is happening more often           prior_incidents_12m ≥ 3 (DASH's "potential
                                                escalation": 3+ incidents in 12 months)
13  the abuse is getting worse                  escalating
15  weapons or objects used to hurt             weapon knife, firearm, blunt or other
16  threats to kill                             threat_to_kill
17  strangling, choking, suffocating            strangulation
22  financial issues                            unemployed; debt_pressure; gambling;
                                                economic_hardship severe
23  drugs, alcohol or mental health problems    alcohol_misuse frequent; severe_mental_illness
25  broken an injunction or agreement           protection_order (a new case while one is
                                                in force)
26  trouble with the police, criminal history   violence_history; police_called
==  ==========================================  =============================================

Not recorded, so always no: 3 (what the victim fears), 10 (children not the abuser's),
14 (controlling or jealous), 18 (sexual abuse), 19 (another person threatening),
20 (hurt anyone else), 21 (hurt an animal), 24 (the abuser threatened suicide: the
survey's suicidal ideation does not say whose, so it counts once, under 5) and 27 (other
information). Fields with no DASH question are left out: physical_violence (DASH asks
about the harm done, 1, 15 and 17, not whether there was violence), conflict_frequency
and prior_incidents_12m below 3.

Tiers: DASH calls 14 or more yes answers of 27 high risk and 10 or more medium. By
default the cut-offs keep those shares of the questions recorded, rounded up so a tier
never asks for less than DASH does: ⌈14·18/27⌉ = 10 for red, ⌈10·18/27⌉ = 7 for yellow.
In a screened population almost no unit reaches them (DASH is asked after an incident of
abuse), so ``red_share`` and ``yellow_or_red_share`` instead choose on the training units
the least cut-off whose share tiered at or above it does not exceed the share given (the
model's capacity), for a like-for-like comparison of tiers. DASH's other routes to high
risk (professional judgement, potential escalation) are the tier policy's red-flag
floors, not part of this count. The checklist's probabilities, for
AUROC and calibration, are the observed tier rates per count on the training units,
smoothed towards the overall rates.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from risk.errors import ModelError
from risk.features.specs import FeatureSpec
from risk.models.tiers import TIERS, tier_codes

__all__ = ["CHECKLIST_ITEMS", "ChecklistBaseline", "ChecklistItem", "Condition", "LogisticBaseline"]

#: DASH (2009): 14+ yes of 27 questions is high risk, 10+ is medium.
DASH_QUESTIONS, DASH_HIGH, DASH_MEDIUM = 27, 14, 10


@dataclass(frozen=True)
class Condition:
    """A yes answer read from one contract field: ``is`` yes, ``in`` codes, ``at_least`` n."""

    field: str
    test: Literal["is", "in", "at_least"]
    arg: Any = True

    def holds(self, units: pd.DataFrame) -> np.ndarray:
        """Boolean per unit; a missing value (or a missing column) is no."""
        if self.field not in units:
            return np.zeros(len(units), bool)
        column = units[self.field]
        if self.test == "is":
            return column.astype("boolean").fillna(False).to_numpy(bool)
        if self.test == "in":
            return column.astype(object).isin(self.arg).to_numpy(bool)
        value = pd.to_numeric(column, errors="coerce").to_numpy(np.float64, na_value=np.nan)
        return np.nan_to_num(value, nan=-np.inf) >= self.arg


@dataclass(frozen=True)
class ChecklistItem:
    """One DASH question and the contract fields that answer it (yes if any is)."""

    dash: int
    question: str
    any_of: tuple[Condition, ...]

    def answers(self, units: pd.DataFrame) -> np.ndarray:
        out = np.zeros(len(units), bool)
        for condition in self.any_of:
            out |= condition.holds(units)
        return out


def _item(dash: int, question: str, *any_of: tuple[Any, ...]) -> ChecklistItem:
    return ChecklistItem(dash, question, tuple(Condition(*c) for c in any_of))


#: The DASH questions this ledger records, in DASH order (the table in the module docstring).
CHECKLIST_ITEMS: tuple[ChecklistItem, ...] = (
    _item(1, "current incident resulted in injury", ("injury", "in", ("minor", "serious"))),
    _item(2, "very frightened", ("victim_fear", "in", ("high",))),
    _item(4, "isolated from family or friends", ("social_support", "in", ("weak",))),
    _item(
        5, "depressed or suicidal thoughts", ("suicidal_ideation", "is"), ("phq9", "at_least", 10)
    ),
    _item(
        6,
        "separated or trying to separate",
        ("separation", "is"),
        ("dispute_type", "in", ("divorce",)),
    ),
    _item(7, "conflict over child contact", ("dispute_type", "in", ("custody",))),
    _item(8, "stalking or harassment", ("threats", "is")),
    _item(9, "pregnant or recently had a baby", ("pregnancy", "is")),
    _item(11, "children hurt", ("child_witness", "is")),
    _item(12, "abuse happening more often", ("prior_incidents_12m", "at_least", 3)),
    _item(13, "abuse getting worse", ("escalating", "is")),
    _item(
        15,
        "weapons or objects used to hurt",
        ("weapon", "in", ("knife", "firearm", "blunt", "other")),
    ),
    _item(16, "threatened to kill", ("threat_to_kill", "is")),
    _item(17, "strangle, choke or suffocate", ("strangulation", "is")),
    _item(
        22,
        "financial issues",
        ("unemployed", "is"),
        ("debt_pressure", "is"),
        ("gambling", "is"),
        ("economic_hardship", "in", ("severe",)),
    ),
    _item(
        23,
        "drugs, alcohol or mental health problems",
        ("alcohol_misuse", "in", ("frequent",)),
        ("severe_mental_illness", "is"),
    ),
    _item(25, "broken an injunction or agreement", ("protection_order", "is")),
    _item(
        26,
        "trouble with the police or criminal history",
        ("violence_history", "is"),
        ("police_called", "is"),
    ),
)


def _scaled(dash_cut: int, items: int) -> int:
    return math.ceil(dash_cut * items / DASH_QUESTIONS - 1e-9)


class ChecklistBaseline:
    """Count of yes answers; tiers by cut-offs on the count; tier rates per count.

    Cut-offs (the least count tiered yellow and red): ``medium`` and ``high`` if given,
    else chosen in :meth:`fit` to meet ``yellow_or_red_share`` and ``red_share`` if given,
    else DASH's scaled to the questions recorded. ``smoothing`` is the weight, in units,
    of the overall tier rates in each count's rates.
    """

    def __init__(
        self,
        high: int | None = None,
        medium: int | None = None,
        *,
        red_share: float | None = None,
        yellow_or_red_share: float | None = None,
        smoothing: float = 1.0,
    ) -> None:
        self.high, self.medium = high, medium
        self.red_share, self.yellow_or_red_share = red_share, yellow_or_red_share
        self.smoothing = smoothing

    @property
    def cutoffs(self) -> tuple[int, int]:
        """(yellow, red): the least count tiered yellow and red."""
        fitted: tuple[int, int] | None = getattr(self, "cutoffs_", None)
        if fitted is not None:
            return fitted
        if self.red_share is not None or self.yellow_or_red_share is not None:
            raise ModelError("ChecklistBaseline: cut-offs by share are chosen in fit(); fit first")
        return self._choose_cutoffs(None)

    def _choose_cutoffs(self, count: np.ndarray | None) -> tuple[int, int]:
        n = len(CHECKLIST_ITEMS)
        cuts = []
        for name, given, share, dash_cut in (
            ("yellow_or_red_share", self.medium, self.yellow_or_red_share, DASH_MEDIUM),
            ("red_share", self.high, self.red_share, DASH_HIGH),
        ):
            if given is not None:
                cuts.append(int(given))
            elif share is not None and count is not None:
                if not 0.0 <= share <= 1.0:
                    raise ModelError(f"{name}: expected in [0, 1], got {share!r}")
                # n + 1 tiers nobody: there is always a cut-off meeting the share
                cuts.append(next(c for c in range(1, n + 2) if (count >= c).mean() <= share))
            else:
                cuts.append(_scaled(dash_cut, n))
        medium, high = cuts
        if self.medium is None:
            medium = min(medium, high)  # a red cut-off by share may fall below DASH's yellow
        if not 0 < medium <= high:
            raise ModelError(f"cut-offs: expected 0 < medium <= high, got {medium} and {high}")
        return medium, high

    def answers(self, units: pd.DataFrame) -> pd.DataFrame:
        """Yes (True) or no per unit and DASH question; columns ``q1``, ``q2``, ..."""
        return pd.DataFrame(
            {f"q{item.dash}": item.answers(units) for item in CHECKLIST_ITEMS}, index=units.index
        )

    def score(self, units: pd.DataFrame) -> np.ndarray:
        """Yes answers per unit (0 to the number of questions recorded)."""
        count = np.zeros(len(units), np.int64)
        for item in CHECKLIST_ITEMS:
            count += item.answers(units)
        return count

    def tiers(self, units: pd.DataFrame) -> np.ndarray:
        """Tier names by the cut-offs on the count."""
        medium, high = self.cutoffs
        count = self.score(units)
        rank = (count >= medium).astype(np.int64) + (count >= high)
        return np.asarray(TIERS, object)[rank]

    def fit(self, units: pd.DataFrame, labels: Any) -> ChecklistBaseline:
        """Learn the smoothed tier rates per count (and cut-offs by share) from labelled units."""
        y = tier_codes(labels)
        if y.size != len(units) or y.size == 0:
            raise ModelError(f"labels: expected {len(units)} labels, got {y.size}")
        count = self.score(units)
        self.cutoffs_ = self._choose_cutoffs(count)
        prior = np.bincount(y, minlength=3) / y.size
        table = np.zeros((len(CHECKLIST_ITEMS) + 1, 3))
        np.add.at(table, (count, y), 1.0)
        self.rates_ = (table + self.smoothing * prior) / (
            table.sum(axis=1, keepdims=True) + self.smoothing
        )
        self.counts_ = table.sum(axis=1).astype(np.int64)
        return self

    def predict_proba(self, units: pd.DataFrame) -> np.ndarray:
        """``(n, 3)`` green, yellow, red: the training rates of each unit's count."""
        if not hasattr(self, "rates_"):
            raise ModelError("ChecklistBaseline: not fitted; call fit() on labelled units first")
        return self.rates_[self.score(units)]


class LogisticBaseline:
    """Multinomial logistic regression on the model's feature matrix.

    Nominal columns (float codes, NaN missing) are one-hot encoded with missing as its
    own category; the others get a missing indicator, the median for missing, and
    standard scaling.
    """

    def __init__(self, max_iter: int = 500, C: float = 1.0) -> None:
        self.max_iter, self.C = max_iter, C

    def fit(self, X: np.ndarray, y: Any, specs: Sequence[FeatureSpec]) -> LogisticBaseline:
        X = np.asarray(X, np.float64)
        codes = tier_codes(y)
        if X.ndim != 2 or X.shape[1] != len(specs):
            raise ModelError(f"X: expected (n, {len(specs)}) for the specs, got {X.shape}")
        if X.shape[0] != codes.size:
            raise ModelError(f"y: expected {X.shape[0]} labels, got {codes.size}")
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
        model = LogisticRegression(max_iter=self.max_iter, C=self.C, solver="newton-cholesky")
        self.pipeline_ = Pipeline([("prepare", prepare), ("model", model)]).fit(X, codes)
        self.n_features_in_ = X.shape[1]
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """``(n, 3)`` columns green, yellow, red (zero for a tier absent in training)."""
        if not hasattr(self, "pipeline_"):
            raise ModelError("LogisticBaseline: not fitted; call fit() first")
        X = np.asarray(X, np.float64)
        if X.ndim != 2 or X.shape[1] != self.n_features_in_:
            raise ModelError(f"X: expected (n, {self.n_features_in_}), got {X.shape}")
        proba = self.pipeline_.predict_proba(X)
        out = np.zeros((proba.shape[0], 3))
        out[:, self.pipeline_.classes_] = proba
        return out
