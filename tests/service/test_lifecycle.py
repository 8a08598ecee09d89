"""A case's life through the API, on SQLite and PostgreSQL: intake registers it, each step
is allowed only from its states (409 otherwise), assignment follows the centre's rules,
escalation climbs the levels, re-assessments are kept and closing needs the closure rule;
the tier after an override sets the plan; overdue follow-ups are marked and a missed red
one goes to the supervisor; a new model re-scores the open cases."""

from __future__ import annotations

import datetime as dt
import time

from service.conftest import auth, stored_household, unique
from sqlalchemy import select, update

from service.auth import authenticate
from service.tables import AuditEvent, Score

SURVEY = {
    "survey_date": "2024-03-05",
    "area": "urban",
    "household_size": 3,
    "children": 0,
    "elderly": 0,
}
#: Red only by its red flag (a threat to kill); without it, not red.
RED_BY_FLAG = {
    "opened_at": dt.date.today().isoformat(),
    "source": "neighbour",
    "dispute_type": "marital",
    "counterpart": "spouse",
    "threat_to_kill": True,
}


def _case(client, key, household=None, **fields):
    case_id = unique("C")
    body = {**RED_BY_FLAG, "case_id": case_id, **fields}
    if household is None:
        body = {"household_id": unique("H"), "grid_id": "G-A", "new_household": True, **body}
    else:
        body["household_id"] = household
    response = client.post("/v1/cases", json=body, headers=auth(key))
    assert response.status_code == 201, response.text
    return case_id


def _step(client, key, case_id, action, **extra):
    body = {"action": action, "reason": f"测试：{action}", **extra}
    return client.post(f"/v1/cases/{case_id}/transitions", json=body, headers=auth(key))


def _life(client, key, case_id):
    response = client.get(f"/v1/cases/{case_id}", headers=auth(key))
    assert response.status_code == 200, response.text
    return response.json()["life"]


def _reassess(client, key, case_id, **changes):
    body = {"changes": changes, "note": "回访：双方情绪平稳"}
    return client.post(f"/v1/cases/{case_id}/reassess", json=body, headers=auth(key))


def test_intake_registers_the_case_at_the_first_level(client, keys):
    case_id = _case(client, keys["caseworker"])
    life = _life(client, keys["caseworker"], case_id)
    assert life["state"] == "registered" and life["level"] == "village"
    assert life["owner_kind"] is None and len(life["steps"]) == 1
    due = dt.date.fromisoformat(life["state_due"])
    assert due == dt.date.today() + dt.timedelta(days=1)  # red: assigned within a day


def test_an_unknown_household_is_created_only_when_the_intake_says_so(client, keys):
    worker = auth(keys["caseworker"])
    body = {**RED_BY_FLAG, "case_id": unique("C"), "household_id": unique("H")}
    silent = client.post("/v1/cases", json=body, headers=worker)
    assert silent.status_code == 409
    assert silent.json()["detail"][0]["field"] == "household_id"
    no_grid = client.post("/v1/cases", json={**body, "new_household": True}, headers=worker)
    assert no_grid.status_code == 409 and no_grid.json()["detail"][0]["field"] == "grid_id"
    made = client.post(
        "/v1/cases", json={**body, "new_household": True, "grid_id": "G-A"}, headers=worker
    )
    assert made.status_code == 201 and made.json()["grid_id"] == "G-A"


def test_a_case_takes_its_households_grid_and_refuses_another(client, keys):
    household = stored_household(client, keys["caseworker"], SURVEY, "G-A")
    case_id = _case(client, keys["caseworker"], household)
    assert client.get(f"/v1/cases/{case_id}", headers=auth(keys["grid_a"])).status_code == 200
    body = {**RED_BY_FLAG, "case_id": unique("C"), "household_id": household, "grid_id": "G-B"}
    other = client.post("/v1/cases", json=body, headers=auth(keys["caseworker"]))
    assert other.status_code == 409 and other.json()["error"] == "household_other_grid"


