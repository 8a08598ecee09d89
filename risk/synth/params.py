"""Every magnitude of the generating process, in one place (docs/synthetic-data.md explains them).

The numbers are chosen to be plausible against the published sources the docs cite, not
estimated from data. Coefficients are on the log scale (log-rate or log-odds) unless named
``P_``/``PROB_`` (probabilities). Tables keyed by a contract code list that field's codes.
"""

from __future__ import annotations

# --- grids and households --------------------------------------------------------------
ID_PREFIX = ""  # put before every household, case and grid id (a second population's ids)
HOUSEHOLDS_PER_GRID = 3000
GRID_RURAL_SHARE = 0.55
GRID_EFFECT_SD = 0.25  # grid shift of case rates and of hardship/neighbour tension
LATENT_RISK_SD = 0.5  # z_h, the persistent household risk nobody records
NEVER_SURVEYED = 0.04
DRIFT_SHARE = 0.08  # households whose risk escalates year on year
DRIFT_RANGE = (0.25, 0.6)  # added to the log case rate per year elapsed
PERSISTENCE = 0.75  # year-to-year correlation of the latent drivers of yearly traits
ALCOHOL_CUTS = (
    1.05,
    1.85,
)  # latent drinking score: occasional from the first, frequent from the second

# --- case arrivals: annual rate, log-linear (multipliers are exp of these) --------------
RATE_INTERCEPT = -4.6
RATE_CEILING = 2.0  # cases a year the rate saturates towards: rate = raw / (1 + raw / ceiling)
RATE_Z = 1.0
RATE_GRID = 1.0
RATE_RURAL = 0.1
RATE_CONFLICT = (0.0, 0.5, 1.0, 1.5)  # never, monthly, weekly, daily
RATE_NEIGHBOURS = (0.0, 0.3, 1.0)  # good, fair, poor
RATE_ALCOHOL = (0.0, 0.2, 0.6)  # none, occasional, frequent
RATE_ALCOHOL_X_UNEMPLOYED = 0.5
RATE_VIOLENCE = 0.6
RATE_HARDSHIP = (0.0, 0.2, 0.4)
RATE_DEBT = 0.3
RATE_GAMBLING = 0.4
RATE_CAREGIVER = 0.2
RATE_RETURNED = 0.2
RATE_RETURNED_X_CONFLICT = 0.3  # returned migrant with weekly or daily quarrels (Qujing)
RATE_LEFT_BEHIND_SPOUSE = 0.2
RATE_SUICIDAL = 0.3
RATE_SMI = 0.3
RATE_SUPPORT = (-0.2, 0.0, 0.3)  # strong, moderate, weak
RATE_SEPARATION_PRONE = 0.5
RATE_SEPARATION_X_VIOLENCE = 0.6
RATE_LARGE_HOUSEHOLD = 0.2  # six or more members

# --- latent incident rate (per 12 months); prior_incidents_12m ~ Poisson of it -----------
INCIDENTS_INTERCEPT = -1.2
INCIDENTS_Z = 0.6
INCIDENTS_CONFLICT = 0.35  # per level of quarrel frequency
INCIDENTS_VIOLENCE = 0.5
INCIDENTS_ALCOHOL_FREQUENT = 0.4
INCIDENTS_SEPARATION_PRONE = 0.4
INCIDENTS_DRIFT = 1.5  # times the household's drift per year elapsed
INCIDENTS_NOISE_SD = 0.4

# --- context of a case -------------------------------------------------------------------
CLASSES = ("intimate", "family", "community")
CLASS_INTERCEPT = (0.0, -0.2, -0.1)
CLASS_SINGLE_ADULT = (-1.5, 0.0, 0.0)
CLASS_CONFLICT = (0.35, 0.1, 0.0)  # per level of quarrel frequency
CLASS_VIOLENCE = (0.8, 0.0, 0.0)
CLASS_SEPARATION_PRONE = (1.0, 0.0, 0.0)
CLASS_NEIGHBOURS = ((0.0, 0.0, 0.0), (0.0, 0.0, 0.7), (0.0, 0.0, 1.6))
CLASS_RURAL = (0.0, 0.0, 0.3)
CLASS_ELDERLY = (0.0, 0.6, 0.0)
CLASS_CAREGIVER = (0.0, 0.5, 0.0)
SEPARATION_INTERCEPT = -2.0  # log-odds of a recent separation, given an intimate dispute
SEPARATION_PRONE = 2.3
SEPARATION_RETURNED = 0.4
PREGNANCY_INTERCEPT = -3.0  # log-odds of a pregnancy, given an intimate dispute
PREGNANCY_NO_CHILDREN = 0.6

