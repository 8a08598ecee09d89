"""Page sessions. A page login gets a random id, kept by the browser in an HttpOnly
cookie; the database holds only its SHA-256, the key it stands for and its expiry. A
session ends at logout, at its expiry, and when its key is revoked (checked on every
request, not cached)."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import select, update

from service.auth import Caller, caller_of
from service.db import Database
from service.tables import ApiKey, PageSession

__all__ = ["SESSION_HOURS", "end_session", "session_caller", "start_session"]

#: How long a page login holds.
SESSION_HOURS = 12


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def _utc(when: dt.datetime) -> dt.datetime:
    """SQLite gives back naive datetimes; they were stored in UTC."""
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)


def start_session(db: Database, key_id: int) -> str:
    """A new session for ``key_id``; returns the random id (the only time it is seen)."""
    session_id = secrets.token_urlsafe(32)
    now = dt.datetime.now(dt.UTC)
    with db.session() as session:
        session.add(
            PageSession(
                id_hash=_hash(session_id),
                key_id=key_id,
                created_at=now,
                expires_at=now + dt.timedelta(hours=SESSION_HOURS),
            )
        )
    return session_id


def session_caller(db: Database, session_id: str | None) -> Caller | None:
    """The caller behind a session id, or None when it is unknown, ended, expired, or
    its key revoked."""
    if not session_id:
        return None
    with db.session() as session:
        found = session.execute(
            select(PageSession, ApiKey)
            .join(ApiKey, ApiKey.id == PageSession.key_id)
            .where(PageSession.id_hash == _hash(session_id))
        ).first()
    if found is None:
        return None
    row, key = found
    if row.ended_at is not None or key.revoked_at is not None:
        return None
    if _utc(row.expires_at) <= dt.datetime.now(dt.UTC):
        return None
    return caller_of(key)


def end_session(db: Database, session_id: str | None) -> None:
    """End a session (logout); an unknown or ended one is left as it is."""
    if not session_id:
        return
    with db.session() as session:
        session.execute(
            update(PageSession)
            .where(PageSession.id_hash == _hash(session_id), PageSession.ended_at.is_(None))
            .values(ended_at=dt.datetime.now(dt.UTC))
        )
