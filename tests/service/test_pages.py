"""The pages for case workers through TestClient, on SQLite and PostgreSQL: log in and out,
the intake form built from the contract, result and history, override, visit queue, model;
CSRF refusal, language switch, field-level messages, grid limits."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from service.conftest import auth, stored_household, unique
from utils.builders import survey_answers

from risk.i18n import text
from risk.schema import CASE

SURVEY = survey_answers()
#: A form as a browser sends it: every value a string, unknowns left empty.
FORM = {
    "opened_at": "2024-04-01",
    "source": "grid_worker",
    "dispute_type": "neighbour_nuisance",
    "counterpart": "neighbour",
    "parties": "2",
    "threats": "false",
    "notes": "邻里因排水沟发生口角",
}


def _household(client: TestClient, key: str, grid: str = "G-A") -> str:
    return stored_household(client, key, SURVEY, grid)


def _csrf(page: TestClient, path: str = "/login") -> str:
    page.get(path)
    token = page.cookies.get("risk_csrf")
    assert token and len(token) >= 32
    return token


def _login(page: TestClient, key: str) -> None:
    response = page.post("/login", data={"key": key, "csrf": _csrf(page)})
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/cases/new"


def _intake(page: TestClient, household: str, **extra: str) -> tuple[str, object]:
    case_id = unique("C")
    form = {**FORM, "case_id": case_id, "household_id": household, **extra}
    response = page.post("/cases/new", data={**form, "csrf": _csrf(page, "/cases/new")})
    return case_id, response


def test_pages_send_a_visitor_without_a_key_to_log_in(page):
    for path in ("/", "/cases/new", "/visits", "/model", "/cases/anything"):
        response = page.get(path)
        assert response.status_code == 303 and response.headers["location"] == "/login", path
    for path in ("/cases/new", "/cases/anything/override"):
        response = page.post(path, data={**FORM, "csrf": "x" * 40})
        assert response.status_code == 303 and response.headers["location"] == "/login", path


def test_login_sets_an_httponly_strict_cookie_and_logout_clears_it(page, keys):
    response = page.post("/login", data={"key": keys["caseworker"], "csrf": _csrf(page)})
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("risk_session=") and "HttpOnly" in cookie
    assert "samesite=strict" in cookie.lower()
    assert page.get("/cases/new").status_code == 200
    logout = page.post("/logout", data={"csrf": page.cookies["risk_csrf"]})
    assert logout.status_code == 303 and logout.headers["location"] == "/login"
    assert "risk_session" not in page.cookies
    assert page.get("/cases/new").status_code == 303


def test_login_refuses_a_bad_key_in_the_page_language(page):
    token = _csrf(page)
    response = page.post("/login", data={"key": "rk_nope_nope", "csrf": token})
    assert response.status_code == 401 and text("page_login_failed", "zh") in response.text
    assert "risk_session" not in page.cookies
    english = page.post("/login?lang=en", data={"key": "rk_x_y", "csrf": token})
    assert text("page_login_failed", "en") in english.text


@pytest.mark.parametrize("sent", [None, "", "wrong-token-of-the-right-length-000000000"])
def test_forms_without_the_csrf_token_are_refused(page, client, keys, sent):
    token = _csrf(page)
    data = {"key": keys["caseworker"]} | ({} if sent is None else {"csrf": sent})
    refused = page.post("/login", data=data)
    assert refused.status_code == 403 and text("page_csrf_failed", "zh") in refused.text
    assert "risk_session" not in page.cookies
    _login(page, keys["caseworker"])
    assert page.cookies["risk_csrf"] == token
    household = _household(client, keys["caseworker"])
    case_id = unique("C")
    form = {**FORM, "case_id": case_id, "household_id": household}
    response = page.post("/cases/new", data=form | ({} if sent is None else {"csrf": sent}))
    assert response.status_code == 403 and text("page_csrf_failed", "zh") in response.text
    stored = client.get(f"/v1/cases/{case_id}", headers=auth(keys["caseworker"]))
    assert stored.status_code == 404
    logout = page.post("/logout", data={} if sent is None else {"csrf": sent})
    assert logout.status_code == 403 and "risk_session" in page.cookies


def test_intake_form_is_built_from_the_contract_in_both_languages(page, keys):
    _login(page, keys["caseworker"])
    html = page.get("/cases/new").text
    for field in CASE.scoring_fields():
        assert f'name="{field.name}"' in html and field.zh in html
    assert all(c.zh in html for c in CASE["dispute_type"].choices)
    assert 'name="outcome"' not in html and "<script" not in html
    english = page.get("/cases/new?lang=en")
    assert english.cookies.get("risk_lang") == "en"
    assert CASE["dispute_type"].en in english.text and 'lang="en"' in english.text
    assert CASE["dispute_type"].choice("land_boundary").en in english.text
    # the choice sticks (cookie) until switched back
    assert CASE["counterpart"].en in page.get("/cases/new").text
    assert CASE["counterpart"].zh in page.get("/cases/new?lang=zh").text
    assert CASE["counterpart"].zh in page.get("/cases/new").text


def test_intake_stores_scores_and_shows_the_result(page, client, keys):
    _login(page, keys["caseworker"])
    household = _household(client, keys["caseworker"])
    case_id, response = _intake(page, household, threat_to_kill="true", weapon="knife")
    assert response.status_code == 303 and response.headers["location"] == f"/cases/{case_id}"
    html = page.get(response.headers["location"]).text
    stored = client.get(f"/v1/cases/{case_id}", headers=auth(keys["caseworker"])).json()
    result = stored["scores"][0]["result"]
    assert stored["tier"] == "red" and 'class="tier tier-red"' in html
    assert "扬言杀人" in html  # the red flag, in Chinese
    reasons = re.search(r'<table class="rows" id="reasons">(.*?)</table>', html, re.S)
    assert reasons and reasons.group(1).count("<tr class=") == len(result["reasons"]) > 0
    assert all(r["label_zh"] in reasons.group(1) for r in result["reasons"])
    assert all(a in html for a in result["actions"])
    assert result["follow_up_date"] in html and f"v{result['model']['version']}" in html
    floored = result["model_tier"] != result["tier"]  # the flag, not the model, made it red
    assert ('id="floor"' in html) == floored
    english = page.get(f"/cases/{case_id}?lang=en").text
    assert "threat to kill" in english and result["reasons"][0]["label_en"] in english
    assert "current tier: red" in english


def test_bad_input_rerenders_the_form_with_field_messages(page, client, keys):
    _login(page, keys["caseworker"])
    household = _household(client, keys["caseworker"])
    case_id, response = _intake(
        page, household, parties="many", dispute_type="", opened_at="2024-13-40"
    )
    assert response.status_code == 422
    html = response.text
    assert re.search(r'id="e-parties">应为整数<', html)
    assert re.search(r'id="e-dispute_type">必填字段缺失<', html)
    assert re.search(r'id="e-opened_at">应为日期', html)
    assert 'value="many"' in html and "邻里因排水沟发生口角" in html  # what was typed stays
    page.get("/cases/new?lang=en")
    _, english = _intake(page, household, parties="1")
    assert english.status_code == 422
    assert re.search(r'id="e-parties">must be at least 2<', english.text)
    assert client.get(f"/v1/cases/{case_id}", headers=auth(keys["caseworker"])).status_code == 404


def test_a_duplicate_case_id_is_a_message_not_an_error(page, client, keys):
    _login(page, keys["caseworker"])
    household = _household(client, keys["caseworker"])
    case_id, first = _intake(page, household)
    assert first.status_code == 303
    again = page.post(
        "/cases/new",
        data={**FORM, "case_id": case_id, "household_id": household, "csrf": _csrf(page)},
    )
    assert again.status_code == 409 and text("case_exists", "zh") in again.text


def test_override_lowering_is_refused_unless_supervisor_raising_is_free(page, client, keys):
    _login(page, keys["caseworker"])
    household = _household(client, keys["caseworker"])
    case_id, _ = _intake(page, household, threat_to_kill="true")  # a red flag: red
    url = f"/cases/{case_id}/override"
    token = page.cookies["risk_csrf"]
    empty = page.post(url, data={"tier": "yellow", "reason": "", "csrf": token})
    assert empty.status_code == 422 and re.search(r'id="e-reason">', empty.text)
    lowered = page.post(url, data={"tier": "green", "reason": "已搬离", "csrf": token})
    assert lowered.status_code == 403
    assert text("lower_needs_supervisor", "zh") in lowered.text
    assert 'class="tier tier-red"' in lowered.text and "已搬离" in lowered.text  # reason kept
    _login(page, keys["supervisor"])
    token = page.cookies["risk_csrf"]
    allowed = page.post(url, data={"tier": "green", "reason": "已搬离", "csrf": token})
    assert allowed.status_code == 303
    html = page.get(allowed.headers["location"]).text
    assert 'class="tier tier-green"' in html and "已搬离" in html
    assert text("page_override_done", "zh") in html
    _login(page, keys["caseworker"])
    token = page.cookies["risk_csrf"]
    raised = page.post(
        url, data={"tier": "yellow", "reason": "男方近日多次酒后威胁", "csrf": token}
    )
    assert raised.status_code == 303
    html = page.get(raised.headers["location"]).text
    assert 'class="tier tier-yellow"' in html and "男方近日多次酒后威胁" in html
    history = client.get(f"/v1/cases/{case_id}", headers=auth(keys["caseworker"])).json()
    assert [o["to"] for o in history["overrides"]] == ["green", "yellow"]


def test_grid_limits_apply_on_pages(page, client, keys):
    other = _household(client, keys["caseworker"], grid="G-B")
    case_id, _ = _intake_as(page, keys["caseworker"], other)
    _login(page, keys["grid_a"])
    refused = page.get(f"/cases/{case_id}")
    assert refused.status_code == 404 and text("not_found", "zh") in refused.text
    assert "G-B" not in refused.text
    visits = page.get("/visits?grid=G-B")
    assert visits.status_code == 403 and text("out_of_grid", "zh") in visits.text
    listed = page.get("/visits?capacity=1000").text
    assert other not in listed
    _, intake = _intake(page, other, threat_to_kill="true")
    assert intake.status_code == 403 and text("out_of_grid", "zh") in intake.text
    override = page.post(
        f"/cases/{case_id}/override",
        data={"tier": "red", "reason": "越权尝试", "csrf": page.cookies["risk_csrf"]},
    )
    assert override.status_code == 404
    history = client.get(f"/v1/cases/{case_id}", headers=auth(keys["caseworker"])).json()
    assert history["overrides"] == []


def _intake_as(page: TestClient, key: str, household: str, **extra: str):
    _login(page, key)
    case_id, response = _intake(page, household, **extra)
    assert response.status_code == 303, getattr(response, "text", "")
    return case_id, response


def test_visit_queue_ranks_households_with_reasons_and_capacity(page, client, keys):
    grid = unique("G")
    red = _household(client, keys["caseworker"], grid=grid)
    _intake_as(page, keys["caseworker"], red, strangulation="true")
    _login(page, keys["psychologist"])
    html = page.get(f"/visits?grid={grid}&capacity=5").text
    assert red in html and '<span class="chip chip-red">红</span>' in html
    assert f'<a href="/households/{red}">{red}</a>' in html  # to the household's file
    assert page.get(f"/households/{red}").status_code == 200
    assert re.search(r'<ul class="why"><li>[↑↓] [^<]+：', html)  # why it is on the list
    assert text("page_visits_count", "zh", count=1, capacity=5) in html
    bad = page.get(f"/visits?grid={grid}&capacity=0")
    assert bad.status_code == 422 and re.search(r'id="e-capacity">不能小于 1<', bad.text)
    words = page.get(f"/visits?grid={grid}&capacity=lots&lang=en")
    assert words.status_code == 422 and "must be a whole number" in words.text


def test_model_page_describes_the_served_model(page, client, keys):
    _login(page, keys["caseworker"])
    described = client.get("/v1/model", headers=auth(keys["caseworker"])).json()
    html = page.get("/model").text
    assert f"v{described['version']}" in html and described["name"] in html
    assert "扬言杀人" in html and "threat to kill" in page.get("/model?lang=en").text


def test_pages_carry_the_security_headers_and_the_stylesheet_is_served(page, keys):
    _login(page, keys["caseworker"])
    response = page.get("/cases/new")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert 'href="/static/style.css"' in response.text and "<script" not in response.text
    css = page.get("/static/style.css")
    assert css.status_code == 200 and ".tier-red" in css.text
    assert "@media" in css.text  # phone layout


def test_what_was_typed_is_shown_escaped_never_as_markup(page, client, keys):
    _login(page, keys["caseworker"])
    household = _household(client, keys["caseworker"])
    attack = '<script>alert(1)</script>"><img src=x>'
    case_id, response = _intake(page, household, notes=attack)
    html = page.get(response.headers["location"]).text
    override = page.post(
        f"/cases/{case_id}/override",
        data={"tier": "green", "reason": attack, "csrf": page.cookies["risk_csrf"]},
    )
    for shown in (html, override.text, page.get("/cases/new?lang=zh").text):
        assert "<script>alert" not in shown and "<img src=x>" not in shown
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in override.text


def test_the_language_link_on_a_refused_form_leads_to_a_page_not_a_post_address(page, client, keys):
    _login(page, keys["caseworker"])
    household = _household(client, keys["caseworker"])
    case_id, _ = _intake(page, household, threat_to_kill="true")
    refused = page.post(
        f"/cases/{case_id}/override",
        data={"tier": "green", "reason": "已搬离", "csrf": page.cookies["risk_csrf"]},
    )
    link = re.search(r'<a class="lang" href="([^"]+)"', refused.text)
    assert link and link.group(1) == f"/cases/{case_id}?lang=en"
    english = page.get(link.group(1))
    assert english.status_code == 200 and "current tier: red" in english.text
    _, bad = _intake(page, household, parties="x")
    link = re.search(r'<a class="lang" href="([^"]+)"', bad.text)
    assert link and link.group(1) == "/cases/new?lang=zh"


def test_a_role_that_may_not_store_sees_no_forms_to_store(page, client, keys):
    household = _household(client, keys["caseworker"])
    case_id, _ = _intake_as(page, keys["caseworker"], household)
    _login(page, keys["datascientist"])
    intake = page.get("/cases/new").text
    assert text("forbidden", "zh") in intake and 'name="dispute_type"' not in intake
    case = page.get(f"/cases/{case_id}")
    assert case.status_code == 200 and 'id="override"' not in case.text
    _, refused = _intake(page, household)
    assert refused.status_code == 403


@pytest.mark.parametrize(
    ("field", "value", "zh"),
    [
        ("case_id", "C" * 65, "超出长度限制 64"),
        ("notes", "字" * 4001, "超出长度限制 4000"),
        ("prior_incidents_12m", "101", "不能大于 100"),
        ("prior_incidents_12m", "2.5", "应为整数"),
        ("threats", "maybe", "应为是/否"),
        ("weapon", "sword", "不是允许的取值"),
        ("household_id", "", "必填字段缺失"),
    ],
)
def test_each_bad_value_is_a_message_by_its_field(page, client, keys, field, value, zh):
    _login(page, keys["caseworker"])
    household = _household(client, keys["caseworker"])
    _, response = _intake(page, household, **{field: value})
    assert response.status_code == 422
    assert re.search(rf'id="e-{field}">{re.escape(zh)}', response.text)
