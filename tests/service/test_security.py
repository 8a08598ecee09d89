"""Attacks on the service, on SQLite and PostgreSQL: a grid-limited key trying every read
path into another grid, inputs that try to be echoed back, headers on every kind of answer,
how keys are stored and checked, and where models may come from.

Complements tests/service/test_api.py and test_pages.py (which hold the basic refusals)."""

from __future__ import annotations

import hashlib
import io
import re
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from service.conftest import auth, page_login, stored_household, unique
from sqlalchemy import select
from utils.builders import survey_answers

from service import auth as keys_module
from service.auth import create_key
from service.main import SECURITY_HEADERS, create_app
from service.settings import Settings
from service.tables import ApiKey, AuditEvent

SURVEY = survey_answers(household_size=3)
CASE = {
    "opened_at": "2024-04-01",
    "source": "police",
    "dispute_type": "marital",
    "counterpart": "spouse",
    "strangulation": True,  # red: it belongs on every visit list that may show it
}
#: A value no response may ever contain.
MARK = "ZQX-BOGUS-7731"


def _seed(client: TestClient, key: str, grid: str) -> tuple[str, str]:
    """A household in ``grid`` with a red case: (household id, case id)."""
    household, case_id = stored_household(client, key, SURVEY, grid), unique("C")
    opened = client.post(
        "/v1/cases",
        json={**CASE, "case_id": case_id, "household_id": household},
        headers=auth(key),
    )
    assert opened.status_code == 201, opened.text
    return household, case_id


@pytest.fixture(scope="module")
def grids(client: TestClient, keys: dict[str, str]) -> dict[str, Any]:
    """One household with a red case in G-A and one in G-B, and a data scientist limited to
    G-A (who may export)."""
    mine, mine_case = _seed(client, keys["supervisor"], "G-A")
    theirs, theirs_case = _seed(client, keys["supervisor"], "G-B")
    db = client.app.state.db  # type: ignore[attr-defined]
    return {
        "mine": mine,
        "mine_case": mine_case,
        "theirs": theirs,
        "theirs_case": theirs_case,
        "exporter": create_key(db, "datascientist", ["G-A"], label="grid A export"),
    }


# --- grid limits: every read path, actively crossed ----------------------------------------


def test_a_grid_limited_key_cannot_score_another_grid(client, keys, grids):
    limited = auth(keys["grid_a"])
    missing = unique("H")
    # another grid's stored household answers as a missing one ...
    for unit in ({"household_id": grids["theirs"]}, {"household_id": missing}):
        one = client.post("/v1/score", json=unit, headers=limited)
        assert one.status_code == 404 and one.json()["error"] == "not_found", one.text
        mixed = {"units": [{"household_id": grids["mine"]}, unit]}
        batch = client.post("/v1/score/batch", json=mixed, headers=limited)
        assert batch.status_code == 404 and "results" not in batch.json()
    # ... and claiming the caller's own grid inline uses nothing of what is stored
    claimed = {"survey": {"grid_id": "G-A"}, "as_of": "2024-05-01"}
    theirs = client.post(
        "/v1/score", json={**claimed, "household_id": grids["theirs"]}, headers=limited
    )
    unknown = client.post("/v1/score", json={**claimed, "household_id": missing}, headers=limited)
    assert theirs.status_code == unknown.status_code == 200
    assert theirs.json() == unknown.json() and not theirs.json()["flags"]
    inline = {"survey": {"grid_id": "G-B"}, "case": {"dispute_type": "debt"}}
    assert client.post("/v1/score", json=inline, headers=limited).status_code == 403
    own = client.post("/v1/score", json={"household_id": grids["mine"]}, headers=limited)
    assert own.status_code == 200


def test_another_grids_ids_answer_as_missing_ones(client, keys, grids):
    """Every path that takes a case id answers alike for another grid's and a missing id."""
    limited = auth(keys["grid_a"])
    missing = unique("C")
    probes = [
        ("get", "/v1/cases/{}", None),
        ("post", "/v1/cases/{}/override", {"tier": "red", "reason": "越权尝试"}),
        ("post", "/v1/cases/{}/outcome", {"outcome": "resolved", "outcome_at": "2024-05-01"}),
    ]
    for method, path, body in probes:
        answers = [
            getattr(client, method)(
                path.format(case), headers=limited, **({"json": body} if body else {})
            )
            for case in (grids["theirs_case"], missing)
        ]
        assert answers[0].status_code == answers[1].status_code == 404, path
        assert answers[0].json() == answers[1].json()