def test_assignment_follows_the_centres_rules_and_is_audited(client, keys):
    red = _case(client, keys["caseworker"])
    response = _step(client, keys["caseworker"], red, "assign")
    assert response.status_code == 201, response.text
    life = response.json()
    assert life["state"] == "assigned" and life["owner_kind"] == "police_liaison"
    assert life["steps"][-1]["reason"] == "测试：assign"
    green = _case(
        client,
        keys["caseworker"],
        threat_to_kill=False,
        dispute_type="land_boundary",
        counterpart="neighbour",
    )
    if _life(client, keys["caseworker"], green)["plan"]["tier"] == "green":
        assigned = _step(client, keys["caseworker"], green, "assign").json()
        assert assigned["owner_kind"] == "mediation_committee"
    db = client.app.state.db  # type: ignore[attr-defined]
    with db.session() as session:
        actions = set(
            session.scalars(
                select(AuditEvent.action).where(AuditEvent.resource.like(f"case:{red} %"))
            )
        )
    assert "case_assign" in actions


def test_a_step_its_state_does_not_allow_is_409_naming_both(client, keys):
    case_id = _case(client, keys["caseworker"])
    for action in ("mediate", "follow_up", "resume", "close"):
        response = _step(client, keys["caseworker"], case_id, action)
        assert response.status_code == 409, action
        body = response.json()
        assert body["error"] == "illegal_transition"
        assert "登记" in body["message_zh"] and "registered" in body["message_en"]
    assert _life(client, keys["caseworker"], case_id)["state"] == "registered"


def test_escalation_climbs_village_township_county_then_stops(client, keys):
    case_id = _case(client, keys["caseworker"])
    _step(client, keys["caseworker"], case_id, "assign")
    levels = [_step(client, keys["caseworker"], case_id, "escalate").json()["level"] for _ in "ab"]
    assert levels == ["township", "county"]
    top = _step(client, keys["caseworker"], case_id, "escalate")
    assert top.status_code == 409 and top.json()["error"] == "top_level"


def test_the_owner_must_be_a_key_that_sees_the_case(client, keys):
    case_id = _case(client, keys["caseworker"])
    unknown = _step(client, keys["caseworker"], case_id, "assign", owner_key_id=999_999)
    assert unknown.status_code == 409
    assert unknown.json()["detail"][0]["field"] == "owner_key_id"
    late = _step(client, keys["caseworker"], case_id, "escalate", owner_key_id=1)
    assert late.status_code == 409  # registered: escalating comes after assignment


def test_other_grids_cases_answer_as_missing(client, keys):
    case_id = _case(client, keys["caseworker"], grid_id="G-B")
    response = _step(client, keys["grid_a"], case_id, "assign")
    assert response.status_code == 404


def test_a_red_case_closes_after_two_lower_reassessments_by_a_supervisor(client, keys):
    worker, boss = keys["caseworker"], keys["supervisor"]
    case_id = _case(client, worker)
    for action in ("assign", "mediate", "follow_up"):
        assert _step(client, worker, case_id, action).status_code == 201, action
    early = _step(client, boss, case_id, "close")
    assert early.status_code == 409 and early.json()["error"] == "closure_rule"
    tiers = []
    for _ in range(2):
        response = _reassess(client, worker, case_id, threat_to_kill=False, threats=False)
        assert response.status_code == 201, response.text
        tiers.append(response.json()["score"]["tier"])
    assert "red" not in tiers
    by_worker = _step(client, worker, case_id, "close")
    assert by_worker.status_code == 403
    assert by_worker.json()["error"] == "close_red_needs_supervisor"
    closed = _step(client, boss, case_id, "close")
    assert closed.status_code == 201 and closed.json()["state"] == "closed"
    visits = client.get("/v1/visits", params={"capacity": 1000}, headers=auth(boss)).json()
    assert all(v["case_id"] != case_id for v in visits["visits"])  # done: off the list
    assert _reassess(client, worker, case_id).json()["error"] == "case_closed"
    assert _step(client, boss, case_id, "assign").status_code == 409


def test_every_assessment_is_kept_with_the_reasons_that_changed(client, keys):
    worker = keys["caseworker"]
    case_id = _case(client, worker, threat_to_kill=False)
    _step(client, worker, case_id, "assign")
    response = _reassess(
        client, worker, case_id, threat_to_kill=True, physical_violence=True, victim_fear="high"
    )
    assert response.status_code == 201 and response.json()["score"]["tier"] == "red"
    history = client.get(f"/v1/cases/{case_id}/assessments", headers=auth(worker)).json()
    kinds = [a["kind"] for a in history["assessments"]]
    assert kinds == ["intake", "follow_up"]
    latest = history["assessments"][-1]
    assert latest["tier"] == "red" and latest["changes"]["threat_to_kill"] is True
    moved = latest["reasons_changed"]
    assert moved["added"] or moved["changed"] or moved["removed"]
    assert history["assessments"][0]["reasons_changed"] is None


