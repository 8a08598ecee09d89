"""The synthetic world is as hard to predict as the real one: no easier, no harder."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binom

from risk.features.history import hard_red_flag
from risk.synth import Population
from risk.synth.realism import HARD_FLAG_RED_RATE, ORACLE_AUROC_RED, Realism, hard_flags

FLAGS = ["threat_to_kill", "weapon_knife", "weapon_firearm", "strangulation", "injury_serious"]
TAIL = 1e-3  # a realised rate this unlikely under the band's nearer edge is outside it


def test_synth_realism_hard_flags_are_the_features_hard_flags(population: Population) -> None:
    flags = hard_flags(population.cases)
    assert list(flags) == FLAGS
    np.testing.assert_array_equal(
        np.logical_or.reduce(list(flags.values())), hard_red_flag(population.cases)
    )


def test_synth_realism_oracle_ranks_case_units_like_a_real_tool_at_best(
    realistic: Realism,
) -> None:
    low, high = ORACLE_AUROC_RED
    assert low <= realistic.oracle_auroc_red <= high


@pytest.mark.parametrize("flag", FLAGS)
def test_synth_realism_a_hard_flag_is_followed_by_red_in_well_under_half(
    realistic: Realism, flag: str
) -> None:
    low, high = HARD_FLAG_RED_RATE
    row = realistic.flags.loc[flag]
    assert low <= row["true_red_rate"] <= high, f"{flag}: true red rate {row['true_red_rate']:.3f}"
    units, red = int(row["units"]), int(row["red"])
    assert units >= 10, f"{flag}: only {units} flagged case units"
    # The realised rate, noisy for a flag as rare as a firearm, must not lie clearly outside.
    assert binom.cdf(red, units, low) > TAIL, f"{flag}: {red} red of {units}, below {low:.0%}"
    assert binom.sf(red - 1, units, high) > TAIL, f"{flag}: {red} red of {units}, above {high:.0%}"


def test_synth_realism_red_is_a_few_cases_and_far_rarer_in_surveys(realistic: Realism) -> None:
    assert 0.02 <= realistic.case_red_rate <= 0.06
    assert realistic.survey_red_rate < realistic.case_red_rate / 20