def test_a_grid_limited_key_cannot_read_or_list_another_grid(client, keys, grids):
    limited = auth(keys["grid_a"])
    case = client.get(f"/v1/cases/{grids['theirs_case']}", headers=limited)
    assert case.status_code == 404 and grids["theirs"] not in case.text
    assert client.get(f"/v1/cases/{grids['mine_case']}", headers=limited).status_code == 200
    for grid in ("G-B", "g-b", "G-B ", "G-A,G-B"):
        assert client.get("/v1/visits", params={"grid": grid}, headers=limited).status_code in (
            403,
            422,
        )
    listed = client.get("/v1/visits", params={"capacity": 1000}, headers=limited).json()
    households = {v["household_id"] for v in listed["visits"]}
    assert grids["mine"] in households and grids["theirs"] not in households
    assert {v["grid_id"] for v in listed["visits"]} == {"G-A"}


@pytest.mark.parametrize("kind", ["cases", "households"])
def test_a_grid_limited_export_holds_only_its_grids_rows(client, grids, kind):
    export = client.get(f"/v1/ledger/export?kind={kind}", headers=auth(grids["exporter"]))
    assert export.status_code == 200
    frame = pd.read_parquet(io.BytesIO(export.content))
    assert grids["mine"] in set(frame["household_id"])
    assert grids["theirs"] not in set(frame["household_id"])
    if "grid_id" in frame:
        assert set(frame["grid_id"]) == {"G-A"}


def test_a_grid_limited_key_cannot_write_into_another_grid(client, keys, grids):
    limited = auth(keys["grid_a"])
    survey = {**SURVEY, "household_id": grids["theirs"], "grid_id": "G-B"}
    assert client.post("/v1/households", json=survey, headers=limited).status_code == 403
    case = {**CASE, "case_id": unique("C"), "household_id": grids["theirs"]}
    assert client.post("/v1/cases", json=case, headers=limited).status_code == 403
    raised = {"tier": "red", "reason": "越权尝试"}
    override = client.post(
        f"/v1/cases/{grids['theirs_case']}/override", json=raised, headers=limited
    )
    assert override.status_code == 404


def test_a_grid_limited_key_cannot_take_over_another_grids_household(client, keys, grids):
    """Claiming another grid's household with one's own grid leaves it where it was."""
    claim = {**SURVEY, "survey_date": "2024-06-01", "household_id": grids["theirs"]}
    taken = client.post(
        "/v1/households", json={**claim, "grid_id": "G-A"}, headers=auth(keys["grid_a"])
    )
    assert taken.status_code == 409 and taken.json()["error"] == "household_other_grid"
    assert "G-B" not in taken.text
    # nor may an all-grid case worker file it under another grid without moving it
    moved = client.post(
        "/v1/households", json={**claim, "grid_id": "G-C"}, headers=auth(keys["caseworker"])
    )
    assert moved.status_code == 409
    db = client.app.state.db  # type: ignore[attr-defined]
    theirs = auth(create_key(db, "caseworker", ["G-B"], label="grid B only"))
    assert client.get(f"/v1/cases/{grids['theirs_case']}", headers=theirs).status_code == 200
    scored = client.post(
        "/v1/score", json={"household_id": grids["theirs"]}, headers=auth(keys["grid_a"])
    )
    assert scored.status_code in (403, 404)