def test_a_reassessment_before_the_case_opened_is_refused(client, keys):
    case_id = _case(client, keys["caseworker"], opened_at="2024-04-01")
    body = {"changes": {}, "as_of": "2024-03-01"}
    response = client.post(
        f"/v1/cases/{case_id}/reassess", json=body, headers=auth(keys["caseworker"])
    )
    assert response.status_code == 422 and response.json()["detail"][0]["field"] == "as_of"


def test_the_tier_after_an_override_sets_the_actions_and_follow_up(client, keys):
    case_id = _case(client, keys["caseworker"])
    sent = {"tier": "green", "reason": "当事人已搬离，威胁解除"}
    response = client.post(
        f"/v1/cases/{case_id}/override", json=sent, headers=auth(keys["supervisor"])
    )
    assert response.status_code == 201
    plan = _life(client, keys["caseworker"], case_id)["plan"]
    assert plan["tier"] == "green" and plan["set_by"] == "override"
    assert plan["follow_up_days"] == 90
    assert plan["follow_up_date"] == (dt.date.today() + dt.timedelta(days=90)).isoformat()
    assert "90天内回访" in plan["actions_zh"] and "7天内回访" not in plan["actions_zh"]


def test_a_past_follow_up_is_overdue_and_a_red_one_goes_to_the_supervisor(client, keys):
    worker = keys["caseworker"]
    case_id = _case(client, worker, opened_at="2024-04-01")
    _step(client, worker, case_id, "assign")
    life = _life(client, worker, case_id)
    assert life["plan"]["follow_up_date"] == "2024-04-08"
    assert life["overdue"] and life["follow_up_overdue"] and life["escalated"]
    mine = client.get("/v1/worklist", headers=auth(worker)).json()["items"]
    item = next(i for i in mine if i["case_id"] == case_id)
    assert item["mine"] and item["overdue"] and item["escalated"]
    boss = client.get("/v1/worklist", headers=auth(keys["supervisor"])).json()["items"]
    assert any(i["case_id"] == case_id and not i["mine"] for i in boss)
    other = client.get("/v1/worklist", headers=auth(keys["psychologist"])).json()["items"]
    assert all(i["case_id"] != case_id for i in other)


def test_a_new_champion_rescores_open_cases_and_a_rise_goes_first(client, keys):
    worker = keys["caseworker"]
    case_id = _case(client, worker)
    _step(client, worker, case_id, "assign")
    db = client.app.state.db  # type: ignore[attr-defined]
    with db.session() as session:  # as if an older model had scored it green
        session.execute(
            update(Score).where(Score.case_id == case_id).values(model_version="0", tier="green")
        )
    assert client.post("/v1/admin/reload", headers=auth(keys["admin"])).status_code == 200
    deadline = time.monotonic() + 60
    kinds: list[str] = []
    while time.monotonic() < deadline:
        history = client.get(f"/v1/cases/{case_id}/assessments", headers=auth(worker)).json()
        kinds = [a["kind"] for a in history["assessments"]]
        if "model" in kinds:
            break
        time.sleep(0.2)
    assert kinds == ["intake", "model"]
    latest = history["assessments"][-1]
    assert latest["tier_before"] == "green" and latest["tier"] == "red"
    items = client.get("/v1/worklist", headers=auth(worker)).json()["items"]
    assert items[0]["case_id"] == case_id and items[0]["tier_rose"]


def test_a_work_list_holds_the_cases_its_owner_holds_now(client, keys):
    worker, other = keys["caseworker"], keys["grid_a"]
    other_id = authenticate(client.app.state.db, other).key_id  # type: ignore[attr-defined, union-attr]
    moved = _case(client, worker, opened_at="2024-04-01")  # red, its follow-up long missed
    kept = _case(client, worker, opened_at="2024-04-01")
    for case_id in (moved, kept):
        assert _step(client, worker, case_id, "assign").status_code == 201
    assert _step(client, worker, moved, "assign", owner_key_id=other_id).status_code == 201

    def listed(key):
        return [i["case_id"] for i in client.get("/v1/worklist", headers=auth(key)).json()["items"]]

    assert kept in listed(worker) and moved not in listed(worker)  # escalated, but not its own
    assert moved in listed(other) and kept not in listed(other)
    assert {moved, kept} <= set(listed(keys["supervisor"]))  # both escalated in its grids
