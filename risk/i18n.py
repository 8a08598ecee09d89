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
    # API: why a request field is refused (never echoing the value sent)
    "api_missing": ("必填字段缺失", "required field is missing"),
    "api_unknown_field": ("未知字段，不予接受", "unknown field, not accepted"),
    "api_not_allowed": (
        "不是允许的取值（可选：{allowed}）",
        "not an allowed value (allowed: {allowed})",
    ),
    "api_too_small": ("不能小于 {limit}", "must be at least {limit}"),
    "api_too_large": ("不能大于 {limit}", "must be at most {limit}"),
    "api_not_int": ("应为整数", "must be a whole number"),
    "api_not_bool": ("应为是/否（true/false）", "must be true or false"),
    "api_not_date": ("应为日期 YYYY-MM-DD", "must be a date, YYYY-MM-DD"),
    "api_too_long": ("超出长度限制 {limit}", "longer than {limit} characters"),
    "api_bad_value": ("取值无效", "invalid value"),
    "api_too_many": ("一次最多 {limit} 个", "at most {limit} at a time"),
    "api_need_unit": (
        "需提供 survey、case 或 household_id 之一",
        "give survey, case or household_id",
    ),
    # API: request-level refusals
    "unauthorized": ("缺少或无效的 API 密钥", "missing or invalid API key"),
    "forbidden": ("当前角色无权执行此操作", "your role may not do this"),
    "out_of_grid": ("无权访问该网格的记录", "this record is outside your grids"),
    "not_found": ("未找到", "not found"),
    "too_large": (
        "请求体过大（上限 {limit} 字节）",
        "request body too large (limit {limit} bytes)",
    ),
    "rate_limited": ("请求过于频繁，请稍后再试", "too many requests, try again shortly"),
    "db_unavailable": (
        "数据库暂不可用，未保存任何内容",
        "database unavailable; nothing was stored",
    ),
    "model_unavailable": ("模型暂不可用", "model unavailable"),
    "case_exists": ("案件编号已存在", "case_id already exists"),
    "lower_needs_supervisor": (
        "下调风险等级须由督导角色操作并说明理由",
        "lowering a tier needs the supervisor role and a reason",
    ),
    "same_tier": ("新等级与当前等级相同", "the new tier equals the current one"),
}


def text(key: str, lang: Lang = "zh", /, **values: object) -> str:
    """The message ``key`` in ``lang``, with ``values`` filled in."""
    zh, en = MESSAGES[key]
    return (zh if lang == "zh" else en).format(**values)


def both(key: str, /, **values: object) -> tuple[str, str]:
    """The message ``key`` in Chinese and in English."""
    return text(key, "zh", **values), text(key, "en", **values)
