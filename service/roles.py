"""The roles a key can have: one definition for the service's checks and the CLI's choice."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["ROLES", "Role"]


class Role(StrEnum):
    caseworker = "caseworker"
    psychologist = "psychologist"
    supervisor = "supervisor"
    datascientist = "datascientist"
    admin = "admin"


ROLES: tuple[str, ...] = tuple(Role)