def test_moving_a_household_is_a_supervisors_audited_act(client, keys):
    household, case_id = _seed(client, keys["supervisor"], "G-M1")
    to_m2 = {"grid_id": "G-M2"}
    path = f"/v1/households/{household}/grid"
    assert client.post(path, json=to_m2, headers=auth(keys["caseworker"])).status_code == 403
    db = client.app.state.db  # type: ignore[attr-defined]
    elsewhere = auth(create_key(db, "supervisor", ["G-M2"], label="G-M2 supervisor"))
    hidden = client.post(path, json=to_m2, headers=elsewhere)
    missing = client.post(f"/v1/households/{unique('H')}/grid", json=to_m2, headers=elsewhere)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()
    done = client.post(path, json=to_m2, headers=auth(keys["supervisor"]))
    assert done.status_code == 200 and done.json() == {
        "household_id": household,
        "from": "G-M1",
        "to": "G-M2",
    }
    assert client.post(path, json=to_m2, headers=auth(keys["supervisor"])).status_code == 409
    # the case, its score and the household's next wave follow it into the new grid
    assert client.get(f"/v1/cases/{case_id}", headers=elsewhere).status_code == 200
    visits = client.get("/v1/visits", params={"capacity": 1000}, headers=elsewhere).json()
    assert household in {v["household_id"] for v in visits["visits"]}
    wave = {**SURVEY, "survey_date": "2024-07-01", "household_id": household, "grid_id": "G-M2"}
    assert client.post("/v1/households", json=wave, headers=elsewhere).status_code == 201
    with db.session() as session:
        events = session.scalars(
            select(AuditEvent.resource).where(AuditEvent.action == "move_household")
        ).all()
    assert f"household:{household} G-M1->G-M2" in events


def test_case_pages_refuse_another_grid(client, keys, grids):
    page = TestClient(client.app, follow_redirects=False)
    page_login(page, keys["grid_a"])
    refused = page.get(f"/cases/{grids['theirs_case']}")
    assert refused.status_code == 404 and grids["theirs"] not in refused.text
    assert page.get(f"/cases/{grids['mine_case']}").status_code == 200
    assert grids["theirs"] not in page.get("/visits?capacity=1000").text
    assert page.get("/visits?grid=G-B").status_code == 403


# --- errors never echo what was sent ------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/v1/score", {"case": {"weapon": MARK}}),
        ("post", "/v1/score", {"survey": {"area": MARK, "children": MARK}}),
        ("post", "/v1/score/batch", {"units": [{"case": {"notes": 5, "source": MARK}}]}),
        ("post", "/v1/households", {**SURVEY, "household_id": "H", "grid_id": 7, "x": MARK}),
        ("post", "/v1/cases", {**CASE, "case_id": "C" * 65 + MARK, "household_id": "H"}),
        ("post", "/v1/cases/{case}/override", {"tier": MARK, "reason": "x"}),
        ("post", "/v1/cases/{case}/outcome", {"outcome": MARK, "outcome_at": "2024-05-01"}),
        ("post", "/v1/cases/{case}/outcome", {"outcome": "resolved", "outcome_at": MARK}),
        ("get", f"/v1/visits?capacity={MARK}&grid=G-A", None),
        ("get", f"/v1/ledger/export?kind={MARK}", None),
        ("get", f"/v1/cases/{MARK}", None),
        ("post", "/v1/score", f'{{"case": {{"notes": "{MARK}'.encode()),  # broken JSON
        ("post", "/v1/score", b"\xff\xfe" + MARK.encode()),  # not UTF-8
    ],
)
def test_errors_do_not_echo_the_input_or_show_a_trace(client, keys, grids, method, path, body):
    url = path.format(case=grids["mine_case"])
    kwargs: dict[str, Any] = {"headers": auth(keys["supervisor"])}
    if isinstance(body, bytes):
        kwargs["content"] = body
        kwargs["headers"] = {**kwargs["headers"], "content-type": "application/json"}
    elif body is not None:
        kwargs["json"] = body
    response = getattr(client, method)(url, **kwargs)
    assert 400 <= response.status_code < 500, response.text
    assert MARK not in response.text and "Traceback" not in response.text
    assert not re.search(r'File "|line \d+|\.py\b', response.text)
    problem = response.json()
    problems = problem.get("detail", [problem])
    assert all(p["error"] and p["message_zh"] and p["message_en"] for p in problems)


# --- headers on every kind of answer ------------------------------------------------------


def test_security_headers_on_every_kind_of_answer(client, keys):
    page = TestClient(client.app, follow_redirects=False)
    answers = {
        "health": client.get("/healthz"),
        "api": client.get("/v1/model", headers=auth(keys["caseworker"])),
        "refused": client.get("/v1/model"),
        "invalid": client.post("/v1/score", json={"x": 1}, headers=auth(keys["caseworker"])),
        "too large": client.post(
            "/v1/score",
            content=b"{" + b" " * 2_100_000 + b"}",
            headers={**auth(keys["caseworker"]), "content-type": "application/json"},
        ),
        "unknown path": client.get("/v1/nothing-here"),
        "page": page.get("/login"),
        "redirect": page.get("/cases/new"),
        "stylesheet": page.get("/static/style.css"),
    }
    for name, response in answers.items():
        for header, value in SECURITY_HEADERS.items():
            assert response.headers.get(header) == value, (name, header)


