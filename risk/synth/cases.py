"""Dispute cases: arrivals, context, latent severity, intake, outcome, and how they are recorded."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from risk.schema import CASE, Field
from risk.synth import params as P
from risk.synth.calendar import WINDOW_DAYS, Calendar
from risk.synth.frames import contract_frame, date_column, enum_column, id_strings, recorded_column
from risk.synth.households import Households, State
from risk.synth.severity import (
    COMBOS,
    FAMILY,
    INTIMATE,
    RESOLVED,
    SERIOUS,
    SERIOUS_INJURY,
    Intake,
    categorical,
    combo_weights,
    draw_intake,
    intake_loglik,
    outcome_probabilities,
    posterior_severity,
    severity_probabilities,
)

WEAPON_CODES = CASE["weapon"].codes
LETHAL_WEAPONS = np.isin(WEAPON_CODES, ("knife", "firearm"))
#: Intake fields recorded from :class:`Intake` (the rest of the case comes from the context).
INTAKE_FIELDS = tuple(Intake.__dataclass_fields__)
CONTEXT_FIELDS = (
    "dispute_type",
    "counterpart",
    "parties",
    "prior_incidents_12m",
    "mediation_attempts",
    "separation",
    "pregnancy",
)
HARD_FLAGS = ("threat_to_kill", "weapon", "strangulation", "injury")
assert CASE["injury"].codes[0] == "none" and WEAPON_CODES[0] == "none", "none must come first"


@dataclass(frozen=True)
class CaseDraw:
    """The true cases, in ledger order (by opening day, then household)."""

    household: np.ndarray
    period: np.ndarray
    day: np.ndarray
    cls: np.ndarray
    separated: np.ndarray
    pregnant: np.ndarray
    dispute_type: np.ndarray
    counterpart: np.ndarray
    parties: np.ndarray
    prior_incidents: np.ndarray
    mediation_attempts: np.ndarray
    severity: np.ndarray
    intake: Intake
    outcome: np.ndarray
    outcome_day: np.ndarray
    p_resolved: np.ndarray
    p_serious: np.ndarray

    def __len__(self) -> int:
        return len(self.household)


def draw_arrivals(
    rng: np.random.Generator, daily_rates: np.ndarray, calendar: Calendar
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Poisson counts per household and period (rate × days), each on a uniform day of it.

    Equivalent to an independent Poisson(λ_h(d)) count on every day d.
    """
    parts = []
    for k, (first, length) in enumerate(
        zip(calendar.bounds[:-1], calendar.period_days(), strict=True)
    ):
        counts = rng.poisson(daily_rates[k] * length)
        household = np.repeat(np.arange(len(counts)), counts)
        parts.append(
            (household, np.full(len(household), k), first + rng.integers(0, length, len(household)))
        )
    household, period, day = (np.concatenate(p) for p in zip(*parts, strict=True))
    order = np.lexsort((household, day))
    return household[order], period[order], day[order]


def _draw_keyed(
    rng: np.random.Generator, f: Field, keys: np.ndarray, tables: dict[str, dict[str, float]]
) -> np.ndarray:
    """One code position of ``f`` per row, drawn from the weights ``tables[keys[row]]``."""
    unknown = set(np.unique(keys)) - set(tables)
    if unknown:
        raise KeyError(f"{f.name}: no table for {sorted(unknown)}")
    out = np.zeros(len(keys), dtype=np.int16)
    for key, weights in tables.items():
        rows = np.flatnonzero(keys == key)
        probs = np.array([weights.get(code, 0.0) for code in f.codes])
        out[rows] = rng.choice(len(f.codes), size=len(rows), p=probs / probs.sum())
    return out


