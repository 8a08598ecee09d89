"""The audit log: who read, scored or changed what, with the answer's status."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from service.db import Database
from service.tables import AuditEvent

if TYPE_CHECKING:
    from service.auth import Caller

__all__ = ["audit"]


def audit(
    db: Database,
    who: Caller | None,
    action: str,
    resource: str,
    status: int = 200,
    session: Session | None = None,
) -> None:
    """Record who did what to which resource: in ``session`` when given (so a write and
    its audit record commit together, in one transaction), else in its own transaction."""
    event = AuditEvent(
        key_id=None if who is None else who.key_id,
        action=action,
        resource=resource[:200],
        status=status,
    )
    if session is not None:
        session.add(event)
        return
    with db.session() as own:
        own.add(event)
