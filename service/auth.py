"""API keys and roles. A key is ``rk_<prefix>_<secret>``; only SHA-256 of the secret is
stored, looked up by prefix and compared in constant time. A key may be limited to some
grids; it then sees and scores nothing outside them."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import ColumnElement, select, true
from sqlalchemy.orm import QueryableAttribute

from risk.i18n import both
from risk.ids import id_ok
from service.db import Database
from service.errors import ServiceError
from service.roles import ROLES
from service.tables import ApiKey

__all__ = [
    "ROLES",
    "Caller",
    "authenticate",
    "caller_of",
    "create_key",
    "key_grids",
    "list_keys",
    "require",
    "revoke_key",
]

#: What each role (:mod:`service.roles`) may do beyond reading and scoring within its grids.
CAN = {
    "store": {"caseworker", "psychologist", "supervisor", "admin"},
    "lower_tier": {"supervisor", "admin"},
    "move_household": {"supervisor", "admin"},
    "export": {"datascientist", "supervisor", "admin"},
    "admin": {"admin"},
}


@dataclass(frozen=True)
class Caller:
    """The authenticated key: its id, role and grid limit (None: every grid)."""

    key_id: int
    role: str
    grids: frozenset[str] | None

    def may(self, action: str) -> bool:
        return self.role in CAN[action]

    def sees(self, grid_id: str | None) -> bool:
        """A grid-limited key sees only records whose grid it holds (none without a grid)."""
        return self.grids is None or (grid_id is not None and grid_id in self.grids)

    def sees_in_sql(
        self, grid: ColumnElement[str | None] | QueryableAttribute[str | None]
    ) -> ColumnElement[bool]:
        """:meth:`sees` as a condition on a grid column (NULL is in no grid)."""
        return true() if self.grids is None else grid.in_(sorted(self.grids))


def require(who: Caller, action: str) -> None:
    """Refuse (403) a caller whose role may not do ``action``."""
    if not who.may(action):
        raise ServiceError(403, "forbidden")


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def key_grids(grids: Collection[str] | None) -> frozenset[str] | None:
    """The grids a new key is limited to: None (every grid) only when asked for as None; an
    empty collection, or an empty or space-padded grid id in it, is a :class:`ValueError`
    (an empty shell variable must not make an all-grid key)."""
    if grids is None:
        return None
    if not grids:
        raise ValueError(" / ".join(both("keys_no_grids")))
    for grid in grids:
        if not id_ok(grid) or "," in grid or len(grid) > 64:
            raise ValueError(" / ".join(both("keys_bad_grid", value=repr(grid))))
    return frozenset(grids)


def create_key(
    db: Database, role: str, grids: Collection[str] | None = None, label: str = ""
) -> str:
    """Create a key and return it in full: the only time it is ever shown. ``grids``:
    the grids it may see (None: every grid)."""
    if role not in ROLES:
        raise ValueError(f"role: expected one of {', '.join(ROLES)}, got {role!r}")
    grids = key_grids(grids)
    prefix, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    with db.session() as session:
        session.add(
            ApiKey(
                prefix=prefix,
                secret_hash=_hash(secret),
                role=role,
                grids=None if grids is None else ",".join(sorted(grids)),
                label=label,
            )
        )
    return f"rk_{prefix}_{secret}"


def authenticate(db: Database, key: str | None) -> Caller | None:
    """The caller behind ``key``, or None when it is malformed, unknown or revoked."""
    if not key or not key.startswith("rk_") or key.count("_") < 2:
        return None
    prefix, secret = key[3:].split("_", 1)
    with db.session() as session:
        row = session.scalars(select(ApiKey).where(ApiKey.prefix == prefix)).first()
    expected = row.secret_hash if row is not None else _hash("absent")
    matches = hmac.compare_digest(_hash(secret), expected)
    if row is None or not matches or row.revoked_at is not None:
        return None
    return caller_of(row)


def caller_of(row: ApiKey) -> Caller:
    """The :class:`Caller` a stored key stands for."""
    grids = frozenset(row.grids.split(",")) if row.grids else None
    return Caller(row.id, row.role, grids)


def list_keys(db: Database) -> list[ApiKey]:
    with db.session() as session:
        return list(session.scalars(select(ApiKey).order_by(ApiKey.id)))


def revoke_key(db: Database, prefix: str) -> bool:
    """Revoke a key: its page sessions end with it (they check it on every request); the
    API refuses it within the key cache's 5 s."""
    with db.session() as session:
        row = session.scalars(select(ApiKey).where(ApiKey.prefix == prefix)).first()
        if row is None or row.revoked_at is not None:
            return False
        row.revoked_at = dt.datetime.now(dt.UTC)
        return True
