"""What every page shares: the templates, the page language, CSRF (double submit: cookie
and hidden field), rendering in the request's language, redirects, refusals shown as a
message, and contract forms (inputs built from the contract, values parsed, problems in
the page language, from the same table as the API's)."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import Any, cast

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError

from risk.i18n import LANGS, Lang, text
from risk.models.triage import TriageModel
from risk.schema import CASE, TIERS
from risk.schema import Field as ContractField
from service.auth import Caller
from service.errors import ServiceError, field_problem

__all__ = [
    "CSRF_COOKIE",
    "LANG_COOKIE",
    "TIER_CODES",
    "csrf_ok",
    "done_notice",
    "field_errors",
    "finish",
    "form_fields",
    "localised",
    "page_form",
    "page_lang",
    "parse_form",
    "redirect",
    "refused",
    "render",
    "secure",
    "static_files",
    "templates",
]

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=HERE / "templates")
CSRF_COOKIE, LANG_COOKIE = "risk_csrf", "risk_lang"
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


def csrf_token(request: Request) -> str:
    token = request.cookies.get(CSRF_COOKIE)
    if not token or len(token) < 32:
        token = getattr(request.state, "new_csrf", None) or secrets.token_urlsafe(32)
        request.state.new_csrf = token
    return token


def csrf_ok(request: Request, form: Any) -> bool:
    cookie, sent = request.cookies.get(CSRF_COOKIE, ""), form.get("csrf", "")
    if not cookie or not isinstance(sent, str) or not sent:
        return False
    return hmac.compare_digest(cookie.encode(), sent.encode())


def secure(request: Request) -> bool:
    return request.url.scheme == "https"


def finish(request: Request, response: Response) -> Response:
    """Set the CSRF cookie when this request made one, and the language cookie on a switch."""
    new = getattr(request.state, "new_csrf", None)
    if new:
        response.set_cookie(
            CSRF_COOKIE, new, httponly=True, samesite="strict", secure=secure(request)
        )
    chosen = request.query_params.get("lang")
    if chosen in LANGS:
        response.set_cookie(
            LANG_COOKIE,
            chosen,
            max_age=365 * 86400,
            samesite="strict",
            secure=secure(request),
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

    def t2(key: str, **values: Any) -> str:
        """Chinese, then English (printed material for a joint panel)."""
        return f"{text(key, 'zh', **values)} / {text(key, 'en', **values)}"

    def tier_both(code: str | None) -> str:
        if code is None:
            return ""
        choice = TIERS[TIER_CODES.index(code)]
        return f"{choice.zh} / {choice.en}"

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
            "t2": t2,
            "tier_both": tier_both,
            "tier_label": tier_label,
            "outcome_label": outcome_label,
            "who": who,
            "csrf": csrf_token(request),
            "switch_url": switch_url,
            **context,
        },
        status_code=status,
    )
    return finish(request, response)


def redirect(request: Request, path: str) -> Response:
    return finish(request, RedirectResponse(path, status_code=303))


def refused(
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


def done_notice(request: Request, forms: Collection[str], status: int) -> str | None:
    """The notice a page shows after one of its ``forms`` succeeded (``?done=<form>``);
    none when the page answers a problem."""
    done = request.query_params.get("done")
    if done in forms and status == 200:
        return text(f"page_{done}_done", page_lang(request))
    return None


def page_form(
    request: Request,
    form: Any,
    act: Callable[[], str],
    show: Callable[..., Response],
    refusal_field: Callable[[ServiceError], str] | None = None,
) -> Response:
    """A page's posted form: CSRF checked, then ``act`` (which validates what was sent,
    calls the domain and names the page to go to). A problem is shown again on the page by
    ``show(status, error=..., errors=...)``: the fields' problems in the page language, or
    the domain's refusal (beside the field ``refusal_field`` names, when given)."""
    lang = page_lang(request)
    if not csrf_ok(request, form):
        return show(403, error=text("page_csrf_failed", lang))
    try:
        done = act()
    except ValidationError as exc:
        errors = field_errors(exc, lang)
        return show(422, errors=errors, error=text("page_form_invalid", lang))
    except ServiceError as exc:
        message = text(exc.key, lang, **exc.values)
        if refusal_field is None:
            return show(exc.status, error=message)
        return show(exc.status, errors={refusal_field(exc): message}, error=message)
    return redirect(request, done)


def form_fields(fields: Sequence[ContractField], lang: Lang) -> list[dict[str, Any]]:
    """A form's inputs, built from the contract (labels and choices included)."""
    out = []
    for f in fields:
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


def parse_form(form: Any, fields: Sequence[ContractField]) -> tuple[dict[str, Any], dict[str, str]]:
    """Form strings as contract values (empty means not given) and the raw values."""
    raw = {f.name: str(form.get(f.name, "")).strip() for f in fields}
    values: dict[str, Any] = {}
    for f in fields:
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


def field_errors(exc: ValidationError, lang: Lang) -> dict[str, str]:
    """The first problem with each field, in the page language (same table as the API)."""
    errors: dict[str, str] = {}
    for problem in exc.errors():
        entry = field_problem(cast(dict[str, Any], problem))
        errors.setdefault(entry["field"], entry[f"message_{lang}"])
    return errors


def localised(result: dict[str, Any], lang: Lang, model: TriageModel | None) -> dict[str, Any]:
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
