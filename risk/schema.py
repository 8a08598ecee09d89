"""The data contract in code: one table of fields that everything else derives from.

Ingest, validation (pandera), the API models and the contract docs all read
:data:`HOUSEHOLD_SURVEY` and :data:`CASE`; nothing re-types a field by hand.
Each field carries its type, range or values, whether it is required, its Chinese
header and zh/en labels; each enum value carries its zh/en labels and the Chinese
aliases ingest accepts for it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["string", "date", "int", "bool", "enum"]

#: pandas dtype of each field kind in a contract frame.
DTYPES: dict[str, str] = {
    "string": "string",
    "date": "datetime64[ns]",
    "int": "Int32",
    "bool": "boolean",
    "enum": "category",
}

#: The dates the contract takes, in ingest and in the API alike: from 1970 (ledger history
#: counts days since then) to 2199 (well inside what a contract frame can hold).
FIRST_DAY, LAST_DAY = dt.date(1970, 1, 1), dt.date(2199, 12, 31)

#: Spellings ingest reads as booleans (compared after strip and lower-casing).
TRUE_WORDS = ("是", "有", "y", "yes", "1", "true", "t", "对")
FALSE_WORDS = ("否", "无", "n", "no", "0", "false", "f", "没有")


@dataclass(frozen=True)
class Choice:
    """One allowed value of an enum field."""

    code: str
    zh: str
    en: str
    aliases: tuple[str, ...] = ()

    def spellings(self) -> tuple[str, ...]:
        """Every spelling ingest accepts for this value: code, labels, aliases."""
        parts = tuple(p for p in self.zh.split("/") if p)
        return (self.code, self.en, self.zh, *parts, *self.aliases)


@dataclass(frozen=True)
class Field:
    """One field of a record kind, as the contract defines it."""

    name: str
    zh: str
    en: str
    kind: Kind
    required: bool = False
    low: int | None = None
    high: int | None = None
    choices: tuple[Choice, ...] = ()
    max_length: int | None = None
    note: str = ""
    training_only: bool = False
    model_input: bool = True
    ordered: bool = False  # an enum whose values are listed from least to most risk

    @property
    def dtype(self) -> str:
        return DTYPES[self.kind]

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(c.code for c in self.choices)

    def choice(self, code: str) -> Choice:
        for c in self.choices:
            if c.code == code:
                return c
        raise KeyError(f"{self.name}: no value {code!r}")

    def label(self, lang: str = "zh") -> str:
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True)
class RecordKind:
    """A record kind of the contract: its fields and the fields that key a row."""

    name: str
    zh: str
    en: str
    fields: tuple[Field, ...]
    key: tuple[str, ...]
    unit_note: str = ""
    _by_name: dict[str, Field] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", {f.name: f for f in self.fields})

    def __getitem__(self, name: str) -> Field:
        return self._by_name[name]

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __iter__(self) -> Iterator[Field]:
        return iter(self.fields)

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.fields]

    @property
    def required(self) -> list[str]:
        return [f.name for f in self.fields if f.required]

    def scoring_fields(self) -> tuple[Field, ...]:
        """Fields sent for scoring: everything but training-only outcomes."""
        return tuple(f for f in self.fields if not f.training_only)

    def dtypes(self) -> dict[str, str]:
        return {f.name: f.dtype for f in self.fields}


def _choices(
    *rows: tuple[str, str, str] | tuple[str, str, str, tuple[str, ...]],
) -> tuple[Choice, ...]:
    return tuple(Choice(*row) for row in rows)


def _bool(name: str, zh: str, en: str, note: str = "") -> Field:
    return Field(name, zh, en, "bool", note=note)


HOUSEHOLD_SURVEY = RecordKind(
    name="household_survey",
    zh="入户调查",
    en="household survey",
    key=("household_id", "survey_date"),
    unit_note="one row per household per survey wave",
    fields=(
        Field(
            "household_id",
            "户编号",
            "household id",
            "string",
            required=True,
            max_length=64,
            note="pseudonymous id",
            model_input=False,
        ),
        Field("survey_date", "调查日期", "survey date", "date", required=True, model_input=False),
        Field(
            "grid_id",
            "网格编号",
            "grid id",
            "string",
            required=True,
            max_length=64,
            model_input=False,
        ),
        Field(
            "area",
            "城乡",
            "urban or rural",
            "enum",
            required=True,
            choices=_choices(
                ("urban", "城镇", "urban", ("城市", "城区")), ("rural", "农村", "rural", ("乡村",))
            ),
        ),
        Field("household_size", "家庭人口", "household size", "int", required=True, low=1, high=30),
        Field(
            "children", "未成年子女数", "children under 18", "int", required=True, low=0, high=20
        ),
        Field(
            "elderly",
            "老人数",
            "elderly (65+)",
            "int",
            required=True,
            low=0,
            high=10,
            note="aged 65+",
        ),
        Field(
            "left_behind",
            "留守情况",
            "left-behind members",
            "enum",
            choices=_choices(
                ("none", "无", "none"),
                ("spouse", "留守妇女/配偶", "spouse left behind", ("留守配偶",)),
                ("children", "留守儿童", "children left behind"),
                ("elderly", "留守老人", "elderly left behind"),
            ),
        ),
        _bool("returned_migrant", "务工返乡", "returned migrant worker"),
        Field(
            "economic_hardship",
            "经济困难",
            "economic hardship",
            "enum",
            ordered=True,
            choices=_choices(
                ("none", "无", "none"),
                ("moderate", "一般", "moderate"),
                ("severe", "严重", "severe"),
            ),
        ),
        _bool("unemployed", "失业", "unemployed"),
        _bool("debt_pressure", "债务压力", "debt pressure"),
        Field(
            "alcohol_misuse",
            "酗酒",
            "alcohol misuse",
            "enum",
            ordered=True,
            choices=_choices(
                ("none", "无", "none"),
                ("occasional", "偶尔", "occasional"),
                ("frequent", "经常", "frequent"),
            ),
        ),
        _bool("gambling", "赌博", "gambling"),
        Field("phq9", "抑郁量表PHQ-9", "depression score (PHQ-9)", "int", low=0, high=27),
        Field("gad7", "焦虑量表GAD-7", "anxiety score (GAD-7)", "int", low=0, high=21),
        _bool("suicidal_ideation", "自杀意念", "suicidal ideation"),
        _bool("severe_mental_illness", "严重精神障碍", "severe mental illness"),
        Field(
            "conflict_frequency",
            "家庭争吵频率",
            "family quarrels",
            "enum",
            ordered=True,
            choices=_choices(
                ("never", "从不", "never"),
                ("monthly", "每月", "monthly"),
                ("weekly", "每周", "weekly"),
                ("daily", "每天", "daily"),
            ),
        ),
        _bool("violence_history", "家暴史", "history of domestic violence"),
        Field(
            "neighbour_relations",
            "邻里关系",
            "relations with neighbours",
            "enum",
            ordered=True,
            choices=_choices(
                ("good", "良好", "good"), ("fair", "一般", "fair"), ("poor", "紧张", "poor")
            ),
        ),
        Field(
            "social_support",
            "社会支持",
            "social support",
            "enum",
            ordered=True,
            choices=_choices(
                ("strong", "强", "strong"), ("moderate", "中", "moderate"), ("weak", "弱", "weak")
            ),
        ),
        _bool(
            "caregiver_burden", "照护负担", "caregiver burden", note="a member needs long-term care"
        ),
    ),
)

TIERS = _choices(
    ("green", "绿", "green", ("绿色", "低风险")),
    ("yellow", "黄", "yellow", ("黄色", "中风险")),
    ("red", "红", "red", ("红色", "高风险")),
)

OUTCOMES = _choices(
    ("resolved", "化解", "resolved", ("已化解",)),
    ("recurred", "反复/升级", "recurred or escalated"),
    ("serious_harm", "严重事件", "serious harm"),
)

CASE = RecordKind(
    name="case",
    zh="矛盾纠纷台账",
    en="dispute case",
    key=("case_id",),
    unit_note="one row per dispute case",
    fields=(
        Field(
            "case_id",
            "案件编号",
            "case id",
            "string",
            required=True,
            max_length=64,
            note="pseudonymous id",
            model_input=False,
        ),
        Field(
            "household_id",
            "户编号",
            "household id",
            "string",
            required=True,
            max_length=64,
            note="the household the case is scored for",
            model_input=False,
        ),
        Field("opened_at", "登记日期", "opened on", "date", required=True, model_input=False),
        Field(
            "source",
            "来源",
            "reported by",
            "enum",
            required=True,
            choices=_choices(
                ("grid_worker", "网格员", "grid worker"),
                ("police", "公安", "police"),
                ("court", "法院", "court"),
                ("womens_federation", "妇联", "women's federation"),
                ("self", "本人", "the party"),
                ("neighbour", "邻居", "a neighbour"),
                ("other", "其他", "other"),
            ),
        ),
        Field(
            "dispute_type",
            "纠纷类型",
            "dispute type",
            "enum",
            required=True,
            choices=_choices(
                ("marital", "婚姻家庭", "marital"),
                ("divorce", "离婚", "divorce"),
                ("custody", "抚养", "custody"),
                ("elder_support", "赡养", "elder support"),
                ("inheritance", "继承", "inheritance"),
                ("property", "财产分割", "property division"),
                ("land_boundary", "宅基地/土地", "land or homestead boundary"),
                ("neighbour_nuisance", "邻里纠纷", "neighbour nuisance"),
                ("debt", "债务", "debt"),
                ("other", "其他", "other"),
            ),
        ),
        Field(
            "counterpart",
            "对方关系",
            "other party",
            "enum",
            required=True,
            choices=_choices(
                ("spouse", "配偶", "spouse", ("丈夫", "妻子")),
                ("ex_partner", "前任/恋人", "ex-partner or partner", ("前夫", "前妻")),
                ("parent", "父母", "parent"),
                ("child", "子女", "child"),
                ("sibling", "兄弟姐妹", "sibling"),
                ("in_law", "姻亲", "in-law"),
                ("other_relative", "其他亲属", "other relative"),
                ("neighbour", "邻居", "neighbour"),
                ("other", "其他", "other"),
            ),
        ),
        Field(
            "parties",
            "当事人数",
            "parties involved",
            "int",
            low=2,
            high=500,
            note="a collective dispute has many",
        ),
        Field(
            "prior_incidents_12m",
            "近12月同类事件",
            "incidents in the last 12 months",
            "int",
            low=0,
            high=100,
            note="as reported at intake",
        ),
        Field("mediation_attempts", "调解次数", "mediation attempts", "int", low=0, high=50),
        Field(
            "mediation_status",
            "调解状态",
            "mediation status",
            "enum",
            choices=_choices(
                ("none", "未调解", "not mediated"),
                ("ongoing", "调解中", "ongoing"),
                ("agreement", "达成协议", "agreement reached"),
                ("failed", "调解失败", "mediation failed"),
            ),
        ),
        _bool("threats", "威胁恐吓", "threats or intimidation"),
        _bool("threat_to_kill", "扬言杀人", "threat to kill"),
        Field(
            "weapon",
            "持械",
            "weapon",
            "enum",
            choices=_choices(
                ("none", "无", "none"),
                ("knife", "刀具", "knife", ("刀",)),
                ("blunt", "棍棒", "blunt object"),
                ("firearm", "枪支", "firearm"),
                ("other", "其他", "other"),
            ),
        ),
        _bool("physical_violence", "肢体冲突", "physical violence"),
        _bool("strangulation", "掐脖", "strangulation"),
        Field(
            "injury",
            "受伤",
            "injury",
            "enum",
            ordered=True,
            choices=_choices(
                ("none", "无", "none"),
                ("minor", "轻微", "minor", ("轻伤",)),
                ("serious", "严重", "serious", ("重伤",)),
            ),
        ),
        _bool("police_called", "报警", "police called"),
        _bool("protection_order", "人身安全保护令", "protection order in force", note="in force"),
        _bool(
            "separation",
            "分居/提出离婚",
            "separation or divorce filed",
            note="within the last 6 months",
        ),
        _bool("pregnancy", "怀孕", "pregnancy"),
        _bool("child_witness", "儿童目睹", "child witnessed"),
        _bool(
            "escalating",
            "事态升级",
            "escalating",
            note="the worker sees frequency or severity rising",
        ),
        Field(
            "victim_fear",
            "当事人恐惧程度",
            "fear felt by the party",
            "enum",
            ordered=True,
            choices=_choices(
                ("none", "无", "none"), ("some", "一些", "some"), ("high", "强烈", "high")
            ),
        ),
        Field(
            "notes",
            "案情摘要",
            "case notes",
            "string",
            max_length=4000,
            note="free text, usually Chinese",
        ),
        Field(
            "assessed_tier",
            "人工评定",
            "tier assessed at intake",
            "enum",
            choices=TIERS,
            note="a human's grading at intake, kept for comparison, never a model input",
            model_input=False,
        ),
        Field(
            "outcome",
            "90天结果",
            "90-day outcome",
            "enum",
            choices=OUTCOMES,
            training_only=True,
            model_input=False,
        ),
        Field(
            "outcome_at",
            "结果日期",
            "outcome recorded on",
            "date",
            training_only=True,
            model_input=False,
            note="when the outcome was recorded",
        ),
    ),
)

RECORD_KINDS: dict[str, RecordKind] = {
    "households": HOUSEHOLD_SURVEY,
    "cases": CASE,
}


def record_kind(name: str) -> RecordKind:
    """The record kind for a CLI or API name (``households``/``cases`` or the contract name)."""
    for alias, kind in RECORD_KINDS.items():
        if name in (alias, kind.name):
            return kind
    raise KeyError(f"kind: unknown record kind {name!r}; expected one of {sorted(RECORD_KINDS)}")


def all_fields() -> Iterator[tuple[RecordKind, Field]]:
    for kind in RECORD_KINDS.values():
        for f in kind:
            yield kind, f
