"""The service's tables (SQLAlchemy 2). Scores, overrides, outcomes and the audit log are
append-only: rows are inserted, never updated or deleted."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, DateTime, Float, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

#: the scores a supervisor's work list starts from (``ix_scores_red_case_follow_up``)
RED_CASES = text("tier = 'red' AND case_id IS NOT NULL")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, dt.datetime: DateTime(timezone=True)}  # noqa: RUF012


class ApiKey(Base):
    """An API key, stored only as the SHA-256 of its secret part."""

    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(20))
    grids: Mapped[str | None] = mapped_column(Text)  # comma-separated; NULL = every grid
    label: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=_now)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class SurveyWave(Base):
    """One household survey wave, its contract fields as JSON."""

    __tablename__ = "survey_waves"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    household_id: Mapped[str] = mapped_column(String(64))
    survey_date: Mapped[dt.date] = mapped_column(Date)
    grid_id: Mapped[str] = mapped_column(String(64), index=True)
    fields: Mapped[dict[str, Any]] = mapped_column(JSON)
    key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=_now)

    __table_args__ = (Index("ix_survey_waves_household_date", "household_id", "survey_date"),)


class Case(Base):
    """A dispute case at intake, its contract fields as JSON."""

    __tablename__ = "cases"
    case_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    household_id: Mapped[str] = mapped_column(String(64), index=True)
    grid_id: Mapped[str | None] = mapped_column(String(64), index=True)
    opened_at: Mapped[dt.date] = mapped_column(Date)
    fields: Mapped[dict[str, Any]] = mapped_column(JSON)
    key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=_now)


class Score(Base):
    """A stored score: the inputs it used, the result, the model version, who asked."""

    __tablename__ = "scores"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[str | None] = mapped_column(ForeignKey("cases.case_id"), index=True)
    household_id: Mapped[str] = mapped_column(String(64))
    grid_id: Mapped[str | None] = mapped_column(String(64))
    tier: Mapped[str] = mapped_column(String(10))
    p_red: Mapped[float] = mapped_column(Float)
    follow_up_date: Mapped[dt.date] = mapped_column(Date)
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    model_version: Mapped[str] = mapped_column(String(40))
    key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=_now)

    __table_args__ = (
        # a grid's visit list: its scores in order of urgency (docs/scaling.md)
        Index(
            "ix_scores_grid_urgency",
            "grid_id",
            "tier",
            "follow_up_date",
            text("p_red DESC"),
            "id",
            postgresql_include=["household_id", "case_id", "model_version"],
        ),
        # a unit's latest score: a household's file, the bulk load's "changed?" check
        Index("ix_scores_unit", "household_id", "case_id", "id"),
        # a supervisor's work list: red case scores past their follow-up date
        Index(
            "ix_scores_red_case_follow_up",
            "follow_up_date",
            postgresql_include=["case_id", "grid_id"],
            postgresql_where=RED_CASES,
            sqlite_where=RED_CASES,
        ),
    )


class Override(Base):
    """A case worker's change of a case's tier, with the reason."""

    __tablename__ = "overrides"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.case_id"))
    from_tier: Mapped[str] = mapped_column(String(10))
    to_tier: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(Text)
    #: the follow-up the tier after the override sets (NULL: made before it was recorded)
    follow_up_date: Mapped[dt.date | None] = mapped_column(Date, default=None)
    key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=_now)


class CaseEvent(Base):
    """A step in a case's life (:mod:`service.lifecycle`): the state it leads to, the
    owner and mediation level after it, until when the state may last, who and why."""

    __tablename__ = "case_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.case_id"), index=True)
    action: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(20))
    owner_kind: Mapped[str | None] = mapped_column(String(30), default=None)
    owner_key_id: Mapped[int | None] = mapped_column(
        ForeignKey("api_keys.id"), index=True, default=None
    )
    level: Mapped[str] = mapped_column(String(20))
    due_on: Mapped[dt.date | None] = mapped_column(Date, default=None)
    reason: Mapped[str] = mapped_column(Text, default="")
    key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=_now)


class Assessment(Base):
    """A case's assessment: at intake, at a follow-up (what changed, as the worker
    recorded it) or when a new champion re-scored the open case; its score is kept."""

    __tablename__ = "assessments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.case_id"), index=True)
    score_id: Mapped[int] = mapped_column(ForeignKey("scores.id"))
    kind: Mapped[str] = mapped_column(String(20))  # intake, follow_up, model
    tier_before: Mapped[str | None] = mapped_column(String(10), default=None)
    as_of: Mapped[dt.date] = mapped_column(Date)
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    note: Mapped[str] = mapped_column(Text, default="")
    key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=_now)


class VisitNote(Base):
    """A home visit or contact: when, what was found, for which household (and case)."""

    __tablename__ = "visit_notes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    household_id: Mapped[str] = mapped_column(String(64), index=True)
    case_id: Mapped[str | None] = mapped_column(ForeignKey("cases.case_id"), default=None)
    visited_on: Mapped[dt.date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text)
    key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=_now)

    __table_args__ = (Index("ix_overrides_case_latest", "case_id", "id"),)


class Outcome(Base):
    """What happened to a case (closes the loop for retraining)."""

    __tablename__ = "outcomes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.case_id"))
    outcome: Mapped[str] = mapped_column(String(20))
    outcome_at: Mapped[dt.date] = mapped_column(Date)
    key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=_now)

    __table_args__ = (Index("ix_outcomes_case_latest", "case_id", "outcome_at"),)


class AuditEvent(Base):
    """Who read, scored or changed what, and when."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(40))
    resource: Mapped[str] = mapped_column(String(200))
    status: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(default=_now)

    __table_args__ = (Index("ix_audit_key_time", "key_id", "created_at"),)


class ModelReload(Base):
    """A reload an admin asked for; every worker process loads the champion again when it
    sees one newer than the last it acted on."""

    __tablename__ = "model_reloads"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=_now)


class PageSession(Base):
    """A page login: the SHA-256 of the random id in the browser's cookie, the key it
    stands for, and until when it holds (ended at logout)."""

    __tablename__ = "page_sessions"
    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=_now)
    expires_at: Mapped[dt.datetime] = mapped_column()
    ended_at: Mapped[dt.datetime | None] = mapped_column(default=None)
