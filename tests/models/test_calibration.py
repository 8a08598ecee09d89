"""Platt scaling: the period's events set the level, a prior holds the slope, and no
calibration set (none with an event, none separable) gives infinite or backwards values."""

from __future__ import annotations

import numpy as np
import pytest

from risk.errors import ModelError
from risk.models.calibration import PlattScaling, sigmoid


def _period(n: int, seed: int, offset: float) -> tuple[np.ndarray, np.ndarray]:
    """A classifier's logit that ranks well but whose level is ``offset`` off the truth."""
    rng = np.random.default_rng(seed)
    true = rng.normal(-3.5, 1.0, n)
    y = (rng.random(n) < sigmoid(true)).astype(float)
    return true - offset, y


def test_plain_platt_is_maximum_likelihood():
    from sklearn.linear_model import LogisticRegression

    z, y = _period(5000, 0, 0.0)
    platt = PlattScaling().fit(z, y)
    reference = LogisticRegression(C=np.inf, tol=1e-12, max_iter=1000).fit(z[:, None], y)
    assert platt.a_ == pytest.approx(reference.coef_[0, 0], abs=1e-5)
    assert platt.b_ == pytest.approx(reference.intercept_[0], abs=1e-5)


@pytest.mark.parametrize("seed", range(5))
def test_the_periods_events_set_the_level_when_the_classifier_is_off(seed):
    # a new county: the classifier, trained on the old one, puts the level at a third
    z, y = _period(400, seed, offset=1.1)
    assert 8 <= y.sum() <= 40
    platt = PlattScaling(prior_events=10, level_prior_events=1).fit(z, y)
    assert platt.predict_proba(z).sum() == pytest.approx(y.sum(), rel=0.1)


def _expected_error(platt: PlattScaling, z: np.ndarray, offset: float) -> float:
    """How far the calibrated level is from the truth's: log of expected over true events."""
    return float(np.log(platt.predict_proba(z).sum() / sigmoid(z + offset).sum()))


def test_a_level_that_held_still_is_not_moved_by_a_quiet_periods_chance():
    # the classifier's level is right: a calibration period of a dozen expected events
    # moves its count by chance alone; following it (the level worth one event) moves the
    # level by that chance, empirical Bayes keeps it where a departure is within the noise
    free, held = [], []
    for seed in range(40):
        z, y = _period(400, seed, 0.0)
        free.append(_expected_error(PlattScaling(10, 1).fit(z, y), z, 0.0))
        empirical = PlattScaling(10, 1, empirical_level=True).fit(z, y)
        held.append(_expected_error(empirical, z, 0.0))
    assert np.sqrt(np.mean(np.square(held))) < 0.6 * np.sqrt(np.mean(np.square(free)))


@pytest.mark.parametrize("seed", range(5))
def test_a_level_that_moved_far_beyond_chance_is_followed(seed):
    # a new county, three times as likely to end red as the classifier says: far beyond
    # what the period's dozen events leave to chance, so its events set the level
    z, y = _period(400, seed, offset=1.1)
    platt = PlattScaling(10, 1, empirical_level=True).fit(z, y)
    assert platt.predict_proba(z).sum() == pytest.approx(y.sum(), rel=0.15)


def test_few_events_bend_the_slope_little():
    # a well-ranked logit on periods of a few events (1 to 9): maximum likelihood puts the
    # slope anywhere from 0.4 to 2.3; the prior keeps it near the classifier's own
    free, held = [], []
    for seed in range(30):
        rng = np.random.default_rng(seed)
        z = rng.normal(-5.0, 1.5, 300)
        y = (rng.random(z.size) < sigmoid(z)).astype(float)
        free.append(PlattScaling().fit(z, y).a_)
        held.append(PlattScaling(prior_events=10, level_prior_events=1).fit(z, y).a_)
    assert np.ptp(free) > 1.5
    assert min(held) > 0.7 and max(held) < 1.35
    assert np.std(held) < np.std(free) / 3


def test_a_period_without_an_event_keeps_a_finite_level():
    z, _ = _period(300, 1, 0.0)
    platt = PlattScaling(prior_events=10, level_prior_events=1).fit(z, np.zeros(z.size))
    expected = platt.predict_proba(z).sum()
    assert np.isfinite([platt.a_, platt.b_]).all()
    assert 0.05 < expected < sigmoid(z).sum()


def test_extreme_and_separable_logits_stay_finite():
    # an overfitted classifier: logits from -40 to 14, the events exactly at the top
    rng = np.random.default_rng(5)
    z = np.concatenate([rng.uniform(-40, -2, 2000), rng.uniform(8, 14, 6)])
    y = (z > 0).astype(float)
    platt = PlattScaling(prior_events=10, level_prior_events=1).fit(z, y)
    assert np.isfinite([platt.a_, platt.b_]).all()
    assert 0 < platt.a_ < 10


def test_negative_priors_are_refused():
    with pytest.raises(ModelError, match="level_prior_events"):
        PlattScaling(level_prior_events=-1).fit(np.zeros(3), np.array([0.0, 1.0, 0.0]))
