"""The tier policy file: validation, floors that only raise, one-unit and batch agree."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from risk.errors import ConfigError
from risk.features.units import conform_units
from risk.models.policy import load_policy, parse_policy
from risk.models.tiers import TIERS, policy_ranks

POLICY = load_policy()


def _units(*records: dict) -> pd.DataFrame:
    return conform_units(pd.DataFrame(list(records)))


def test_packaged_policy_has_every_tier_and_the_issue_floors():
    assert set(POLICY.tiers) == set(TIERS)
    codes = {f.code: f.tier for f in POLICY.red_flags}
    for code in ("threat_to_kill", "weapon_knife_or_firearm", "strangulation", "serious_injury"):
        assert codes[code] == "red"
    for code in (
        "suicidal_ideation",
        "severe_depression",
        "protection_order",
        "repeated_incidents",
        "escalating",
    ):
        assert codes[code] == "yellow"
    assert POLICY.tiers["red"].follow_up_days < POLICY.tiers["yellow"].follow_up_days
    assert all(POLICY.tiers[t].actions("zh") and POLICY.tiers[t].actions("en") for t in TIERS)


@pytest.mark.parametrize(
    ("record", "floor", "codes"),
    [
        ({"threat_to_kill": True}, 2, ["threat_to_kill"]),
        ({"weapon": "knife"}, 2, ["weapon_knife_or_firearm"]),
        ({"weapon": "blunt"}, 0, []),
        (
            {"injury": "serious", "suicidal_ideation": True},
            2,
            ["suicidal_ideation", "serious_injury"],
        ),
        ({"prior_incidents_12m": 3}, 1, ["repeated_incidents"]),
        ({"phq9": 20}, 1, ["severe_depression"]),
        ({"phq9": 19}, 0, []),
        ({"prior_incidents_12m": 2}, 0, []),
        ({"hist_cases_12m": 4}, 1, ["repeated_cases_in_ledger"]),
        ({"hist_serious_harm": 1}, 1, ["earlier_serious_harm"]),
        ({"protection_order": False, "escalating": None}, 0, []),
        ({}, 0, []),
    ],
)
def test_floors_fire_exactly_on_their_conditions(record, floor, codes):
    got_floor, fired = POLICY.floors_one(record)
    assert got_floor == floor
    assert sorted(f.code for f in fired) == sorted(codes)
    batch_floor, batch_fired = POLICY.floors(_units(record))
    assert batch_floor.tolist() == [floor]
    fired_codes = [f.code for f, hit in zip(POLICY.red_flags, batch_fired[0], strict=True) if hit]
    assert sorted(fired_codes) == sorted(codes)


def test_floors_only_raise_the_tier_the_one_rule_gives():
    """The production rule with the packaged floors: each unit's tier is the higher of the
    thresholds' tier and its floor, in the batch path and the one-unit path alike."""
    rng = np.random.default_rng(3)
    p_red = rng.random(500) * 0.5
    p_yr = np.minimum(p_red + rng.random(500) * 0.5, 1.0)
    records = [
        {"threat_to_kill": bool(rng.random() < 0.1), "escalating": bool(rng.random() < 0.2)}
        for _ in range(500)
    ]
    floor, _ = POLICY.floors(_units(*records))
    assert {0, 1, 2} <= set(floor.tolist())  # every floor occurs: nothing passes vacuously
    model = np.where(p_red >= 0.3, 2, np.where(p_yr >= 0.4, 1, 0))  # the thresholds alone
    assert {0, 1, 2} <= set(model.tolist())
    final = policy_ranks(p_red, p_yr, 0.3, 0.4, floor)
    assert final.tolist() == np.maximum(model, floor).tolist()
    raised = (floor > model).sum()
    assert raised > 0 and (final > model).sum() == raised  # raised exactly where a floor is higher
    for i in range(500):
        one_floor, _ = POLICY.floors_one(records[i])
        one = policy_ranks(float(p_red[i]), float(p_yr[i]), 0.3, 0.4, one_floor)
        assert one == final[i]


def test_thresholds_are_respected_per_unit():
    p_red = np.array([0.05, 0.2, 0.29, 0.3, 0.9])
    p_yr = np.array([0.1, 0.39, 0.4, 0.5, 0.95])
    assert policy_ranks(p_red, p_yr, 0.3, 0.4).tolist() == [0, 0, 1, 2, 2]
    # each unit its own decision's thresholds
    t_red = np.array([0.01, 0.3, 0.3, 0.5, 0.3])
    assert policy_ranks(p_red, p_yr, t_red, 0.4).tolist() == [2, 0, 1, 1, 2]


def test_each_decision_states_its_capacity():
    intake, screening = POLICY.decisions["intake"], POLICY.decisions["screening"]
    assert intake.targets.max_red_share <= 0.15
    assert 1 - intake.targets.max_yellow_or_red_share >= 0.30
    assert screening.targets.max_yellow_or_red_share <= intake.targets.max_yellow_or_red_share
    assert intake.min_red_probability > 0 and screening.min_red_probability > 0


def test_a_broken_policy_names_the_key():
    data = yaml.safe_load(POLICY.to_yaml())
    data["decisions"]["intake"]["targets"]["red_recall"] = 1.5
    with pytest.raises(ConfigError, match=r"decisions\.intake\.targets\.red_recall"):
        parse_policy(yaml.safe_dump(data))
    data = yaml.safe_load(POLICY.to_yaml())
    del data["decisions"]["screening"]
    with pytest.raises(ConfigError, match="decisions: need exactly intake, screening"):
        parse_policy(yaml.safe_dump(data))
    data = yaml.safe_load(POLICY.to_yaml())
    data["decisions"]["intake"]["targets"]["max_yellow_or_red_share"] = 0.05
    with pytest.raises(ConfigError, match="at least max_red_share"):
        parse_policy(yaml.safe_dump(data))
    data = yaml.safe_load(POLICY.to_yaml())
    data["red_flags"][0]["colour"] = "red"
    with pytest.raises(ConfigError, match="colour"):
        parse_policy(yaml.safe_dump(data))
    with pytest.raises(ConfigError, match="cannot read"):
        load_policy("no/such/policy.yaml")


def test_policy_round_trips_through_yaml():
    assert parse_policy(POLICY.to_yaml()) == POLICY


@pytest.mark.parametrize(
    ("monotone", "match"),
    [
        (["weapon"], "'weapon' is not a model input with an order"),
        (["no_such_answer"], "'no_such_answer' is not a model input"),
        ([], "field 'threat_to_kill' must be listed under monotone"),
    ],
)
def test_monotone_answers_must_have_an_order_and_cover_the_red_flags(monotone, match):
    data = yaml.safe_load(POLICY.to_yaml())
    data["monotone"] = monotone
    with pytest.raises(ConfigError, match=match):
        parse_policy(yaml.safe_dump(data))