def _dispute_and_counterpart(
    rng: np.random.Generator, cls: np.ndarray, separated: np.ndarray, rural: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """What the dispute is about (given class, separation, area), then with whom."""
    intimate = cls == INTIMATE
    dispute_keys = np.select(
        [intimate & ~separated, intimate, cls == FAMILY, ~rural],
        ["intimate", "intimate_separated", "family", "community_urban"],
        "community_rural",
    )
    dispute = _draw_keyed(rng, CASE["dispute_type"], dispute_keys, P.DISPUTE_TYPE)
    class_names = np.asarray(P.CLASSES)[cls]
    dispute_codes = np.asarray(CASE["dispute_type"].codes)[dispute]
    pair_keys = np.where(
        intimate, dispute_keys, np.char.add(np.char.add(class_names, ":"), dispute_codes)
    )
    return dispute, _draw_keyed(rng, CASE["counterpart"], pair_keys, P.COUNTERPART)


def _parties(rng: np.random.Generator, cls: np.ndarray, dispute: np.ndarray) -> np.ndarray:
    parties = 2 + rng.poisson(np.take(P.EXTRA_PARTIES, cls))
    codes = np.asarray(CASE["dispute_type"].codes)[dispute]
    p_collective = np.zeros(len(cls))
    for code, share in P.COLLECTIVE.items():
        p_collective[codes == code] = share
    collective = rng.random(len(cls)) < p_collective
    many = 3 + rng.geometric(1.0 / P.COLLECTIVE_PARTIES_MEAN, len(cls))
    return np.minimum(np.where(collective, many, parties), CASE["parties"].high or 500)


def _mediation_attempts(rng: np.random.Generator, status: np.ndarray) -> np.ndarray:
    codes = CASE["mediation_status"].codes
    extra = np.array([P.MEDIATION_EXTRA_ATTEMPTS[c] for c in codes])[status]
    attempts = np.where(np.asarray(codes)[status] == "none", 0, 1 + rng.poisson(extra))
    return np.minimum(attempts, CASE["mediation_attempts"].high or 50)


def draw_cases(
    rng: np.random.Generator,
    households: Households,
    daily_rates: np.ndarray,
    incident_rates: np.ndarray,
    calendar: Calendar,
) -> tuple[CaseDraw, State]:
    """Every case's true context, severity, intake and outcome; and its household's state."""
    household, period, day = draw_arrivals(rng, daily_rates, calendar)
    s = households.at(household, period)
    combo = np.asarray(COMBOS)[categorical(rng, combo_weights(s))]
    cls, separated, pregnant = combo[:, 0], combo[:, 1].astype(bool), combo[:, 2].astype(bool)
    dispute, counterpart = _dispute_and_counterpart(rng, cls, separated, s.rural)
    prior = severity_probabilities(s, cls, separated, pregnant)
    severity = categorical(rng, prior)
    has_children = s.children > 0
    intake = draw_intake(rng, severity, cls, has_children)
    outcome_given_s = outcome_probabilities(s, cls, separated)
    outcome = categorical(rng, outcome_given_s[np.arange(len(severity)), severity])
    posterior = posterior_severity(prior, intake_loglik(intake, cls, has_children))
    own = np.einsum("ns,nso->no", posterior, outcome_given_s)
    low, high = P.OUTCOME_DELAY_DAYS
    draw = CaseDraw(
        household=household,
        period=period,
        day=day,
        cls=cls,
        separated=separated,
        pregnant=pregnant,
        dispute_type=dispute,
        counterpart=counterpart,
        parties=_parties(rng, cls, dispute),
        prior_incidents=np.minimum(
            rng.poisson(incident_rates[period, household]), CASE["prior_incidents_12m"].high or 100
        ),
        mediation_attempts=_mediation_attempts(rng, intake.mediation_status),
        severity=severity,
        intake=intake,
        outcome=outcome,
        outcome_day=day + rng.integers(low, high + 1, len(day)),
        p_resolved=own[:, RESOLVED],
        p_serious=own[:, SERIOUS],
    )
    assert high <= WINDOW_DAYS, "an own outcome must be recorded within its window"
    return draw, s


# --- recording -------------------------------------------------------------------------------


def field_missing_probability(case_missing: np.ndarray, name: str) -> np.ndarray:
    """P(an optional case field is left blank), from the grid's habit and the field."""
    return np.minimum(0.9, case_missing * P.CASE_MISSING_FACTOR.get(name, 1.0))


def serious_injury_recorded_probability(case_missing: np.ndarray) -> np.ndarray:
    """P(a true serious injury shows as ``injury = serious`` in the ledger)."""
    return (1 - field_missing_probability(case_missing, "injury")) * (1 - P.HARD_FLAG_UNRECORDED)


def true_values(draw: CaseDraw) -> dict[str, np.ndarray]:
    """The true value of every optional intake and context field."""
    values = {name: getattr(draw.intake, name) for name in INTAKE_FIELDS}
    values |= {
        "dispute_type": draw.dispute_type,
        "counterpart": draw.counterpart,
        "parties": draw.parties,
        "prior_incidents_12m": draw.prior_incidents,
        "mediation_attempts": draw.mediation_attempts,
        "separation": draw.separated,
        "pregnancy": draw.pregnant,
    }
    return values


def hard_flag_true(draw: CaseDraw) -> dict[str, np.ndarray]:
    """Where each hard red flag is truly present."""
    intake = draw.intake
    return {
        "threat_to_kill": intake.threat_to_kill,
        "weapon": LETHAL_WEAPONS[intake.weapon],
        "strangulation": intake.strangulation,
        "injury": intake.injury == SERIOUS_INJURY,
    }


def draw_blanks(
    rng: np.random.Generator, draw: CaseDraw, case_missing: np.ndarray
) -> dict[str, np.ndarray]:
    """Which optional fields each case's record leaves blank (grid habit; some hard flags too)."""
    blanks = {}
    for f in CASE:
        if f.required or f.training_only or f.name in ("notes", "assessed_tier"):
            continue
        blanks[f.name] = rng.random(len(draw)) < field_missing_probability(case_missing, f.name)
    for name, present in hard_flag_true(draw).items():
        blanks[name] |= present & (rng.random(len(draw)) < P.HARD_FLAG_UNRECORDED)
    return blanks


def assessed_tier(rng: np.random.Generator, draw: CaseDraw) -> np.ndarray:
    """A grader's tier: a DASH-like count of what was seen at intake, with noise and cut-offs."""
    i = draw.intake
    count = (
        i.threats
        + 2 * i.threat_to_kill
        + (i.weapon > 0)
        + i.physical_violence
        + 2 * i.strangulation
        + i.injury
        + i.escalating
        + (i.victim_fear == 2)
        + draw.separated
        + draw.pregnant
        + (draw.prior_incidents >= 3)
        + i.police_called
        + i.child_witness
    )
    score = count + rng.normal(0.0, P.TIER_NOISE_SD, len(draw))
    tier = np.searchsorted(np.asarray(P.TIER_CUTS), score)
    hard = np.any(np.stack(list(hard_flag_true(draw).values())), axis=0)
    return np.where(hard & (rng.random(len(draw)) < P.TIER_HARD_FLAG_RED), 2, tier)


def case_frame(
    draw: CaseDraw,
    blanks: dict[str, np.ndarray],
    tiers: np.ndarray,
    tier_blank: np.ndarray,
    notes: pd.api.extensions.ExtensionArray,
    calendar: Calendar,
    household_ids: pd.api.extensions.ExtensionArray,
) -> pd.DataFrame:
    """The ledger as recorded: blanks applied, outcomes only once they fall within the ledger."""
    values = true_values(draw)
    unrecorded = draw.outcome_day > calendar.end_day
    columns: dict[str, object] = {
        "case_id": id_strings(P.ID_PREFIX + "C", len(draw)),
        "household_id": household_ids.take(draw.household),
        "opened_at": date_column(calendar.to_datetime(draw.day)),
        "notes": notes,
        "assessed_tier": enum_column(CASE["assessed_tier"], tiers, tier_blank),
        "outcome": enum_column(CASE["outcome"], draw.outcome, unrecorded),
        "outcome_at": date_column(calendar.to_datetime(draw.outcome_day), unrecorded),
        "source": enum_column(CASE["source"], draw.intake.source),
        "dispute_type": enum_column(CASE["dispute_type"], draw.dispute_type),
        "counterpart": enum_column(CASE["counterpart"], draw.counterpart),
    }
    for name, blank in blanks.items():
        if name not in columns:
            columns[name] = recorded_column(CASE[name], values[name], blank)
    return contract_frame(CASE, columns, len(draw))