# --- keys: stored as a hash, compared in constant time -----------------------------------


def test_a_key_is_stored_only_as_the_hash_of_its_secret(client):
    db = client.app.state.db  # type: ignore[attr-defined]
    key = create_key(db, "caseworker", label="hash check")
    _, prefix, secret = key.split("_", 2)
    with db.session() as session:
        row = session.scalars(select(ApiKey).where(ApiKey.prefix == prefix)).one()
        stored = [str(getattr(row, c.key)) for c in ApiKey.__table__.columns]
    assert row.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert not any(secret in value or key in value for value in stored)


def test_keys_are_compared_in_constant_time_known_prefix_or_not(client, monkeypatch):
    db = client.app.state.db  # type: ignore[attr-defined]
    key = create_key(db, "caseworker", label="timing check")
    compared: list[tuple[str, str]] = []
    real = keys_module.hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(keys_module.hmac, "compare_digest", spy)
    wrong_secret = key[: key.rindex("_") + 1] + "not-the-secret"
    assert keys_module.authenticate(db, key) is not None
    assert keys_module.authenticate(db, wrong_secret) is None
    assert keys_module.authenticate(db, "rk_000000000000_unknown-prefix") is None
    assert len(compared) == 3  # every path compares a full hash, unknown prefix included
    assert all(len(a) == len(b) == 64 for a, b in compared)


# --- models come only from the configured registry ---------------------------------------


def test_no_endpoint_takes_a_model_location(client):
    spec = client.get("/openapi.json").json()
    names = {
        p["name"]
        for ops in spec["paths"].values()
        for op in ops.values()
        for p in op.get("parameters", [])
    }
    for component in spec["components"]["schemas"].values():
        names |= set(component.get("properties", {}))
    assert names and not [n for n in names if re.search(r"uri|url|path|location|artifact|run", n)]


@pytest.mark.parametrize(
    "body",
    [
        {"model_uri": "runs:/0123/model"},
        {"uri": "file:///srv/evil", "model": "models:/other@champion"},
    ],
)
def test_reload_ignores_any_model_location_in_the_body(client, keys, body):
    holder = client.app.state.models  # type: ignore[attr-defined]
    configured, before = holder.ref, holder.version
    response = client.post("/v1/admin/reload", json=body, headers=auth(keys["admin"]))
    assert response.status_code == 200 and response.json()["version"] == before
    assert holder.ref == configured == client.app.state.settings.model_uri  # type: ignore[attr-defined]


# --- refusals: audited, and failed keys throttled per client -------------------------------


def _refusals(client: TestClient, resource: str) -> list[tuple[int | None, str, int]]:
    db = client.app.state.db  # type: ignore[attr-defined]
    with db.session() as session:
        rows = session.execute(
            select(AuditEvent.key_id, AuditEvent.action, AuditEvent.status).where(
                AuditEvent.resource == resource
            )
        ).all()
    return [tuple(row) for row in rows]


def test_every_refusal_has_its_audit_row_without_body_or_key(client, keys, grids):
    db = client.app.state.db  # type: ignore[attr-defined]
    with db.session() as session:
        ids = {
            k: session.scalars(
                select(ApiKey.id).where(ApiKey.prefix == keys[k].split("_")[1])
            ).one()
            for k in ("grid_a", "caseworker")
        }
    missing = unique("C")
    bogus = f"rk_{MARK}_{MARK}"
    assert client.get(f"/v1/cases/{missing}", headers=auth(bogus)).status_code == 401
    assert _refusals(client, f"GET /v1/cases/{missing}") == [(None, "bad_key", 401)]
    assert (
        client.get(f"/v1/cases/{grids['theirs_case']}", headers=auth(keys["grid_a"])).status_code
        == 404
    )
    assert (ids["grid_a"], "refused", 404) in _refusals(
        client, f"GET /v1/cases/{grids['theirs_case']}"
    )
    assert client.get("/v1/ledger/export", headers=auth(keys["caseworker"])).status_code == 403
    assert (ids["caseworker"], "refused", 403) in _refusals(client, "GET /v1/ledger/export")
    again = {**CASE, "case_id": grids["mine_case"], "household_id": grids["mine"]}
    assert client.post("/v1/cases", json=again, headers=auth(keys["caseworker"])).status_code == 409
    assert (ids["caseworker"], "refused", 409) in _refusals(client, "POST /v1/cases")
    invalid = {**CASE, "case_id": missing, "household_id": MARK, "parties": MARK}
    assert (
        client.post("/v1/cases", json=invalid, headers=auth(keys["caseworker"])).status_code == 422
    )
    assert (ids["caseworker"], "refused", 422) in _refusals(client, "POST /v1/cases")
    with db.session() as session:
        logged = session.scalars(select(AuditEvent.resource)).all()
    assert not [r for r in logged if f"rk_{MARK}" in r or f'"{MARK}"' in r]  # no key, no body


