"""Grids and households: static traits, yearly traits with persistence, and their case rates.

Enum traits are held as integer positions in the field's codes (``HOUSEHOLD_SURVEY``);
the model uses the order of those codes (none < moderate < severe, never < ... < daily).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from risk.schema import HOUSEHOLD_SURVEY
from risk.synth import params as P

_ORDERED = {
    "economic_hardship": ("none", "moderate", "severe"),
    "alcohol_misuse": ("none", "occasional", "frequent"),
    "conflict_frequency": ("never", "monthly", "weekly", "daily"),
    "neighbour_relations": ("good", "fair", "poor"),
    "social_support": ("strong", "moderate", "weak"),
    "left_behind": ("none", "spouse", "children", "elderly"),
}
for _name, _order in _ORDERED.items():  # the model reads these levels by position
    assert HOUSEHOLD_SURVEY[_name].codes == _order, f"{_name}: codes changed in the schema"

WEEKLY = HOUSEHOLD_SURVEY["conflict_frequency"].codes.index("weekly")
FREQUENT = HOUSEHOLD_SURVEY["alcohol_misuse"].codes.index("frequent")
WEAK = HOUSEHOLD_SURVEY["social_support"].codes.index("weak")
LEFT_SPOUSE, LEFT_CHILDREN, LEFT_ELDERLY = (
    HOUSEHOLD_SURVEY["left_behind"].codes.index(c) for c in ("spouse", "children", "elderly")
)


@dataclass(frozen=True)
class Grids:
    """Per-grid base rates and recording habits."""

    rural: np.ndarray
    effect: np.ndarray
    case_missing: np.ndarray
    survey_missing_logit: np.ndarray
    skip_wave: np.ndarray
    notes_missing: np.ndarray

    @property
    def count(self) -> int:
        return len(self.rural)


@dataclass(frozen=True)
class State:
    """The true state of a set of households, each in one period (arrays of equal length)."""

    grid: np.ndarray
    rural: np.ndarray
    adults: np.ndarray
    children: np.ndarray
    elderly: np.ndarray
    z: np.ndarray
    violence: np.ndarray
    smi: np.ndarray
    drift: np.ndarray
    incident_noise: np.ndarray
    grid_effect: np.ndarray
    year: np.ndarray
    hardship: np.ndarray
    unemployed: np.ndarray
    debt: np.ndarray
    alcohol: np.ndarray
    gambling: np.ndarray
    phq9: np.ndarray
    gad7: np.ndarray
    suicidal: np.ndarray
    conflict: np.ndarray
    neighbours: np.ndarray
    support: np.ndarray
    caregiver: np.ndarray
    returned: np.ndarray
    left_behind: np.ndarray
    separation_prone: np.ndarray

    @property
    def size(self) -> np.ndarray:
        return self.adults + self.children + self.elderly


STATIC = (
    "grid",
    "rural",
    "adults",
    "children",
    "elderly",
    "z",
    "violence",
    "smi",
    "drift",
    "incident_noise",
    "grid_effect",
)
YEARLY = tuple(f.name for f in fields(State) if f.name not in STATIC and f.name != "year")


@dataclass(frozen=True)
class Households:
    """Every household's static traits (shape ``n``) and yearly traits (shape ``years × n``)."""

    grids: Grids
    static: dict[str, np.ndarray]
    yearly: dict[str, np.ndarray]
    surveyed: np.ndarray

    @property
    def count(self) -> int:
        return len(self.static["z"])

    @property
    def years(self) -> int:
        return len(self.yearly["conflict"])

    def at(self, household: np.ndarray, period: np.ndarray) -> State:
        """The state of ``household[i]`` in ``period[i]``."""
        values = {name: self.static[name][household] for name in STATIC}
        values |= {name: self.yearly[name][period, household] for name in YEARLY}
        return State(year=period, **values)

    def in_period(self, period: int) -> State:
        """Every household's state in one period."""
        households = np.arange(self.count)
        return self.at(households, np.full(self.count, period))


