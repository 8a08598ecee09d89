"""Base rates of the synthetic population, and its truth against the labels its ledger gives."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import poisson
from synth_labels import GREEN, RED, YELLOW, realised_labels

from risk.synth import Population

Z_LIMIT = 4.0  # standard errors allowed between realised and true rates


@pytest.fixture(scope="module")
def labelled(population: Population) -> pd.DataFrame:
    """The complete-window units with their truth and the label read from the ledger."""
    truth = population.truth
    labels = realised_labels(truth, population.cases)
    return truth.assign(label=labels)[truth["window_complete"].to_numpy()]


def _z(observed: np.ndarray, probability: np.ndarray) -> float:
    """Standardised gap between the realised share and the mean true probability."""
    se = np.sqrt((probability * (1 - probability)).sum()) / len(probability)
    return float((observed.mean() - probability.mean()) / max(se, 1e-12))


def test_synth_truth_probabilities_are_a_distribution(population: Population) -> None:
    p = population.truth[["p_green", "p_yellow", "p_red"]].to_numpy()
    assert np.all((p >= 0) & (p <= 1))
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-12)


def test_synth_truth_has_one_row_per_unit(population: Population) -> None:
    truth = population.truth
    cases = truth[truth["unit"] == "case"]
    surveys = truth[truth["unit"] == "survey"]
    assert len(cases) == len(population.cases) and len(surveys) == len(population.households)
    assert cases["case_id"].notna().all() and surveys["case_id"].isna().all()
    np.testing.assert_array_equal(cases["as_of"], population.cases["opened_at"])
    np.testing.assert_array_equal(surveys["as_of"], population.households["survey_date"])
    end = pd.Timestamp(population.end)
    assert truth["window_complete"].equals(truth["as_of"] + pd.Timedelta(days=90) <= end)


def test_synth_case_rate_per_household_year(population: Population) -> None:
    cases = population.cases
    years = cases["opened_at"].dt.year
    with_case = pd.DataFrame({"h": cases["household_id"], "y": years}).drop_duplicates()
    share = len(with_case) / (50_000 * 3)
    assert 0.035 <= share <= 0.065


def test_synth_own_outcome_base_rates(population: Population) -> None:
    cases = population.cases
    complete = cases["opened_at"] + pd.Timedelta(days=90) <= pd.Timestamp(population.end)
    outcome = cases.loc[complete, "outcome"]
    assert 0.10 <= (outcome == "recurred").mean() <= 0.25
    assert 0.01 <= (outcome == "serious_harm").mean() <= 0.05


def test_synth_label_mix(labelled: pd.DataFrame) -> None:
    cases = labelled[labelled["unit"] == "case"]
    surveys = labelled[labelled["unit"] == "survey"]
    assert 0.70 <= (cases["label"] == GREEN).mean() <= 0.85
    assert 0.02 <= (cases["label"] == RED).mean() <= 0.06
    assert 0.005 <= (surveys["label"] != GREEN).mean() <= 0.05
    assert (surveys["label"] == RED).mean() < 0.003


@pytest.mark.parametrize(
    ("field", "value"),
    [("threat_to_kill", True), ("strangulation", True), ("weapon", "knife"), ("injury", "serious")],
)
def test_synth_hard_flags_are_rare_and_dangerous(
    population: Population, field: str, value: object
) -> None:
    cases = population.cases
    recorded = cases[field].notna() & cases["outcome"].notna()
    flagged = cases.loc[recorded, field] == value
    outcome = cases.loc[recorded, "outcome"]
    assert 0.005 <= flagged.mean() <= 0.05
    serious_with = (outcome[flagged] == "serious_harm").mean()
    serious_without = (outcome[~flagged] == "serious_harm").mean()
    assert serious_with > 3 * serious_without


def test_synth_past_cases_predict_new_ones(labelled: pd.DataFrame) -> None:
    cases = labelled[labelled["unit"] == "case"]
    surveys = labelled[labelled["unit"] == "survey"]
    assert (cases["label"] != GREEN).mean() > 5 * (surveys["label"] != GREEN).mean()


@pytest.mark.parametrize("unit", ["case", "survey"])
@pytest.mark.parametrize(
    ("label", "column"), [(GREEN, "p_green"), (YELLOW, "p_yellow"), (RED, "p_red")]
)
def test_synth_truth_matches_realised_labels(
    labelled: pd.DataFrame, unit: str, label: int, column: str
) -> None:
    units = labelled[labelled["unit"] == unit]
    z = _z((units["label"] == label).to_numpy(), units[column].to_numpy())
    assert abs(z) < Z_LIMIT, f"{unit} {column}: realised vs true differs by {z:.1f} SE"


@pytest.mark.parametrize(("label", "column"), [(GREEN, "p_green"), (RED, "p_red")])
def test_synth_truth_is_calibrated_by_decile(
    labelled: pd.DataFrame, label: int, column: str
) -> None:
    decile = pd.qcut(labelled[column].rank(method="first"), 10, labels=False)
    for d, units in labelled.groupby(decile):
        observed = (units["label"] == label).to_numpy()
        expected = units[column].to_numpy()
        if expected.sum() < 10:
            # Too few expected events for a normal approximation: an exact Poisson tail.
            count, mean = int(observed.sum()), float(expected.sum())
            tail = min(poisson.sf(count - 1, mean), poisson.cdf(count, mean))
            assert tail > 1e-4, f"{column} decile {d}: {count} events where {mean:.2f} expected"
            continue
        z = _z(observed, expected)
        assert abs(z) < Z_LIMIT, f"{column} decile {d}: realised vs true differs by {z:.1f} SE"
