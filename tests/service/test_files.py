"""The household's file, search, visit notes, the Excel exports, the override report and
the pages around them, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import re

import openpyxl
from service.conftest import auth, page_login, stored_household, unique
from sqlalchemy import update
from utils.builders import survey_answers

from risk.i18n import text
from service.tables import Case, Score

SURVEY = survey_answers(phq9=12)
CASE = {
    "opened_at": "2024-04-01",
    "source": "grid_worker",
    "dispute_type": "marital",
    "counterpart": "spouse",
    "threat_to_kill": True,
    "notes": '=HYPERLINK("http://example.invalid")',
}


def _household_with_case(client, key, grid="G-A"):
    household = stored_household(client, key, SURVEY, grid)
    case_id = unique("C")
    body = {**CASE, "case_id": case_id, "household_id": household}
    assert client.post("/v1/cases", json=body, headers=auth(key)).status_code == 201
    return household, case_id


def test_the_household_file_shows_everything_on_one_timeline(client, keys):
    worker = auth(keys["caseworker"])
    household, case_id = _household_with_case(client, keys["caseworker"])
    sent = {"visited_on": "2024-04-03", "note": "入户走访，双方情绪平稳", "case_id": case_id}
    visit = client.post(f"/v1/households/{household}/visits", json=sent, headers=worker)
    assert visit.status_code == 201, visit.text
    client.post(
        f"/v1/cases/{case_id}/outcome",
        json={"outcome": "resolved", "outcome_at": "2024-05-01"},
        headers=worker,
    )
    body = client.get(f"/v1/households/{household}/file", headers=worker).json()
    assert body["grid_id"] == "G-A" and len(body["waves"]) == 1
    assert body["cases"][0]["case_id"] == case_id and body["cases"][0]["tier"] == "red"
    kinds = [e["kind"] for e in body["timeline"]]
    assert {"survey", "screening", "case", "assessment", "step", "visit", "outcome"} <= set(kinds)
    days = [e["at"][:10] for e in body["timeline"]]
    assert days == sorted(days)
    other = client.get(f"/v1/households/{household}/file", headers=auth(keys["grid_a"]))
    assert other.status_code == 200
    missing = client.get(f"/v1/households/{unique('H')}/file", headers=worker)
    assert missing.status_code == 404


def test_another_grids_household_answers_as_missing(client, keys):
    household, _ = _household_with_case(client, keys["caseworker"], grid="G-B")
    limited = auth(keys["grid_a"])
    assert client.get(f"/v1/households/{household}/file", headers=limited).status_code == 404
    sent = {"visited_on": "2024-04-03", "note": "越权尝试"}
    refused = client.post(f"/v1/households/{household}/visits", json=sent, headers=limited)
    assert refused.status_code == 404
    found = client.get("/v1/search", params={"q": household}, headers=limited).json()
    assert found["found"] == []


def test_search_finds_households_and_cases_by_id_or_prefix(client, keys):
    household, case_id = _household_with_case(client, keys["caseworker"])
    worker = auth(keys["caseworker"])
    by_case = client.get("/v1/search", params={"q": case_id}, headers=worker).json()["found"]
    assert {"kind": "case", "id": case_id, "household_id": household, "grid_id": "G-A"} in by_case
    by_prefix = client.get("/v1/search", params={"q": household[:8]}, headers=worker).json()
    assert any(f["kind"] == "household" and f["id"] == household for f in by_prefix["found"])


def test_a_case_stored_without_a_grid_takes_its_households_first_survey_grid(client, keys):
    worker = keys["caseworker"]
    household = unique("H")
    case_id = unique("C")
    body = {**CASE, "case_id": case_id, "household_id": household}
    made = client.post(
        "/v1/cases", json={**body, "grid_id": "G-A", "new_household": True}, headers=auth(worker)
    )
    assert made.status_code == 201
    db = client.app.state.db  # type: ignore[attr-defined]
    with db.session() as session:  # as the intake stored it before it took a grid
        for table in (Case, Score):
            session.execute(
                update(table).where(table.household_id == household).values(grid_id=None)
            )
    assert client.get(f"/v1/cases/{case_id}", headers=auth(keys["grid_a"])).status_code == 404
    survey = {**SURVEY, "household_id": household, "grid_id": "G-A"}
    assert client.post("/v1/households", json=survey, headers=auth(worker)).status_code == 201
    seen = client.get(f"/v1/cases/{case_id}", headers=auth(keys["grid_a"]))
    assert seen.status_code == 200 and seen.json()["grid_id"] == "G-A"


def test_the_visit_list_and_a_case_export_as_safe_workbooks(client, keys):
    household, case_id = _household_with_case(client, keys["caseworker"])
    worker = auth(keys["caseworker"])
    response = client.get(f"/v1/cases/{case_id}/export.xlsx", headers=worker)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert len(book.sheetnames) == 4
    cells = [c for row in book.worksheets[0].iter_rows(values_only=True) for c in row]
    assert '\'=HYPERLINK("http://example.invalid")' in cells  # shown, never run
    assert case_id in cells
    visits = client.get("/v1/visits/export.xlsx", params={"grid": "G-A"}, headers=worker)
    sheet = openpyxl.load_workbook(io.BytesIO(visits.content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "户编号 / household"
    assert any(r[0] == household for r in rows[1:])
    out = client.get("/v1/visits/export.xlsx", params={"grid": "G-B"}, headers=auth(keys["grid_a"]))
    assert out.status_code == 403


def test_the_override_report_is_for_supervisors_and_counts_by_group(client, keys):
    _, case_id = _household_with_case(client, keys["caseworker"])
    sent = {"tier": "yellow", "reason": "已达成调解协议"}
    boss = auth(keys["supervisor"])
    assert client.post(f"/v1/cases/{case_id}/override", json=sent, headers=boss).status_code == 201
    assert client.get("/v1/overrides/report", headers=auth(keys["caseworker"])).status_code == 403
    report = client.get("/v1/overrides/report", headers=boss).json()
    assert report["overridden"] >= 1 and 0 < report["rate"] <= 1
    red = next(r for r in report["by_tier"] if r["group"] == "red")
    assert red["lowered"] >= 1 and red["rate"] == red["overridden"] / red["cases"]
    assert any(r["group"] == "caseworker" for r in report["by_role"])
    assert any(o["overrides"] >= 1 for o in report["overrides_by_worker"])


def test_the_pages_show_the_file_worklist_packet_and_report(page, client, keys):
    household, case_id = _household_with_case(client, keys["caseworker"])
    page_login(page, keys["supervisor"])
    file_html = page.get(f"/households/{household}").text
    assert household in file_html and case_id in file_html and 'data-kind="survey"' in file_html
    token = page.cookies["risk_csrf"]
    noted = page.post(
        f"/households/{household}/visits",
        data={"visited_on": "2024-04-05", "note": "电话回访", "csrf": token},
    )
    assert noted.status_code == 303
    assert "电话回访" in page.get(noted.headers["location"]).text
    bad = page.post(f"/households/{household}/visits", data={"note": "x", "csrf": token})
    assert bad.status_code == 422 and text("page_form_invalid", "zh") in bad.text
    packet = page.get(f"/cases/{case_id}/packet").text
    assert "案件会商材料 / Case conference packet" in packet
    assert "扬言杀人 / threat to kill" in packet and 'id="packet-history"' in packet
    worklist = page.get("/worklist")
    assert worklist.status_code == 200 and case_id in worklist.text  # missed red follow-up
    report = page.get("/overrides")
    assert report.status_code == 200 and 'id="by-tier"' in report.text
    found = page.get("/search", params={"q": case_id}).text
    assert f'href="/cases/{case_id}"' in found
    recorded = page.post(
        f"/cases/{case_id}/outcome",
        data={"outcome": "resolved", "outcome_at": "2024-05-02", "csrf": token},
    )
    assert recorded.status_code == 303 and recorded.headers["location"].endswith("?done=outcome")
    shown = page.get(recorded.headers["location"]).text
    assert text("page_outcome_done", "zh") in shown and 'id="history-outcomes"' in shown
    early = page.post(
        f"/cases/{case_id}/outcome",
        data={"outcome": "resolved", "outcome_at": "2024-01-01", "csrf": token},
    )
    assert early.status_code == 422
    xlsx = page.get(f"/cases/{case_id}/export.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


def test_a_survey_wave_is_entered_and_updated_in_the_pages(page, client, keys):
    page_login(page, keys["caseworker"])
    household = unique("H")
    form = {
        "household_id": household,
        "survey_date": "2024-03-05",
        "grid_id": "G-A",
        "area": "rural",
        "household_size": "3",
        "children": "0",
        "elderly": "1",
        "phq9": "21",
    }
    page.get("/households/new")
    stored = page.post("/households/new", data={**form, "csrf": page.cookies["risk_csrf"]})
    assert stored.status_code == 303, stored.text
    assert stored.headers["location"] == f"/households/{household}?done=survey"
    again = page.get(f"/households/new?household={household}").text
    assert re.search(r'id="f-phq9"[^>]*value="21"', again)  # starts from the latest wave
    moved = page.post(
        "/households/new", data={**form, "grid_id": "G-B", "csrf": page.cookies["risk_csrf"]}
    )
    assert moved.status_code == 409 and text("household_other_grid", "zh") in moved.text
    wrong = page.post(
        "/households/new", data={**form, "phq9": "99", "csrf": page.cookies["risk_csrf"]}
    )
    assert wrong.status_code == 422 and 'id="e-phq9"' in wrong.text
    waves = client.get(f"/v1/households/{household}/file", headers=auth(keys["caseworker"]))
    assert len(waves.json()["waves"]) == 1