def build_grids(rng: np.random.Generator, households: int) -> Grids:
    count = max(4, round(households / P.HOUSEHOLDS_PER_GRID))
    rural = rng.random(count) < P.GRID_RURAL_SHARE
    # Rural grids record less: more blank case fields and notes, more skipped answers.
    case_missing = rng.beta(*P.CASE_MISSING_BETA, count)
    return Grids(
        rural=rural,
        effect=rng.normal(0.0, P.GRID_EFFECT_SD, count),
        case_missing=np.where(rural, case_missing * P.RURAL_CASE_MISSING_FACTOR, case_missing),
        survey_missing_logit=rng.normal(*P.SURVEY_MISSING_LOGIT, count)
        + np.where(rural, P.RURAL_SURVEY_MISSING_LOGIT, 0.0),
        skip_wave=rng.beta(*P.SKIP_WAVE_BETA, count),
        notes_missing=np.minimum(
            0.9,
            rng.beta(*P.NOTES_MISSING_BETA, count)
            * np.where(rural, P.RURAL_CASE_MISSING_FACTOR, 1.0),
        ),
    )


def build_households(rng: np.random.Generator, households: int, years: int) -> Households:
    """Draw grids, static traits and yearly traits for ``households`` households."""
    grids = build_grids(rng, households)
    static = _static_traits(rng, grids, households)
    yearly = _yearly_traits(rng, static, households, years)
    surveyed = rng.random(households) >= P.NEVER_SURVEYED
    return Households(grids=grids, static=static, yearly=yearly, surveyed=surveyed)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _static_traits(rng: np.random.Generator, grids: Grids, n: int) -> dict[str, np.ndarray]:
    weights = rng.lognormal(0.0, 0.5, grids.count)
    grid = rng.choice(grids.count, size=n, p=weights / weights.sum()).astype(np.int32)
    rural = grids.rural[grid]
    grid_effect = grids.effect[grid]
    z = rng.normal(0.0, P.LATENT_RISK_SD, n)
    drifting = rng.random(n) < P.DRIFT_SHARE
    return {
        "grid": grid,
        "rural": rural,
        "grid_effect": grid_effect,
        "adults": (1 + rng.binomial(3, 0.4, n)).astype(np.int8),
        "children": np.minimum(rng.poisson(0.8 + 0.3 * rural), 6).astype(np.int8),
        "elderly": rng.binomial(2, np.where(rural, 0.3, 0.22)).astype(np.int8),
        "z": z,
        "violence": rng.random(n) < _sigmoid(-2.8 + 1.4 * z + 0.3 * grid_effect),
        "smi": rng.random(n) < _sigmoid(-4.7 + 0.8 * z),
        "drift": np.where(drifting, rng.uniform(*P.DRIFT_RANGE, n), 0.0),
        "incident_noise": rng.normal(0.0, P.INCIDENTS_NOISE_SD, n),
    }


def _persistent_noise(rng: np.random.Generator, n: int, years: int, rho: float) -> np.ndarray:
    """Standard-normal AR(1) noise per household across years, shape ``years × n``."""
    noise = np.empty((years, n))
    noise[0] = rng.standard_normal(n)
    for k in range(1, years):
        noise[k] = rho * noise[k - 1] + np.sqrt(1 - rho**2) * rng.standard_normal(n)
    return noise


def _levels(liability: np.ndarray, cuts: tuple[float, ...]) -> np.ndarray:
    """Ordered levels: how many cut-offs the liability passes."""
    return np.searchsorted(np.asarray(cuts), liability).astype(np.int8)


def _yearly_traits(
    rng: np.random.Generator, s: dict[str, np.ndarray], n: int, years: int
) -> dict[str, np.ndarray]:
    def noise() -> np.ndarray:
        return _persistent_noise(rng, n, years, P.PERSISTENCE)

    z, rural, g, violence = s["z"], s["rural"], s["grid_effect"], s["violence"]
    hardship = _levels(0.6 * z + 0.35 * rural + 0.5 * g + noise(), (0.75, 1.6))
    unemployed = 0.5 * z + 0.5 * hardship + noise() > 1.75
    alcohol = _levels(0.8 * z + 0.3 * violence + noise(), P.ALCOHOL_CUTS)
    gambling = 0.6 * z + 0.3 * alcohol + noise() > 2.15
    debt = 0.4 * z + 0.5 * hardship + 0.6 * gambling + noise() > 1.6
    caregiver = noise() + 1.4 * (s["elderly"] > 0) + 0.3 * s["smi"] > 2.05
    mood = 0.5 * z + 0.3 * hardship + 0.5 * unemployed + 0.4 * caregiver + noise()
    phq9 = np.minimum(np.floor(28 * _sigmoid(-2.4 + 1.0 * mood)), 27).astype(np.int8)
    gad7 = np.minimum(np.floor(22 * _sigmoid(-2.4 + 0.8 * mood + 0.5 * noise())), 21)
    suicidal = mood + 0.6 * noise() > 2.7
    returned = noise() + 0.6 * rural > 1.95
    conflict = _levels(
        0.9 * z + 0.6 * violence + 0.3 * alcohol + 0.25 * hardship + noise(), (0.3, 1.3, 2.1)
    )
    neighbours = _levels(0.6 * z + 0.3 * rural + 0.5 * g + noise(), (0.65, 1.7))
    support = _levels(0.5 * z + 0.2 * returned + noise(), (-0.35, 1.15))
    separation_prone = (
        0.5 * z + 0.4 * (conflict >= WEEKLY) + 0.4 * violence + 0.3 * returned + noise() > 2.0
    )
    return {
        "hardship": hardship,
        "unemployed": unemployed,
        "debt": debt,
        "alcohol": alcohol,
        "gambling": gambling,
        "phq9": phq9,
        "gad7": gad7.astype(np.int8),
        "suicidal": suicidal,
        "conflict": conflict,
        "neighbours": neighbours,
        "support": support,
        "caregiver": caregiver,
        "returned": returned,
        "left_behind": _left_behind(rng, s, returned, noise()),
        "separation_prone": separation_prone,
    }


