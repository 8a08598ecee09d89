"""The app factory: settings, database (migrated), the served model, middleware, routes."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

import anyio.to_thread
from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlalchemy.exc import DatabaseError

from service.access import HEADER, log_access, request_id
from service.centre import load_centre
from service.db import Database, is_corruption, migrate
from service.deps import RateLimiter
from service.errors import install_handlers, message
from service.headers import SECURITY_HEADERS
from service.metrics import LATENCY, REQUESTS, method_label, route_label, worker_exit
from service.model_holder import ModelHolder
from service.refusals import AuditRefusals
from service.reloads import follow_reloads, latest_reload
from service.routes import (
    docs,
    files,
    health,
    life,
    life_pages,
    load,
    model,
    monitor,
    overrides,
    pages,
    records,
    score,
    visits,
)
from service.settings import Settings

__all__ = ["SECURITY_HEADERS", "create_app"]

log = logging.getLogger("risk.service")


class BodyLimit:
    """Refuse bodies over ``limit`` bytes with 413, by header or by counting the stream."""

    def __init__(self, app: Any, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await _too_large(send, self.limit)
            return
        seen, over = 0, False

        async def counted() -> Any:
            nonlocal seen, over
            event = await receive()
            seen += len(event.get("body", b""))
            if seen > self.limit:
                over = True
                raise _TooLarge
            return event

        async def unless_over(event: Any) -> None:
            if not over:  # the framework's own answer to the cut body (400) is not sent
                await send(event)

        with suppress(_TooLarge):
            await self.app(scope, counted, unless_over)
        if over:
            await _too_large(send, self.limit)


class _TooLarge(Exception):
    pass


async def _too_large(send: Any, limit: int) -> None:
    import json

    body = json.dumps(message("too_large", limit=limit), ensure_ascii=False).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class Observe:
    """Count, time and log every request by route and status; add the security headers
    and the request id.

    Plain ASGI (not ``@app.middleware("http")``), so responses pass through unbuffered.
    """

    def __init__(self, app: Any) -> None:
        self.app = app
        self.headers = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        rid = request_id(scope)

        async def observed(event: Any) -> None:
            nonlocal status
            if event["type"] == "http.response.start":
                status = event["status"]
                present = {name for name, _ in event.get("headers", [])}
                extra = [(k, v) for k, v in self.headers if k not in present]
                mine = [(HEADER, rid.encode())]
                event = {**event, "headers": [*event.get("headers", []), *extra, *mine]}
            await send(event)

        try:
            await self.app(scope, receive, observed)
        finally:
            method, route = method_label(scope["method"]), route_label(scope)
            seconds = time.perf_counter() - started
            REQUESTS.labels(method, route, str(status)).inc()
            LATENCY.labels(method, route).observe(seconds)
            log_access(method, route, status, seconds, rid)


def operation_id(route: APIRoute) -> str:
    """The OpenAPI operation id: the route function's name (``score_unit``), which is what
    a generated client names its call."""
    return route.name


def create_app(settings: Settings | None = None) -> FastAPI:
    """The service. The model is loaded at start; a missing or broken model leaves the
    service up with ``/readyz`` failing until an admin reloads a good one."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.threads
        app.state.db = Database(settings.database_url, settings.db_timeout_seconds)
        try:
            migrate(settings.database_url)
            app.state.db.check_integrity()
        except DatabaseError as exc:  # a damaged file: up, not ready, every write refused
            if not is_corruption(exc):
                raise
            app.state.db.corrupt = True
        if app.state.db.corrupt:
            log.error("the database file is damaged: restore it from a backup")
        app.state.models = ModelHolder(settings.mlflow_uri, settings.model_uri)
        if not app.state.db.corrupt:
            app.state.models.reload_seen = latest_reload(app.state.db)  # (this load covers them)
        try:
            app.state.models.load()
        except Exception as exc:
            log.error("no model loaded from %s: %s", settings.model_uri, exc)
        following = asyncio.create_task(
            follow_reloads(app.state.db, app.state.models, settings.reload_poll_seconds)
        )
        yield
        following.cancel()
        app.state.db.engine.dispose()
        worker_exit()

    app = FastAPI(
        title="风险分级 / Risk triage",
        version="1",
        description="Family and neighbour dispute risk triage: green/yellow/red tiers with "
        "exact reasons. Every endpoint but /healthz and /readyz needs an API key.",
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
        docs_url=None,  # served from the package (service/routes/docs.py), not a CDN
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.centre = load_centre(settings.centre_config)
    app.state.limiter = RateLimiter(settings.rate_limit_per_minute)
    app.state.failures = RateLimiter(settings.failed_keys_per_minute)
    install_handlers(app)

    routers = (health, score, records, visits, model, load, life, files, overrides, monitor)
    for router in (r.router for r in routers):
        app.include_router(router)
    app.include_router(life_pages.router)  # before the case page's /cases/{case_id}
    app.include_router(pages.router)
    app.include_router(docs.router)
    app.mount("/static", pages.static_files(), name="static")
    app.mount(docs.ASSETS_URL, docs.assets(), name="docs-assets")
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    app.add_middleware(AuditRefusals)
    app.add_middleware(Observe)
    return app
