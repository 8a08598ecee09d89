"""The deployed model: one object from scoring units to tiers with flags and exact reasons.

:class:`TriageModel` holds the fitted encoder, the two compiled EBMs with their Platt
scalings, the tier policy with its chosen thresholds, and the conformal sets. It scores a
units frame in batch (:meth:`predict_frame`, flat columns for Parquet) or one unit given as
a dict (:meth:`predict_record`, the full result object, without pandas on the hot path).
The reasons of a unit are the terms of the model its tier came from: the red model for a
red tier, the yellow-or-red model otherwise; with ``base`` they add up to its ``logit``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from risk.features.encoder import FeatureEncoder
from risk.models.calibration import PlattScaling, sigmoid
from risk.models.conformal import SplitConformal
from risk.models.policy import Policy, Thresholds
from risk.models.reasons import CalibratedTerms
from risk.models.scorer import CompiledEBM
from risk.models.tiers import TIERS, combine_probabilities

__all__ = ["ModelInfo", "TriageModel"]

ID_COLUMNS = ("unit", "household_id", "case_id", "as_of")
_TIER_LABELS = {"green": ("绿", "green"), "yellow": ("黄", "yellow"), "red": ("红", "red")}


@dataclass
class ModelInfo:
    """Who the model is: registry name and version, when and on what it was trained."""

    name: str = "risk-triage"
    version: str = "unregistered"
    trained_at: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)


class TriageModel:
    """Scoring units → tier, probabilities, flags, reasons, actions, prediction set."""

    def __init__(
        self,
        encoder: FeatureEncoder,
        red: CompiledEBM,
        yellow_or_red: CompiledEBM,
        red_platt: PlattScaling,
        yellow_or_red_platt: PlattScaling,
        policy: Policy,
        thresholds: Thresholds,
        conformal: SplitConformal,
        info: ModelInfo | None = None,
    ) -> None:
        self.encoder = encoder
        self.red = CalibratedTerms(red, red_platt, encoder.specs_)
        self.yellow_or_red = CalibratedTerms(yellow_or_red, yellow_or_red_platt, encoder.specs_)
        self.policy = policy
        self.thresholds = thresholds
        self.conformal = conformal
        self.info = info or ModelInfo()

    # -- probabilities ---------------------------------------------------------------

    def features(self, units: pd.DataFrame) -> np.ndarray:
        return self.encoder.transform(units)

    def logits(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Calibrated logits ``(red, yellow_or_red)``."""
        return (
            self.red.a * self.red.ebm.decision_function(X) + self.red.b,
            self.yellow_or_red.a * self.yellow_or_red.ebm.decision_function(X)
            + self.yellow_or_red.b,
        )

    def predict_proba(self, units: pd.DataFrame) -> np.ndarray:
        """Calibrated probabilities ``(n, 3)``: green, yellow, red."""
        red, yr = self.logits(self.features(units))
        return combine_probabilities(sigmoid(red), sigmoid(yr))

    # -- batch -----------------------------------------------------------------------

    def predict_frame(self, units: pd.DataFrame, *, reasons: bool = True) -> pd.DataFrame:
        """One row per unit: tier, probabilities, flags, top reasons, set, follow-up."""
        X = self.features(units)
        n = X.shape[0]
        if reasons:
            c_red = self.red.contributions(X)
            c_yr = self.yellow_or_red.contributions(X)
            z_red, z_yr = self.red.logit(c_red), self.yellow_or_red.logit(c_yr)
        else:
            z_red, z_yr = self.logits(X)
        proba = combine_probabilities(sigmoid(z_red), sigmoid(z_yr))
        model_rank = self._model_ranks(proba)
        floor, fired = self.policy.floors(units)
        rank = np.maximum(model_rank, floor)
        sets = self.conformal.predict_sets(proba)

        out: dict[str, Any] = {c: units[c].to_numpy() for c in ID_COLUMNS if c in units}
        out["tier"] = pd.Categorical.from_codes(rank, categories=pd.Index(TIERS))
        out["model_tier"] = pd.Categorical.from_codes(model_rank, categories=pd.Index(TIERS))
        out["p_green"], out["p_yellow"], out["p_red"] = proba.T
        out["flags"] = self._flag_codes(fired)
        if reasons:
            out.update(self._top_reasons(X, rank, c_red, c_yr))
        out["prediction_set"] = self._set_strings(sets)
        out["review_recommended"] = sets.sum(axis=1) > 1
        days = np.array([self.policy.tiers[t].follow_up_days for t in TIERS])[rank]
        if "as_of" in units:
            as_of = pd.to_datetime(units["as_of"]).to_numpy()
            out["follow_up_date"] = as_of + days.astype("timedelta64[D]")
        out["follow_up_days"] = days
        out["model_name"] = np.full(n, self.info.name, object)
        out["model_version"] = np.full(n, self.info.version, object)
        return pd.DataFrame(out, index=units.index)

    def _model_ranks(self, proba: np.ndarray) -> np.ndarray:
        t = self.thresholds
        p_red, p_yr = proba[:, 2], proba[:, 1] + proba[:, 2]
        return np.where(p_red >= t.red, 2, np.where(p_yr >= t.yellow, 1, 0)).astype(np.int8)

    def _flag_codes(self, fired: np.ndarray) -> np.ndarray:
        codes = np.full(fired.shape[0], "", object)
        codes_of = [f.code for f in self.policy.red_flags]
        for i in np.flatnonzero(fired.any(axis=1)):
            codes[i] = ";".join(c for c, hit in zip(codes_of, fired[i], strict=True) if hit)
        return codes

    def _set_strings(self, sets: np.ndarray) -> np.ndarray:
        """Each set as tier names joined by "|", e.g. "yellow|red"."""
        names = np.array(
            ["|".join(t for t, s in zip(TIERS, m, strict=True) if s) for m in np.ndindex(2, 2, 2)],
            object,
        )
        bits = sets.astype(np.int64)
        return names[bits[:, 0] * 4 + bits[:, 1] * 2 + bits[:, 2]]

    def _top_reasons(
        self, X: np.ndarray, rank: np.ndarray, c_red: np.ndarray, c_yr: np.ndarray
    ) -> dict[str, np.ndarray]:
        """Top-k terms per unit from the model its tier came from, as flat columns."""
        k = self.policy.reasons.top_k
        n = X.shape[0]
        use_red = rank == 2
        out: dict[str, np.ndarray] = {
            "reasons_model": np.where(use_red, "red", "yellow_or_red").astype(object),
            "base": np.where(use_red, self.red.base, self.yellow_or_red.base),
            "logit": np.where(use_red, self.red.logit(c_red), self.yellow_or_red.logit(c_yr)),
        }
        for j in range(1, k + 1):
            out[f"reason_{j}_code"] = np.empty(n, object)
            out[f"reason_{j}_zh"] = np.empty(n, object)
            out[f"reason_{j}_en"] = np.empty(n, object)
            out[f"reason_{j}_value"] = np.full(n, np.nan)
            out[f"reason_{j}_size"] = np.full(n, np.nan)
        for terms, contributions, rows in (
            (self.red, c_red, np.flatnonzero(use_red)),
            (self.yellow_or_red, c_yr, np.flatnonzero(~use_red)),
        ):
            c = contributions[rows]
            top = _top_k(np.abs(c), k)
            for j in range(top.shape[1]):
                t = top[:, j]
                out[f"reason_{j + 1}_code"][rows] = terms.codes[t]
                out[f"reason_{j + 1}_zh"][rows] = terms.labels_zh[t]
                out[f"reason_{j + 1}_en"][rows] = terms.labels_en[t]
                out[f"reason_{j + 1}_size"][rows] = c[np.arange(rows.size), t]
                feature = terms.main_feature[t]
                main = feature >= 0
                out[f"reason_{j + 1}_value"][rows[main]] = X[rows[main], feature[main]]
        return out

    # -- one unit ----------------------------------------------------------------------

    def predict_record(
        self, record: Mapping[str, Any], *, lang: str = "zh", today: dt.date | None = None
    ) -> dict[str, Any]:
        """The full result for one unit given as a dict of contract fields (and history)."""
        row = self.encoder.transform_records([record])[0].tolist()
        c_red = self.red.contributions_one(row)
        c_yr = self.yellow_or_red.contributions_one(row)
        z_red, z_yr = self.red.logit_one(c_red), self.yellow_or_red.logit_one(c_yr)
        p_red = _sigmoid_one(z_red)
        p_yr = max(_sigmoid_one(z_yr), p_red)
        proba = {"green": 1.0 - p_yr, "yellow": p_yr - p_red, "red": p_red}
        t = self.thresholds
        model_rank = 2 if p_red >= t.red else 1 if p_yr >= t.yellow else 0
        floor, fired = self.policy.floors_one(record)
        rank = max(model_rank, floor)
        tier = TIERS[rank]
        terms, contributions, logit = (
            (self.red, c_red, z_red) if rank == 2 else (self.yellow_or_red, c_yr, z_yr)
        )
        reasons = terms.reasons_one(row, contributions, self.policy.reasons.top_k)
        prediction_set = self.conformal.sets_one(proba["green"], proba["yellow"], proba["red"])
        action = self.policy.tiers[tier]
        as_of = _as_date(record.get("as_of")) or today or dt.date.today()
        return {
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
            "actions": list(action.actions(lang)),
            "follow_up_days": action.follow_up_days,
            "follow_up_date": (as_of + dt.timedelta(days=action.follow_up_days)).isoformat(),
            "prediction_set": list(prediction_set),
            "review_recommended": len(prediction_set) > 1,
            "model": {"name": self.info.name, "version": self.info.version},
        }

    def explain_record(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """Every term of both models for one unit (what the top reasons are taken from)."""
        row = self.encoder.transform_records([record])[0].tolist()
        out = {}
        for name, terms in (("red", self.red), ("yellow_or_red", self.yellow_or_red)):
            c = terms.contributions_one(row)
            out[name] = {
                "base": terms.base,
                "terms": dict(zip(terms.codes.tolist(), c, strict=True)),
                "logit": terms.logit_one(c),
            }
        return out


def _top_k(values: np.ndarray, k: int) -> np.ndarray:
    """Column indexes of the ``k`` largest values per row, largest first."""
    k = min(k, values.shape[1])
    part = np.argpartition(-values, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(values, part, axis=1), axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1)


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