# --- latent severity S in (low, mid, high): softmax of (0, mid, high) --------------------
SEVERITY = ("low", "mid", "high")
SEVERITY_MID_INTERCEPT = -1.9
SEVERITY_HIGH_INTERCEPT = -4.6
SEVERITY_HIGH_SLOPE = 1.5  # the high logit moves 1.5 times as fast as the mid logit
SEV_Z = 0.3
SEV_VIOLENCE = 0.7
SEV_ALCOHOL = (0.0, 0.2, 0.5)
SEV_ALCOHOL_X_UNEMPLOYED = 0.5
SEV_GAMBLING = 0.2
SEV_DEBT = 0.15
SEV_CONFLICT = (0.0, 0.1, 0.3, 0.6)
SEV_SUICIDAL = 0.4
SEV_SMI = 0.3
SEV_PHQ9_SEVERE = 0.2  # PHQ-9 of 15 or more
SEV_SUPPORT_WEAK = 0.2
SEV_RETURNED_X_CONFLICT = 0.3
SEV_DASH_STEP = 0.8  # escalation: a logistic step in the incident rate around 3 a year
SEV_DASH_CENTRE = 2.75
SEV_DASH_STEEPNESS = 4.0
SEV_DRIFT = 0.5  # times the household's drift per year elapsed
SEV_CLASS = (0.4, 0.0, -0.4)  # intimate, family, community
SEV_SEPARATION = 0.3
# terms on the high logit only (the lethality markers of the Danger Assessment)
HIGH_SEPARATION_X_VIOLENCE = 1.0
HIGH_PREGNANCY = 0.8

# --- intake indicators given S (low, mid, high) -----------------------------------------
P_THREATS = (0.08, 0.35, 0.75)
P_KILL_GIVEN_THREATS = (0.02, 0.08, 0.35)
P_PHYSICAL = (0.12, 0.45, 0.85)
P_STRANGLE_GIVEN_PHYSICAL = (0.01, 0.04, 0.22)
INJURY_GIVEN_PHYSICAL = {  # none, minor, serious; no injury without physical violence
    "none": (0.80, 0.60, 0.35),
    "minor": (0.19, 0.36, 0.45),
    "serious": (0.01, 0.04, 0.20),
}
WEAPON = {
    "none": (0.9872, 0.9371, 0.660),
    "knife": (0.002, 0.018, 0.20),
    "blunt": (0.008, 0.035, 0.100),
    "firearm": (0.0001, 0.0009, 0.010),
    "other": (0.0027, 0.009, 0.030),
}
P_POLICE = (0.10, 0.30, 0.70)
P_PROTECTION_ORDER = (0.002, 0.01, 0.06)  # family or intimate disputes only
P_CHILD_WITNESS = (0.05, 0.15, 0.35)  # households with children only
P_ESCALATING = (0.05, 0.25, 0.65)
VICTIM_FEAR = {"none": (0.75, 0.35, 0.10), "some": (0.22, 0.50, 0.40), "high": (0.03, 0.15, 0.50)}
MEDIATION_STATUS = {
    "none": (0.25, 0.25, 0.30),
    "ongoing": (0.25, 0.30, 0.30),
    "agreement": (0.45, 0.30, 0.15),
    "failed": (0.05, 0.15, 0.25),
}
MEDIATION_EXTRA_ATTEMPTS = {"none": 0.0, "ongoing": 0.6, "agreement": 0.6, "failed": 1.2}
SOURCE_BY_CLASS = {  # log-weights of who reports the case, by class (intimate, family, community)
    "grid_worker": (0.8, 1.0, 1.0),
    "police": (0.3, -0.5, -0.3),
    "court": (-0.8, -0.5, -1.5),
    "womens_federation": (0.3, -1.0, -3.0),
    "self": (0.5, 0.7, 0.5),
    "neighbour": (-1.5, -1.0, 0.6),
    "other": (-1.5, -1.2, -1.0),
}
SOURCE_SEVERITY = {"police": (0.0, 0.7, 1.6), "court": (0.0, 0.3, 0.6)}

# --- outcome given S: softmax of (0, recurred, serious_harm) -----------------------------
OUTCOME_RECURRED = (-2.0, -0.95, -0.2)
OUTCOME_SERIOUS = (-4.5, -4.0, -0.6)
OUTCOME_RECURRED_INTIMATE = 0.3
OUTCOME_SERIOUS_SEPARATION = 0.4
OUTCOME_SERIOUS_VIOLENCE = 0.3
OUTCOME_SERIOUS_COMMUNITY = -0.4
OUTCOME_DELAY_DAYS = (7, 90)  # outcome_at - opened_at, uniform, inclusive

