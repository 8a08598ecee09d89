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
    "bad_id": (
        "编号格式无效：{value}（不能含 / 或 \\、首尾空白、控制或不可见字符，"
        "须为 NFC 形式，也不能是 . 或 ..）",
        "not a valid id: {value} (no / or \\, no whitespace at the ends, no control or "
        "invisible characters, NFC form, not . or ..)",
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
    "no_such_file": ("文件不存在", "no such file"),
    "file_empty": ("文件为空（没有表头行）", "the file is empty (no header row)"),
    "csv_extra_fields": (
        "第 {row} 行有 {seen} 个字段，多于表头的 {header} 个（多余的逗号或未加引号的值？）",
        "row {row} has {seen} fields, more than the header's {header} (a stray comma or an "
        "unquoted value?)",
    ),
    "csv_unreadable": (
        "无法按 CSV 读取（引号未闭合或格式损坏）",
        "cannot be read as CSV (an unclosed quote or a damaged file)",
    ),
    "not_xlsx": (
        "不是完整的 Excel（.xlsx）文件：可能已截断、损坏，或实为其他格式",
        "not a whole Excel (.xlsx) workbook: truncated, damaged, or another format renamed",
    ),
    "not_parquet": (
        "不是完整的 Parquet 文件：可能已截断、损坏，或实为其他格式",
        "not a whole Parquet file: truncated, damaged, or another format renamed",
    ),
    "xlsx_too_large": (
        "工作簿解压后达 {size} MiB，超过上限 {limit} MiB（可能是压缩炸弹）：请另存为 CSV",
        "the workbook expands to {size} MiB, over the {limit} MiB limit (a zip bomb?): "
        "save it as CSV",
    ),
    "xlsx_cell_too_long": (
        "有单元格文本超过 {limit} 个字符（Excel 自身的上限），不予读取",
        "a cell holds more than {limit} characters (Excel's own limit); not read",
    ),
    "xlsx_too_many_rows": (
        "工作表超过 {limit} 行，不予读取：请拆分文件或另存为 CSV",
        "a sheet has more than {limit} rows; not read: split the file or save it as CSV",
    ),
    "zoned_dates": (
        "列 {columns} 是带时区的时间：台账日期应为不带时区的日期",
        "columns {columns} hold times with a time zone: ledger dates are plain dates",
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
    "load_summary": (
        "载入台账：入户调查 {waves_in} 条，矛盾纠纷 {cases_in} 件（隔离 {quarantined} 行）；"
        "调查新增 {waves_added}、更新 {waves_replaced}；纠纷新增 {cases_added}、更新 "
        "{cases_replaced}；结果新增 {outcomes_added}；评分 {scored} 户，新存评分 "
        "{scores_added} 条（评分日 {as_of}，模型 v{model_version}）；用时 {seconds} 秒",
        "ledger loaded: {waves_in} survey waves, {cases_in} cases ({quarantined} rows "
        "quarantined); waves {waves_added} added, {waves_replaced} replaced; cases "
        "{cases_added} added, {cases_replaced} replaced; {outcomes_added} outcomes added; "
        "{scored} households scored, {scores_added} new scores stored (as of {as_of}, model "
        "v{model_version}); {seconds} s",
    ),
    "load_needs_all_grids": (
        "载入台账需要可查看所有网格的管理员密钥",
        "loading a ledger needs an admin key that sees every grid",
    ),
    "load_bad_key": ("密钥无效或已撤销", "the key is unknown or revoked"),
    "load_no_dir": (
        "服务未设置载入目录（RISK_LOAD_DIR）",
        "the service has no load directory (RISK_LOAD_DIR)",
    ),
    "load_no_file": ("载入目录中没有文件：{value}", "no such file in the load directory: {value}"),
    "field_set_by": ("由评估或人工调整设定", "set by a score or an override"),
    "field_plan": ("当前等级要求的措施与回访", "what the tier now asks: actions and the follow-up"),
    "field_follow_up_overdue": ("回访日期已过", "the follow-up date has passed"),
    "field_was_zh": ("原取值（中文）", "the value before (Chinese)"),
    "field_was_en": ("原取值（英文）", "the value before (English)"),
    "field_reasons_added": ("新出现的原因", "reasons that came in"),
    "field_reasons_removed": ("不再出现的原因", "reasons that went"),
    "field_reasons_changed": ("取值改变的原因", "reasons whose value changed"),
    "field_mine": ("由我负责", "mine"),
    "field_wave_fields": ("该轮调查的字段", "the wave's fields"),
    "field_found_id": ("找到的编号", "the id found"),
    "field_outcome_shares": ("各结果所占比例", "the share of each outcome"),
    "field_case_life": (
        "案件进程：状态、负责人、层级、时限、当前等级的措施与回访",
        "where the case stands: state, owner, level, deadlines, the plan its tier now sets",
    ),
    "field_load_file": ("载入目录中的台账文件名", "a ledger file's name in the load directory"),
    "field_load_as_of": ("评分日（默认今天）", "the day scored as of (default today)"),
    "field_load_counts": ("新增、更新与评分的行数", "rows added, replaced and scored, by kind"),
    "field_load_quarantined": ("各台账隔离的行数", "rows quarantined, per ledger"),
    "field_load_summary": ("载入摘要", "the load's summary"),
    "field_household_surveys": ("入户调查（按日期）", "the survey waves, by date"),
    "field_household_screening": ("最新筛查评分", "the latest screening score"),
    "field_household_cases": (
        "纠纷及其当前等级与结果",
        "the cases, with their tier now and outcome",
    ),
    "field_survey_fields": ("调查字段", "the survey's fields"),
    "field_unit_score": ("最新评分", "the latest score"),
    "load_nothing": ("请至少指定一个台账文件", "name at least one ledger file"),
    "load_unreadable": ("台账无法读取：{value}", "the ledger cannot be read: {value}"),
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
    "api_date_range": ("日期应在 {limit} 之间", "must be a date within {limit}"),
    "api_too_long": ("超出长度限制 {limit}", "longer than {limit} characters"),
    "api_bad_value": ("取值无效", "invalid value"),
    "api_bad_id": (
        "编号格式无效（不能含 / 或 \\、首尾空白、控制或不可见字符，"
        "须为 NFC 形式，也不能是 . 或 ..）",
        "not a valid id (no / or \\, no whitespace at the ends, no control or invisible "
        "characters, NFC form, not . or ..)",
    ),
    "api_nul": ("不能含 NUL 字符", "must not contain a NUL character"),
    "api_outcome_before_opened": (
        "结果日期不能早于案件登记日期",
        "outcome_at is before the case opened",
    ),
    "api_too_many": ("一次最多 {limit} 个", "at most {limit} at a time"),
    "api_bad_body": (
        "请求体无法读取（应为 UTF-8 JSON）",
        "the body could not be read (UTF-8 JSON expected)",
    ),
    "api_need_unit": (
        "需提供 survey、case 或 household_id 之一",
        "give survey, case or household_id",
    ),
    # API: what each field of a request or an answer means (the OpenAPI descriptions)
    "field_status": ("状态", "status"),
    "field_lang": ("返回文字的语言", "the language of the texts returned"),
    "field_as_of": ("评估日期", "date scored as of"),
    "field_survey": ("入户调查字段（均可缺省）", "survey fields (each may be left out)"),
    "field_case": ("案件字段（均可缺省）", "case fields (each may be left out)"),
    "field_units": ("待评估的单元", "the units to score"),
    "field_results": ("各单元的评估结果（与请求顺序相同）", "each unit's result, in request order"),
    "field_decision": (
        "所作决策：案件受理或入户筛查",
        "the decision made: case intake or household screening",
    ),
    "field_tier": ("风险等级（已计入红线标志）", "risk tier (red flags included)"),
    "field_tier_label": (
        "风险等级名称（按请求的语言）",
        "the tier's name in the language asked for",
    ),
    "field_model_tier": ("仅按模型评定的等级（未计入红线标志）", "the tier the model alone gave"),
    "field_probabilities": ("各等级的校准概率", "the calibrated probability of each tier"),
    "field_probability": ("{tier}的概率", "probability of {tier}"),
    "field_flags": ("触发的红线标志", "the red flags that fired"),
    "field_reasons": (
        "主要原因：各因素对所解释模型的贡献",
        "main reasons: each factor's contribution",
    ),
    "field_reasons_model": (
        "原因所解释的模型：红色，或黄色及以上",
        "the model the reasons explain: red, or yellow or red",
    ),
    "field_base": ("该模型的基准对数几率", "the model's baseline log-odds"),
    "field_logit": ("本单元的对数几率", "this unit's log-odds"),
    "field_follow_up_days": ("回访期限（天）", "days until the follow-up is due"),
    "field_review_recommended": (
        "是否建议人工复核（处于等级边界）",
        "whether a person should review it (borderline between tiers)",
    ),
    "field_model": ("评分所用的模型", "the model that scored it"),
    "field_code": ("代码", "code"),
    "field_name": ("名称（按请求的语言）", "name, in the language asked for"),
    "field_name_zh": ("中文名称", "name in Chinese"),
    "field_name_en": ("英文名称", "name in English"),
    "field_value": ("取值（按请求的语言）", "value, in the language asked for"),
    "field_value_zh": ("取值（中文）", "value in Chinese"),
    "field_value_en": ("取值（英文）", "value in English"),
    "field_flag_tier": ("该标志至少给出的等级", "the tier this flag sets at least"),
    "field_direction": ("影响：升高或降低风险", "effect: raises or lowers risk"),
    "field_size": ("贡献大小（对数几率）", "size of the contribution (log-odds)"),
    "field_unseen_field": ("未记录的字段", "the field not recorded"),
    "field_unseen_tiers": ("补充后可能的等级", "the tiers its possible answers give"),
    "field_changes_tier": ("补充后等级是否可能改变", "whether knowing it could change the tier"),
    "field_p_red_low": ("补充后 P(红) 的最小值", "the lowest P(red) its answers give"),
    "field_p_red_high": ("补充后 P(红) 的最大值", "the highest P(red) its answers give"),
    "field_p_red": ("红色概率 P(红)", "probability of red, P(red)"),
    "field_stored": ("已保存", "stored"),
    "field_stored_score": ("与记录一同保存的评估结果", "the score stored with the record"),
    "field_grid_from": ("原网格", "the grid moved from"),
    "field_grid_to": ("新网格", "the grid moved to"),
    "field_tier_from": ("调整前的等级", "the tier before"),
    "field_tier_to": ("调整后的等级", "the tier after"),
    "field_case_fields": ("登记时保存的案件字段", "the case's fields as stored at intake"),
    "field_tier_now": (
        "当前等级：最近一次人工调整，否则最近一次评估",
        "the tier now: the latest override, else the latest score",
    ),
    "field_score_result": ("当时返回的完整评估结果", "the full result as it was returned then"),
    "field_key_id": ("操作所用密钥的编号", "the id of the key that made it"),
    "field_override_reason": ("调整理由", "why the tier was changed"),
    "field_visits": ("需走访的家庭，按紧急程度排列", "households to visit, most urgent first"),
    "field_trained_at": ("训练时间", "trained at"),
    "field_training_data": ("训练数据概况", "what it was trained on"),
    "field_decisions": ("各决策的阈值与复核比例", "each decision's thresholds and review share"),
    "field_threshold_red": ("红色阈值：P(红) 不低于此值为红色", "red when P(red) is at least this"),
    "field_threshold_yellow": (
        "黄色阈值：P(黄或红) 不低于此值为黄色",
        "yellow when P(yellow or red) is at least this",
    ),
    "field_pooled": (
        "是否使用合并模型（训练期红色事件过少）",
        "whether the pooled model serves it (too few red events in training)",
    ),
    "field_reloaded": ("已重新加载", "reloaded"),
    "field_error": ("错误代码", "error code"),
    "field_message_zh": ("说明（中文）", "message in Chinese"),
    "field_message_en": ("说明（英文）", "message in English"),
    "field_problem_field": ("出错的字段（以 . 连接的路径）", "the field at fault (a dotted path)"),
    "field_problems": ("每个出错字段一条", "one entry per field at fault"),
    # API: request-level refusals
    "unauthorized": ("缺少或无效的 API 密钥", "missing or invalid API key"),
    "forbidden": ("当前角色无权执行此操作", "your role may not do this"),
    "out_of_grid": ("无权访问该网格的记录", "this record is outside your grids"),
    "not_found": ("未找到", "not found"),
    "method_not_allowed": ("不支持该请求方法", "method not allowed here"),
    "too_large": (
        "请求体过大（上限 {limit} 字节）",
        "request body too large (limit {limit} bytes)",
    ),
    "rate_limited": ("请求过于频繁，请稍后再试", "too many requests, try again shortly"),
    "too_many_failures": (
        "无效密钥尝试过多，请 {seconds} 秒后再试",
        "too many invalid keys from this address; try again in {seconds} s",
    ),
    "db_unavailable": (
        "数据库暂不可用，未保存任何内容",
        "database unavailable; nothing was stored",
    ),
    "model_unavailable": ("模型暂不可用", "model unavailable"),
    "db_corrupt": (
        "数据库文件已损坏：请停止服务并从备份恢复（重试无济于事）",
        "the database file is damaged: stop the service and restore it from a backup "
        "(retrying will not help)",
    ),
    "db_corrupt_at_start": (
        "数据库 {url} 已损坏或不是数据库文件：请从备份恢复后重新启动",
        "the database {url} is damaged or not a database file: restore it from a backup, "
        "then start again",
    ),
    "db_unreachable": (
        "无法连接数据库 {url}：请确认数据库已启动且 RISK_DATABASE_URL 正确，然后重新启动",
        "cannot reach the database {url}: check that it is running and that "
        "RISK_DATABASE_URL is right, then start again",
    ),
    "recording_class_archive": (
        "正在记录 Spark 驱动程序的类数据存档（每次安装仅一次，之后启动约快 2 秒）：{path}",
        "recording the Spark driver's class-data archive (once per installation; later "
        "runs start about 2 s faster): {path}",
    ),
    "model_not_registered": (
        "模型库中没有模型 {model}：请检查 RISK_MODEL_URI，或先训练并发布模型",
        "model {model} is not in the registry: check RISK_MODEL_URI, or train and promote one",
    ),
    "mlflow_store": ("MLflow 模型库", "MLflow store"),
    "store_from_setting": ("由 {name} 指定", "given by {name}"),
    "store_from_env": ("来自环境变量 {name}", "from the environment variable {name}"),
    "store_from_risk_home": ("RISK_HOME 下的默认位置", "the default under RISK_HOME"),
    "store_from_checkout": ("开发检出目录下的默认位置", "the default in the development checkout"),
    "store_from_user_dir": ("用户数据目录下的默认位置", "the default in the user data directory"),
    "model_unreadable": (
        "模型 {model} 的文件无法读取（损坏或缺失）：请发布一个完好的版本后重新加载",
        "the files of model {model} cannot be read (corrupt or missing): promote a good "
        "version, then reload",
    ),
    "case_exists": ("案件编号已存在", "case_id already exists"),
    "lower_needs_supervisor": (
        "下调风险等级须由督导角色操作并说明理由",
        "lowering a tier needs the supervisor role and a reason",
    ),
    "same_tier": ("新等级与当前等级相同", "the new tier equals the current one"),
    "household_other_grid": (
        "该户登记在另一个网格：调查只能记入其登记网格，变更网格须由督导执行迁移",
        "this household is recorded in another grid: a survey is stored only in its grid "
        "of record, and moving it is a supervisor's act",
    ),
    "same_grid": ("该户已登记在此网格", "the household is already in this grid"),
    "keys_no_grids": (
        "请用 --grids G1,G2 指定密钥可见的网格，或用 --all-grids 明确授权全部网格（二者选一）",
        "give --grids G1,G2 for the grids the key may see, or --all-grids for every grid "
        "(one of the two)",
    ),
    "keys_bad_grid": (
        "网格编号无效：{value}（不能为空，不能含逗号或首尾空白，最多 64 个字符）",
        "invalid grid id: {value} (not empty, no comma or surrounding space, at most 64 "
        "characters)",
    ),
    # a case's life (service.lifecycle): states, steps, owners, levels, refusals
    "state_registered": ("登记", "registered"),
    "state_assigned": ("分流", "assigned"),
    "state_in_mediation": ("调处", "in mediation"),
    "state_follow_up": ("回访", "follow-up"),
    "state_closed": ("归档", "closed"),
    "action_register": ("登记受理", "register"),
    "action_assign": ("分流指派", "assign"),
    "action_mediate": ("开始调处", "start mediation"),
    "action_follow_up": ("转入回访", "move to follow-up"),
    "action_resume": ("重新调处", "mediate again"),
    "action_escalate": ("上报上一级", "escalate"),
    "action_close": ("结案归档", "close"),
    "owner_mediation_committee": ("人民调解委员会", "people's mediation committee"),
    "owner_grid_worker": ("网格员", "grid worker"),
    "owner_psychologist": ("心理咨询师", "psychologist"),
    "owner_police_liaison": ("公安联络员", "police liaison"),
    "level_village": ("村级", "village"),
    "level_township": ("乡镇级", "township"),
    "level_county": ("县级", "county"),
    "assessment_intake": ("受理评估", "intake"),
    "assessment_follow_up": ("回访评估", "follow-up"),
    "assessment_model": ("新模型重评", "re-scored by a new model"),
    "illegal_transition": (
        "案件当前为“{state_zh}”，不能{action_zh}",
        "the case is {state_en}: it cannot {action_en} now",
    ),
    "top_level": ("已在{level_zh}，没有更上一级", "already at the {level_en} level: none above"),
    "closure_rule": (
        "结案须最近连续 {need} 次回访评估及当前等级均低于{tier_zh}",
        "closing needs the latest {need} follow-up re-assessments, and the tier now, all "
        "below {tier_en}",
    ),
    "close_red_needs_supervisor": (
        "曾为红色的案件须由督导结案",
        "a case that has been red is closed by a supervisor",
    ),
    "owner_unknown": (
        "负责人密钥不存在、已停用、无权登记或看不到该案件的网格",
        "the owner key is unknown, revoked, may not store records, or does not see the case's grid",
    ),
    "owner_only_on_assign": ("只有分流时可指定负责人", "an owner is named only when assigning"),
    "case_closed": ("案件已归档，不能再评估", "the case is closed: it is not re-assessed"),
    "monitor_too_large": (
        "该时段有 {n} 条评分，超过页面即时计算的上限 {limit}：请用 risk monitor --since 日期 --out "
        "报告.html 离线计算，或选更晚的开始日期",
        "{n} scores in the period, more than the {limit} a report computed on request may read: "
        "run risk monitor --since DAY --out report.html, or start from a later day",
    ),
    "unknown_household": (
        "该户尚未登记：请填写网格并确认新建该户",
        "this household is not stored yet: give its grid and confirm it is a new household",
    ),
    "need_grid": ("请填写网格编号", "give the grid id"),
    "case_of_other_household": ("该案件不属于此户", "the case is not this household's"),
    # pages: a case's life, re-assessment, work lists, files, exports
    "page_grid_hint": (
        "新户必填；已登记的户沿用其登记网格",
        "needed for a new household; a stored one keeps its grid of record",
    ),
    "page_new_household": (
        "新建该户（系统中尚无该户记录）",
        "new household (nothing stored of it yet)",
    ),
    "page_new_household_hint": (
        "该户已有调查或案件时无需勾选；网格须与该户的登记网格一致",
        "leave it unticked for a household already stored; the grid must be its grid of record",
    ),
    "page_life": ("案件进程", "where the case stands"),
    "page_state": ("状态", "state"),
    "page_owner": ("负责人", "owner"),
    "page_owner_key": (
        "负责人密钥编号（留空为本人，仅分流时）",
        "owner's key number (blank: you; assigning only)",
    ),
    "page_level": ("调处层级", "mediation level"),
    "page_state_due": ("本阶段时限", "due in this state by"),
    "page_overdue": ("已逾期", "overdue"),
    "page_escalated": (
        "红色案件回访逾期，已转督导",
        "a red case's follow-up was missed: it is before the supervisor",
    ),
    "page_step": ("下一步", "next step"),
    "page_step_submit": ("办理", "Take the step"),
    "page_step_done": ("已办理", "step taken"),
    "page_steps": ("进程记录", "steps"),
    "page_reassess": ("回访评估", "follow-up re-assessment"),
    "page_reassess_hint": (
        "记录自上次评估以来的变化（未变化的留空），系统将用当前模型重新评估",
        "record what changed since the last assessment (leave the rest blank); the served "
        "model scores the case again",
    ),
    "page_reassess_note": ("回访记录", "notes"),
    "page_reassess_date": ("评估日期（默认今天）", "date (today if blank)"),
    "page_reassess_submit": ("重新评估", "Re-assess"),
    "page_reassess_done": ("已重新评估", "re-assessed"),
    "page_tier_history": ("等级变化", "tier over time"),
    "page_kind": ("类型", "kind"),
    "page_reasons_changed": ("原因变化", "reasons that changed"),
    "page_set_by_override": ("由人工调整设定", "set by an override"),
    "page_outcome": ("记录结果", "record the outcome"),
    "page_outcome_at": ("结果日期", "outcome date"),
    "page_outcome_submit": ("保存结果", "Save the outcome"),
    "page_outcome_done": ("结果已保存", "outcome saved"),
    "page_packet": ("会商材料", "case conference packet"),
    "page_export_xlsx": ("导出 Excel", "Export to Excel"),
    "page_print": ("打印", "Print"),
    "page_p_red": ("红色概率", "P(red)"),
    "page_nav_worklist": ("我的案件", "My cases"),
    "page_household_file": ("户档案", "household file"),
    "page_nav_search": ("查询", "Search"),
    "page_nav_survey": ("入户调查", "Survey"),
    "page_nav_overrides": ("调整分析", "Overrides"),
    "page_worklist_empty": ("目前没有待办案件", "no open case is yours now"),
    "page_worklist_hint": (
        "新模型升高等级的案件排在最前，其次为转督导和逾期的案件",
        "cases a new model raised come first, then the escalated and the overdue",
    ),
    "page_tier_rose": ("新模型评估等级升高", "a new model raised the tier"),
    "page_not_mine": ("转督导", "escalated to you"),
    "page_search_label": ("户编号或案件编号", "household or case id"),
    "page_search_none": ("未找到", "nothing found"),
    "page_survey_submit": ("保存调查", "Save the survey"),
    "page_survey_done": ("调查已保存", "survey saved"),
    "page_survey_update": ("录入新一轮调查", "enter a new survey wave"),
    "page_visit": ("记录走访", "record a visit"),
    "page_visit_on": ("走访日期", "day of the visit"),
    "page_visit_note": ("走访情况", "what was found"),
    "page_visit_case": ("相关案件编号（可选）", "case id (if for a case)"),
    "page_visit_submit": ("保存走访", "Save the visit"),
    "page_visit_done": ("走访已记录", "visit recorded"),
    "page_timeline": ("时间线", "timeline"),
    "page_waves": ("调查", "survey waves"),
    "page_cases": ("案件", "cases"),
    "timeline_survey": ("入户调查", "survey wave"),
    "timeline_screening": ("筛查评估", "screening"),
    "timeline_case": ("立案", "case opened"),
    "timeline_assessment": ("评估", "assessment"),
    "timeline_override": ("人工调整", "override"),
    "timeline_step": ("进程", "step"),
    "timeline_outcome": ("结果", "outcome"),
    "timeline_visit": ("走访", "visit"),
    "page_report_rate": ("调整率", "override rate"),
    "page_report_by_tier": ("按模型等级", "by the model's tier"),
    "page_report_by_grid": ("按网格", "by grid"),
    "page_report_by_role": ("按登记人角色", "by the role that entered the case"),
    "page_report_by_worker": ("按登记人", "by the worker who entered the case"),
    "page_report_group": ("分组", "group"),
    "page_report_cases": ("案件数", "cases"),
    "page_report_overridden": ("调整数", "overridden"),
    "page_report_raised": ("上调", "raised"),
    "page_report_lowered": ("下调", "lowered"),
    "page_report_overriders": ("调整人", "who overrode"),
    "page_report_outcomes": (
        "调整与采纳的结果对比",
        "outcomes of overridden against accepted tiers",
    ),
    "page_report_accepted": ("采纳模型等级", "model's tier accepted"),
    "page_report_with_outcome": ("有结果的案件", "cases with an outcome"),
    "page_report_summary": (
        "共 {cases} 案，人工调整 {overridden} 案（{rate}）",
        "{cases} cases, {overridden} overridden ({rate})",
    ),
    "page_packet_title": ("案件会商材料", "Case conference packet"),
    "page_packet_printed": ("打印日期", "printed on"),
    "page_tier_before": ("原等级", "tier before"),
    "page_changes": ("变化", "what changed"),
    # pages for case workers
    "page_title": ("矛盾纠纷风险分级", "Dispute risk triage"),
    "page_lang_switch": ("English", "中文"),
    "page_nav_intake": ("案件登记", "New case"),
    "page_nav_visits": ("走访名单", "Visit queue"),
    "page_nav_model": ("模型", "Model"),
    "page_nav_logout": ("退出", "Log out"),
    "page_login": ("登录", "Log in"),
    "page_login_key": ("API 密钥", "API key"),
    "page_login_hint": (
        "请输入管理员发放的密钥（rk_ 开头）",
        "Enter the key your administrator gave you (starts with rk_)",
    ),
    "page_login_failed": ("密钥无效或已停用", "the key is invalid or revoked"),
    "page_csrf_failed": (
        "表单已过期或来源不明，请刷新页面后重试",
        "the form expired or did not come from this site; reload the page and try again",
    ),
    "page_form_invalid": ("请修改标出的字段", "please correct the marked fields"),
    "page_choose": ("请选择", "choose"),
    "page_unknown": ("不详", "unknown"),
    "page_yes": ("是", "yes"),
    "page_no": ("否", "no"),
    "page_submit_case": ("登记并评估", "Save and score"),
    "page_case": ("案件 {case_id}", "Case {case_id}"),
    "page_household": ("户编号", "household"),
    "page_grid": ("网格", "grid"),
    "page_tier": ("风险等级", "risk tier"),
    "page_tier_now": ("当前等级：{tier}", "current tier: {tier}"),
    "page_tier_model": ("模型评定：{tier}", "scored: {tier}"),
    "page_tier_by_flag": (
        "红线标志将等级定为{tier}（模型评分为{model_tier}）",
        "a red flag sets the tier to {tier} (the model alone scored {model_tier})",
    ),
    "page_probabilities": ("概率", "probabilities"),
    "page_flags": ("红线标志", "red flags"),
    "page_no_flags": ("无", "none"),
    "page_reasons": ("主要原因", "main reasons"),
    "page_reason_field": ("因素", "factor"),
    "page_reason_value": ("取值", "value"),
    "page_reason_direction": ("影响", "effect"),
    "page_raises": ("升高风险", "raises risk"),
    "page_lowers": ("降低风险", "lowers risk"),
    "page_actions": ("建议措施", "recommended actions"),
    "page_follow_up": ("回访日期", "follow up by"),
    "page_follow_up_days": ("{days} 天内", "within {days} days"),
    "page_prediction_set": ("可能等级", "possible tiers"),
    "page_review": (
        "处于等级边界，建议人工复核",
        "borderline between tiers: a person should review it",
    ),
    "page_no_review": ("无需额外复核", "no extra review needed"),
    "page_model_version": ("模型版本", "model version"),
    "page_override": ("调整等级", "change the tier"),
    "page_override_tier": ("新等级", "new tier"),
    "page_override_reason": ("理由", "reason"),
    "page_override_submit": ("提交调整", "Change tier"),
    "page_override_hint": (
        "可根据专业判断上调等级；下调须由督导操作",
        "raise the tier on professional judgement; only a supervisor may lower it",
    ),
    "page_override_done": ("等级已调整", "tier changed"),
    "page_history": ("历史记录", "history"),
    "page_scores": ("评估", "scores"),
    "page_overrides": ("人工调整", "overrides"),
    "page_outcomes": ("结果", "outcomes"),
    "page_none_yet": ("暂无", "none yet"),
    "page_at": ("时间", "when"),
    "page_from_to": ("调整", "change"),
    "page_visits_grid": ("网格编号", "grid id"),
    "page_visits_all": ("全部网格", "all grids"),
    "page_visits_mine": ("我的网格", "my grids"),
    "page_visits_capacity": ("名额", "capacity"),
    "page_visits_show": ("查看", "Show"),
    "page_visits_empty": ("当前没有需要走访的家庭", "no household needs a visit now"),
    "page_visits_count": (
        "共 {count} 户（名额 {capacity}）",
        "{count} households (capacity {capacity})",
    ),
    "page_visits_due": ("到期", "due"),
    "page_visits_case": ("案件", "case"),
    "page_model_name": ("模型名称", "model name"),
    "page_model_trained": ("训练时间", "trained at"),
    "page_model_data": ("训练数据", "training data"),
    "page_model_thresholds": ("分级阈值", "tier thresholds"),
    "page_model_policy": ("策略版本", "policy version"),
    "page_model_coverage": ("建议复核比例", "share flagged for review"),
    "page_model_decision": ("决策", "decision"),
    "page_model_t_red": ("红色：P(红) ≥ {t}", "red: P(red) ≥ {t}"),
    "page_model_t_yellow": ("黄色：P(黄或红) ≥ {t}", "yellow: P(yellow or red) ≥ {t}"),
    "page_model_missed": ("未达到的目标", "targets missed"),
    "page_unseen": ("模型未能看到（未记录）", "what the model could not see (not recorded)"),
    "page_unseen_moves": ("若补充，等级可能为", "knowing it, the tier could be"),
    "page_unseen_stays": ("补充后等级不变", "knowing it would not change the tier"),
    # the two decisions, and what training says about them
    "decision_intake": ("案件受理", "case intake"),
    # drift: a field's verdict, and the headers of its table
    "drift_stable": ("稳定", "stable"),
    "drift_moderate": ("中度偏移", "moderate"),
    "drift_major": ("严重偏移", "major"),
    "drift_kind": ("台账", "kind"),
    "drift_field": ("字段", "field"),
    "drift_missing_reference": ("参照缺失率", "missing (ref)"),
    "drift_missing_current": ("当前缺失率", "missing (cur)"),
    "drift_new_values": ("新取值", "new values"),
    "drift_verdict": ("结论", "verdict"),
    "drift_label": ("标签", "label"),
    "drift_reference": ("参照", "reference"),
    "drift_current": ("当前", "current"),
    "decision_screening": ("入户筛查", "household screening"),
    "pooled_classifier": (
        "训练期红色事件 {n} 起，少于 {need} 起：使用合并模型",
        "{n} red event(s) in the training period, fewer than {need}: the pooled model serves",
    ),
    "few_red_events": (
        "校准期红色事件仅 {n} 起（少于 {need} 起），红色阈值只按容量和最低红色概率设定",
        "only {n} red event(s) in the calibration period (fewer than {need}): the red "
        "threshold is set by capacity and the minimum red probability alone",
    ),
    "few_yellow_events": (
        "校准期红色事件 {n} 起、黄色及以上事件 {m} 起（需各 {need} 起），"
        "绿色安全与召回目标无法衡量：黄色阈值只按容量设定",
        "{n} red and {m} yellow-or-red events in the calibration period (each needs {need}): "
        "green safety and recall cannot be measured, so the yellow threshold is set by "
        "capacity alone",
    ),
    # drift and monitoring (risk/drift.py, risk/monitor.py, risk/fairness.py)
    "drift_finding_field": (
        "{field}：PSI {psi}，缺失率 {before} → {now}",
        "{field}: PSI {psi}, missing {before} → {now}",
    ),
    "drift_finding_new_values": ("；新出现的取值：{values}", "; new values: {values}"),
    "drift_vanished_values": ("；消失的取值：{values}", "; values gone: {values}"),
    "drift_category": (
        "{field} = {value} 的占比 {before} → {now}（{ratio} 倍）",
        "{field} = {value}: share {before} → {now} (× {ratio})",
    ),
    "drift_ids": (
        "{field}：{share} 的记录落在参照数据没有的取值中（新取值 {unseen} 个，消失 {vanished} 个）",
        "{field}: {share} of rows in values the reference never had ({unseen} new, "
        "{vanished} gone)",
    ),
    "drift_text_missing": (
        "{field}在{by}为{value}的记录中缺失率 {before} → {now}",
        "{field} missing where {by} is {value}: {before} → {now}",
    ),
    "drift_none": ("未发现漂移", "no shift found"),
    "drift_missing_value": ("（缺失）", "(missing)"),
    "monitor_title": ("模型运行监测", "Model monitoring"),
    "monitor_insufficient": ("证据不足", "insufficient evidence"),
    "gate_within_noise": ("更差，但在抽样误差之内", "worse, but within noise"),
    "monitor_in_band": ("在允许范围内", "within the band"),
    "monitor_alert": (
        "{decision}：{figure} = {value}，超出允许范围 {low}–{high}（{where}）",
        "{decision}: {figure} = {value}, outside the band {low}–{high} ({where})",
    ),
    "monitor_no_alerts": ("所有指标均在允许范围内", "every figure is within its band"),
    "monitor_no_scores": ("尚无评分记录", "nothing scored yet"),
    "monitor_since": ("开始日期（留空：全部记录）", "from (empty: every record)"),
    "monitor_show": ("查看", "show"),
    "monitor_all_months": ("全部月份", "all months"),
    "field_monitor_month": ("月份（YYYY-MM，或 all 表示全部）", "month (YYYY-MM, or all)"),
    "field_monitor_figure": ("指标名", "figure"),
    "field_monitor_value": ("指标值", "the figure's value"),
    "field_monitor_band_low": ("允许范围下限", "the band's low end"),
    "field_monitor_band_high": ("允许范围上限", "the band's high end"),
    "field_monitor_message": ("告警说明", "the alert in words"),
    "field_monitor_tier": ("所评等级（或 all）", "the tier served (or all)"),
    "field_monitor_figures": ("各项指标（无法计算时为空）", "every figure (null when undefined)"),
    "field_monitor_generated": ("生成时间", "when computed"),
    "field_monitor_alerts": ("超出允许范围的指标", "figures outside their band"),
    "field_monitor_rows": ("按决策、月份、等级的指标", "figures per decision, month and tier"),
    "field_monitor_drift": ("数据漂移发现", "drift findings"),
    "page_nav_monitor": ("运行监测", "monitoring"),
    "monitor_all_decisions": ("全部决策", "both decisions"),
    "monitor_figure_major_drift_findings": ("重大漂移项数", "major drift findings"),
    "monitor_figure_n_scored": ("已评分", "units scored"),
    "monitor_figure_n_outcomes": ("已知结果", "outcomes known"),
    "monitor_figure_observed_red": ("实际红色率", "observed red rate"),
    "monitor_figure_predicted_red": ("预测红色率", "predicted red rate"),
    "monitor_figure_observed_yellow_or_red": ("实际黄色及以上率", "observed yellow-or-red rate"),
    "monitor_figure_predicted_yellow_or_red": ("预测黄色及以上率", "predicted yellow-or-red rate"),
    "monitor_figure_observed_expected_red": ("红色实际/预期比", "red observed over expected"),
    "monitor_figure_observed_expected_yellow_or_red": (
        "黄色及以上实际/预期比",
        "yellow-or-red observed over expected",
    ),
    "monitor_figure_citl_red": ("红色整体校准偏差", "red calibration in the large"),
    "monitor_figure_calibration_slope_red": ("红色校准斜率", "red calibration slope"),
    "monitor_figure_ppv_red": ("红色阳性预测值", "PPV of red"),
    "monitor_figure_npv_green": ("绿色阴性预测值", "NPV of green"),
    "monitor_figure_override_rate": ("人工改级率", "override rate"),
    "monitor_figure_estimated_red": ("估计红色率（无标签）", "estimated red rate (label-free)"),
    "monitor_figure_estimated_ppv_red": (
        "估计红色阳性预测值（无标签）",
        "estimated PPV of red (label-free)",
    ),
    "monitor_figure_estimated_npv_green": (
        "估计绿色阴性预测值（无标签）",
        "estimated NPV of green (label-free)",
    ),
    "monitor_figure_estimated_auroc_red": (
        "估计红色AUROC（无标签）",
        "estimated red AUROC (label-free)",
    ),
    "monitor_figure_psi_p_red": ("红色概率分布漂移PSI", "PSI of P(red)"),
    "monitor_figure_psi_p_yellow_or_red": ("黄色及以上概率分布漂移PSI", "PSI of P(yellow or red)"),
    "monitor_figure_alerts": ("告警数", "alerts"),
    "fairness_gap": (
        "{group} = {value}：{metric} 差距 {gap}（95% 区间 {low} 至 {high}，{n} 个单位）",
        "{group} = {value}: {metric} gap {gap} (95% interval {low} to {high}, {n} units)",
    ),
    "fairness_measured": ("已测量", "measured"),
    "fairness_figure_auroc_red": ("红色AUROC", "red AUROC"),
    "fairness_figure_observed_expected_red": ("红色实际/预期比", "red observed over expected"),
    "fairness_figure_citl_red": ("红色整体校准偏差", "red calibration in the large"),
    "fairness_figure_fnr_red": ("红色漏判率", "red false-negative rate"),
    "fairness_card_note": (
        "分组须有至少 {need_units} 个单位和 {need_red} 个红色结果才予评判；"
        "95% 区间来自 {n_boot} 次自助抽样（fairlearn）。证据不足的分组仅供参考，不给区间，"
        "也绝不视为通过。差距为分组数值减去该决策全部单位的数值。",
        "A subgroup is judged only with at least {need_units} units and {need_red} red "
        "outcomes; its 95% interval is from {n_boot} bootstrap replicates (fairlearn). A "
        "subgroup with insufficient evidence is shown for reading, without an interval, and "
        "never counts as a pass. A gap is the subgroup's figure minus that of all the "
        "decision's units.",
    ),
    "fairness_insufficient": (
        "{group} = {value}：证据不足（{n} 个单位、{n_red} 个红色结果，"
        "需 {need_units} 个单位、{need_red} 个红色结果）",
        "{group} = {value}: insufficient evidence ({n} units, {n_red} red outcomes; needs "
        "{need_units} units and {need_red} red)",
    ),
    "interaction_reason": ("{a}与{b}同时存在", "{a} together with {b}"),
    "page_model_red_flags": ("红线标志", "red flags"),
    "page_error": ("出错了", "Something went wrong"),
    "page_back": ("返回", "back"),
}


def text(key: str, lang: Lang = "zh", /, **values: object) -> str:
    """The message ``key`` in ``lang``, with ``values`` filled in."""
    zh, en = MESSAGES[key]
    return (zh if lang == "zh" else en).format(**values)


def both(key: str, /, **values: object) -> tuple[str, str]:
    """The message ``key`` in Chinese and in English."""
    return text(key, "zh", **values), text(key, "en", **values)
