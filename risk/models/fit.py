"""Fitting the deployed model: per decision, a classifier on the training period and
everything else on the calibration period.

Each decision (case intake, household screening) gets an EBM pair of its own when its
training units hold at least the policy's ``min_events`` red events; otherwise the pooled
pair, fitted on every training unit, serves it (and training says so). Platt scaling, the
reference unit of the reasons, the thresholds and the review band are then fitted on the
decision's own calibration units, which the classifier never saw, so the probabilities
and the policy's figures are honest for new units of that decision.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from risk.errors import ModelError
from risk.features.encoder import FeatureEncoder
from risk.i18n import both
from risk.models.calibration import PlattScaling
from risk.models.decision import DECISIONS, HAS_SURVEY_COLUMN, decision_index
from risk.models.ebm import EBMPairClassifier, feature_types_from_specs
from risk.models.policy import Policy
from risk.models.reasons import CalibratedTerms
from risk.models.review import ReviewBand
from risk.models.scorer import CompiledEBM
from risk.models.thresholds import Scores, ThresholdChoice, choose_thresholds
from risk.models.tiers import tier_codes
from risk.models.triage import DecisionModel, ModelInfo, TriageModel

__all__ = [
    "INTERACTION_CHOICES",
    "FitResult",
    "fit_triage",
    "has_own_classifier",
    "held_out_loss",
    "inflow_units",
    "unsurveyed_as_typical",
]


def has_own_classifier(labels: np.ndarray, min_events: int) -> bool:
    """Whether a decision's training labels (ranks) hold enough red and yellow events, and
    some green, for a classifier of its own; otherwise the pooled one serves it."""
    return bool(
        (labels == 2).sum() >= min_events
        and (labels == 1).sum() >= min_events
        and (labels == 0).any()
    )


@dataclass
class FitResult:
    model: TriageModel
    #: The classifier serving each decision (the same object for pooled decisions).
    classifiers: dict[str, EBMPairClassifier]
    choices: dict[str, ThresholdChoice]
    seconds: dict[str, float]
    #: What training has to say, per decision: (zh, en) sentences.
    notes: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    @property
    def classifier(self) -> EBMPairClassifier:
        """The intake decision's classifier (the one most users ask about)."""
        return self.classifiers[DECISIONS[0]]


