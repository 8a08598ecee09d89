"""API keys and roles. A key is ``rk_<prefix>_<secret>``; only SHA-256 of the secret is
stored, looked up by prefix and compared in constant time. A key may be limited to some
grids; it then sees and scores nothing outside them."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import ColumnElement, select, true
from sqlalchemy.orm import QueryableAttribute

from service.audit import audit
from service.db import Database
from service.errors import ServiceError
from service.tables import ApiKey

__all__ = [
    "ROLES",
    "Caller",
    "authenticate",
    "create_key",
    "list_keys",
    "log_in",
    "require",
    "revoke_key",
]

#: Roles, and what each may do beyond reading and scoring within its grids.
ROLES = ("caseworker", "psychologist", "supervisor", "datascientist", "admin")
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


def create_key(db: Database, role: str, grids: list[str] | None = None, label: str = "") -> str:
    """Create a key and return it in full: the only time it is ever shown."""
    if role not in ROLES:
        raise ValueError(f"role: expected one of {', '.join(ROLES)}, got {role!r}")
    prefix, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    with db.session() as session:
        session.add(
            ApiKey(
                prefix=prefix,
                secret_hash=_hash(secret),
                role=role,
                grids=",".join(sorted(set(grids))) if grids else None,
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
    grids = frozenset(row.grids.split(",")) if row.grids else None
    return Caller(row.id, row.role, grids)


def log_in(db: Database, key: str) -> Caller | None:
    """The caller behind a key typed into the login page, or None; audited either way."""
    found = authenticate(db, key)
    if found is None:
        audit(db, None, "page_login", "key", 401)
    else:
        audit(db, found, "page_login", f"key:{found.key_id}")
    return found


def list_keys(db: Database) -> list[ApiKey]:
    with db.session() as session:
        return list(session.scalars(select(ApiKey).order_by(ApiKey.id)))


def revoke_key(db: Database, prefix: str) -> bool:
    with db.session() as session:
        row = session.scalars(select(ApiKey).where(ApiKey.prefix == prefix)).first()
        if row is None or row.revoked_at is not None:
            return False
        row.revoked_at = dt.datetime.now(dt.UTC)
        return True
