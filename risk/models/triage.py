"""The deployed model: one object from scoring units to tiers with flags and exact reasons.

:class:`TriageModel` holds the fitted encoder, the tier policy and, for each decision
(case intake, household screening), a :class:`DecisionModel`: the two compiled EBMs with
that decision's Platt scalings and reference unit, its thresholds and its review band. A
unit is scored by its decision's model. It scores a units frame in batch
(:meth:`predict_frame`, flat columns for Parquet) or one unit given as a dict
(:meth:`predict_record`, the full result object, without pandas on the hot path). The
reasons of a unit are the terms of the model its tier came from: the red model for a red
tier, the yellow-or-red model otherwise; with ``base`` they add up to its ``logit``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from risk.features.encoder import FeatureEncoder
from risk.models.calibration import sigmoid
from risk.models.decision import (
    DECISIONS,
    HAS_CASE_COLUMN,
    HAS_SURVEY_COLUMN,
    decision_index,
    decision_names,
)
from risk.models.policy import Policy, Thresholds
from risk.models.reasons import CalibratedTerms
from risk.models.review import ReviewBand, set_strings
from risk.models.tiers import TIERS, combine_probabilities, policy_ranks
from risk.schema import TIERS as CONTRACT_TIERS

__all__ = ["DecisionModel", "ModelInfo", "TriageModel"]

ID_COLUMNS = ("unit", "household_id", "case_id", "as_of")
#: Tier labels come from the contract's one table of labels.
_TIER_LABELS = {c.code: (c.zh, c.en) for c in CONTRACT_TIERS}


@dataclass
class ModelInfo:
    """Who the model is: registry name and version, when and on what it was trained."""

    name: str = "risk-triage"
    version: str = "unregistered"
    trained_at: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class DecisionModel:
    """One decision's calibrated pair, thresholds and review band.

    ``pooled`` is true when the decision had too few red events in training for a
    classifier of its own, so the pooled classifier (with this decision's calibration)
    serves it.
    """

    red: CalibratedTerms
    yellow_or_red: CalibratedTerms
    thresholds: Thresholds
    review: ReviewBand
    pooled: bool = False


class TriageModel:
    """Scoring units → decision, tier, probabilities, flags, reasons, actions, review."""

    def __init__(
        self,
        encoder: FeatureEncoder,
        decisions: Mapping[str, DecisionModel],
        policy: Policy,
        info: ModelInfo | None = None,
    ) -> None:
        self.encoder = encoder
        self.decisions = {name: decisions[name] for name in DECISIONS}
        self.policy = policy
        self.info = info or ModelInfo()
        self._value_codes = {
            spec.name: {code: raw for raw, code in encoder._codes_.get(spec.name, {}).items()}
            for spec in encoder.specs_
        }

    # -- probabilities ---------------------------------------------------------------

    def features(self, units: pd.DataFrame) -> np.ndarray:
        return self.encoder.transform(units)

    def logits(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Calibrated logits ``(red, yellow_or_red)``, each unit by its decision's model."""
        X = np.asarray(X, np.float64)
        z_red, z_yr = np.empty(X.shape[0]), np.empty(X.shape[0])
        for _, rows, model in self._by_decision(decision_index(X)):
            z_red[rows] = model.red.logit_of(X[rows])
            z_yr[rows] = model.yellow_or_red.logit_of(X[rows])
        return z_red, z_yr

    def predict_proba(self, units: pd.DataFrame) -> np.ndarray:
        """Calibrated probabilities ``(n, 3)``: green, yellow, red."""
        red, yr = self.logits(self.features(units))
        return combine_probabilities(sigmoid(red), sigmoid(yr))

    def _by_decision(self, index: np.ndarray) -> list[tuple[int, np.ndarray, DecisionModel]]:
        """(decision index, its rows, its model) for each decision with rows."""
        return [
            (i, rows, self.decisions[name])
            for i, name in enumerate(DECISIONS)
            if (rows := np.flatnonzero(index == i)).size
        ]

    def _per_unit_thresholds(self, index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        t_red = np.array([self.decisions[d].thresholds.red for d in DECISIONS])[index]
        t_yellow = np.array([self.decisions[d].thresholds.yellow for d in DECISIONS])[index]
        return t_red, t_yellow

    # -- batch -----------------------------------------------------------------------

    def predict_frame(self, units: pd.DataFrame, *, reasons: bool = True) -> pd.DataFrame:
        """One row per unit: decision, tier, probabilities, flags, top reasons, review set."""
        X = self.features(units)
        n = X.shape[0]
        index = decision_index(X)
        z_red, z_yr = np.empty(n), np.empty(n)
        bins: dict[tuple[int, str], Any] = {}
        lo, hi = np.zeros(n, np.int8), np.zeros(n, np.int8)
        floor, fired = self.policy.floors(units)
        for i, rows, model in self._by_decision(index):
            Xr = X[rows]
            red_bins = model.red.ebm.bin_all(Xr)
            yr_bins = model.yellow_or_red.ebm.bin_all(Xr, (model.red.ebm, red_bins))
            bins[(i, "red")], bins[(i, "yellow_or_red")] = red_bins, yr_bins
            z_red[rows] = model.red.logit_of(Xr, red_bins)
            z_yr[rows] = np.maximum(model.yellow_or_red.logit_of(Xr, yr_bins), z_red[rows])
            t = model.thresholds
            lo[rows], hi[rows] = model.review.bounds(
                z_red[rows], z_yr[rows], t.red, t.yellow, floor[rows]
            )
        proba = combine_probabilities(sigmoid(z_red), sigmoid(z_yr))
        t_red, t_yellow = self._per_unit_thresholds(index)
        p_red, p_yr = proba[:, 2], proba[:, 1] + proba[:, 2]
        model_rank = policy_ranks(p_red, p_yr, t_red, t_yellow)
        rank = policy_ranks(p_red, p_yr, t_red, t_yellow, floor)

        out: dict[str, Any] = {c: units[c].to_numpy() for c in ID_COLUMNS if c in units}
        out["decision"] = decision_names(index)
        out["tier"] = pd.Categorical.from_codes(rank, categories=pd.Index(TIERS))
        out["model_tier"] = pd.Categorical.from_codes(model_rank, categories=pd.Index(TIERS))
        out["p_green"], out["p_yellow"], out["p_red"] = proba.T
        out["flags"] = pd.Categorical(self._flag_codes(fired))
        if reasons:
            out.update(self._top_reasons(X, index, rank, bins))
        out["prediction_set"] = pd.Categorical(set_strings(lo, hi))
        out["review_recommended"] = hi > lo
        days = np.array([self.policy.tiers[t].follow_up_days for t in TIERS])[rank]
        if "as_of" in units:
            as_of = pd.to_datetime(units["as_of"]).to_numpy()
            out["follow_up_date"] = as_of + days.astype("timedelta64[D]")
        out["follow_up_days"] = days
        out["model_name"] = _from_codes(np.zeros(n, np.int8), [self.info.name])
        out["model_version"] = _from_codes(np.zeros(n, np.int8), [self.info.version])
        return pd.DataFrame(out, index=units.index, copy=False)

    def _flag_codes(self, fired: np.ndarray) -> np.ndarray:
        codes = np.full(fired.shape[0], "", object)
        codes_of = [f.code for f in self.policy.red_flags]
        for i in np.flatnonzero(fired.any(axis=1)):
            codes[i] = ";".join(c for c, hit in zip(codes_of, fired[i], strict=True) if hit)
        return codes

    def _terms(self) -> list[tuple[int, str, CalibratedTerms]]:
        return [
            (i, kind, terms)
            for i, name in enumerate(DECISIONS)
            for kind, terms in (
                ("red", self.decisions[name].red),
                ("yellow_or_red", self.decisions[name].yellow_or_red),
            )
        ]

    def _top_reasons(
        self, X: np.ndarray, index: np.ndarray, rank: np.ndarray, bins: dict[tuple[int, str], Any]
    ) -> dict[str, Any]:
        """Top-k shown terms per unit from the model its tier came from, as flat columns.

        Each unit's terms are computed once, from the one model that explains it; its
        ``logit`` column is ``base`` plus all of them (shown or not).
        """
        k = self.policy.reasons.top_k
        n = X.shape[0]
        use_red = rank == 2
        out: dict[str, Any] = {
            "reasons_model": np.where(use_red, "red", "yellow_or_red").astype(object),
            "base": np.empty(n),
            "logit": np.empty(n),
        }
        # Reason labels are categorical over the terms of every model: no string per row.
        all_terms = self._terms()
        label = {
            c: (zh, en)
            for _, _, terms in all_terms
            for c, zh, en in zip(terms.codes, terms.labels_zh, terms.labels_en, strict=True)
        }
        codes = list(label)
        position = {c: i for i, c in enumerate(codes)}
        reason_index = {j: np.full(n, -1, np.int64) for j in range(1, k + 1)}
        for j in range(1, k + 1):
            out[f"reason_{j}_value"] = np.full(n, np.nan)
            out[f"reason_{j}_size"] = np.full(n, np.nan)
        for i, kind, terms in all_terms:
            wanted = use_red if kind == "red" else ~use_red
            rows = np.flatnonzero((index == i) & wanted)
            if rows.size == 0:
                continue
            local = np.searchsorted(np.flatnonzero(index == i), rows)
            Xr = X[rows]
            c = terms.contributions(X[index == i], bins[(i, kind)], local)
            out["base"][rows] = terms.base
            out["logit"][rows] = terms.logit(c)
            shown = terms.shown_mask(Xr, c)
            top = _top_k(np.where(shown, np.abs(c), -np.inf), k)
            term_index = np.array([position[code] for code in terms.codes], np.int64)
            for j in range(top.shape[1]):
                t = top[:, j]
                ok = shown[np.arange(rows.size), t]
                reason_index[j + 1][rows[ok]] = term_index[t[ok]]
                out[f"reason_{j + 1}_size"][rows[ok]] = c[np.arange(rows.size), t][ok]
                feature = terms.main_feature[t]
                main = ok & (feature >= 0)
                out[f"reason_{j + 1}_value"][rows[main]] = Xr[main, feature[main]]
        zh = [label[c][0] for c in codes]
        en = [label[c][1] for c in codes]
        for j, idx in reason_index.items():
            out[f"reason_{j}_code"] = _from_codes(idx, codes)
            out[f"reason_{j}_zh"] = _categorical(idx, zh)
            out[f"reason_{j}_en"] = _categorical(idx, en)
        ordered = {}
        for key in ("reasons_model", "base", "logit"):
            ordered[key] = out.pop(key)
        for j in range(1, k + 1):
            for part in ("code", "zh", "en", "value", "size"):
                ordered[f"reason_{j}_{part}"] = out[f"reason_{j}_{part}"]
        return ordered

    # -- one unit ----------------------------------------------------------------------

    def _score_row(
        self, model: DecisionModel, row: list[float], floor: int
    ) -> tuple[int, float, float, list[float], list[float]]:
        """(tier rank, P(red), P(yellow or red), red terms, yellow-or-red terms)."""
        c_red = model.red.contributions_one(row)
        c_yr = model.yellow_or_red.contributions_one(row)
        p_red = _sigmoid_one(model.red.logit_one(c_red))
        p_yr = max(_sigmoid_one(model.yellow_or_red.logit_one(c_yr)), p_red)
        t = model.thresholds
        rank = int(policy_ranks(p_red, p_yr, t.red, t.yellow, floor))
        return rank, p_red, p_yr, c_red, c_yr

    def predict_record(
        self, record: Mapping[str, Any], *, lang: str = "zh", today: dt.date | None = None
    ) -> dict[str, Any]:
        """The full result for one unit given as a dict of contract fields (and history)."""
        row = self.encoder.transform_records([record])[0].tolist()
        decision = DECISIONS[0 if row[HAS_CASE_COLUMN] == 1.0 else 1]
        model = self.decisions[decision]
        floor, fired = self.policy.floors_one(record)
        model_rank, p_red, p_yr, c_red, c_yr = self._score_row(model, row, 0)
        rank = max(model_rank, floor)
        proba = {"green": 1.0 - p_yr, "yellow": p_yr - p_red, "red": p_red}
        tier = TIERS[rank]
        terms, contributions = (model.red, c_red) if rank == 2 else (model.yellow_or_red, c_yr)
        logit = terms.logit_one(contributions)
        reasons = terms.reasons_one(row, contributions, self.policy.reasons.top_k)
        t = model.thresholds
        lo, hi = model.review.bounds_one(
            model.red.logit_one(c_red),
            max(model.yellow_or_red.logit_one(c_yr), model.red.logit_one(c_red)),
            t.red,
            t.yellow,
            floor,
        )
        action = self.policy.tiers[tier]
        as_of = _as_date(record.get("as_of")) or today or dt.date.today()
        return {
            "decision": decision,
            "tier": tier,
            "tier_label": _TIER_LABELS[tier][0 if lang == "zh" else 1],
            "model_tier": TIERS[model_rank],
            "probabilities": proba,
            "flags": [
                {"code": f.code, "tier": f.tier, "label": f.label(lang), "zh": f.zh, "en": f.en}
                for f in fired
            ],
            "reasons": [r.as_dict(lang) for r in reasons],
            "reasons_model": "red" if rank == 2 else "yellow_or_red",
            "base": terms.base,
            "logit": logit,
            "unseen": self._unseen(record, row, model, (c_red, c_yr), rank, lang),
            "actions": list(action.actions(lang)),
            "follow_up_days": action.follow_up_days,
            "follow_up_date": (as_of + dt.timedelta(days=action.follow_up_days)).isoformat(),
            "prediction_set": list(TIERS[lo : hi + 1]),
            "review_recommended": hi > lo,
            "model": {"name": self.info.name, "version": self.info.version},
        }

    def _unseen(
        self,
        record: Mapping[str, Any],
        row: list[float],
        model: DecisionModel,
        scored: tuple[list[float], list[float]],
        rank: int,
        lang: str,
    ) -> list[dict[str, Any]]:
        """The unit's unrecorded answers, each with the tiers and P(red) its answers give.

        Each possible answer is scored exactly (the model and the red flags), one field at
        a time with the others as recorded; only the terms of the changed answer are
        recomputed. Fields that could move the tier come first.
        """
        present = {"case"} if row[HAS_CASE_COLUMN] == 1.0 else set()
        if row[HAS_SURVEY_COLUMN] == 1.0:
            present.add("survey")
        c_red, c_yr = scored
        z_red, z_yr = model.red.logit_one(c_red), model.yellow_or_red.logit_one(c_yr)
        t = model.thresholds
        out: list[dict[str, Any]] = []
        for f, spec in enumerate(self.encoder.specs_):
            if spec.source not in present or row[f] == row[f]:
                continue
            tiers, p_reds = set(), []
            trial = list(row)
            for code in self._answers(model, f):
                trial[f] = code
                floor, _ = self.policy.floors_one(
                    {**record, spec.name: self._raw_value(spec, code)}
                )
                p_red = _sigmoid_one(model.red.logit_changed(trial, c_red, z_red, f))
                p_yr = _sigmoid_one(model.yellow_or_red.logit_changed(trial, c_yr, z_yr, f))
                p_yr = max(p_yr, p_red)
                tiers.add(int(policy_ranks(p_red, p_yr, t.red, t.yellow, floor)))
                p_reds.append(p_red)
            if not p_reds:
                continue
            possible = [TIERS[r] for r in sorted(tiers)]
            out.append(
                {
                    "field": spec.name,
                    "label": spec.label(lang),
                    "label_zh": spec.zh,
                    "label_en": spec.en,
                    "tiers": possible,
                    "changes_tier": possible != [TIERS[rank]],
                    "p_red_low": min(p_reds),
                    "p_red_high": max(p_reds),
                }
            )
        out.sort(key=lambda u: (not u["changes_tier"], float(u["p_red_low"]) - u["p_red_high"]))
        return out

    def _answers(self, model: DecisionModel, f: int) -> list[float]:
        """The codes to try for feature ``f``: every labelled value, or up to 6 of the
        red model's cut points (and zero) for a number."""
        spec = self.encoder.specs_[f]
        if spec.values:
            return list(spec.values)
        cuts = sorted(
            {c for key, cut in model.red.ebm._cut_lists.items() if key[0] == f for c in cut or []}
        )
        if len(cuts) > 6:
            cuts = [cuts[round(i * (len(cuts) - 1) / 5)] for i in range(6)]
        return [0.0, *cuts]

    def _raw_value(self, spec: Any, code: float) -> Any:
        """A feature code as the contract value the red flags read."""
        if spec.kind == "flag":
            return bool(code)
        choices = self._value_codes.get(spec.name)
        if choices:
            return choices.get(code)
        return code

    def explain_record(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """Every term of the unit's decision's two models (what the reasons are taken from)."""
        row = self.encoder.transform_records([record])[0].tolist()
        decision = DECISIONS[0 if row[HAS_CASE_COLUMN] == 1.0 else 1]
        model = self.decisions[decision]
        out: dict[str, Any] = {"decision": decision}
        for name, terms in (("red", model.red), ("yellow_or_red", model.yellow_or_red)):
            c = terms.contributions_one(row)
            out[name] = {
                "base": terms.base,
                "terms": dict(zip(terms.codes.tolist(), c, strict=True)),
                "logit": terms.logit_one(c),
            }
        return out


def _top_k(values: np.ndarray, k: int) -> np.ndarray:
    """Column indexes of the ``k`` largest values per row, largest first (first on ties).

    ``k`` passes of ``argmax`` beat ``argpartition`` by several times for a small ``k``.
    """
    k = min(k, values.shape[1])
    values = values.copy()
    rows = np.arange(values.shape[0])
    out = np.empty((values.shape[0], k), np.int64)
    for j in range(k):
        out[:, j] = best = values.argmax(axis=1)
        values[rows, best] = -np.inf
    return out


def _categorical(codes: np.ndarray, labels: list[str]) -> pd.Categorical | np.ndarray:
    """Labels by code as a categorical, or as strings when two codes share a label."""
    if len(set(labels)) == len(labels):
        return _from_codes(codes, labels)
    return np.asarray([*labels, None], object)[codes]


def _from_codes(codes: np.ndarray, labels: list[str]) -> Any:
    return pd.Categorical.from_codes(np.asarray(codes, np.int64), categories=pd.Index(labels))


def _sigmoid_one(z: float) -> float:
    return 0.5 * (1.0 + float(np.tanh(0.5 * z)))


def _as_date(value: Any) -> dt.date | None:
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None