def fit_triage(
    train: pd.DataFrame,
    train_labels: Any,
    calibration: pd.DataFrame,
    calibration_labels: Any,
    policy: Policy,
    *,
    recent: pd.DataFrame | None = None,
    params: dict[str, Any] | None = None,
    info: ModelInfo | None = None,
) -> FitResult:
    """Fit each decision's classifier on ``train``, then calibrate, choose thresholds and
    fit the review band on ``calibration``. Labels are tier names or ranks, none missing.

    ``recent`` holds the units after the labelled periods, outcomes not yet known (the
    ledger's last 90 days): with the latest calibration units, to make the decision's
    ``capacity_units``, they are the inflow its capacity shares are measured on."""
    params = dict(params or {})
    seconds: dict[str, float] = {}
    notes: dict[str, list[tuple[str, str]]] = {d: [] for d in DECISIONS}
    encoder = FeatureEncoder().fit(train)
    X_train, y_train = encoder.transform(train), tier_codes(train_labels)
    X_cal, y_cal = encoder.transform(calibration), tier_codes(calibration_labels)
    d_train, d_cal = decision_index(X_train), decision_index(X_cal)
    floors_cal, _ = policy.floors(calibration)
    recent = calibration.iloc[:0] if recent is None else recent
    X_new = encoder.transform(recent)
    d_new = decision_index(X_new)
    floors_new, _ = policy.floors(recent)
    as_of_cal = calibration["as_of"].to_numpy("datetime64[ns]")

    def fit_pair(rows: np.ndarray, name: str, held_out: np.ndarray) -> EBMPairClassifier:
        """The decision's pair; unless ``params`` fix it, with or without pairwise
        interactions, whichever predicts the ``held_out`` calibration rows better."""
        start = time.perf_counter()
        tried = [
            EBMPairClassifier(
                feature_names=list(encoder.feature_names_out_),
                feature_types=feature_types_from_specs(encoder.specs_),
                **({"monotone": policy.monotone} | params | extra),
            ).fit(X_train[rows], y_train[rows])
            for extra in ([{}] if "interactions" in params else INTERACTION_CHOICES)
        ]
        pair = min(tried, key=lambda p: held_out_loss(p, X_cal[held_out], y_cal[held_out]))
        seconds[f"classifier_{name}"] = time.perf_counter() - start
        return pair

    pooled: EBMPairClassifier | None = None
    classifiers: dict[str, EBMPairClassifier] = {}
    choices: dict[str, ThresholdChoice] = {}
    decisions: dict[str, DecisionModel] = {}
    for i, name in enumerate(DECISIONS):
        rule = policy.decisions[name]
        train_rows = np.flatnonzero(d_train == i)
        cal_rows = np.flatnonzero(d_cal == i)
        if cal_rows.size == 0:
            raise ModelError(
                f"calibration: the calibration period holds no {name} units; a model needs "
                "both cases and surveys in it"
            )
        y_d = y_train[train_rows]
        n_red = int((y_d == 2).sum())
        own = has_own_classifier(y_d, rule.min_events)
        if own:
            classifier = fit_pair(train_rows, name, cal_rows)
        else:
            if pooled is None:
                pooled = fit_pair(np.arange(len(y_train)), "pooled", np.arange(len(y_cal)))
            classifier = pooled
            notes[name].append(both("pooled_classifier", n=n_red, need=rule.min_events))
        classifiers[name] = classifier

        start = time.perf_counter()
        Xc, yc, fc = X_cal[cal_rows], y_cal[cal_rows], floors_cal[cal_rows]
        seen = np.concatenate([X_train[train_rows], Xc])
        red_scorer, yr_scorer = (
            unsurveyed_as_typical(scorer, seen, Xc)
            for scorer in (classifier.red_scorer_, classifier.yr_scorer_)
        )
        z_red, z_yr = red_scorer.decision_function(Xc), yr_scorer.decision_function(Xc)
        red_platt, yr_platt = (
            PlattScaling(
                prior_events=policy.calibration.prior_events,
                level_prior_events=policy.calibration.level_prior_events,
                empirical_level=policy.calibration.empirical_level,
            ).fit(z, event)
            for z, event in ((z_red, yc == 2), (z_yr, yc >= 1))
        )
        for what, platt in (("red", red_platt), ("yellow_or_red", yr_platt)):
            if platt.a_ <= 0:  # would turn every effect, monotone ones too, upside down
                raise ModelError(
                    f"calibration ({name}): the {what} model ranks the calibration period "
                    f"backwards (Platt slope {platt.a_:.3g}); more data or a longer training "
                    "period needed"
                )
        zr, zy = red_platt.transform(z_red), yr_platt.transform(z_yr)
        new_rows = np.flatnonzero(d_new == i)
        X_in, floors_in = inflow_units(
            (X_new[new_rows], floors_new[new_rows]),
            (Xc, fc, as_of_cal[cal_rows]),
            rule.capacity_units,
        )
        z_in_red, z_in_yr = red_scorer.decision_function(X_in), yr_scorer.decision_function(X_in)
        inflow = Scores.of(
            _sigmoid(red_platt.transform(z_in_red)),
            _sigmoid(yr_platt.transform(z_in_yr)),
            floors_in,
        )
        scores = Scores.of(_sigmoid(zr), _sigmoid(zy), fc)
        choice = choose_thresholds(
            scores.p_red, scores.p_yellow_or_red, yc, fc, rule, decision=name, capacity=inflow
        )
        notes[name].extend(choice.notes.values())
        t = choice.thresholds
        band = ReviewBand.fit(zr, np.maximum(zy, zr), t.red, t.yellow, fc, rule.review_share)
        specs = encoder.specs_
        decisions[name] = DecisionModel(
            red=CalibratedTerms(red_scorer, red_platt, specs).centred_on(Xc),
            yellow_or_red=CalibratedTerms(yr_scorer, yr_platt, specs).centred_on(Xc),
            thresholds=t,
            review=band,
            pooled=not own,
        )
        choices[name] = choice
        seconds[f"calibration_{name}"] = time.perf_counter() - start

    model = TriageModel(encoder, decisions, policy, info)
    return FitResult(model, classifiers, choices, seconds, notes)


#: The classifier's two structures tried when training does not fix ``interactions``: main
#: effects alone, and with the classifier's default pairwise interactions. On a few hundred
#: red events interactions fit noise as often as signal, so held-out data decides.
INTERACTION_CHOICES: tuple[dict[str, Any], ...] = ({"interactions": 0}, {})


