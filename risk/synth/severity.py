"""The case model shared by the case generator and the truth: context, severity, intake, outcome.

A case's context is one of six classes (relationship × separation × pregnancy), its latent
severity S is low/mid/high with P(S | context, state) a softmax, the intake indicators are
conditionally independent given S, and the outcome is a softmax given S and context.
Everything here is a closed-form probability, so the truth can enumerate it exactly.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from risk.schema import CASE, Field
from risk.synth import params as P
from risk.synth.households import WEAK, WEEKLY, State, incident_rate

INTIMATE, FAMILY, COMMUNITY = range(3)
#: Context combinations the severity depends on: (class, separation, pregnancy).
COMBOS = (
    (INTIMATE, 0, 0),
    (INTIMATE, 1, 0),
    (INTIMATE, 0, 1),
    (INTIMATE, 1, 1),
    (FAMILY, 0, 0),
    (COMMUNITY, 0, 0),
)
OUTCOME_CODES = CASE["outcome"].codes
RESOLVED, RECURRED, SERIOUS = (
    OUTCOME_CODES.index(c) for c in ("resolved", "recurred", "serious_harm")
)
assert (RESOLVED, RECURRED, SERIOUS) == (0, 1, 2), "outcome: codes changed in the schema"


def table(f: Field, rows: Mapping[str, tuple[float, ...]]) -> np.ndarray:
    """A probability table keyed by ``f``'s codes as an array (codes × S), in code order."""
    if set(rows) != set(f.codes):
        raise KeyError(f"{f.name}: table keys {sorted(rows)} are not the codes {f.codes}")
    values = np.array([rows[c] for c in f.codes], dtype=float)
    return values / values.sum(axis=0, keepdims=True)


WEAPON = table(CASE["weapon"], P.WEAPON)
INJURY_GIVEN_PHYSICAL = table(CASE["injury"], P.INJURY_GIVEN_PHYSICAL)
VICTIM_FEAR = table(CASE["victim_fear"], P.VICTIM_FEAR)
MEDIATION_STATUS = table(CASE["mediation_status"], P.MEDIATION_STATUS)
SERIOUS_INJURY = CASE["injury"].codes.index("serious")
#: P(serious injury | S): injury needs physical violence.
P_SERIOUS_INJURY = np.asarray(P.P_PHYSICAL) * INJURY_GIVEN_PHYSICAL[SERIOUS_INJURY]


def _source_table() -> np.ndarray:
    """P(source | class, S), shape (classes, S, sources)."""
    codes = CASE["source"].codes
    logits = np.array([P.SOURCE_BY_CLASS[c] for c in codes]).T[:, None, :]  # class, 1, source
    shift = np.array([P.SOURCE_SEVERITY.get(c, (0.0, 0.0, 0.0)) for c in codes]).T  # S, source
    weights = np.exp(logits + shift[None, :, :])
    return weights / weights.sum(axis=2, keepdims=True)


SOURCE = _source_table()


def softmax_columns(columns: list[np.ndarray]) -> list[np.ndarray]:
    """Softmax across a few equally long arrays (one per category), element by element."""
    top = functools.reduce(np.maximum, columns)
    weights = [np.exp(c - top) for c in columns]
    total = functools.reduce(np.add, weights)
    return [w / total for w in weights]


def softmax(logits: np.ndarray) -> np.ndarray:
    """Softmax over the last axis."""
    columns = [logits[..., k] for k in range(logits.shape[-1])]
    return np.stack(softmax_columns(columns), axis=-1)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


# --- context -----------------------------------------------------------------------------


def class_probabilities(s: State) -> np.ndarray:
    """P(relationship class) of a fresh case: intimate, family, community; shape (n, 3)."""
    single = (s.adults == 1)[:, None]
    logits = (
        np.asarray(P.CLASS_INTERCEPT)
        + single * np.asarray(P.CLASS_SINGLE_ADULT)
        + s.conflict[:, None] * np.asarray(P.CLASS_CONFLICT)
        + s.violence[:, None] * np.asarray(P.CLASS_VIOLENCE)
        + s.separation_prone[:, None] * np.asarray(P.CLASS_SEPARATION_PRONE)
        + np.asarray(P.CLASS_NEIGHBOURS)[s.neighbours]
        + s.rural[:, None] * np.asarray(P.CLASS_RURAL)
        + (s.elderly > 0)[:, None] * np.asarray(P.CLASS_ELDERLY)
        + s.caregiver[:, None] * np.asarray(P.CLASS_CAREGIVER)
    )
    return softmax(logits)


def separation_probability(s: State) -> np.ndarray:
    """P(separated in the last 6 months | intimate dispute)."""
    return _sigmoid(
        P.SEPARATION_INTERCEPT
        + P.SEPARATION_PRONE * s.separation_prone
        + P.SEPARATION_RETURNED * s.returned
    )


def pregnancy_probability(s: State) -> np.ndarray:
    """P(pregnancy | intimate dispute)."""
    return _sigmoid(P.PREGNANCY_INTERCEPT + P.PREGNANCY_NO_CHILDREN * (s.children == 0))


