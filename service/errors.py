"""Errors as the API reports them: a code and a message in Chinese and English.

Validation problems are 422 with one entry per field; nothing the client sent is echoed
back, and no stack trace ever leaves the process.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeout
from starlette.exceptions import HTTPException

from risk.i18n import both
from service.db import DatabaseCorrupt
from service.db_guard import DatabaseUnavailable
from service.schemas import described

__all__ = ["ErrorBody", "InvalidBody", "ServiceError", "install_handlers", "message", "responses"]

log = logging.getLogger("risk.service")


class ServiceError(Exception):
    """An error with an HTTP status and an i18n message key."""

    def __init__(self, status: int, key: str, **values: Any) -> None:
        super().__init__(key)
        self.status, self.key, self.values = status, key, values


def message(key: str, **values: Any) -> dict[str, str]:
    zh, en = both(key, **values)
    return {"error": key, "message_zh": zh, "message_en": en}


class ErrorBody(BaseModel):
    """Every refusal: its code and the message in Chinese and English."""

    error: str = described("field_error")
    message_zh: str = described("field_message_zh")
    message_en: str = described("field_message_en")


class FieldProblem(ErrorBody):
    field: str = described("field_problem_field")


class InvalidBody(BaseModel):
    """A request that failed validation: one problem per field, no value echoed."""

    detail: list[FieldProblem] = described("field_problems")


#: The error codes the service answers with each status (for the OpenAPI description).
CODES = {
    400: ("api_bad_body",),
    401: ("unauthorized",),
    403: ("forbidden", "out_of_grid", "lower_needs_supervisor", "close_red_needs_supervisor"),
    404: ("not_found",),
    409: (
        "case_exists",
        "same_tier",
        "household_other_grid",
        "same_grid",
        "illegal_transition",
        "top_level",
        "closure_rule",
        "case_closed",
        "unknown_household",
        "need_grid",
        "owner_unknown",
        "case_of_other_household",
        "monitor_too_large",
    ),
    413: ("too_large",),
    422: (
        "api_need_unit",
        "api_too_many",
        "api_bad_value",
        "api_outcome_before_opened",
        "owner_only_on_assign",
    ),
    429: ("rate_limited", "too_many_failures"),
    503: (
        "db_unavailable",
        "db_corrupt",
        "model_unavailable",
        "model_not_registered",
        "model_unreadable",
    ),
}


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` documenting these error statuses with their body models
    (422, and 409 when what is stored makes one field's value refused, are either a
    field-by-field :class:`InvalidBody` or an :class:`ErrorBody`)."""
    out: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        codes = ", ".join(CODES[status])
        model: Any = InvalidBody | ErrorBody if status in (409, 422) else ErrorBody
        out[status] = {"model": model, "description": f"{HTTPStatus(status).phrase}: {codes}"}
    return out


_PYDANTIC = {
    "missing": ("api_missing", ()),
    "extra_forbidden": ("api_unknown_field", ()),
    "literal_error": ("api_not_allowed", ("expected",)),
    "enum": ("api_not_allowed", ("expected",)),
    "greater_than_equal": ("api_too_small", ("ge",)),
    "greater_than": ("api_too_small", ("gt",)),
    "less_than_equal": ("api_too_large", ("le",)),
    "less_than": ("api_too_large", ("lt",)),
    "int_type": ("api_not_int", ()),
    "int_parsing": ("api_not_int", ()),
    "int_from_float": ("api_not_int", ()),
    "bool_type": ("api_not_bool", ()),
    "bool_parsing": ("api_not_bool", ()),
    "date_type": ("api_not_date", ()),
    "date_parsing": ("api_not_date", ()),
    "date_range": ("api_date_range", ("range",)),
    "date_from_datetime_parsing": ("api_not_date", ()),
    "date_from_datetime_inexact": ("api_not_date", ()),
    "string_too_long": ("api_too_long", ("max_length",)),
    "too_long": ("api_too_many", ("max_length",)),
    "id_syntax": ("api_bad_id", ()),
    "nul_char": ("api_nul", ()),
}


#: The framework's own refusals, as message keys.
_FRAMEWORK = {400: "api_bad_body", 404: "not_found", 405: "method_not_allowed"}


def field_problem(error: dict[str, Any]) -> dict[str, str]:
    """One pydantic error as ``{field, error, message_zh, message_en}``, value not echoed."""
    key, params = _PYDANTIC.get(error.get("type", ""), ("api_bad_value", ()))
    ctx = error.get("ctx") or {}
    values: dict[str, Any] = {}
    for p in params:
        if p == "expected":
            values["allowed"] = str(ctx.get("expected", "")).replace("'", "")
        else:
            values["limit"] = ctx.get(p, "")
    loc = [str(part) for part in error.get("loc", ()) if part != "body"]
    return {"field": ".".join(loc) or "(body)", **message(key, **values)}


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(
            status_code=422, content={"detail": [field_problem(e) for e in exc.errors()]}
        )

    @app.exception_handler(ServiceError)
    async def _service(_: Request, exc: ServiceError) -> JSONResponse:
        wait = str(exc.values.get("seconds", 1))
        headers = {"Retry-After": wait} if exc.status in (429, 503) else None
        content: dict[str, Any] = message(exc.key, **exc.values)
        if "field" in exc.values:  # a problem with one field: shaped like a validation error
            content = {"detail": [{"field": exc.values["field"], **content}]}
        return JSONResponse(status_code=exc.status, content=content, headers=headers)

    @app.exception_handler(HTTPException)
    async def _http(_: Request, exc: HTTPException) -> JSONResponse:
        """Refusals from the framework (unreadable body, unknown path or method), worded
        like the service's own."""
        key = _FRAMEWORK.get(exc.status_code, "api_bad_value")
        return JSONResponse(status_code=exc.status_code, content=message(key), headers=exc.headers)

    @app.exception_handler(DatabaseCorrupt)
    async def _corrupt(_: Request, exc: Exception) -> JSONResponse:
        log.error("the database file is damaged: restore it from a backup")
        return JSONResponse(status_code=503, content=message("db_corrupt"))

    @app.exception_handler(OperationalError)
    @app.exception_handler(DBAPIError)
    @app.exception_handler(SQLAlchemyTimeout)
    @app.exception_handler(DatabaseUnavailable)
    async def _database(_: Request, exc: Exception) -> JSONResponse:
        log.warning("database unavailable: %s", type(exc).__name__)
        return JSONResponse(
            status_code=503, content=message("db_unavailable"), headers={"Retry-After": "1"}
        )

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error")
        return JSONResponse(
            status_code=500,
            content={
                "error": "internal",
                "message_zh": "服务内部错误",
                "message_en": "internal error",
            },
        )
