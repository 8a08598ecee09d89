"""Server-rendered pages for case workers: log in, case intake and result, override,
history, visit queue, model. Chinese by default (``?lang=en`` or the ``risk_lang`` cookie
switches); every form carries a CSRF token (double submit: cookie and hidden field).

The pages call the same domain functions as the API, so roles, grid limits, audit and
storage behave exactly as they do there; a refusal is shown as a message on the page.
"""

from __future__ import annotations

import hmac
import secrets
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, ValidationError

from risk.i18n import LANGS, Lang, text
from risk.models.triage import TriageModel
from risk.monitor import SUMMARY
from risk.schema import CASE, TIERS
from risk.schema import Field as ContractField
from service import cases, monitoring
from service.audit import audit
from service.auth import Caller
from service.db import Database
from service.deps import (
    SESSION_COOKIE,
    DatabaseDep,
    ModelsDep,
    PageCaller,
    PostedForm,
    SignedInForm,
    looked_up,
    page_caller,
)
from service.errors import ServiceError, field_problem
from service.model_holder import ModelHolder
from service.model_info import read_model
from service.schemas import CaseIn, OverrideIn
from service.sessions import SESSION_HOURS, end_session, start_session
from service.visits import visit_list

__all__ = ["router", "static_files"]

HERE = Path(__file__).resolve().parent.parent
templates = Jinja2Templates(directory=HERE / "templates")
router = APIRouter(tags=["pages"], include_in_schema=False)

CSRF_COOKIE, LANG_COOKIE = "risk_csrf", "risk_lang"
#: The intake form: the contract's case fields a worker enters (outcomes come later).
INTAKE_FIELDS: tuple[ContractField, ...] = tuple(f for f in CASE if not f.training_only)
TIER_CODES = tuple(c.code for c in TIERS)


def static_files() -> StaticFiles:
    """The pages' stylesheet, mounted at ``/static``."""
    return StaticFiles(directory=HERE / "static")


# --- language, CSRF, login -------------------------------------------------------------


def page_lang(request: Request) -> Lang:
    """``?lang=`` first, then the cookie, then Chinese."""
    for value in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        if value in LANGS:
            return cast(Lang, value)
    return "zh"


def _csrf_token(request: Request) -> str:
    token = request.cookies.get(CSRF_COOKIE)
    if not token or len(token) < 32:
        token = getattr(request.state, "new_csrf", None) or secrets.token_urlsafe(32)
        request.state.new_csrf = token
    return token


def _csrf_ok(request: Request, form: Any) -> bool:
    cookie, sent = request.cookies.get(CSRF_COOKIE, ""), form.get("csrf", "")
    if not cookie or not isinstance(sent, str) or not sent:
        return False
    return hmac.compare_digest(cookie.encode(), sent.encode())


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _finish(request: Request, response: Response) -> Response:
    """Set the CSRF cookie when this request made one, and the language cookie on a switch."""
    new = getattr(request.state, "new_csrf", None)
    if new:
        response.set_cookie(
            CSRF_COOKIE, new, httponly=True, samesite="strict", secure=_secure(request)
        )
    chosen = request.query_params.get("lang")
    if chosen in LANGS:
        response.set_cookie(
            LANG_COOKIE,
            chosen,
            max_age=365 * 86400,
            samesite="strict",
            secure=_secure(request),
        )
    return response


def render(
    request: Request,
    name: str,
    who: Caller | None = None,
    status: int = 200,
    here: str | None = None,
    **context: Any,
) -> Response:
    """A page in the request's language. ``here`` is the page to reload in the other
    language when this one answers a form (a POST address cannot be reloaded by a link)."""
    lang = page_lang(request)

    def t(key: str, **values: Any) -> str:
        return text(key, lang, **values)

    def tier_label(code: str | None) -> str:
        if code is None:
            return ""
        choice = TIERS[TIER_CODES.index(code)]
        return choice.zh if lang == "zh" else choice.en

    def outcome_label(code: str) -> str:
        choice = CASE["outcome"].choice(code)
        return choice.zh if lang == "zh" else choice.en

    other = "en" if lang == "zh" else "zh"
    if request.method == "GET":
        switch = request.url.include_query_params(lang=other)
        switch_url = f"{switch.path}?{switch.query}"
    else:
        switch_url = f"{here or '/'}?lang={other}"
    response = templates.TemplateResponse(
        request,
        name,
        {
            "lang": lang,
            "t": t,
            "tier_label": tier_label,
            "outcome_label": outcome_label,
            "who": who,
            "csrf": _csrf_token(request),
            "switch_url": switch_url,
            **context,
        },
        status_code=status,
    )
    return _finish(request, response)


def _to(request: Request, path: str) -> Response:
    return _finish(request, RedirectResponse(path, status_code=303))


def _refused(
    request: Request, who: Caller | None, exc: ServiceError, here: str | None = None
) -> Response:
    return render(
        request,
        "error.html",
        who,
        status=exc.status,
        here=here,
        error=text(exc.key, page_lang(request), **exc.values),
    )


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


def _form_fields(lang: Lang) -> list[dict[str, Any]]:
    """The intake form's inputs, built from the contract (labels and choices included)."""
    out = []
    for f in INTAKE_FIELDS:
        out.append(
            {
                "name": f.name,
                "label": f.label(lang),
                "kind": f.kind,
                "required": f.required,
                "low": f.low,
                "high": f.high,
                "max_length": f.max_length,
                "choices": [(c.code, c.zh if lang == "zh" else c.en) for c in f.choices],
            }
        )
    return out


