"""Server-rendered pages for case workers: log in, case intake and result, override,
history, visit queue, model. Chinese by default (``?lang=en`` or the ``risk_lang`` cookie
switches); every form carries a CSRF token (double submit: cookie and hidden field).

The pages call the same domain functions as the API, so roles, grid limits, audit and
storage behave exactly as they do there; a refusal is shown as a message on the page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import partial
from typing import Any, cast
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel

from risk.i18n import text
from risk.monitor import SUMMARY
from risk.schema import CASE
from risk.schema import Field as ContractField
from service import assessments, cases, lifecycle, monitoring
from service.audit import audit
from service.auth import Caller
from service.centre import tier_policy
from service.db import Database
from service.deps import (
    SESSION_COOKIE,
    CentreDep,
    DatabaseDep,
    ModelsDep,
    PageCaller,
    PolicyDep,
    PostedForm,
    SettingsDep,
    SignedInForm,
    looked_up,
    page_caller,
)
from service.errors import ServiceError
from service.lifecycle import ACTIONS
from service.model_holder import ModelHolder
from service.model_info import read_model
from service.page_kit import (
    TIER_CODES,
    done_notice,
    form_fields,
    page_form,
    page_lang,
    parse_form,
    render,
    static_files,
)
from service.page_kit import csrf_ok as _csrf_ok
from service.page_kit import localised as _localised
from service.page_kit import redirect as _to
from service.page_kit import refused as _refused
from service.page_kit import secure as _secure
from service.schemas import CaseIn, OutcomeIn, OverrideIn
from service.schemas_life import AssessmentIn, TransitionIn
from service.sessions import SESSION_HOURS, end_session, start_session
from service.visits import visit_list

__all__ = ["router", "static_files"]

router = APIRouter(tags=["pages"], include_in_schema=False)

#: The intake form: the contract's case fields a worker enters (outcomes come later).
INTAKE_FIELDS: tuple[ContractField, ...] = tuple(f for f in CASE if not f.training_only)
#: What a follow-up may record as changed: the case's answers after intake.
CHANGE_FIELDS: tuple[ContractField, ...] = tuple(
    f for f in INTAKE_FIELDS if f.model_input and f.name not in ("source", "dispute_type")
)
#: The notices a case page shows after a form of it succeeded (``?done=``).
DONE = ("override", "step", "reassess", "outcome")


def own_grid(who: Caller) -> str:
    """The caller's grid when it has exactly one (a form's default), else nothing."""
    return next(iter(who.grids)) if who.grids is not None and len(who.grids) == 1 else ""


# --- log in and out ---------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
def home(request: Request, who: PageCaller) -> Response:
    return _to(request, "/cases/new" if who else "/login")


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, who: PageCaller) -> Response:
    return render(request, "login.html", who)


@router.post("/login", response_class=HTMLResponse)
def login(request: Request, db: DatabaseDep, form: PostedForm) -> Response:
    if not _csrf_ok(request, form):
        return render(
            request,
            "login.html",
            status=403,
            here="/login",
            error=text("page_csrf_failed", page_lang(request)),
        )
    key = str(form.get("key", "")).strip()
    try:
        found = looked_up(request, key) if key else None
    except ServiceError as exc:  # too many failed keys from this address
        return _refused(request, None, exc, here="/login")
    if found is None:
        return render(
            request,
            "login.html",
            status=401,
            here="/login",
            error=text("page_login_failed", page_lang(request)),
        )
    audit(db, found, "page_login", f"key:{found.key_id}")
    response = _to(request, "/cases/new")
    response.set_cookie(
        SESSION_COOKIE,
        start_session(db, found.key_id),
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        max_age=SESSION_HOURS * 3600,
    )
    return response


@router.post("/logout", response_class=HTMLResponse)
def logout(request: Request, db: DatabaseDep, form: PostedForm) -> Response:
    if not _csrf_ok(request, form):
        return render(
            request,
            "error.html",
            page_caller(request),
            status=403,
            error=text("page_csrf_failed", page_lang(request)),
        )
    end_session(db, request.cookies.get(SESSION_COOKIE))
    response = _to(request, "/login")
    response.delete_cookie(
        SESSION_COOKIE, httponly=True, samesite="strict", secure=_secure(request)
    )
    return response


# --- case intake ------------------------------------------------------------------------


def _intake(request: Request, who: Caller, status: int = 200, **context: Any) -> Response:
    lang = page_lang(request)
    context.setdefault("values", {})
    context.setdefault("errors", {})
    return render(
        request,
        "intake.html",
        who,
        status=status,
        here="/cases/new",
        fields=form_fields(INTAKE_FIELDS, lang),
        may_store=who.may("store"),
        default_grid=own_grid(who),
        **context,
    )


@router.get("/cases/new", response_class=HTMLResponse)
def intake_form(request: Request, who: PageCaller) -> Response:
    if who is None:
        return _to(request, "/login")
    return _intake(request, who)


@router.post("/cases/new", response_class=HTMLResponse)
def intake(
    request: Request,
    who: PageCaller,
    form: SignedInForm,
    db: DatabaseDep,
    models: ModelsDep,
    centre: CentreDep,
) -> Response:
    if who is None:
        return _to(request, "/login")
    values, raw = parse_form(form, INTAKE_FIELDS)
    raw["grid_id"] = str(form.get("grid_id", "")).strip()
    raw["new_household"] = "true" if form.get("new_household") == "true" else ""
    if raw["grid_id"]:
        values["grid_id"] = raw["grid_id"]
    values["new_household"] = raw["new_household"] == "true"

    def act() -> str:
        body = CaseIn.model_validate(values)
        cases.add_case(db, models, who, cast(BaseModel, body).model_dump(exclude_none=True), centre)
        return f"/cases/{quote(body.case_id, safe='')}"  # type: ignore[attr-defined]

    show = partial(_intake, request, who, values=raw)
    return page_form(request, form, act, show, refusal_field=_intake_field)


def _intake_field(exc: ServiceError) -> str:
    """The intake field a refusal is about (the case id, or else the grid)."""
    return exc.values.get("field") or ("case_id" if exc.key == "case_exists" else "grid_id")


# --- a case: result, override, history ---------------------------------------------------


def _case_page(
    request: Request,
    db: Database,
    models: ModelHolder,
    case_id: str,
    who: Caller,
    status: int = 200,
    **context: Any,
) -> Response:
    lang = page_lang(request)
    model = models.current()
    try:
        case = cases.case_history(db, who, case_id, tier_policy(models))
        tier_history = assessments.read_assessments(db, who, case_id)
    except ServiceError as exc:
        return _refused(request, who, exc, here=f"/cases/{quote(case_id, safe='')}")
    scores = [{**s, "result": _localised(s["result"], lang, model)} for s in case["scores"]]
    return render(
        request,
        "case.html",
        who,
        status=status,
        case=case,
        life=case["life"],
        plan=case["life"]["plan"],
        assessments=tier_history,
        scores=scores,
        latest=scores[-1]["result"] if scores else None,
        tiers=TIER_CODES,
        actions=[a for a in ACTIONS if case["life"]["state"] in ACTIONS[a][0]],
        change_fields=form_fields(CHANGE_FIELDS, lang),
        outcomes=[(c.code, c.zh if lang == "zh" else c.en) for c in CASE["outcome"].choices],
        may_store=who.may("store"),
        here=f"/cases/{quote(case_id, safe='')}",
        **{"notice": done_notice(request, DONE, status), **context},
    )


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(
    case_id: str, request: Request, who: PageCaller, db: DatabaseDep, models: ModelsDep
) -> Response:
    if who is None:
        return _to(request, "/login")
    return _case_page(request, db, models, case_id, who)


@router.post("/cases/{case_id}/override", response_class=HTMLResponse)
def override(
    case_id: str,
    request: Request,
    who: PageCaller,
    form: SignedInForm,
    db: DatabaseDep,
    models: ModelsDep,
) -> Response:
    if who is None:
        return _to(request, "/login")
    sent = {"tier": str(form.get("tier", "")), "reason": str(form.get("reason", "")).strip()}

    def act() -> str:
        body = OverrideIn.model_validate(sent)
        cases.override(db, who, case_id, body.tier, body.reason, tier_policy(models))
        return f"/cases/{quote(case_id, safe='')}?done=override"

    show = partial(_case_page, request, db, models, case_id, who, override=sent)
    return page_form(request, form, act, show)


def _case_form(
    request: Request,
    who: Caller,
    form: Any,
    db: Database,
    models: ModelHolder,
    case_id: str,
    done: str,
    act: Callable[[], object],
) -> Response:
    """A case page's form (:func:`~service.page_kit.page_form`): ``act`` validates what was
    sent and calls the domain; a problem is shown on the case page, success reloads it."""
    sent = {k: str(v) for k, v in form.items() if k != "csrf"}

    def run() -> str:
        act()
        return f"/cases/{quote(case_id, safe='')}?done={done}"

    show = partial(_case_page, request, db, models, case_id, who, sent=sent)
    return page_form(request, form, run, show)


def _optional(form: Any, name: str) -> str | None:
    value = str(form.get(name, "")).strip()
    return value or None


@router.post("/cases/{case_id}/step", response_class=HTMLResponse)
def step(
    case_id: str,
    request: Request,
    who: PageCaller,
    form: SignedInForm,
    db: DatabaseDep,
    models: ModelsDep,
    centre: CentreDep,
    policy: PolicyDep,
) -> Response:
    if who is None:
        return _to(request, "/login")

    def act() -> None:
        body = TransitionIn.model_validate(
            {
                "action": str(form.get("action", "")),
                "reason": str(form.get("reason", "")).strip(),
                "owner_key_id": _optional(form, "owner_key_id"),
            }
        )
        lifecycle.take_step(
            db, centre, policy, who, case_id, body.action, body.reason, body.owner_key_id
        )

    return _case_form(request, who, form, db, models, case_id, "step", act)


@router.post("/cases/{case_id}/reassess", response_class=HTMLResponse)
def reassess(
    case_id: str,
    request: Request,
    who: PageCaller,
    form: SignedInForm,
    db: DatabaseDep,
    models: ModelsDep,
) -> Response:
    if who is None:
        return _to(request, "/login")

    def act() -> None:
        changes, _ = parse_form(form, CHANGE_FIELDS)
        body = AssessmentIn.model_validate(
            {
                "changes": changes,
                "note": str(form.get("note", "")).strip(),
                "as_of": _optional(form, "as_of"),
            }
        )
        sent = cast(BaseModel, body.changes).model_dump(exclude_none=True)
        assessments.reassess(db, models, who, case_id, sent, body.note, body.as_of)

    return _case_form(request, who, form, db, models, case_id, "reassess", act)


@router.post("/cases/{case_id}/outcome", response_class=HTMLResponse)
def outcome(
    case_id: str,
    request: Request,
    who: PageCaller,
    form: SignedInForm,
    db: DatabaseDep,
    models: ModelsDep,
) -> Response:
    if who is None:
        return _to(request, "/login")

    def act() -> None:
        body = OutcomeIn.model_validate(
            {"outcome": str(form.get("outcome", "")), "outcome_at": _optional(form, "outcome_at")}
        )
        cases.add_outcome(db, who, case_id, body.outcome, body.outcome_at)

    return _case_form(request, who, form, db, models, case_id, "outcome", act)


# --- visit queue and model ---------------------------------------------------------------


@router.get("/visits", response_class=HTMLResponse)
def visits_page(
    request: Request, who: PageCaller, db: DatabaseDep, grid: str = "", capacity: str = "20"
) -> Response:
    if who is None:
        return _to(request, "/login")
    lang = page_lang(request)
    errors: dict[str, str] = {}
    grid = grid.strip()
    if len(grid) > 64:
        errors["grid"] = text("api_too_long", lang, limit=64)
    try:
        size = int(capacity)
        if not 1 <= size <= 1000:
            errors["capacity"] = text(
                "api_too_small" if size < 1 else "api_too_large",
                lang,
                limit=1 if size < 1 else 1000,
            )
    except ValueError:
        size = 20
        errors["capacity"] = text("api_not_int", lang)
    form = {"grid": grid, "capacity": capacity}
    if errors:
        return render(request, "visits.html", who, status=422, form=form, errors=errors, items=None)
    try:
        items = visit_list(db, who, grid or None, size)
    except ServiceError as exc:
        errors = {"grid": text(exc.key, lang, **exc.values)}
        return render(
            request, "visits.html", who, status=exc.status, form=form, errors=errors, items=None
        )
    for item in items:
        item["reasons"] = [
            {"label": r[f"label_{lang}"], "value": r[f"value_{lang}"], "direction": r["direction"]}
            for r in item["reasons"]
        ]
        item["flags"] = [f[lang] for f in item["flags"]]
    return render(request, "visits.html", who, form=form, errors={}, items=items, size=size)


@router.get("/model", response_class=HTMLResponse)
def model_page(request: Request, who: PageCaller, db: DatabaseDep, models: ModelsDep) -> Response:
    if who is None:
        return _to(request, "/login")
    model = models.current()
    if model is None:
        return _refused(request, who, ServiceError(503, "model_unavailable"))
    info = read_model(db, who, model)
    flags = {f.code: f for f in model.policy.red_flags}
    lang = page_lang(request)
    names = [
        (getattr(flags[code], lang) if code in flags else code, flags[code].tier)
        for code in info["red_flags"]
        if code in flags
    ]
    return render(request, "model.html", who, info=info, flags=names)


@router.get("/monitor", response_class=HTMLResponse)
def monitor_page(
    request: Request,
    who: PageCaller,
    db: DatabaseDep,
    models: ModelsDep,
    settings: SettingsDep,
    since: str | None = None,
) -> Response:
    if who is None:
        return _to(request, "/login")
    lang = page_lang(request)
    try:
        day = _page_day(since)
        most = settings.monitor_live_scores
        report = monitoring.monitor_service(db, models.uri, who, day, most)
    except ServiceError as exc:
        if exc.key not in ("monitor_too_large", "not_date"):
            return _refused(request, who, exc)
        # the page again, the problem (base.html) above its date field: a later day is a step away
        problem = text(exc.key, lang, **exc.values)
        return render(request, "monitor.html", who, exc.status, error=problem, alerts=[],
                      has_alerts=False, rows=[], drift=[], figures=SUMMARY,
                      since=since or "")  # fmt: skip
    rows = report.figures[report.figures["month"] == "all"] if len(report.figures) else None
    return render(
        request,
        "monitor.html",
        who,
        alerts=report.alert_lines(lang),
        has_alerts=not report.alerts.empty,
        rows=[] if rows is None else rows.to_dict("records"),
        figures=SUMMARY,
        drift=[] if report.drift is None else report.drift.findings(lang),
        since="" if day is None else day.isoformat(),
    )


def _page_day(value: str | None) -> dt.date | None:
    """The page's ``since`` (empty: from the first record); one that is no day is a 422."""
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise ServiceError(422, "not_date", value=value[:20]) from exc