def test_failed_keys_are_throttled_per_client(tmp_path, model_store):
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'throttle.db'}",
        mlflow_uri=model_store,
        failed_keys_per_minute=60,
    )
    with TestClient(create_app(settings), client=("198.51.100.7", 4000)) as attacker:
        db = attacker.app.state.db  # type: ignore[attr-defined]
        good = create_key(db, "caseworker", ["G-A"], label="throttled client's own key")
        for i in range(10):  # a burst of 10 failures is allowed
            assert attacker.get("/v1/model", headers=auth(f"rk_guess{i}_x")).status_code == 401
        refused = attacker.get("/v1/model", headers=auth("rk_guess_x"))
        assert refused.status_code == 429 and refused.json()["error"] == "too_many_failures"
        assert 0 < int(refused.headers["retry-after"]) <= 2
        # a valid key not yet checked is refused too: the guessing client learns nothing
        assert attacker.get("/v1/model", headers=auth(good)).status_code == 429
        page = TestClient(attacker.app, client=("198.51.100.7", 4001), follow_redirects=False)
        token = page.get("/login").cookies.get("risk_csrf") or page.cookies["risk_csrf"]
        login = page.post("/login", data={"key": good, "csrf": token})
        assert login.status_code == 429
        other = TestClient(attacker.app, client=("198.51.100.8", 4000))
        assert other.get("/v1/model", headers=auth(good)).status_code == 200


# --- one id syntax, and no NUL anywhere -----------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    ["a/b", "..", " C1", "C\u200b1", "C\x001"],
    ids=["slash", "dotdot", "space", "zero-width", "nul"],
)
def test_every_id_is_checked_alike_and_refused_naming_its_field(client, keys, grids, bad):
    worker = auth(keys["caseworker"])
    case = {**CASE, "case_id": bad, "household_id": grids["mine"]}
    stored = client.post("/v1/cases", json=case, headers=worker)
    assert stored.status_code == 422 and stored.json()["detail"][0]["field"] == "case_id"
    survey = {**SURVEY, "household_id": grids["mine"], "grid_id": bad}
    wave = client.post("/v1/households", json=survey, headers=worker)
    assert wave.status_code == 422 and wave.json()["detail"][0]["field"] == "grid_id"
    scored = client.post("/v1/score", json={"household_id": bad}, headers=worker)
    assert scored.status_code == 422 and scored.json()["detail"][0]["field"] == "household_id"
    listed = client.get("/v1/visits", params={"grid": bad}, headers=worker)
    assert listed.status_code == 422 and listed.json()["detail"][0]["field"] == "query.grid"


def test_a_nul_in_free_text_is_422_not_a_retried_503(client, keys, grids):
    raised = {"tier": "red", "reason": "理由\x00含空字符"}
    answer = client.post(
        f"/v1/cases/{grids['mine_case']}/override", json=raised, headers=auth(keys["caseworker"])
    )
    assert answer.status_code == 422 and "retry-after" not in answer.headers
    assert answer.json()["detail"][0]["field"] == "reason"


def test_an_outcome_before_the_case_opened_names_its_field(client, keys, grids):
    early = {"outcome": "resolved", "outcome_at": "2024-01-01"}  # the case opened 2024-04-01
    answer = client.post(
        f"/v1/cases/{grids['mine_case']}/outcome", json=early, headers=auth(keys["caseworker"])
    )
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["field"] == "outcome_at"
    assert answer.json()["detail"][0]["message_en"] == "outcome_at is before the case opened"
