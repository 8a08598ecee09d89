"""Request dependencies, as ``Annotated`` aliases: the database, the served model, the
settings, the caller behind the API key (with rate limit), and the pages' caller and form.

The aliases that only hand over what the app holds are ``async`` on purpose: they do no
blocking work, so they run on the event loop instead of costing a trip to the thread pool.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Hashable
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.datastructures import FormData

from risk.models.policy import Policy
from risk.models.triage import TriageModel
from service.auth import Caller, authenticate
from service.centre import Centre, tier_policy
from service.db import Database
from service.errors import ServiceError
from service.model_holder import ModelHolder
from service.sessions import session_caller
from service.settings import Settings

__all__ = [
    "SESSION_COOKIE",
    "Authed",
    "CentreDep",
    "DatabaseDep",
    "ModelDep",
    "ModelsDep",
    "PageCaller",
    "PolicyDep",
    "PostedForm",
    "RateLimiter",
    "SettingsDep",
    "SignedInForm",
    "caller",
    "looked_up",
    "page_caller",
]


async def _database(request: Request) -> Database:
    return request.app.state.db


async def _models(request: Request) -> ModelHolder:
    return request.app.state.models


async def _settings(request: Request) -> Settings:
    return request.app.state.settings


#: The service's database (its domain modules open the sessions and transactions).
DatabaseDep = Annotated[Database, Depends(_database)]
#: The holder of the served model (which may be missing, or be replaced by a reload).
ModelsDep = Annotated[ModelHolder, Depends(_models)]
SettingsDep = Annotated[Settings, Depends(_settings)]


async def _served(models: ModelsDep) -> TriageModel:
    return models.serving()


#: The served model, taken once for the request; 503 when none is loaded.
ModelDep = Annotated[TriageModel, Depends(_served)]


async def _centre(request: Request) -> Centre:
    return request.app.state.centre


async def _policy(models: ModelsDep) -> Policy:
    return tier_policy(models)


#: The centre's rules for a case's life (:mod:`service.centre`).
CentreDep = Annotated[Centre, Depends(_centre)]
#: The tier policy a case's plan follows: the served model's, else the packaged one.
PolicyDep = Annotated[Policy, Depends(_policy)]


class RateLimiter:
    """A token bucket per key (an API key's id, a client's address): ``per_minute``
    tokens, bursts up to a tenth of that (at least 10); 0 turns it off."""

    def __init__(self, per_minute: int) -> None:
        self.rate = per_minute / 60.0
        self.burst = max(per_minute / 10.0, 10.0)
        self._buckets: dict[Hashable, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def _tokens(self, key: Hashable, now: float) -> float:
        tokens, last = self._buckets.get(key, (self.burst, now))
        return min(self.burst, tokens + (now - last) * self.rate)

    def allow(self, key: Hashable) -> bool:
        """Spend a token for ``key``; False when it has none."""
        if self.rate <= 0:
            return True
        now = time.monotonic()
        with self._lock:
            if len(self._buckets) > 100_000:
                self._buckets.clear()
            tokens = self._tokens(key, now)
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                return False
            self._buckets[key] = (tokens - 1.0, now)
            return True

    def wait(self, key: Hashable) -> float:
        """Seconds until ``key`` has a token again (0: it has one now); spends nothing."""
        if self.rate <= 0:
            return 0.0
        with self._lock:
            tokens = self._tokens(key, time.monotonic())
        return 0.0 if tokens >= 1.0 else (1.0 - tokens) / self.rate


def _key_from(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.headers.get("x-api-key")


#: How long a checked key is trusted without asking the database again (per process);
#: a revoked key stops working within this many seconds.
KEY_CACHE_SECONDS = 5.0
_checked: dict[str, tuple[Caller, float]] = {}


def _cached(key: str) -> Caller | None:
    hit = _checked.get(key)
    return hit[0] if hit is not None and hit[1] > time.monotonic() else None


def _authenticate(db: Database, key: str) -> Caller | None:
    found = authenticate(db, key)
    if found is not None:
        if len(_checked) > 10_000:
            _checked.clear()
        _checked[key] = (found, time.monotonic() + KEY_CACHE_SECONDS)
    return found


def _client(request: Request) -> str:
    return request.client.host if request.client is not None else "unknown"


def looked_up(request: Request, key: str) -> Caller | None:
    """The caller behind ``key`` (cached, else from the database), or None. Each key that
    fails counts against the client's address; a client over its failures is refused
    (429, with the seconds to wait) before any look-up. Sync: it may ask the database."""
    found = _cached(key)
    if found is not None:
        return found
    failures: RateLimiter = request.app.state.failures
    wait = failures.wait(_client(request))
    if wait > 0:
        raise ServiceError(429, "too_many_failures", seconds=math.ceil(wait))
    found = _authenticate(request.app.state.db, key)
    if found is None:
        failures.allow(_client(request))
        request.state.key_failed = True
    return found


#: The two ways to send a key, declared so the OpenAPI schema shows them; the key itself is
#: read by :func:`_key_from`. The API never takes the pages' session cookie.
BEARER = HTTPBearer(auto_error=False, description="Authorization: Bearer rk_<prefix>_<secret>")
API_KEY = APIKeyHeader(name="X-API-Key", auto_error=False)


async def caller(
    request: Request,
    _bearer: Annotated[HTTPAuthorizationCredentials | None, Security(BEARER)] = None,
    _header: Annotated[str | None, Security(API_KEY)] = None,
) -> Caller:
    """The caller behind the request's key: 401 without a valid one, 429 over its rate.

    A key checked in the last few seconds is answered from memory, on the event loop;
    only a new one asks the database, in the thread pool.
    """
    key = _key_from(request)
    found = _cached(key) if key else None
    if found is None and key:
        found = await run_in_threadpool(looked_up, request, key)
    return _admit(request, found)


def _admit(request: Request, found: Caller | None) -> Caller:
    if found is None:
        raise ServiceError(401, "unauthorized")
    if not request.app.state.limiter.allow(found.key_id):
        raise ServiceError(429, "rate_limited")
    request.state.caller = found
    return found


Authed = Annotated[Caller, Depends(caller)]

#: The pages' cookie: a random session id (:mod:`service.sessions`), never the key.
SESSION_COOKIE = "risk_session"


def page_caller(request: Request) -> Caller | None:
    """The pages' caller (the session in the cookie), or None to send to the login page;
    other refusals (the rate limit) stand. Sync: the session is read from the database."""
    found = session_caller(request.app.state.db, request.cookies.get(SESSION_COOKIE))
    try:
        return _admit(request, found)
    except ServiceError as exc:
        if exc.status != 401:
            raise
        return None


PageCaller = Annotated[Caller | None, Depends(page_caller)]


async def _posted_form(request: Request) -> FormData:
    return await request.form()


async def _signed_in_form(request: Request, who: PageCaller) -> FormData:
    return FormData() if who is None else await request.form()


#: A page's posted form, read on the event loop, so the handler that takes it can be a
#: sync ``def`` (its database work and scoring then run in the thread pool).
PostedForm = Annotated[FormData, Depends(_posted_form)]
#: :data:`PostedForm` for a page that first sends a caller who is not logged in to the
#: login page: that caller's body is not read (the form is empty).
SignedInForm = Annotated[FormData, Depends(_signed_in_form)]
