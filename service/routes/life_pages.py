"""Pages of a case's life beyond the case page: my cases, the case conference packet,
the household's file with its visit notes, entering a survey wave, search by id, the
override report, and the Excel downloads. The same domain calls as the API, so roles,
grid limits and audit hold alike; a refusal is shown as a message on the page."""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Any, cast
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel

from risk.schema import CASE, HOUSEHOLD_SURVEY
from service import assessments, cases, household_file, households, xlsx_export
from service.deps import DatabaseDep, ModelsDep, PageCaller, PolicyDep, SignedInForm
from service.errors import ServiceError
from service.override_report import override_report
from service.page_kit import (
    TIER_CODES,
    done_notice,
    form_fields,
    localised,
    page_form,
    page_lang,
    parse_form,
    redirect,
    refused,
    render,
)
from service.schemas import SurveyIn
from service.schemas_life import VisitNoteIn
from service.worklists import work_list

__all__ = ["router"]

router = APIRouter(tags=["pages"], include_in_schema=False)
SURVEY_FIELDS = tuple(HOUSEHOLD_SURVEY)


@router.get("/worklist", response_class=HTMLResponse)
def worklist_page(
    request: Request, who: PageCaller, db: DatabaseDep, policy: PolicyDep
) -> Response:
    if who is None:
        return redirect(request, "/login")
    listed = work_list(db, who, policy)
    return render(request, "worklist.html", who, items=listed["items"], today=listed["today"])


@router.get("/cases/{case_id}/packet", response_class=HTMLResponse)
def packet_page(
    case_id: str,
    request: Request,
    who: PageCaller,
    db: DatabaseDep,
    models: ModelsDep,
    policy: PolicyDep,
) -> Response:
    """The case conference packet (会商材料): one printable page, Chinese and English."""
    if who is None:
        return redirect(request, "/login")
    try:
        case = cases.case_history(db, who, case_id, policy)
        history = assessments.read_assessments(db, who, case_id)
    except ServiceError as exc:
        return refused(request, who, exc)
    model = models.current()
    latest = case["scores"][-1]["result"] if case["scores"] else None
    in_both = {lang: localised(latest, lang, model) for lang in ("zh", "en")} if latest else None
    return render(
        request,
        "packet.html",
        who,
        case=case,
        life=case["life"],
        plan=case["life"]["plan"],
        assessments=history,
        latest=in_both,
        today=dt.date.today().isoformat(),
    )


@router.get("/cases/{case_id}/export.xlsx")
def case_xlsx_page(
    case_id: str, request: Request, who: PageCaller, db: DatabaseDep, policy: PolicyDep
) -> Response:
    if who is None:
        return redirect(request, "/login")
    try:
        return xlsx_export.download(xlsx_export.export_case(db, who, case_id, policy), "case")
    except ServiceError as exc:
        return refused(request, who, exc)


@router.get("/visits/export.xlsx")
def visits_xlsx_page(
    request: Request, who: PageCaller, db: DatabaseDep, grid: str = ""
) -> Response:
    if who is None:
        return redirect(request, "/login")
    try:
        data = xlsx_export.export_visits(db, who, grid.strip() or None, 1000)
    except ServiceError as exc:
        return refused(request, who, exc)
    return xlsx_export.download(data, "visits")


@router.get("/search", response_class=HTMLResponse)
def search_page(request: Request, who: PageCaller, db: DatabaseDep, q: str = "") -> Response:
    if who is None:
        return redirect(request, "/login")
    query = q.strip()[:64]
    found = household_file.search(db, who, query) if query else None
    return render(request, "search.html", who, query=query, found=found)


# --- survey waves -------------------------------------------------------------------------


def _survey_page(request: Request, who: Any, status: int = 200, **context: Any) -> Response:
    context.setdefault("values", {})
    context.setdefault("errors", {})
    return render(
        request,
        "survey.html",
        who,
        status=status,
        here="/households/new",
        fields=form_fields(SURVEY_FIELDS, page_lang(request)),
        may_store=who.may("store"),
        **context,
    )