def held_out_loss(pair: EBMPairClassifier, X: np.ndarray, y: np.ndarray) -> float:
    """Mean log loss of the pair's red and yellow-or-red logits on held-out units, each
    Platt-scaled on them: how well it ranks and spreads them, whatever its offset."""
    total = 0.0
    for z, event in zip(pair.decision_function(X), (y == 2, y >= 1), strict=True):
        p = np.clip(_sigmoid(PlattScaling().fit(z, event).transform(z)), 1e-12, 1 - 1e-12)
        total -= float(np.mean(np.where(event, np.log(p), np.log1p(-p))))
    return total


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def inflow_units(
    recent: tuple[np.ndarray, np.ndarray],
    calibration: tuple[np.ndarray, np.ndarray, np.ndarray],
    count: int,
) -> tuple[np.ndarray, np.ndarray]:
    """A decision's latest inflow, features and floor ranks: its ``recent`` units (outcomes
    not known yet), then its latest ``calibration`` units (features, floors, as-of dates)
    until there are ``count``."""
    X_new, floors_new = recent
    X_cal, floors_cal, as_of = calibration
    more = max(min(count - len(X_new), len(as_of)), 0)
    keep = np.argsort(as_of, kind="stable")[len(as_of) - more :]
    return np.concatenate([X_new, X_cal[keep]]), np.concatenate([floors_new, floors_cal[keep]])


def unsurveyed_as_typical(scorer: CompiledEBM, seen: np.ndarray, latest: np.ndarray) -> CompiledEBM:
    """The scorer with a unit that has no survey scored, on average, as one with a typical
    survey: the survey part of its logit is moved to the mean survey part of the
    ``latest`` units that have one (the decision's calibration units).

    A unit without a survey (a case before its household's first wave) has every field
    that comes from a survey missing, and the classifier scores that through each such
    field's missing-value bin at once. Those bins are learned from the few survey-less
    units of the training period, nearly all from the first months of a ledger, before
    the households' waves came round: a handful of events, so the contrast between
    units with and without a survey comes out large and of either sign (on synthetic
    ledgers where the two are equally risky, from a tenth to three and a half times).
    Whether a household has been surveyed yet depends on when its county joined, not on
    its risk, and the share of such units moves from most of a new county's first year to
    almost none later: calibration in the large on a mixed period then misstates the
    units that follow. So the difference between the two groups' mean survey part (the
    terms of the fields a survey-less unit never has, and of ``has_survey``) is added to
    the ``has_survey`` term at "no survey": the model's case and history terms still tell
    survey-less units apart, and the reasons still add up (the term is structure, never
    shown). ``seen``: every unit of the decision the model was fitted and calibrated on,
    whose survey-less ones give the mean to move from. Returned unchanged when ``seen``
    has no unit without a survey, or the classifier does not tell the two apart.
    """
    surveyed = seen[:, HAS_SURVEY_COLUMN] == 1.0
    latest = latest[latest[:, HAS_SURVEY_COLUMN] == 1.0]
    if surveyed.all() or not latest.size:
        return scorer
    missing = np.isnan(seen)
    # the fields no unit without a survey has, that units with one do
    survey_part = set(
        np.flatnonzero(missing[~surveyed].all(axis=0) & ~missing[surveyed].all(axis=0)).tolist()
    ) | {HAS_SURVEY_COLUMN}
    terms = [t for t, tf in enumerate(scorer.term_features) if survey_part & set(tf)]
    main = [t for t, tf in enumerate(scorer.term_features) if tuple(tf) == (HAS_SURVEY_COLUMN,)]
    if not main:
        return scorer
    (key,) = scorer.term_binners[main[0]]
    binner, cuts = scorer.binners[key], scorer._cut_lists[key]
    without, with_ = binner.bin_one(0.0, cuts), binner.bin_one(1.0, cuts)
    if without == with_:
        return scorer
    shift = float(
        scorer.contributions(latest)[:, terms].sum(axis=1).mean()
        - scorer.contributions(seen[~surveyed])[:, terms].sum(axis=1).mean()
    )
    scores = list(scorer.term_scores)
    scores[main[0]] = scores[main[0]].copy()
    scores[main[0]][without] += shift
    return dataclasses.replace(scorer, term_scores=scores)
