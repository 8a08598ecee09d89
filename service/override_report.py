"""Overrides that teach: how often the centre's judgement parts from the model's tier, by
the tier, the grid, the role and the worker, and what then happened to overridden cases
against accepted ones, so a centre sees where judgement and model disagree and who was
right. For supervisors and admins, within their grids."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import select

from risk.models.tiers import TIERS
from risk.schema import CASE
from service.audit import audit
from service.auth import Caller, require
from service.db import Database
from service.store import latest_outcomes
from service.tables import ApiKey, Assessment, Case, Override, Score

__all__ = ["override_report"]


def _rates(
    cases: Iterable[dict[str, Any]], group: Callable[[dict[str, Any]], Any]
) -> list[dict[str, Any]]:
    totals: Counter[Any] = Counter()
    overridden: Counter[Any] = Counter()
    raised: Counter[Any] = Counter()
    for case in cases:
        key = group(case)
        totals[key] += 1
        overridden[key] += case["overridden"]
        raised[key] += case["direction"] == "raised"
    return [
        {
            "group": key,
            "cases": n,
            "overridden": overridden[key],
            "raised": raised[key],
            "lowered": overridden[key] - raised[key],
            "rate": overridden[key] / n,
        }
        for key, n in sorted(totals.items(), key=lambda item: str(item[0]))
    ]


def _outcomes(cases: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    by: dict[str, Counter[str]] = defaultdict(Counter)
    for case in cases:
        if case["outcome"] is not None:
            by[case["direction"] or "accepted"][case["outcome"]] += 1
    codes = CASE["outcome"].codes
    return [
        {
            "group": name,
            "with_outcome": sum(by[name].values()),
            "outcomes": {code: by[name][code] for code in codes},
            "shares": {code: by[name][code] / sum(by[name].values()) for code in codes},
        }
        for name in ("accepted", "raised", "lowered")
        if by[name]
    ]


def override_report(db: Database, who: Caller) -> dict[str, Any]:
    """Override rates by model tier, grid, role and worker (the key that entered the case
    and the key that overrode it), and outcomes of overridden against accepted tiers."""
    require(who, "supervise")
    with db.session() as session:
        stored = list(session.scalars(select(Case).where(who.sees_in_sql(Case.grid_id))))
        ids = [c.case_id for c in stored]
        intake = dict(
            session.execute(
                select(Assessment.case_id, Score.tier)
                .join(Score, Score.id == Assessment.score_id)
                .where(Assessment.kind == "intake", Assessment.case_id.in_(ids))
            ).all()
        )
        first: dict[str, Override] = {}
        for row in session.scalars(
            select(Override).where(Override.case_id.in_(ids)).order_by(Override.id)
        ):
            first.setdefault(row.case_id, row)
        outcomes = latest_outcomes(session, ids)
        keys = {k.id: k for k in session.scalars(select(ApiKey))}
    cases = []
    for case in stored:
        model_tier = intake.get(case.case_id)
        change = first.get(case.case_id)
        direction = None
        if change is not None:
            up = TIERS.index(change.to_tier) > TIERS.index(change.from_tier)
            direction = "raised" if up else "lowered"
        entered = keys.get(case.key_id)
        outcome = outcomes.get(case.case_id)
        cases.append(
            {
                "tier": model_tier or "unscored",
                "grid": case.grid_id,
                "role": entered.role if entered else "unknown",
                "worker": f"#{case.key_id} {entered.label if entered else ''}".strip(),
                "overridden": change is not None,
                "direction": direction,
                "outcome": None if outcome is None else outcome.outcome,
            }
        )
    by_overrider: Counter[str] = Counter()
    for change in first.values():
        key = keys.get(change.key_id)
        by_overrider[f"#{change.key_id} {key.label if key else ''}".strip()] += 1
    audit(db, who, "read_override_report", f"cases:{len(cases)}")
    overridden = sum(1 for c in cases if c["overridden"])
    return {
        "cases": len(cases),
        "overridden": overridden,
        "rate": overridden / len(cases) if cases else 0.0,
        "by_tier": _rates(cases, lambda c: c["tier"]),
        "by_grid": _rates(cases, lambda c: c["grid"] or "—"),
        "by_role": _rates(cases, lambda c: c["role"]),
        "by_worker": _rates(cases, lambda c: c["worker"]),
        "overrides_by_worker": [
            {"worker": worker, "overrides": n} for worker, n in sorted(by_overrider.items())
        ],
        "outcomes": _outcomes(cases),
    }