@router.get("/households/new", response_class=HTMLResponse)
def survey_form(
    request: Request, who: PageCaller, db: DatabaseDep, policy: PolicyDep, household: str = ""
) -> Response:
    """A new survey wave; ``?household=`` starts from that household's latest wave."""
    if who is None:
        return redirect(request, "/login")
    values: dict[str, str] = {}
    if household:
        try:
            waves = household_file.household_file(db, who, household, policy)["waves"]
        except ServiceError as exc:
            return refused(request, who, exc)
        if waves:
            values = {k: _form_value(v) for k, v in waves[-1]["fields"].items()}
            values.pop("survey_date", None)
        values["household_id"] = household
    return _survey_page(request, who, values=values)


def _form_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


@router.post("/households/new", response_class=HTMLResponse)
def survey(
    request: Request, who: PageCaller, form: SignedInForm, db: DatabaseDep, models: ModelsDep
) -> Response:
    if who is None:
        return redirect(request, "/login")
    values, raw = parse_form(form, SURVEY_FIELDS)

    def act() -> str:
        body = SurveyIn.model_validate(values)
        households.add_survey(db, models, who, cast(BaseModel, body).model_dump(exclude_none=True))
        household = quote(body.household_id, safe="")  # type: ignore[attr-defined]
        return f"/households/{household}?done=survey"

    show = partial(_survey_page, request, who, values=raw)
    return page_form(request, form, act, show, refusal_field=lambda _: "grid_id")


# --- the household's file -----------------------------------------------------------------


def _file_page(
    request: Request,
    who: Any,
    db: Any,
    policy: Any,
    household_id: str,
    status: int = 200,
    **context: Any,
) -> Response:
    try:
        body = household_file.household_file(db, who, household_id, policy)
    except ServiceError as exc:
        return refused(request, who, exc)
    return render(
        request,
        "household.html",
        who,
        status=status,
        file=body,
        may_store=who.may("store"),
        here=f"/households/{quote(household_id, safe='')}",
        **{"notice": done_notice(request, ("survey", "visit"), status), **context},
    )


@router.get("/households/{household_id}", response_class=HTMLResponse)
def file_page(
    household_id: str, request: Request, who: PageCaller, db: DatabaseDep, policy: PolicyDep
) -> Response:
    if who is None:
        return redirect(request, "/login")
    return _file_page(request, who, db, policy, household_id)


@router.post("/households/{household_id}/visits", response_class=HTMLResponse)
def visit_note(
    household_id: str,
    request: Request,
    who: PageCaller,
    form: SignedInForm,
    db: DatabaseDep,
    policy: PolicyDep,
) -> Response:
    if who is None:
        return redirect(request, "/login")
    sent = {k: str(form.get(k, "")).strip() for k in ("visited_on", "note", "case_id")}

    def act() -> str:
        body = VisitNoteIn.model_validate({k: v for k, v in sent.items() if v})
        household_file.add_visit_note(
            db, who, household_id, body.visited_on, body.note, body.case_id
        )
        return f"/households/{quote(household_id, safe='')}?done=visit"

    show = partial(_file_page, request, who, db, policy, household_id, sent=sent)
    return page_form(request, form, act, show)


# --- overrides that teach -----------------------------------------------------------------


@router.get("/overrides", response_class=HTMLResponse)
def overrides_page(request: Request, who: PageCaller, db: DatabaseDep) -> Response:
    if who is None:
        return redirect(request, "/login")
    try:
        report = override_report(db, who)
    except ServiceError as exc:
        return refused(request, who, exc)
    return render(
        request,
        "overrides.html",
        who,
        report=report,
        tiers=TIER_CODES,
        outcome_codes=CASE["outcome"].codes,
    )