# --- recording ----------------------------------------------------------------------------
CASE_MISSING_BETA = (1.5, 15.0)  # per-grid share of optional case fields left blank
CASE_MISSING_FACTOR = {
    "strangulation": 1.5,
    "threat_to_kill": 1.5,
    "pregnancy": 1.5,
    "parties": 0.5,
    "mediation_attempts": 0.7,
}
RURAL_CASE_MISSING_FACTOR = 1.6  # rural grids leave more case fields and notes blank
RURAL_SURVEY_MISSING_LOGIT = 0.4  # ... and skip more survey answers
HARD_FLAG_UNRECORDED = 0.05  # a true hard flag left blank in the fields ...
NOTE_MENTIONS_UNRECORDED = 0.9  # ... but written in the notes this often
NOTES_MISSING_BETA = (1.0, 9.0)
NOTES_MISSING_BY_SOURCE: dict[str, float] = {}  # a source's factor on its grid's blank-note share
TIER_MISSING = 0.1
SURVEY_MISSING_LOGIT = (-3.4, 0.8)  # per-grid mean and spread of the log-odds of a blank
SURVEY_MISSING_ITEM = {
    "phq9": 1.0,
    "gad7": 1.0,
    "suicidal_ideation": 0.5,
    "violence_history": 0.8,
    "alcohol_misuse": 0.3,
    "gambling": 0.3,
    "severe_mental_illness": 0.3,
}
SURVEY_SENSITIVE_VIOLENCE = 1.0  # extra log-odds of a blank sensitive item ...
SURVEY_SENSITIVE_DRINKING = 0.8  # ... in households with violence history / heavy drinking
SKIP_WAVE_BETA = (1.2, 10.0)  # per-grid share of households that skip a year's wave

# --- assessed tier: a DASH-like count with cut-offs and noise ---------------------------
TIER_NOISE_SD = 1.2
TIER_CUTS = (3.0, 6.0)  # green below 3, yellow below 6, red above
TIER_HARD_FLAG_RED = 0.6  # a hard flag makes the grader say red this often

# --- what the dispute is about and with whom, given the class ----------------------------
DISPUTE_TYPE = {  # by class; "intimate_separated" when the couple has separated
    "intimate": {"marital": 0.55, "divorce": 0.25, "custody": 0.12, "property": 0.08},
    "intimate_separated": {"marital": 0.30, "divorce": 0.50, "custody": 0.12, "property": 0.08},
    "family": {
        "elder_support": 0.30,
        "inheritance": 0.20,
        "property": 0.20,
        "custody": 0.05,
        "debt": 0.10,
        "other": 0.15,
    },
    "community_urban": {
        "neighbour_nuisance": 0.65,
        "land_boundary": 0.05,
        "debt": 0.15,
        "other": 0.15,
    },
    "community_rural": {
        "neighbour_nuisance": 0.40,
        "land_boundary": 0.40,
        "debt": 0.10,
        "other": 0.10,
    },
}
COUNTERPART = {  # by class and dispute type
    "intimate": {"spouse": 0.85, "ex_partner": 0.15},
    "intimate_separated": {"spouse": 0.60, "ex_partner": 0.40},
    "family:elder_support": {"child": 0.5, "sibling": 0.3, "parent": 0.2},
    "family:inheritance": {"sibling": 0.6, "parent": 0.1, "other_relative": 0.3},
    "family:property": {"sibling": 0.5, "in_law": 0.3, "other_relative": 0.2},
    "family:custody": {"in_law": 0.6, "parent": 0.4},
    "family:debt": {"other_relative": 0.6, "sibling": 0.4},
    "family:other": {"in_law": 0.4, "other_relative": 0.3, "parent": 0.3},
    "community:neighbour_nuisance": {"neighbour": 1.0},
    "community:land_boundary": {"neighbour": 0.9, "other_relative": 0.1},
    "community:debt": {"other": 0.7, "neighbour": 0.3},
    "community:other": {"other": 0.5, "neighbour": 0.5},
}
EXTRA_PARTIES = (0.0, 0.7, 0.5)  # Poisson mean of parties beyond two, by class
COLLECTIVE = {"land_boundary": 0.05, "neighbour_nuisance": 0.01}  # share of many-party disputes
COLLECTIVE_PARTIES_MEAN = 15
