"""Every refusal in the audit log: who (the key, when one was accepted), what (the method
and path, never the body, the query or a key) and the status. A key that was offered and
failed is recorded as ``bad_key``, any other refusal as ``refused``.

The rate limit's 429 is left out (it is counted in the metrics, and recording it would turn
a flood into as many writes); 5xx are outages, not refusals.
"""

from __future__ import annotations

import logging
from typing import Any

import anyio.to_thread

from service.audit import audit

__all__ = ["AuditRefusals", "is_refusal"]

log = logging.getLogger("risk.service")


def is_refusal(status: int) -> bool:
    return 400 <= status < 500 and status != 429


class AuditRefusals:
    """Plain ASGI middleware: after a refusal is sent, write its audit row (in a thread)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 0

        async def watched(event: Any) -> None:
            nonlocal status
            if event["type"] == "http.response.start":
                status = event["status"]
            await send(event)

        await self.app(scope, receive, watched)
        if is_refusal(status):
            await _record(scope, status)


async def _record(scope: Any, status: int) -> None:
    state = scope.get("state") or {}
    action = "bad_key" if state.get("key_failed") else "refused"
    resource = f"{scope['method']} {scope['path']}"
    try:
        db = scope["app"].state.db
        await anyio.to_thread.run_sync(audit, db, state.get("caller"), action, resource, status)
    except Exception as exc:  # the refusal stands even when its record cannot be written
        log.warning("refusal not audited: %s", type(exc).__name__)
