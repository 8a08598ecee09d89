"""Model reloads across worker processes: asked of one, followed by all.

``POST /v1/admin/reload`` reaches one worker process. It records the reload in the
database (:func:`request_reload`) and loads the champion itself; every worker also watches
the table (:func:`follow_reloads`) and loads the champion again when it sees a reload newer
than the last one it acted on, so all of them serve the new model within a poll interval,
on one machine or several sharing the database.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from anyio import to_thread
from sqlalchemy import func, select

from service.assessments import rescore_in_background
from service.audit import audit
from service.auth import Caller, require
from service.db import Database
from service.errors import ServiceError
from service.model_holder import ModelHolder
from service.tables import ModelReload

__all__ = ["follow_reloads", "latest_reload", "reload_model", "request_reload"]

log = logging.getLogger(__name__)


def request_reload(db: Database, key_id: int) -> int:
    """Record that ``key_id`` asked for a reload; return its number."""
    with db.session() as session:
        reload = ModelReload(key_id=key_id)
        session.add(reload)
        session.flush()
        return reload.id


def reload_model(db: Database, models: ModelHolder, who: Caller) -> dict[str, Any]:
    """An admin's reload: recorded for every worker, then done in this one, which then
    re-scores the open cases in the background (:mod:`service.assessments`). A failed load
    keeps the old model serving and answers 503 with why; audited either way."""
    require(who, "admin")
    models.reload_seen = request_reload(db, who.key_id)
    try:
        models.load()
    except Exception as exc:
        audit(db, who, "reload", "model", 503)
        raise ServiceError(503, models.problem or "model_unavailable", model=models.ref) from exc
    audit(db, who, "reload", f"model:{models.version}")
    rescore_in_background(db, models, who)  # open cases, by this worker only
    return {"reloaded": True, "version": models.version}


def latest_reload(db: Database) -> int:
    """The number of the newest reload asked for (0: none yet)."""
    with db.session() as session:
        return int(session.scalar(select(func.max(ModelReload.id))) or 0)


async def follow_reloads(db: Database, holder: ModelHolder, every: float) -> None:
    """Every ``every`` seconds, load the model again if a newer reload was asked for (of
    any worker). A failed load keeps the old model serving and is not retried until the
    next reload; a database that is down is tried again at the next poll."""
    while True:
        await asyncio.sleep(every)
        try:
            latest = await to_thread.run_sync(latest_reload, db)
        except Exception as exc:  # the database is down: /readyz says so; poll again
            log.warning("cannot check for model reloads: %s", exc)
            continue
        if latest <= holder.reload_seen:
            continue
        holder.reload_seen = latest
        try:
            await to_thread.run_sync(holder.load)
        except Exception as exc:
            log.error("reload %d: the old model keeps serving: %s", latest, exc)