def _parse_case(form: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """Form strings as contract values (empty means not given) and the raw values."""
    raw = {f.name: str(form.get(f.name, "")).strip() for f in INTAKE_FIELDS}
    values: dict[str, Any] = {}
    for f in INTAKE_FIELDS:
        value = raw[f.name]
        if value == "":
            continue
        if f.kind == "int":
            try:
                values[f.name] = int(value)
            except ValueError:
                values[f.name] = value  # refused by the model below as "not a whole number"
        elif f.kind == "bool":
            values[f.name] = {"true": True, "false": False}.get(value, value)
        else:
            values[f.name] = value
    return values, raw


def _field_errors(exc: ValidationError, lang: Lang) -> dict[str, str]:
    """The first problem with each field, in the page language (same table as the API)."""
    errors: dict[str, str] = {}
    for problem in exc.errors():
        entry = field_problem(cast(dict[str, Any], problem))
        errors.setdefault(entry["field"], entry[f"message_{lang}"])
    return errors


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
        fields=_form_fields(lang),
        may_store=who.may("store"),
        **context,
    )


@router.get("/cases/new", response_class=HTMLResponse)
def intake_form(request: Request, who: PageCaller) -> Response:
    if who is None:
        return _to(request, "/login")
    return _intake(request, who)


@router.post("/cases/new", response_class=HTMLResponse)
def intake(
    request: Request, who: PageCaller, form: SignedInForm, db: DatabaseDep, models: ModelsDep
) -> Response:
    if who is None:
        return _to(request, "/login")
    lang = page_lang(request)
    values, raw = _parse_case(form)
    if not _csrf_ok(request, form):
        return _intake(request, who, 403, values=raw, error=text("page_csrf_failed", lang))
    try:
        body = CaseIn.model_validate(values)
    except ValidationError as exc:
        errors = _field_errors(exc, lang)
        return _intake(
            request, who, 422, values=raw, errors=errors, error=text("page_form_invalid", lang)
        )
    try:
        fields = cast(BaseModel, body).model_dump(exclude_none=True)
        cases.add_case(db, models, who, fields)
    except ServiceError as exc:
        field = "case_id" if exc.key == "case_exists" else "household_id"
        message = text(exc.key, lang, **exc.values)
        return _intake(request, who, exc.status, values=raw, errors={field: message}, error=message)
    return _to(request, f"/cases/{quote(body.case_id, safe='')}")  # type: ignore[attr-defined]


# --- a case: result, override, history ---------------------------------------------------


def _localised(result: dict[str, Any], lang: Lang, model: TriageModel | None) -> dict[str, Any]:
    """A stored result in the page's language. Flags and reasons carry both languages;
    actions are stored in Chinese only, so in English they come from the served model's
    policy when that model made the score, and otherwise stay as stored."""
    actions = result.get("actions", [])
    if lang != "zh" and model is not None and model.info.version == result["model"]["version"]:
        actions = list(model.policy.tiers[result["tier"]].actions(lang))
    return {
        **result,
        "flags": [{**f, "label": f[lang]} for f in result.get("flags", [])],
        "reasons": [
            {**r, "label": r[f"label_{lang}"], "value": r[f"value_{lang}"]}
            for r in result.get("reasons", [])
        ],
        "actions": actions,
    }


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
    try:
        case = cases.case_history(db, who, case_id)
    except ServiceError as exc:
        return _refused(request, who, exc, here=f"/cases/{quote(case_id, safe='')}")
    model = models.current()
    done = request.query_params.get("done") == "override" and status == 200
    notice = text("page_override_done", lang) if done else None
    scores = [{**s, "result": _localised(s["result"], lang, model)} for s in case["scores"]]
    return render(
        request,
        "case.html",
        who,
        status=status,
        case=case,
        scores=scores,
        latest=scores[-1]["result"] if scores else None,
        tiers=TIER_CODES,
        may_store=who.may("store"),
        here=f"/cases/{quote(case_id, safe='')}",
        **{"notice": notice, **context},
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
    lang = page_lang(request)
    sent = {"tier": str(form.get("tier", "")), "reason": str(form.get("reason", "")).strip()}
    if not _csrf_ok(request, form):
        return _case_page(
            request,
            db,
            models,
            case_id,
            who,
            403,
            override=sent,
            error=text("page_csrf_failed", lang),
        )
    try:
        body = OverrideIn.model_validate(sent)
    except ValidationError as exc:
        errors = _field_errors(exc, lang)
        return _case_page(
            request,
            db,
            models,
            case_id,
            who,
            422,
            override=sent,
            errors=errors,
            error=text("page_form_invalid", lang),
        )
    try:
        cases.override(db, who, case_id, body.tier, body.reason)
    except ServiceError as exc:
        return _case_page(
            request,
            db,
            models,
            case_id,
            who,
            exc.status,
            override=sent,
            error=text(exc.key, lang, **exc.values),
        )
    return _to(request, f"/cases/{quote(case_id, safe='')}?done=override")


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
def monitor_page(request: Request, who: PageCaller, db: DatabaseDep, models: ModelsDep) -> Response:
    if who is None:
        return _to(request, "/login")
    try:
        report = monitoring.monitor_service(db, models.uri, who)
    except ServiceError as exc:
        return _refused(request, who, exc)
    lang = page_lang(request)
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
    )
