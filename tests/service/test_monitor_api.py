"""GET /v1/monitor and the /monitor page: who may see them, what they hold, the gauges."""

from __future__ import annotations

from conftest import auth, page_login, stored_household
from sqlalchemy import select
from utils.builders import survey_answers

from service.tables import AuditEvent

SURVEY = survey_answers()


def test_monitor_answers_data_scientists_and_refuses_case_workers(client, keys):
    assert client.get("/v1/monitor", headers=auth(keys["caseworker"])).status_code == 403
    response = client.get("/v1/monitor", headers=auth(keys["datascientist"]))
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"generated", "alerts", "rows", "drift_zh", "drift_en"}
    for alert in body["alerts"]:
        assert alert["message_zh"] and alert["message_en"]
    metrics = client.get("/metrics", headers=auth(keys["admin"])).text
    if body["rows"]:
        assert 'risk_monitor_figure{decision="' in metrics


def test_monitor_takes_a_start_date_and_refuses_a_bad_one(client, keys):
    ok = client.get("/v1/monitor?since=2030-01-01", headers=auth(keys["supervisor"]))
    assert ok.status_code == 200 and ok.json()["rows"] == []
    bad = client.get("/v1/monitor?since=not-a-date", headers=auth(keys["supervisor"]))
    assert bad.status_code == 422


def test_monitor_page_in_chinese_and_english(page, keys):
    page.get("/login")
    token = page.cookies.get("risk_csrf")
    assert (
        page.post("/login", data={"key": keys["datascientist"], "csrf": token}).status_code == 303
    )
    zh = page.get("/monitor")
    assert zh.status_code == 200 and "模型运行监测" in zh.text
    en = page.get("/monitor?lang=en")
    assert "Model monitoring" in en.text


def test_the_monitor_reads_only_the_period_asked_and_figures_as_over_everything(
    client, keys, tmp_path
):
    """From a start date the monitor reads the scores, waves and cases dated from it, and
    its figures are those of the monitor over every record cut at that date."""
    import pandas as pd
    from utils.feed import feed, feed_outcomes

    from risk.dataset import load_ledger
    from risk.monitor import watch
    from risk.synth import generate_to_dir
    from service.auth import authenticate
    from service.monitoring import recorded

    generate_to_dir(tmp_path / "a", households=300, years=2, seed=5, progress=False)
    ledger = load_ledger(tmp_path / "a")
    app, db = client.app, client.app.state.db  # type: ignore[attr-defined]
    operator = authenticate(db, keys["admin"])
    first, last = ledger.cases["opened_at"].min(), ledger.cases["opened_at"].max()
    feed(app, operator, ledger, first, last)
    feed_outcomes(app, operator, ledger, first, last)
    day = (first + (last - first) / 2).date()

    scores, stored = recorded(db, operator, day)
    everything = recorded(db, operator)
    assert len(scores) and (pd.to_datetime(scores["as_of"]) >= pd.Timestamp(day)).all()
    assert len(scores) < len(everything[0])
    assert (stored.households["survey_date"] >= pd.Timestamp(day)).all()
    assert (stored.cases["opened_at"] >= pd.Timestamp(day)).all()
    cut = watch(scores, stored, None, first=day, fairness=False).figures
    whole = watch(*everything, None, first=day, fairness=False).figures
    assert len(cut) and cut.equals(whole)


def test_a_period_too_large_to_compute_on_request_is_refused_with_the_command(client, page, keys):
    """More scores than the service computes a report over on request: a 409 (and the
    page says so) naming ``risk monitor``, audited; a later start day that holds fewer
    is computed."""
    settings = client.app.state.settings  # type: ignore[attr-defined]
    stored_household(client, keys["caseworker"], SURVEY, "G-A")  # one score at least
    before, settings.monitor_live_scores = settings.monitor_live_scores, 0
    try:
        refused = client.get("/v1/monitor", headers=auth(keys["datascientist"]))
        assert refused.status_code == 409, refused.text
        body = refused.json()
        assert body["error"] == "monitor_too_large" and "risk monitor" in body["message_en"]
        assert "离线计算" in body["message_zh"]
        later = client.get("/v1/monitor?since=2030-01-01", headers=auth(keys["datascientist"]))
        assert later.status_code == 200 and later.json()["rows"] == []
        page_login(page, keys["datascientist"])
        shown = page.get("/monitor")
        assert shown.status_code == 409 and "risk monitor" in shown.text
        assert page.get("/monitor?since=2030-01-01").status_code == 200
        assert page.get("/monitor?since=not-a-day").status_code == 422
    finally:
        settings.monitor_live_scores = before
    with client.app.state.db.session() as session:  # type: ignore[attr-defined]
        statuses = session.scalars(
            select(AuditEvent.status).where(AuditEvent.action == "monitor_read")
        ).all()
    assert 409 in statuses
