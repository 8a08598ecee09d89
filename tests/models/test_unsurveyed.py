"""A case without a survey scores as one with a typical survey: the classifier's missing-
value bins for a survey nobody took do not set its risk (docs/model.md, "Calibration")."""

from __future__ import annotations

import numpy as np
import pytest

from risk.models.fit import unsurveyed_as_typical
from risk.models.scorer import CompiledEBM, _Binner


def _scorer():
    """A hand-made EBM on [has_case, has_survey, a survey answer, a case field] whose
    survey answer's missing bin carries a large, spurious push."""
    cut = _Binner(cuts=np.array([0.5]))
    binners = {(0, 0): cut, (1, 0): cut, (2, 0): cut, (3, 0): cut}
    return CompiledEBM(
        intercept=-3.0,
        feature_names=["has_case", "has_survey", "drinking", "weapon"],
        term_features=[(1,), (2,), (3,), (2, 3)],
        term_names=["has_survey", "drinking", "weapon", "drinking & weapon"],
        term_scores=[
            np.array([0.0, 0.3, -0.1, 0.0]),  # has_survey: missing, no, yes, unseen
            np.array([2.0, -0.2, 0.6, 0.0]),  # drinking: the missing bin pushes hard
            np.array([0.0, -0.5, 1.0, 0.0]),
            # drinking (missing, no, yes, unseen) × weapon (missing, no, yes, unseen)
            np.array([[0, 0.3, 0.1, 0], [0, 0.0, 0.1, 0], [0, 0.2, 0.4, 0], [0, 0, 0, 0]]),
        ],
        binners=binners,
        term_binners=[((1, 0),), ((2, 0),), ((3, 0),), ((2, 0), (3, 0))],
    )


def _units(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    surveyed = rng.random(n) < 0.5
    drinking = np.where(surveyed, (rng.random(n) < 0.3).astype(float), np.nan)
    drinking[surveyed & (rng.random(n) < 0.05)] = np.nan  # a blank answer in a survey
    weapon = (rng.random(n) < 0.2).astype(float)
    return np.column_stack([np.ones(n), surveyed.astype(float), drinking, weapon])


def test_a_unit_without_a_survey_scores_as_one_with_a_typical_survey():
    scorer, seen, latest = _scorer(), _units(2000, 0), _units(1000, 1)
    moved = unsurveyed_as_typical(scorer, seen, latest)
    surveyed = latest[latest[:, 1] == 1.0]
    survey_part = [0, 1, 3]  # has_survey, drinking, drinking × weapon
    for weapon in (0.0, 1.0):
        without = np.array([[1.0, 0.0, np.nan, weapon]])
        like = surveyed[surveyed[:, 3] == weapon]
        typical = moved.contributions(like)[:, survey_part].sum(axis=1).mean()
        before = scorer.contributions(without)[0, survey_part].sum()
        after = moved.contributions(without)[0, survey_part].sum()
        assert before - typical > 1.5  # the missing bin's push
        # within what the pair term's weapon half moves (one shift for every such unit)
        assert after == pytest.approx(typical, abs=0.3)
    # units with a survey, a blank answer among them, score exactly as before
    np.testing.assert_array_equal(
        moved.decision_function(latest[latest[:, 1] == 1.0]),
        scorer.decision_function(latest[latest[:, 1] == 1.0]),
    )
    # on average, without and with a survey alike
    np.testing.assert_allclose(
        moved.contributions(seen[seen[:, 1] == 0.0])[:, survey_part].sum(axis=1).mean(),
        moved.contributions(surveyed)[:, survey_part].sum(axis=1).mean(),
        atol=1e-12,
    )


def test_nothing_moves_without_units_lacking_a_survey():
    scorer, seen = _scorer(), _units(500, 2)
    surveyed = seen[seen[:, 1] == 1.0]
    assert unsurveyed_as_typical(scorer, surveyed, surveyed) is scorer
