"""The classifier: two binary Explainable Boosting Machines for the ordered tiers.

One EBM separates red from the rest, the other yellow-or-red from green. The tier policy
needs exactly these two probabilities (red when P(red) ≥ t_red, else yellow when
P(yellow or red) ≥ t_yellow), and each binary EBM's logit is an exact sum of per-term
contributions, which become the reasons.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from joblib import parallel_config
from sklearn.base import BaseEstimator, ClassifierMixin

from risk.errors import ModelError
from risk.models.calibration import sigmoid
from risk.models.scorer import CompiledEBM, compile_ebm
from risk.models.tiers import TIERS, combine_probabilities, tier_codes

__all__ = ["EBMPairClassifier", "feature_types_from_specs"]

#: How interpret should bin each kind of feature: codes of a nominal feature are
#: categories; ordinal codes, flags (0/1) and numbers are cut into ordered bins.
_EBM_TYPES = {"nominal": "nominal", "ordinal": "continuous", "flag": "continuous"}


def feature_types_from_specs(specs: Sequence[Any]) -> list[str]:
    """interpret ``feature_types`` for a list of :class:`~risk.features.specs.FeatureSpec`."""
    return [_EBM_TYPES.get(spec.kind, "continuous") for spec in specs]


class EBMPairClassifier(ClassifierMixin, BaseEstimator):
    """Red-vs-rest and yellow-or-red-vs-green EBMs on one feature matrix.

    Defaults are sized to train both models on 500,000 units in a few minutes on two
    cores: two outer bags, ten pairwise interactions, a faster learning rate than
    interpret's default and early stopping. ``green_fraction`` < 1 keeps that share of
    green units (drawn at random) and weights them by its inverse, which keeps the
    probabilities unbiased while cutting the rows boosted.

    Parameters
    ----------
    feature_names, feature_types : per column of X; types are interpret's
        (``"nominal"``, ``"continuous"``); see :func:`feature_types_from_specs`.
    outer_bags, interactions, learning_rate, max_rounds, early_stopping_rounds,
    validation_size, max_bins, max_interaction_bins, min_samples_leaf :
        passed to each ``ExplainableBoostingClassifier``.
    green_fraction : share of green units kept for training, in (0, 1].
    monotone : names of features whose effect may only rise (the policy's monotone
        answers); interpret boosts them under the constraint and keeps them out of
        interactions, so raising one never lowers either logit.
    n_jobs, random_state : as in scikit-learn.
    """

    def __init__(
        self,
        feature_names: Sequence[str] | None = None,
        feature_types: Sequence[str] | None = None,
        *,
        outer_bags: int = 2,
        interactions: int = 10,
        learning_rate: float = 0.05,
        max_rounds: int = 3000,
        early_stopping_rounds: int = 50,
        validation_size: float = 0.15,
        max_bins: int = 256,
        max_interaction_bins: int = 32,
        min_samples_leaf: int = 4,
        green_fraction: float = 1.0,
        monotone: Sequence[str] = (),
        n_jobs: int = -1,
        random_state: int | None = 0,
    ) -> None:
        self.feature_names = feature_names
        self.feature_types = feature_types
        self.outer_bags = outer_bags
        self.interactions = interactions
        self.learning_rate = learning_rate
        self.max_rounds = max_rounds
        self.early_stopping_rounds = early_stopping_rounds
        self.validation_size = validation_size
        self.max_bins = max_bins
        self.max_interaction_bins = max_interaction_bins
        self.min_samples_leaf = min_samples_leaf
        self.green_fraction = green_fraction
        self.monotone = monotone
        self.n_jobs = n_jobs
        self.random_state = random_state

    def _ebm(self) -> Any:
        from interpret.glassbox import ExplainableBoostingClassifier

        return ExplainableBoostingClassifier(
            feature_names=None if self.feature_names is None else list(self.feature_names),
            feature_types=None if self.feature_types is None else list(self.feature_types),
            outer_bags=self.outer_bags,
            interactions=self.interactions,
            learning_rate=self.learning_rate,
            max_rounds=self.max_rounds,
            early_stopping_rounds=self.early_stopping_rounds,
            validation_size=self.validation_size,
            max_bins=self.max_bins,
            max_interaction_bins=self.max_interaction_bins,
            min_samples_leaf=self.min_samples_leaf,
            monotone_constraints=self._monotone_constraints(),
            n_jobs=self.n_jobs,
            random_state=self.random_state,
        )

    def _monotone_constraints(self) -> list[int] | None:
        if not self.monotone:
            return None
        names = list(self.feature_names or ())
        unknown = sorted(set(self.monotone) - set(names))
        if unknown:
            raise ModelError(f"monotone: not among feature_names: {unknown}")
        return [1 if name in self.monotone else 0 for name in names]

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> EBMPairClassifier:
        """Fit both EBMs on tiers ``y`` (names or ranks 0/1/2)."""
        X = np.asarray(X, np.float64)
        if X.ndim != 2:
            raise ModelError(f"X: expected a 2-D matrix, got shape {X.shape}")
        codes = tier_codes(y)
        if codes.shape[0] != X.shape[0]:
            raise ModelError(f"y: expected {X.shape[0]} labels, got {codes.shape[0]}")
        for rank, name in ((2, "red"), (1, "yellow")):
            if not (codes >= rank).any() or (codes >= rank).all():
                raise ModelError(f"y: no {name} units (or only {name}); cannot fit the pair")
        if self.feature_types is not None and len(self.feature_types) != X.shape[1]:
            raise ModelError(
                f"feature_types: {len(self.feature_types)} given for {X.shape[1]} columns"
            )
        if not 0.0 < self.green_fraction <= 1.0:
            raise ModelError(f"green_fraction: expected in (0, 1], got {self.green_fraction!r}")
        weight = np.ones(X.shape[0]) if sample_weight is None else np.asarray(sample_weight, float)
        keep = np.ones(X.shape[0], bool)
        if self.green_fraction < 1.0:
            rng = np.random.default_rng(self.random_state)
            green = codes == 0
            keep = ~green | (rng.random(X.shape[0]) < self.green_fraction)
            weight = np.where(green, weight / self.green_fraction, weight)
        Xk, ck, wk = X[keep], codes[keep], weight[keep]
        use_weight = None if sample_weight is None and self.green_fraction == 1.0 else wk
        self.fit_seconds_: dict[str, float] = {}
        # No memory-mapped copies of X for the joblib workers (a few MB are pickled instead):
        # loky's resource tracker miscounts the memmap files and prints a KeyError
        # traceback for one of them, intermittently, on a fit of this size.
        with warnings.catch_warnings(), parallel_config(max_nbytes=None):
            # interpret warns that its plots do not show missing values; we never plot.
            warnings.filterwarnings(
                "ignore", message="Missing values detected", category=UserWarning
            )
            start = time.perf_counter()
            self.red_ = self._ebm().fit(Xk, ck == 2, sample_weight=use_weight)
            self.fit_seconds_["red"] = time.perf_counter() - start
            start = time.perf_counter()
            self.yr_ = self._ebm().fit(Xk, ck >= 1, sample_weight=use_weight)
            self.fit_seconds_["yellow_or_red"] = time.perf_counter() - start
        self.red_scorer_: CompiledEBM = compile_ebm(self.red_)
        self.yr_scorer_: CompiledEBM = compile_ebm(self.yr_)
        self.classes_ = np.array(TIERS)
        self.n_features_in_ = X.shape[1]
        self.n_train_rows_ = int(keep.sum())
        return self

    def decision_function(self, X: Any) -> tuple[np.ndarray, np.ndarray]:
        """Raw logits ``(red, yellow_or_red)`` from the compiled scorers."""
        X = np.asarray(X, np.float64)
        return self.red_scorer_.decision_function(X), self.yr_scorer_.decision_function(X)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Uncalibrated three-class probabilities, columns green, yellow, red."""
        red, yr = self.decision_function(X)
        return combine_probabilities(sigmoid(red), sigmoid(yr))

    def predict(self, X: Any) -> np.ndarray:
        """The most probable tier (for scikit-learn tools; the product uses the policy)."""
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]