def combo_weights(s: State) -> np.ndarray:
    """P(context combination) of a fresh case, one column per entry of :data:`COMBOS`."""
    classes = class_probabilities(s)
    sep, preg = separation_probability(s), pregnancy_probability(s)
    columns = []
    for cls, separated, pregnant in COMBOS:
        weight = classes[:, cls]
        if cls == INTIMATE:
            weight = weight * (sep if separated else 1 - sep) * (preg if pregnant else 1 - preg)
        columns.append(weight)
    return np.stack(columns, axis=1)


# --- severity ----------------------------------------------------------------------------


def household_severity(s: State) -> np.ndarray:
    """The household's part of the severity score η (everything but the case's context)."""
    dash_step = _sigmoid(P.SEV_DASH_STEEPNESS * (incident_rate(s) - P.SEV_DASH_CENTRE))
    return (
        P.SEV_Z * s.z
        + P.SEV_VIOLENCE * s.violence
        + np.take(P.SEV_ALCOHOL, s.alcohol)
        + P.SEV_ALCOHOL_X_UNEMPLOYED * ((s.alcohol > 0) & s.unemployed)
        + P.SEV_GAMBLING * s.gambling
        + P.SEV_DEBT * s.debt
        + np.take(P.SEV_CONFLICT, s.conflict)
        + P.SEV_SUICIDAL * s.suicidal
        + P.SEV_SMI * s.smi
        + P.SEV_PHQ9_SEVERE * (s.phq9 >= 15)
        + P.SEV_SUPPORT_WEAK * (s.support == WEAK)
        + P.SEV_RETURNED_X_CONFLICT * (s.returned & (s.conflict >= WEEKLY))
        + P.SEV_DASH_STEP * dash_step
        + P.SEV_DRIFT * s.drift * s.year
    )


def severity_columns(
    household: np.ndarray,
    violence: np.ndarray,
    cls: np.ndarray | int,
    separated: np.ndarray | int,
    pregnant: np.ndarray | int,
) -> list[np.ndarray]:
    """[P(low), P(mid), P(high)] given the household's η part and the case's context."""
    separated = np.asarray(separated, dtype=bool)
    eta = household + np.take(P.SEV_CLASS, cls) + P.SEV_SEPARATION * separated
    high_only = P.HIGH_SEPARATION_X_VIOLENCE * (
        separated & violence
    ) + P.HIGH_PREGNANCY * np.asarray(pregnant, dtype=bool)
    return softmax_columns(
        [
            np.zeros_like(eta),
            P.SEVERITY_MID_INTERCEPT + eta,
            P.SEVERITY_HIGH_INTERCEPT + P.SEVERITY_HIGH_SLOPE * eta + high_only,
        ]
    )


def severity_probabilities(
    s: State, cls: np.ndarray | int, separated: np.ndarray | int, pregnant: np.ndarray | int
) -> np.ndarray:
    """P(S | context, state), shape (n, 3) for S = low, mid, high."""
    columns = severity_columns(household_severity(s), s.violence, cls, separated, pregnant)
    return np.stack(columns, axis=1)


def outcome_columns(
    violence: np.ndarray, cls: np.ndarray | int, separated: np.ndarray | int, severity: int
) -> list[np.ndarray]:
    """[P(resolved), P(recurred), P(serious harm)] given S = ``severity`` and the context."""
    cls = np.asarray(cls)
    recurred = P.OUTCOME_RECURRED[severity] + P.OUTCOME_RECURRED_INTIMATE * (cls == INTIMATE)
    serious = P.OUTCOME_SERIOUS[severity] + (
        P.OUTCOME_SERIOUS_SEPARATION * np.asarray(separated, dtype=bool)
        + P.OUTCOME_SERIOUS_VIOLENCE * violence
        + P.OUTCOME_SERIOUS_COMMUNITY * (cls == COMMUNITY)
    )
    recurred, serious = np.broadcast_arrays(recurred, serious)
    return softmax_columns([np.zeros(serious.shape), recurred, serious])


def outcome_probabilities(
    s: State, cls: np.ndarray | int, separated: np.ndarray | int
) -> np.ndarray:
    """π(outcome | S, context, state), shape (n, 3 S, 3 outcomes)."""
    return np.stack(
        [
            np.stack(outcome_columns(s.violence, cls, separated, k), axis=1)
            for k in range(len(P.SEVERITY))
        ],
        axis=1,
    )


# --- intake --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Intake:
    """The true intake indicators of n cases (booleans, or positions in the field's codes)."""

    threats: np.ndarray
    threat_to_kill: np.ndarray
    weapon: np.ndarray
    physical_violence: np.ndarray
    strangulation: np.ndarray
    injury: np.ndarray
    police_called: np.ndarray
    protection_order: np.ndarray
    child_witness: np.ndarray
    escalating: np.ndarray
    victim_fear: np.ndarray
    mediation_status: np.ndarray
    source: np.ndarray


def _bernoulli(rng: np.random.Generator, p: np.ndarray) -> np.ndarray:
    return rng.random(len(p)) < p