def _left_behind(
    rng: np.random.Generator, s: dict[str, np.ndarray], returned: np.ndarray, noise: np.ndarray
) -> np.ndarray:
    """Who stays behind while a member works away: one kind per household, some years."""
    n = len(s["z"])
    kind = rng.choice([LEFT_SPOUSE, LEFT_CHILDREN, LEFT_ELDERLY], size=n, p=[0.4, 0.35, 0.25])
    kind = np.where((kind == LEFT_CHILDREN) & (s["children"] == 0), LEFT_SPOUSE, kind)
    kind = np.where((kind == LEFT_ELDERLY) & (s["elderly"] == 0), LEFT_SPOUSE, kind)
    away = (noise + 0.7 * s["rural"] > 1.7) & ~returned
    return np.where(away, kind, 0).astype(np.int8)


# --- rates derived from the state ---------------------------------------------------------


def annual_case_rate(s: State) -> np.ndarray:
    """Expected dispute cases per year, given the household's state in that period.

    Log-linear in the risk factors, then saturating smoothly below ``RATE_CEILING``.
    """
    log_rate = (
        P.RATE_INTERCEPT
        + P.RATE_Z * s.z
        + P.RATE_GRID * s.grid_effect
        + P.RATE_RURAL * s.rural
        + np.take(P.RATE_CONFLICT, s.conflict)
        + np.take(P.RATE_NEIGHBOURS, s.neighbours)
        + np.take(P.RATE_ALCOHOL, s.alcohol)
        + P.RATE_ALCOHOL_X_UNEMPLOYED * ((s.alcohol > 0) & s.unemployed)
        + P.RATE_VIOLENCE * s.violence
        + np.take(P.RATE_HARDSHIP, s.hardship)
        + P.RATE_DEBT * s.debt
        + P.RATE_GAMBLING * s.gambling
        + P.RATE_CAREGIVER * s.caregiver
        + P.RATE_RETURNED * s.returned
        + P.RATE_RETURNED_X_CONFLICT * (s.returned & (s.conflict >= WEEKLY))
        + P.RATE_LEFT_BEHIND_SPOUSE * (s.left_behind == LEFT_SPOUSE)
        + P.RATE_SUICIDAL * s.suicidal
        + P.RATE_SMI * s.smi
        + np.take(P.RATE_SUPPORT, s.support)
        + P.RATE_SEPARATION_PRONE * s.separation_prone
        + P.RATE_SEPARATION_X_VIOLENCE * (s.separation_prone & s.violence)
        + P.RATE_LARGE_HOUSEHOLD * (s.size >= 6)
        + s.drift * s.year
    )
    raw = np.exp(log_rate)
    return raw / (1 + raw / P.RATE_CEILING)


def incident_rate(s: State) -> np.ndarray:
    """The household's latent rate of incidents per 12 months (reported at intake, noisily)."""
    log_rate = (
        P.INCIDENTS_INTERCEPT
        + P.INCIDENTS_Z * s.z
        + P.INCIDENTS_CONFLICT * s.conflict
        + P.INCIDENTS_VIOLENCE * s.violence
        + P.INCIDENTS_ALCOHOL_FREQUENT * (s.alcohol == FREQUENT)
        + P.INCIDENTS_SEPARATION_PRONE * s.separation_prone
        + P.INCIDENTS_DRIFT * s.drift * s.year
        + s.incident_noise
    )
    return np.exp(log_rate)
