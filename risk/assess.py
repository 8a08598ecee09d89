"""A model measured on a ledger's test period beside its peers: the one assessment that
``risk train`` logs and ``risk report`` shows.

:func:`prepare` turns a ledger into its scoring units, time periods and recent inflow;
:func:`baselines` fits the checklist and the logistic regression on the training period
per decision, as the model was fitted; :func:`assess` scores the test period with the
model, the baselines and (for the card) the champion, and evaluates them all at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from risk.dataset import Ledger, Split, grid_groups, time_split, unlabelled
from risk.evaluate import Evaluation, Scored, evaluate
from risk.features.encoder import FeatureEncoder
from risk.models.baselines import ChecklistBaseline, LogisticBaseline
from risk.models.decision import DECISIONS, decision_index
from risk.models.fit import has_own_classifier, inflow_units
from risk.models.policy import Policy
from risk.models.thresholds import Scores, choose_thresholds
from risk.models.tiers import TIERS, policy_ranks, tier_codes
from risk.models.triage import TriageModel

__all__ = ["Prepared", "assess", "baselines", "prepare"]


@dataclass
class Prepared:
    """A ledger ready to fit or measure on: every unit (labels NA while the outcome window
    is open), the labelled units split by time, and the recent units still unlabelled."""

    ledger: Ledger
    units: pd.DataFrame
    splits: dict[str, Split]
    recent: pd.DataFrame

    @property
    def test(self) -> Split:
        return self.splits["test"]


def prepare(ledger: Ledger) -> Prepared:
    """The ledger's units, labelled periods (train, calibration, test) and recent inflow."""
    units = ledger.units()
    return Prepared(ledger, units, time_split(units), unlabelled(units))


def assess(
    model: TriageModel, data: Prepared, *, champion: TriageModel | None = None
) -> Evaluation:
    """The model on the test period beside the baselines (and the champion, if given)."""
    test = data.test
    scorers = baselines(data, model.policy, model.encoder)
    if champion is not None:
        frame = champion.predict_frame(test.units, reasons=False)
        scorers["champion"] = Scored(
            frame[["p_green", "p_yellow", "p_red"]].to_numpy(), frame["tier"].astype(str).to_numpy()
        )
    return evaluate(
        model,
        test.units,
        test.labels,
        prefix="test",
        baselines=scorers,
        grid_group=grid_groups(test.units, data.splits["train"].units),
    )


def baselines(data: Prepared, policy: Policy, encoder: FeatureEncoder) -> dict[str, Scored]:
    """The checklist and the logistic regression, fitted per decision as the model was,
    scored on the test period: each gets its decision's capacity (measured on the same
    inflow as the model's), floors and thresholds."""
    train, cal, target = data.splits["train"], data.splits["calibration"], data.test
    X_train, X_cal, X_target, X_new = (
        encoder.transform(u) for u in (train.units, cal.units, target.units, data.recent)
    )
    y_train, y_cal = tier_codes(train.labels), tier_codes(cal.labels)
    d_train, d_cal, d_target, d_new = (decision_index(X) for X in (X_train, X_cal, X_target, X_new))
    floors_cal, _ = policy.floors(cal.units)
    floors_new, _ = policy.floors(data.recent)
    floors, _ = policy.floors(target.units)
    as_of_cal = cal.units["as_of"].to_numpy("datetime64[ns]")
    n = len(target.units)
    proba = {"checklist": np.zeros((n, 3)), "logistic": np.zeros((n, 3))}
    ranks = {"checklist": np.zeros(n, np.int64), "logistic": np.zeros(n, np.int64)}
    for i, name in enumerate(DECISIONS):
        rows = d_target == i
        if not rows.any():
            continue
        rule = policy.decisions[name]
        own = d_train == i
        if not has_own_classifier(y_train[own], rule.min_events):
            own = np.ones_like(own)  # too few events of its own: pooled, as the model
        # Like for like: the checklist's cut-offs get the decision's capacity.
        checklist = ChecklistBaseline(
            red_share=rule.targets.max_red_share,
            yellow_or_red_share=rule.targets.max_yellow_or_red_share,
        ).fit(train.units[own], train.labels[own])
        part = target.units[rows]
        proba["checklist"][rows] = checklist.predict_proba(part)
        ranks["checklist"][rows] = tier_codes(np.asarray(checklist.tiers(part)))
        logistic = LogisticBaseline().fit(X_train[own], y_train[own], encoder.specs_)
        c, new = d_cal == i, d_new == i
        p_cal = logistic.predict_proba(X_cal[c])
        X_in, floors_in = inflow_units(
            (X_new[new], floors_new[new]),
            (X_cal[c], floors_cal[c], as_of_cal[c]),
            rule.capacity_units,
        )
        p_in = logistic.predict_proba(X_in)
        t = choose_thresholds(
            p_cal[:, 2],
            1 - p_cal[:, 0],
            y_cal[c],
            floors_cal[c],
            rule,
            decision=name,
            capacity=Scores.of(p_in[:, 2], 1 - p_in[:, 0], floors_in),
        ).thresholds
        p = logistic.predict_proba(X_target[rows])
        proba["logistic"][rows] = p
        ranks["logistic"][rows] = policy_ranks(p[:, 2], 1 - p[:, 0], t.red, t.yellow, floors[rows])
    names = np.asarray(TIERS, object)
    return {k: Scored(proba[k], names[ranks[k]]) for k in proba}