def categorical(rng: np.random.Generator, probabilities: np.ndarray) -> np.ndarray:
    """One draw per row of a (n, k) probability matrix."""
    cumulative = np.cumsum(probabilities, axis=1)
    u = rng.random(len(probabilities))[:, None] * cumulative[:, -1:]
    return np.minimum((u >= cumulative).sum(axis=1), probabilities.shape[1] - 1)


def draw_intake(
    rng: np.random.Generator, severity: np.ndarray, cls: np.ndarray, has_children: np.ndarray
) -> Intake:
    """Draw each indicator given S (conditionally independent; injury and strangulation
    need physical violence, a threat to kill needs threats)."""

    def pick(p: tuple[float, ...]) -> np.ndarray:
        return np.asarray(p)[severity]

    threats = _bernoulli(rng, pick(P.P_THREATS))
    physical = _bernoulli(rng, pick(P.P_PHYSICAL))
    return Intake(
        threats=threats,
        threat_to_kill=threats & _bernoulli(rng, pick(P.P_KILL_GIVEN_THREATS)),
        weapon=categorical(rng, WEAPON.T[severity]),
        physical_violence=physical,
        strangulation=physical & _bernoulli(rng, pick(P.P_STRANGLE_GIVEN_PHYSICAL)),
        injury=np.where(physical, categorical(rng, INJURY_GIVEN_PHYSICAL.T[severity]), 0),
        police_called=_bernoulli(rng, pick(P.P_POLICE)),
        protection_order=(cls != COMMUNITY) & _bernoulli(rng, pick(P.P_PROTECTION_ORDER)),
        child_witness=has_children & _bernoulli(rng, pick(P.P_CHILD_WITNESS)),
        escalating=_bernoulli(rng, pick(P.P_ESCALATING)),
        victim_fear=categorical(rng, VICTIM_FEAR.T[severity]),
        mediation_status=categorical(rng, MEDIATION_STATUS.T[severity]),
        source=categorical(rng, SOURCE[cls, severity]),
    )


def _bool_loglik(
    value: np.ndarray, p: tuple[float, ...], applies: np.ndarray | None = None
) -> np.ndarray:
    """log P(value | S) for a Bernoulli indicator, (n, 3); zero where it does not apply."""
    probs = np.asarray(p)[None, :]
    loglik = np.where(value[:, None], np.log(probs), np.log1p(-probs))
    return loglik if applies is None else np.where(applies[:, None], loglik, 0.0)


def intake_loglik(intake: Intake, cls: np.ndarray, has_children: np.ndarray) -> np.ndarray:
    """log P(intake | S) of each case, (n, 3): the product of the indicators' factors."""
    physical = intake.physical_violence
    return (
        _bool_loglik(intake.threats, P.P_THREATS)
        + _bool_loglik(intake.threat_to_kill, P.P_KILL_GIVEN_THREATS, intake.threats)
        + np.log(WEAPON[intake.weapon])
        + _bool_loglik(physical, P.P_PHYSICAL)
        + _bool_loglik(intake.strangulation, P.P_STRANGLE_GIVEN_PHYSICAL, physical)
        + np.where(physical[:, None], np.log(INJURY_GIVEN_PHYSICAL[intake.injury]), 0.0)
        + _bool_loglik(intake.police_called, P.P_POLICE)
        + _bool_loglik(intake.protection_order, P.P_PROTECTION_ORDER, cls != COMMUNITY)
        + _bool_loglik(intake.child_witness, P.P_CHILD_WITNESS, has_children)
        + _bool_loglik(intake.escalating, P.P_ESCALATING)
        + np.log(VICTIM_FEAR[intake.victim_fear])
        + np.log(MEDIATION_STATUS[intake.mediation_status])
        + np.log(SOURCE[cls, :, intake.source])
    )


def posterior_severity(prior: np.ndarray, loglik: np.ndarray) -> np.ndarray:
    """P(S | intake, context, state) by Bayes: prior × likelihood, normalised."""
    return softmax(np.log(prior) + loglik)


# --- what a fresh case means for the label -----------------------------------------------


def red_marking_terms(s: State, injury_recorded: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(A, B) with P(a fresh case marks red) = A + B·o, o = P(its outcome is on the ledger).

    A fresh case marks red if its recorded injury is serious, or its outcome is serious
    harm and recorded. Given S and context the two are independent, so
    P = Σ_c w_c Σ_S P(S|c)·[j_S + π_serious(S, c)·(1 − j_S)·o], with
    j_S = P(recorded serious injury | S).
    """
    weights = combo_weights(s)
    household = household_severity(s)
    a = np.zeros(len(weights))
    b = np.zeros(len(weights))
    for column, (cls, separated, pregnant) in enumerate(COMBOS):
        prior = severity_columns(household, s.violence, cls, separated, pregnant)
        for k, p_s in enumerate(prior):
            serious = outcome_columns(s.violence, cls, separated, k)[SERIOUS]
            recorded = P_SERIOUS_INJURY[k] * injury_recorded
            a += weights[:, column] * p_s * recorded
            b += weights[:, column] * p_s * serious * (1 - recorded)
    return a, b
