"""Split-conformal sets: the same sets as MAPIE's LAC, and the promised coverage."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin

from risk.errors import ModelError
from risk.models.conformal import SplitConformal
from risk.models.tiers import TIERS


class _Fixed(ClassifierMixin, BaseEstimator):
    """A prefit classifier whose probabilities are its input (for MAPIE)."""

    classes_ = np.array([0, 1, 2])

    def fit(self, X, y):
        return self

    def predict_proba(self, X):
        return np.asarray(X)

    def predict(self, X):
        return np.asarray(X).argmax(axis=1)


def _draw(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Calibrated probabilities and labels drawn from them."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, 1.5, (n, 3)) + np.array([2.0, 0.0, -1.5])
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    u = rng.random(n)[:, None]
    y = (u > proba.cumsum(axis=1)).sum(axis=1)
    return proba, y


def test_sets_equal_mapie_lac():
    mapie = pytest.importorskip("mapie.classification")
    proba, y = _draw(3_000, 1)
    new, _ = _draw(2_000, 2)
    ours = SplitConformal(0.9).fit(proba, y).predict_sets(new)
    theirs = mapie.SplitConformalClassifier(
        _Fixed(), confidence_level=0.9, conformity_score="lac", prefit=True
    ).conformalize(proba, y)
    _, sets = theirs.predict_set(new)
    np.testing.assert_array_equal(ours, sets[:, :, 0])


@pytest.mark.parametrize("coverage", [0.8, 0.9, 0.95])
def test_coverage_holds_on_new_units(coverage):
    proba, y = _draw(5_000, 3)
    new, y_new = _draw(20_000, 4)
    conformal = SplitConformal(coverage).fit(proba, y)
    measured = conformal.coverage_of(conformal.predict_sets(new), y_new)
    assert abs(measured - coverage) <= 0.02


def test_one_unit_equals_batch():
    proba, y = _draw(2_000, 5)
    conformal = SplitConformal(0.9).fit(proba, y)
    sets = conformal.predict_sets(proba[:300])
    for p, row in zip(proba[:300], sets, strict=True):
        assert conformal.sets_one(*p) == tuple(t for t, s in zip(TIERS, row, strict=True) if s)


def test_bad_input_is_refused():
    with pytest.raises(ModelError, match="coverage"):
        SplitConformal(1.0)
    with pytest.raises(ModelError, match="proba"):
        SplitConformal(0.9).fit(np.ones((3, 2)), np.zeros(3, int))
