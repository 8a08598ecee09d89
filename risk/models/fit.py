"""Fitting the deployed model: EBM pair on the training period, everything else after it.

The classifier learns on the earlier ledger; Platt scaling, the thresholds and the
conformal quantile are all fitted on the calibration period, which the classifier never
saw, so the probabilities and the policy's figures are honest for new units.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import pandas as pd

from risk.errors import ModelError
from risk.features.encoder import FeatureEncoder
from risk.models.calibration import PlattScaling
from risk.models.conformal import SplitConformal
from risk.models.ebm import EBMPairClassifier, feature_types_from_specs
from risk.models.policy import Policy
from risk.models.thresholds import ThresholdChoice, choose_thresholds
from risk.models.tiers import combine_probabilities, tier_codes
from risk.models.triage import ModelInfo, TriageModel

__all__ = ["FitResult", "fit_triage"]


@dataclass
class FitResult:
    model: TriageModel
    classifier: EBMPairClassifier
    choice: ThresholdChoice
    seconds: dict[str, float]


def fit_triage(
    train: pd.DataFrame,
    train_labels: Any,
    calibration: pd.DataFrame,
    calibration_labels: Any,
    policy: Policy,
    *,
    params: dict[str, Any] | None = None,
    info: ModelInfo | None = None,
) -> FitResult:
    """Fit the classifier on ``train``, then calibrate, choose thresholds and conformalise
    on ``calibration``. Labels are tier names or ranks, one per unit, none missing."""
    params = dict(params or {})
    seconds: dict[str, float] = {}
    encoder = FeatureEncoder().fit(train)
    X_train = encoder.transform(train)
    y_train = tier_codes(train_labels)

    start = time.perf_counter()
    classifier = EBMPairClassifier(
        feature_names=list(encoder.feature_names_out_),
        feature_types=feature_types_from_specs(encoder.specs_),
        **({"monotone": policy.monotone} | params),
    ).fit(X_train, y_train)
    seconds["classifier"] = time.perf_counter() - start

    start = time.perf_counter()
    X_cal = encoder.transform(calibration)
    y_cal = tier_codes(calibration_labels)
    z_red, z_yr = classifier.decision_function(X_cal)
    red_platt = PlattScaling().fit(z_red, y_cal == 2)
    yr_platt = PlattScaling().fit(z_yr, y_cal >= 1)
    for name, platt in (("red", red_platt), ("yellow_or_red", yr_platt)):
        if platt.a_ <= 0:  # would turn every effect, monotone ones too, upside down
            raise ModelError(
                f"calibration: the {name} model ranks the calibration period backwards "
                f"(Platt slope {platt.a_:.3g}); more data or a longer training period needed"
            )
    proba = combine_probabilities(red_platt.predict_proba(z_red), yr_platt.predict_proba(z_yr))
    floors, _ = policy.floors(calibration)
    choice = choose_thresholds(proba[:, 2], 1.0 - proba[:, 0], y_cal, floors, policy.targets)
    conformal = SplitConformal(coverage=policy.conformal.coverage).fit(proba, y_cal)
    seconds["calibration"] = time.perf_counter() - start

    model = TriageModel(
        encoder,
        classifier.red_scorer_,
        classifier.yr_scorer_,
        red_platt,
        yr_platt,
        policy,
        choice.thresholds,
        conformal,
        info,
    )
    return FitResult(model, classifier, choice, seconds)
