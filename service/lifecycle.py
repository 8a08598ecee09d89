"""A case's life: its states, the steps between them, its owner and mediation level, and
until when each state may last.

registered 登记 → assigned 分流 → in mediation 调处 → follow-up 回访 → closed 归档. Each step
is a row of ``case_events`` (who, when, why) with its audit record, in one transaction; a
step its state does not allow is a 409 naming both. Assigning gives the case the owner
kind the centre's rules set for its tier and dispute type (:mod:`service.centre`) and an
owner key; escalating moves it up one level of layered mediation (village → township →
county). Closing a case that has been yellow or red needs the centre's closure rule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from risk.i18n import LANGS, text
from risk.models.policy import Policy
from risk.models.tiers import TIERS
from risk.schema import TIERS as CONTRACT_TIERS
from service.audit import audit
from service.auth import Caller, caller_of, require
from service.centre import Centre
from service.db import Database
from service.errors import ServiceError
from service.plans import Plan, current_tier, plans
from service.store import id_parts, visible_case
from service.tables import ApiKey, Assessment, Case, CaseEvent, Override, Score

__all__ = [
    "ACTIONS",
    "OPEN_STATES",
    "STATES",
    "Action",
    "Life",
    "closure_problem",
    "latest_step",
    "life",
    "lives",
    "not_closed",
    "register",
    "take_step",
    "transition",
]

STATES = ("registered", "assigned", "in_mediation", "follow_up", "closed")
OPEN_STATES = STATES[:-1]
Action = Literal["assign", "mediate", "follow_up", "resume", "escalate", "close"]
#: Each step: the states it may start from, and the state it leads to (None: the same).
ACTIONS: dict[str, tuple[frozenset[str], str | None]] = {
    "assign": (frozenset({"registered", "assigned", "in_mediation", "follow_up"}), "assigned"),
    "mediate": (frozenset({"assigned"}), "in_mediation"),
    "follow_up": (frozenset({"assigned", "in_mediation"}), "follow_up"),
    "resume": (frozenset({"follow_up"}), "in_mediation"),
    "escalate": (frozenset({"assigned", "in_mediation", "follow_up"}), None),
    "close": (frozenset({"follow_up"}), "closed"),
}


def latest_step(column: Any, case_id: Any) -> Any:
    """``column`` of the latest step of the case ``case_id`` (a column): one probe of the
    case's steps per row, not a pass over every case's steps."""
    return (
        select(column)
        .where(CaseEvent.case_id == case_id)
        .order_by(CaseEvent.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def not_closed(case_id: Any) -> ColumnElement[bool]:
    """Whether the case ``case_id`` (a column) is not closed: its latest step, if it has
    one, did not close it."""
    return func.coalesce(latest_step(CaseEvent.state, case_id), "") != "closed"


def _labels(prefix: str, code: str, name: str) -> dict[str, str]:
    """A code's zh and en labels as message values ``<name>_zh`` and ``<name>_en``."""
    if prefix == "tier":
        choice = CONTRACT_TIERS[TIERS.index(code)]
        return {f"{name}_zh": choice.zh, f"{name}_en": choice.en}
    return {f"{name}_{lang}": text(f"{prefix}_{code}", lang) for lang in LANGS}


def _due(centre: Centre, state: str, tier: str, today: dt.date) -> dt.date | None:
    days = centre.days_in(state, tier)
    return None if days is None else today + dt.timedelta(days=days)


def register(session: Session, centre: Centre, case: Case, tier: str, who: Caller) -> None:
    """The case's first step, in the intake's transaction: registered at the first level."""
    session.add(
        CaseEvent(
            case_id=case.case_id,
            action="register",
            state="registered",
            level=centre.levels[0].code,
            due_on=_due(centre, "registered", tier, dt.date.today()),
            reason="",
            key_id=who.key_id,
        )
    )


def _registered(centre: Centre, case: Case) -> CaseEvent:
    """The registration of a case stored without one (a ledger loaded in bulk), unsaved."""
    return CaseEvent(
        case_id=case.case_id, action="register", state="registered", level=centre.levels[0].code
    )


def _steps(session: Session, case_id: str) -> list[CaseEvent]:
    return list(
        session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
        )
    )


def _owner(session: Session, case: Case, owner_key_id: int) -> int:
    """The owner key, if it exists, is not revoked, may store and sees the case's grid."""
    row = session.get(ApiKey, owner_key_id)
    owner = None if row is None or row.revoked_at is not None else caller_of(row)
    if owner is None or not owner.may("store") or not owner.sees(case.grid_id):
        raise ServiceError(409, "owner_unknown", field="owner_key_id")
    return owner_key_id


def closure_problem(
    session: Session, centre: Centre, who: Caller, case_id: str
) -> ServiceError | None:
    """Why the case may not be closed now, or None. A case that has been yellow or red
    needs its latest ``consecutive_below`` follow-up re-assessments, and its tier now, all
    below the highest tier it has had; one that has been red, a role that may close it."""
    scored = session.execute(
        select(Assessment.kind, Score.tier)
        .join(Score, Score.id == Assessment.score_id)
        .where(Assessment.case_id == case_id)
        .order_by(Assessment.id)
    ).all()
    raised = session.scalars(select(Override.to_tier).where(Override.case_id == case_id))
    had = [tier for _, tier in scored] + list(raised)
    peak = max((TIERS.index(t) for t in had), default=0)
    if peak == 0:
        return None
    need = centre.closure.consecutive_below
    latest = [TIERS.index(tier) for kind, tier in scored if kind == "follow_up"][-need:]
    now = TIERS.index(current_tier(session, case_id) or "green")
    if len(latest) < need or max(latest) >= peak or now >= peak:
        return ServiceError(409, "closure_rule", need=need, **_labels("tier", TIERS[peak], "tier"))
    if TIERS[peak] == "red" and not who.may("close_red"):
        return ServiceError(403, "close_red_needs_supervisor")
    return None


