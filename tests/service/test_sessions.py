"""Page sessions: the cookie holds a random session id, never the key; it ends at logout,
at its expiry and with its key; the API never takes it."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from fastapi.testclient import TestClient
from service.conftest import page_login
from sqlalchemy import select, update

from service.auth import create_key, revoke_key
from service.tables import PageSession


def _with_cookie(client: TestClient, session_id: str) -> TestClient:
    """Another browser holding only ``session_id`` (as a stolen cookie would be)."""
    return TestClient(client.app, follow_redirects=False, cookies={"risk_session": session_id})


def _signed_in(page: TestClient) -> bool:
    return page.get("/cases/new").status_code == 200


def test_the_raw_key_never_appears_in_a_set_cookie_header(page, keys, client):
    page.get("/login")
    key = keys["caseworker"]
    response = page.post("/login", data={"key": key, "csrf": page.cookies["risk_csrf"]})
    assert response.status_code == 303
    set_cookies = response.headers.get_list("set-cookie")
    assert any(c.startswith("risk_session=") for c in set_cookies)
    assert not [c for c in set_cookies if key in c or key.split("_", 2)[2] in c]
    session_id = page.cookies["risk_session"]
    with client.app.state.db.session() as session:  # stored only as its hash
        stored = session.scalars(select(PageSession.id_hash)).all()
    assert session_id not in stored and len(stored) >= 1


def test_a_cookie_after_logout_is_refused(page, keys, client):
    page_login(page, keys["caseworker"])
    session_id = page.cookies["risk_session"]
    assert _signed_in(_with_cookie(client, session_id))
    assert page.post("/logout", data={"csrf": page.cookies["risk_csrf"]}).status_code == 303
    replayed = _with_cookie(client, session_id).get("/cases/new")
    assert replayed.status_code == 303 and replayed.headers["location"] == "/login"


def test_a_cookie_of_a_revoked_key_is_refused_at_once(page, client):
    key = create_key(client.app.state.db, "caseworker", label="revoked while logged in")
    page_login(page, key)
    assert _signed_in(page)
    assert revoke_key(client.app.state.db, key.split("_")[1])
    assert not _signed_in(page)  # no cache: the next page already refuses it


def test_an_expired_session_is_refused(page, keys, client):
    page_login(page, keys["supervisor"])
    assert _signed_in(page)
    mine = hashlib.sha256(page.cookies["risk_session"].encode()).hexdigest()
    past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    with client.app.state.db.session() as session:
        session.execute(
            update(PageSession).where(PageSession.id_hash == mine).values(expires_at=past)
        )
    assert not _signed_in(page)


@pytest.mark.parametrize(("method", "path"), [("post", "/v1/admin/reload"), ("get", "/v1/model")])
def test_the_api_refuses_the_page_cookie(page, keys, method, path):
    page_login(page, keys["admin"])
    assert _signed_in(page)
    response = page.request(method, path)
    assert response.status_code == 401 and response.json()["error"] == "unauthorized"
