"""The served model as the service describes it: what it is, when and on what it was
trained, each decision's thresholds and review share, its policy and red flags."""

from __future__ import annotations

from typing import Any

from risk.models.triage import TriageModel
from service.audit import audit
from service.auth import Caller
from service.db import Database

__all__ = ["describe", "read_model"]


def describe(model: TriageModel) -> dict[str, Any]:
    info = model.info
    return {
        "name": info.name,
        "version": info.version,
        "trained_at": info.trained_at,
        "data": info.data,
        "decisions": {
            name: {
                "thresholds": decision.thresholds.model_dump(),
                "review_share": model.policy.decisions[name].review_share,
                "pooled": decision.pooled,
            }
            for name, decision in model.decisions.items()
        },
        "policy_version": model.policy.version,
        "red_flags": [f.code for f in model.policy.red_flags],
    }


def read_model(db: Database, who: Caller, model: TriageModel) -> dict[str, Any]:
    """The served ``model`` described for ``who``, the read audited."""
    audit(db, who, "read_model", "model")
    return describe(model)