def transition(
    db: Database,
    centre: Centre,
    who: Caller,
    case_id: str,
    action: str,
    reason: str,
    owner_key_id: int | None = None,
) -> CaseEvent:
    """Take the step ``action`` on the case (with the audit record); 409 when its state
    does not allow it, at the top level, or when the closure rule is not met."""
    require(who, "store")
    starts, leads_to = ACTIONS[action]
    with db.session() as session:
        case = visible_case(session, who, case_id)
        steps = _steps(session, case_id)
        last = steps[-1] if steps else _registered(centre, case)
        if last.state not in starts:
            raise ServiceError(
                409,
                "illegal_transition",
                **_labels("action", action, "action"),
                **_labels("state", last.state, "state"),
            )
        if owner_key_id is not None and action != "assign":
            raise ServiceError(422, "owner_only_on_assign", field="owner_key_id")
        tier = current_tier(session, case_id) or "green"
        owner_kind, owner_key, level = last.owner_kind, last.owner_key_id, last.level
        if action == "assign":
            owner_kind = centre.owner_for(tier, case.fields.get("dispute_type"))
            owner_key = _owner(session, case, owner_key_id or who.key_id)
        elif action == "escalate":
            up = centre.next_level(level)
            if up is None:
                raise ServiceError(409, "top_level", **_labels("level", level, "level"))
            level = up.code
        elif action == "close":
            problem = closure_problem(session, centre, who, case_id)
            if problem is not None:
                raise problem
        state = leads_to or last.state
        step = CaseEvent(
            case_id=case_id,
            action=action,
            state=state,
            owner_kind=owner_kind,
            owner_key_id=owner_key,
            level=level,
            due_on=_due(centre, state, tier, dt.date.today()),
            reason=reason,
            key_id=who.key_id,
        )
        session.add(step)
        audit(db, who, f"case_{action}", f"case:{case_id} {last.state}->{state}", 201, session)
    return step


@dataclass(frozen=True)
class Life:
    """Where a case stands: its state, owner, level, deadlines, and the steps so far."""

    state: str
    owner_kind: str | None
    owner_key_id: int | None
    level: str | None
    state_due: dt.date | None
    plan: Plan | None
    steps: list[CaseEvent]
    today: dt.date

    @property
    def open(self) -> bool:
        return self.state != "closed"

    @property
    def follow_up_overdue(self) -> bool:
        """A follow-up date in the past, on a case still open."""
        return self.open and self.plan is not None and self.plan.follow_up_date < self.today

    @property
    def overdue(self) -> bool:
        """The follow-up date or the state's deadline has passed, on a case still open."""
        late_state = self.state_due is not None and self.state_due < self.today
        return self.open and (late_state or self.follow_up_overdue)

    @property
    def escalated(self) -> bool:
        """A missed red follow-up: it goes to the supervisors of the case's grid."""
        return self.follow_up_overdue and self.plan is not None and self.plan.tier == "red"

    def as_json(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "owner_kind": self.owner_kind,
            "owner_key_id": self.owner_key_id,
            "level": self.level,
            "state_due": None if self.state_due is None else self.state_due.isoformat(),
            "plan": None if self.plan is None else self.plan.as_json(),
            "overdue": self.overdue,
            "follow_up_overdue": self.follow_up_overdue,
            "escalated": self.escalated,
            "steps": [
                {
                    "at": s.created_at.isoformat(),
                    "action": s.action,
                    "state": s.state,
                    "owner_kind": s.owner_kind,
                    "owner_key_id": s.owner_key_id,
                    "level": s.level,
                    "due_on": None if s.due_on is None else s.due_on.isoformat(),
                    "reason": s.reason,
                    "key_id": s.key_id,
                }
                for s in self.steps
            ],
        }


def lives(
    session: Session, case_ids: Sequence[str], policy: Policy, today: dt.date | None = None
) -> dict[str, Life]:
    """Where each case stands today, by case id: its steps, latest score and latest
    override read for all of them together (a few queries per thousand cases)."""
    steps: dict[str, list[CaseEvent]] = {c: [] for c in case_ids}
    for part in id_parts(case_ids):
        query = select(CaseEvent).where(CaseEvent.case_id.in_(part)).order_by(CaseEvent.id)
        for step in session.scalars(query):
            steps[step.case_id].append(step)
    planned = plans(session, case_ids, policy)
    return {c: _life(steps[c], planned[c], today or dt.date.today()) for c in case_ids}


def life(session: Session, case_id: str, policy: Policy, today: dt.date | None = None) -> Life:
    """Where the case stands today (its steps read in ``session``)."""
    return lives(session, [case_id], policy, today)[case_id]


def _life(steps: list[CaseEvent], planned: Plan | None, today: dt.date) -> Life:
    last = steps[-1] if steps else None  # (a case loaded in bulk: registered, no level yet)
    return Life(
        state="registered" if last is None else last.state,
        owner_kind=None if last is None else last.owner_kind,
        owner_key_id=None if last is None else last.owner_key_id,
        level=None if last is None else last.level,
        state_due=None if last is None else last.due_on,
        plan=planned,
        steps=steps,
        today=today,
    )


def take_step(
    db: Database,
    centre: Centre,
    policy: Policy,
    who: Caller,
    case_id: str,
    action: str,
    reason: str,
    owner_key_id: int | None = None,
) -> dict[str, Any]:
    """:func:`transition`, answered with where the case then stands."""
    transition(db, centre, who, case_id, action, reason, owner_key_id)
    with db.session() as session:
        return {"case_id": case_id, **life(session, case_id, policy).as_json()}
