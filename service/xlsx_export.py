"""Excel (.xlsx) exports of the visit list and of a case, made safe to open: every text
cell neutral (:func:`risk.cells.neutral`, so a spreadsheet never runs it as a formula),
no cell longer and no sheet longer than :data:`risk.xlsx_limits.XLSX_LIMITS` allows (the
limits the product reads a workbook with), headers in Chinese and English from the one
label table."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi.responses import Response
from openpyxl import Workbook

from risk.cells import neutral
from risk.i18n import text
from risk.models.policy import Policy
from risk.schema import CASE, TIERS
from risk.xlsx_limits import XLSX_LIMITS
from service.assessments import read_assessments
from service.audit import audit
from service.auth import Caller
from service.cases import case_history
from service.db import Database
from service.visits import visit_list

__all__ = [
    "XLSX",
    "Sheet",
    "case_workbook",
    "download",
    "export_case",
    "export_visits",
    "visits_workbook",
    "workbook",
]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Sheet:
    """One worksheet: its title, header cells and rows."""

    title: str
    header: Sequence[str]
    rows: Iterable[Sequence[Any]]


def download(data: bytes, name: str) -> Response:
    """A workbook as an answer the browser saves as ``<name>.xlsx`` (API and pages alike)."""
    return Response(
        data,
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
    )


def _cell(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    value = str(value)[: XLSX_LIMITS.cell_chars]
    return neutral(value)


def workbook(sheets: Sequence[Sheet]) -> bytes:
    """The sheets as an .xlsx workbook; a sheet over the row limit is a ``ValueError``."""
    book = Workbook(write_only=True)
    for sheet in sheets:
        out = book.create_sheet(title=str(neutral(sheet.title))[:31])
        out.append([_cell(h) for h in sheet.header])
        for count, row in enumerate(sheet.rows, start=2):
            if count > XLSX_LIMITS.rows:
                raise ValueError(f"sheet {sheet.title}: more than {XLSX_LIMITS.rows} rows")
            out.append([_cell(v) for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _both(key: str) -> str:
    return f"{text(key, 'zh')} / {text(key, 'en')}"


def _tier(code: str | None) -> str:
    if code is None:
        return ""
    choice = TIERS[[c.code for c in TIERS].index(code)]
    return f"{choice.zh} / {choice.en}"


def visits_workbook(items: Sequence[dict[str, Any]]) -> bytes:
    """The visit list (:func:`service.visits.visit_list`'s items) as one sheet."""
    header = [
        _both("page_household"),
        _both("page_grid"),
        _both("page_visits_case"),
        _both("page_tier"),
        _both("page_p_red"),
        _both("page_follow_up"),
        _both("page_flags"),
        _both("page_reasons"),
    ]
    rows = (
        [
            v["household_id"],
            v["grid_id"],
            v["case_id"],
            _tier(v["tier"]),
            round(float(v["p_red"]), 4),
            v["follow_up_date"],
            "；".join(f"{f['zh']} / {f['en']}" for f in v["flags"]),
            "；".join(f"{r['label_zh']}：{r['value_zh']}" for r in v["reasons"]),
        ]
        for v in items
    )
    return workbook([Sheet(text("page_nav_visits", "zh"), header, rows)])


def _field_label(name: str) -> str:
    return f"{CASE[name].zh} / {CASE[name].en}" if name in CASE else name


def case_workbook(case: dict[str, Any], assessments: Sequence[dict[str, Any]]) -> bytes:
    """A case (:func:`service.cases.case_history`) and its assessments: the case's fields,
    its tier over time, its steps and its overrides, a sheet each."""
    life = case["life"]
    fields = [
        [_both("page_visits_case"), case["case_id"]],
        [_both("page_household"), case["household_id"]],
        [_both("page_grid"), case["grid_id"]],
        [_both("page_tier"), _tier(case["tier"])],
        [_both("page_state"), _both(f"state_{life['state']}")],
        [_both("page_level"), _both(f"level_{life['level']}") if life["level"] else ""],
        [_both("page_state_due"), life["state_due"]],
        [_both("page_follow_up"), None if life["plan"] is None else life["plan"]["follow_up_date"]],
        *([_field_label(k), v] for k, v in case["fields"].items()),
    ]
    history = (
        [
            a["as_of"],
            _both(f"assessment_{a['kind']}"),
            _tier(a["tier_before"]),
            _tier(a["tier"]),
            round(float(a["p_red"]), 4),
            "；".join(f"{k}={v}" for k, v in a["changes"].items()),
            a["note"],
        ]
        for a in assessments
    )
    steps = (
        [
            s["at"][:16].replace("T", " "),
            _both(f"action_{s['action']}"),
            _both(f"state_{s['state']}"),
            "" if s["owner_kind"] is None else _both(f"owner_{s['owner_kind']}"),
            _both(f"level_{s['level']}"),
            s["due_on"],
            s["reason"],
        ]
        for s in life["steps"]
    )
    overrides = (
        [o["at"][:16].replace("T", " "), _tier(o["from"]), _tier(o["to"]), o["reason"]]
        for o in case["overrides"]
    )
    heads = {
        "fields": ("page_reason_field", "page_reason_value"),
        "history": (
            "page_at",
            "page_kind",
            "page_tier_before",
            "page_tier",
            "page_p_red",
            "page_changes",
            "page_reassess_note",
        ),
        "steps": (
            "page_at",
            "page_step",
            "page_state",
            "page_owner",
            "page_level",
            "page_state_due",
            "page_override_reason",
        ),
        "overrides": ("page_at", "page_tier_before", "page_override_tier", "page_override_reason"),
    }
    titles = {
        "fields": "page_visits_case",
        "history": "page_tier_history",
        "steps": "page_steps",
        "overrides": "page_overrides",
    }
    rows = {"fields": fields, "history": history, "steps": steps, "overrides": overrides}
    return workbook(
        [
            Sheet(text(titles[name], "zh"), [_both(k) for k in keys], rows[name])
            for name, keys in heads.items()
        ]
    )


def export_visits(db: Database, who: Caller, grid: str | None, capacity: int) -> bytes:
    """The caller's visit list as a workbook (audited as read and as exported)."""
    data = visits_workbook(visit_list(db, who, grid, capacity))
    audit(db, who, "export_visits_xlsx", f"grid:{grid or 'all'}")
    return data


def export_case(db: Database, who: Caller, case_id: str, policy: Policy) -> bytes:
    """A case the caller sees as a workbook (audited as read and as exported)."""
    case = case_history(db, who, case_id, policy)
    data = case_workbook(case, read_assessments(db, who, case_id))
    audit(db, who, "export_case_xlsx", f"case:{case_id}")
    return data
