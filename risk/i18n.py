"""One table of user-facing messages in Chinese and English.

Field and value labels live with the fields in :mod:`risk.schema`; this table holds
the sentences around them. Chinese is the default language.
"""

from __future__ import annotations

from typing import Literal

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")

MESSAGES: dict[str, tuple[str, str]] = {
    # ingest: reasons a value or a row is rejected
    "required": ("必填字段为空", "required field is empty"),
    "not_int": ("不是整数：{value}", "not a whole number: {value}"),
    "out_of_range": ("超出范围 {low}–{high}：{value}", "outside {low}–{high}: {value}"),
    "not_bool": ("不是是/否：{value}", "not yes/no: {value}"),
    "not_date": ("无法识别的日期：{value}", "not a date: {value}"),
    "unknown_value": (
        "不是允许的取值：{value}（可选：{allowed}）",
        "not an allowed value: {value} (allowed: {allowed})",
    ),
    "too_long": ("超过 {high} 个字符", "longer than {high} characters"),
    "duplicate_key": (
        "重复的{key}，首次出现在第 {first} 行",
        "duplicate {key}, first seen at row {first}",
    ),
    "outcome_without_date": ("有结果但缺少结果日期", "outcome given without outcome_at"),
    "outcome_before_opened": (
        "结果日期早于登记日期：{value}",
        "outcome_at before opened_at: {value}",
    ),
    # ingest: file-level problems
    "missing_columns": ("缺少必需的列：{columns}", "missing required columns: {columns}"),
    "unknown_columns": ("未识别的列（已忽略）：{columns}", "unknown columns (ignored): {columns}"),
    "ambiguous_columns": (
        "多列对应同一字段 {field}：{columns}",
        "several columns map to field {field}: {columns}",
    ),
    "bad_encoding": (
        "无法识别文件编码（支持 UTF-8、GB18030）",
        "cannot decode the file (UTF-8 or GB18030 expected)",
    ),
    "bad_format": (
        "不支持的文件格式：{suffix}（支持 .csv、.xlsx、.parquet）",
        "unsupported file format: {suffix} (.csv, .xlsx or .parquet expected)",
    ),
    # ingest: the summary
    "summary": (
        "读取 {rows_in} 行：写入 {rows_out} 行，隔离 {rows_quarantined} 行",
        "read {rows_in} rows: {rows_out} written, {rows_quarantined} quarantined",
    ),
    "row_error": (
        "第 {row} 行 {field}（{field_zh}）：{reason}",
        "row {row} {field} ({field_en}): {reason}",
    ),
}


def text(key: str, lang: Lang = "zh", /, **values: object) -> str:
    """The message ``key`` in ``lang``, with ``values`` filled in."""
    zh, en = MESSAGES[key]
    return (zh if lang == "zh" else en).format(**values)


def both(key: str, /, **values: object) -> tuple[str, str]:
    """The message ``key`` in Chinese and in English."""
    return text(key, "zh", **values), text(key, "en", **values)
