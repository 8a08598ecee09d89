"""The access log: one JSON line per request, with nothing a request carries in it.

Method, route template (``/v1/cases/{case_id}``, never the path or the query string sent),
status, duration and request id; no body, no key, no client address. The request id is the
client's ``X-Request-ID`` when it is a plain token, else a new one; the answer carries it.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from datetime import UTC, datetime
from typing import Any

__all__ = ["HEADER", "log_access", "request_id"]

log = logging.getLogger("risk.access")
HEADER = b"x-request-id"
_TOKEN = re.compile(rb"[A-Za-z0-9._-]{1,64}")


def request_id(scope: dict[str, Any]) -> str:
    """The client's request id when it is a plain token of up to 64 characters, else new."""
    for name, value in scope.get("headers") or ():
        if name == HEADER and _TOKEN.fullmatch(value):
            return str(value.decode("ascii"))
    return uuid.uuid4().hex


def log_access(method: str, route: str, status: int, seconds: float, rid: str) -> None:
    """Write the request's access line (at INFO, on the ``risk.access`` logger)."""
    if log.isEnabledFor(logging.INFO):
        line = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "method": method,
            "route": route,
            "status": status,
            "ms": round(seconds * 1000, 1),
            "request_id": rid,
        }
        log.info(json.dumps(line))
