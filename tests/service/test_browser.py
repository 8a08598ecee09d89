"""End to end in headless Chromium (Playwright driving Debian's chromium): the service runs
under uvicorn on a free local port against a fresh SQLite database and the test model;
a case worker logs in with a key, fills the intake form, sees the tier and reasons,
overrides the tier, sees the history, switches to English, and logs out.

Skipped with a reason when chromium is not installed, except in CI
(``RISK_REQUIRE_BROWSER=1``), where that is an error.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from utils.browser import ARGS, CHROMIUM, need_browser
from utils.served import free_port

from service.auth import create_key
from service.main import create_app
from service.settings import Settings

PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def served(model_store: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    """The service under uvicorn in a background thread: its base URL and app."""
    need_browser()
    database = tmp_path_factory.mktemp("browser") / "risk.db"
    app = create_app(Settings(database_url=f"sqlite:///{database}", mlflow_uri=model_store))
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", ws="none", lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", app
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def browser_page(served: tuple[str, Any]) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport=PHONE, locale="zh-CN")
        page = context.new_page()
        page.set_default_timeout(15_000)
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.problems = problems  # type: ignore[attr-defined]
        yield page
        context.close()
        browser.close()


def _fits_the_screen(page: Any) -> bool:
    """No sideways scrolling on a phone-sized screen."""
    return bool(
        page.evaluate(
            "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
        )
    )


def test_case_worker_logs_in_scores_a_case_overrides_and_reads_the_history(served, browser_page):
    base, app = served
    page = browser_page
    key = create_key(app.state.db, "supervisor", label="browser test")

    # log in: a visitor is sent to the login form; a session id (never the key) becomes an
    # HttpOnly cookie
    page.goto(base + "/")
    assert page.url == base + "/login" and page.locator("html").get_attribute("lang") == "zh-CN"
    page.fill("#key", key)
    page.click("form.card button[type=submit]")
    page.wait_for_url(base + "/cases/new")
    cookie = next(c for c in page.context.cookies() if c["name"] == "risk_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert all(key not in c["value"] for c in page.context.cookies())
    assert _fits_the_screen(page)

    # the intake form, in Chinese, built from the contract
    assert page.inner_text("h1") == "案件登记"
    page.fill("#f-case_id", "C-BROWSER-1")
    page.fill("#f-household_id", "H-BROWSER-1")
    page.fill("#f-grid_id", "G-BROWSER")
    page.check("#f-new_household")  # a household nothing is stored of is created explicitly
    page.fill("#f-opened_at", "2024-04-01")
    page.select_option("#f-source", "grid_worker")
    page.select_option("#f-dispute_type", "marital")
    page.select_option("#f-counterpart", "spouse")
    page.fill("#f-prior_incidents_12m", "3")
    page.select_option("#f-threat_to_kill", "true")
    page.fill("#f-notes", "男方酒后扬言要杀了她")
    page.click("form.card button[type=submit]")
    page.wait_for_url(base + "/cases/C-BROWSER-1")

    # the result: tier in its colour, the red flag, the reasons, actions, follow-up
    tier = page.locator("#tier")
    assert tier.get_attribute("data-tier") == "red"
    assert "红" in tier.inner_text()
    colour = page.evaluate("getComputedStyle(document.querySelector('#tier')).borderTopColor")
    assert colour == "rgb(179, 38, 30)"
    assert "扬言杀人" in page.inner_text("#flags")
    reasons = page.locator("#reasons tbody tr")
    assert reasons.count() >= 1
    assert ("升高风险" in reasons.first.inner_text()) or ("降低风险" in reasons.first.inner_text())
    assert page.locator("#actions li").count() >= 1
    # what the model could not see: unrecorded answers, none of which could lower a red
    # that a red flag set
    unseen = page.inner_text("#unseen")
    assert page.locator("#unseen li").count() >= 1 and "补充后等级不变" in unseen
    assert "若补充" not in unseen
    assert page.inner_text("#follow-up").startswith("2024-04-")
    assert page.inner_text("#model-version").startswith("risk-triage v")
    assert _fits_the_screen(page)

    # override (a supervisor may lower a tier, with a reason), then the history shows it
    page.select_option("#o-tier", "yellow")
    page.fill("#o-reason", "已与双方达成书面调解协议，男方搬离")
    page.click("#override button[type=submit]")
    page.wait_for_url(base + "/cases/C-BROWSER-1?done=override")
    assert page.locator("#tier").get_attribute("data-tier") == "yellow"
    assert page.locator("#history-scores tbody tr").count() == 1
    overrides = page.inner_text("#history-overrides")
    assert "已与双方达成书面调解协议" in overrides and "红" in overrides and "黄" in overrides

    # English on request, and it sticks
    page.click("a.lang")
    page.wait_for_url("**lang=en")
    assert "current tier: yellow" in page.inner_text("#tier")
    assert "threat to kill" in page.inner_text("#flags")
    page.goto(base + "/visits")
    assert page.inner_text("h1") == "Visit queue"
    assert "H-BROWSER-1" in page.inner_text("#visits")
    page.goto(base + "/model")
    assert page.inner_text("#model-version").startswith("v")
    assert _fits_the_screen(page)

    # log out: the session cookie is gone and the pages ask for a key again
    page.click("button.link")
    page.wait_for_url(base + "/login")
    assert not [c for c in page.context.cookies() if c["name"] == "risk_session"]
    page.goto(base + "/cases/C-BROWSER-1")
    assert page.url == base + "/login"
    assert page.problems == []  # type: ignore[attr-defined]


def _step(page: Any, base: str, case_id: str, action: str, reason: str) -> None:
    page.select_option("#s-action", action)
    page.fill("#s-reason", reason)
    page.click("#step button[type=submit]")
    page.wait_for_url(f"{base}/cases/{case_id}?done=step")


def test_a_case_is_followed_from_intake_to_closure_on_a_phone(served, browser_page):
    """Intake of a new household's case, assignment by the centre's rules, mediation,
    follow-up, two re-assessments that lower the tier, closure by a supervisor; then the
    work list, the packet and the household's file, all on a phone-sized screen."""
    import datetime as dt

    base, app = served
    page = browser_page
    key = create_key(app.state.db, "supervisor", ["G-LIFE"], label="browser life test")
    page.goto(base + "/login")
    page.fill("#key", key)
    page.click("form.card button[type=submit]")
    page.wait_for_url(base + "/cases/new")

    # intake: the grid is the supervisor's one grid; the household is new, said so
    assert page.input_value("#f-grid_id") == "G-LIFE"
    page.fill("#f-case_id", "C-LIFE-1")
    page.fill("#f-household_id", "H-LIFE-1")
    page.check("#f-new_household")
    page.fill("#f-opened_at", dt.date.today().isoformat())
    page.select_option("#f-source", "neighbour")
    page.select_option("#f-dispute_type", "marital")
    page.select_option("#f-counterpart", "spouse")
    page.select_option("#f-threat_to_kill", "true")
    page.click("form.card button[type=submit]")
    page.wait_for_url(base + "/cases/C-LIFE-1")
    assert page.locator("#tier").get_attribute("data-tier") == "red"
    assert page.inner_text("#state") == "登记" and page.inner_text("#level") == "村级"
    assert _fits_the_screen(page)

    # assignment: a red case goes to the police liaison (the centre's rules)
    _step(page, base, "C-LIFE-1", "assign", "红色案件，24小时内联系当事人")
    assert page.inner_text("#state") == "分流"
    assert "公安联络员" in page.inner_text("#owner")
    _step(page, base, "C-LIFE-1", "mediate", "村调委会开始调处")
    _step(page, base, "C-LIFE-1", "follow_up", "达成调解协议，转入回访")
    assert page.inner_text("#state") == "回访"

    # closing now is refused: the closure rule wants two lower re-assessments
    page.select_option("#s-action", "close")
    page.fill("#s-reason", "申请结案")
    page.click("#step button[type=submit]")
    assert "连续 2 次回访评估" in page.inner_text("#page-error")
    refusal = "the server responded with a status of 409"
    assert [p for p in page.problems if refusal in p]  # type: ignore[attr-defined]
    page.problems.clear()  # type: ignore[attr-defined]  (the page answered the refusal 409)

    # two follow-ups record what changed; the tier over time shows each change
    for visit in ("回访：男方已搬离，未再威胁", "第二次回访：情况稳定"):
        page.select_option("#reassess #f-threat_to_kill", "false")
        page.select_option("#reassess #f-threats", "false")
        page.fill("#r-note", visit)
        page.click("#reassess button[type=submit]")
        page.wait_for_url(base + "/cases/C-LIFE-1?done=reassess")
    rows = page.locator("#assessments tbody tr")
    assert rows.count() == 3
    assert rows.nth(2).get_attribute("data-tier") != "red"
    assert "扬言杀人" in rows.nth(1).inner_text()  # the reason that went
    assert page.locator("#tier").get_attribute("data-tier") != "red"
    assert _fits_the_screen(page)

    # a supervisor closes it
    _step(page, base, "C-LIFE-1", "close", "两次回访风险降低，结案")
    assert page.inner_text("#state") == "归档"
    assert page.locator("#step").count() == 0 and page.locator("#reassess").count() == 0
    steps = page.inner_text("#steps")
    assert "结案归档" in steps and "两次回访风险降低" in steps

    # the packet: bilingual, the tier history; the household's file: one timeline
    page.goto(base + "/cases/C-LIFE-1/packet")
    assert "案件会商材料 / Case conference packet" in page.inner_text("h1")
    assert page.locator("#packet-history tbody tr").count() == 3
    assert _fits_the_screen(page)
    page.goto(base + "/households/H-LIFE-1")
    kinds = page.eval_on_selector_all("#timeline li", "els => els.map(e => e.dataset.kind)")
    assert {"case", "assessment", "step"} <= set(kinds)
    assert _fits_the_screen(page)
    page.goto(base + "/worklist")
    assert "C-LIFE-1" not in page.inner_text("main")  # closed: off the work list
    assert _fits_the_screen(page)


def test_api_docs_render_offline_under_the_csp(served, browser_page):
    """/docs draws every operation with nothing fetched from outside the service (as on an
    intranet that blocks CDNs), under a CSP that allows no inline script but its own."""
    base, app = served
    page = browser_page
    outside: list[str] = []

    def only_local(route: Any) -> None:
        if route.request.url.startswith(base):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_local)
    response = page.goto(base + "/docs")
    policy = response.headers["content-security-policy"]
    assert (
        "script-src 'self' 'sha256-" in policy
        and "'unsafe-inline'" not in policy.split("script-src")[1]
    )
    page.wait_for_selector("#operations-score-score_unit")
    operations = page.locator(".opblock").count()
    assert operations == len([r for r in app.openapi()["paths"].values() for _ in r])
    assert "风险分级" in page.inner_text(".info .title")
    page.click("#operations-score-score_unit .opblock-summary")
    assert "threat_to_kill" in page.inner_text("#operations-score-score_unit")  # the example
    assert outside == []
    assert page.problems == []  # type: ignore[attr-defined]
