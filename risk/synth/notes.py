"""Chinese case notes (案情摘要) built from phrase templates that agree with the true case.

Each fact true of a case is written with some probability, in one of a few wordings a
model can learn (持刀, 扬言要杀, 掐脖子, 想不开 …); a hard red flag the fields left blank is
written more often ("the notes mention what the fields miss"). Some notes are blank.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from risk.schema import CASE
from risk.synth import params as P
from risk.synth.cases import CaseDraw, hard_flag_true
from risk.synth.households import FREQUENT, State

OPENING = {
    "grid_worker": ("网格员走访发现，", "网格员入户时了解到，", "网格员巡查发现，"),
    "police": ("派出所转来：", "公安机关移交：", "110接警后转办："),
    "court": ("法院诉前调解转来：", "法院委托调解："),
    "womens_federation": ("妇联接访：", "妇联转来："),
    "self": ("当事人来访反映，", "当事人到中心求助，"),
    "neighbour": ("邻居反映，", "周边群众反映，"),
    "other": ("村（居）委会反映，", "其他渠道获悉，"),
}
COUNTERPART_WORD = {
    "spouse": ("丈夫", "妻子", "配偶"),
    "ex_partner": ("前夫", "前妻", "前男友"),
    "parent": ("父亲", "母亲"),
    "child": ("儿子", "女儿"),
    "sibling": ("哥哥", "弟弟", "姐姐", "妹妹"),
    "in_law": ("婆婆", "岳父", "儿媳", "女婿"),
    "other_relative": ("叔叔", "堂兄", "表姐"),
    "neighbour": ("邻居", "隔壁住户"),
    "other": ("同村村民", "对方"),
}
TOPIC = {
    "marital": ("家庭琐事", "家务分工", "感情不和"),
    "divorce": ("离婚问题", "是否离婚"),
    "custody": ("孩子抚养", "抚养费"),
    "elder_support": ("老人赡养", "赡养费分担"),
    "inheritance": ("遗产继承", "房产继承"),
    "property": ("财产分割", "房屋归属"),
    "land_boundary": ("宅基地边界", "土地界址"),
    "neighbour_nuisance": ("噪音扰民", "漏水", "占用通道", "垃圾堆放"),
    "debt": ("借款未还", "欠款"),
    "other": ("生活琐事", "口角"),
}
MEDIATION = {
    "none": ("尚未调解。",),
    "ongoing": ("调解正在进行。", "已组织调解，仍在协商。"),
    "agreement": ("经调解双方达成协议。", "经调解已签订协议。"),
    "failed": ("调解未果。", "多次调解无效。"),
}
FILLER = (
    "经了解，双方平时关系一般。",
    "工作人员已登记在册。",
    "已告知相关法律规定。",
    "建议持续关注。",
    "已联系村（居）委会跟进。",
    "",
)
# (phrases, how often a true fact is written)
PHYSICAL = (("双方发生肢体冲突。", "对方动手打人。", "双方推搡扭打。"), 0.8)
NO_PHYSICAL = (("双方仅有口角，未动手。",), 0.2)
WEAPON_WORDS = {
    "knife": ("对方持刀威胁。", "对方曾拿刀比划。"),
    "blunt": ("对方拿棍棒打人。",),
    "firearm": ("对方持有枪支。",),
    "other": ("对方手持器械。",),
}
THREATS = (("对方言语威胁恐吓。", "对方多次威胁。"), 0.6)
KILL = ("对方扬言要杀了她。", "对方扬言要杀人。", "对方扬言要同归于尽。")
STRANGLE = ("对方掐脖子。", "当事人曾被掐住脖子。")
INJURY_WORDS = {
    "minor": ("当事人轻微受伤。", "当事人有擦伤。"),
    "serious": ("当事人受伤严重，已送医。", "伤情较重，住院治疗。"),
}
HARD_FLAG_MENTION = 0.7
FACTS_OF_CASE = {
    "police_called": (("当事人报警。",), 0.6),
    "child_witness": (("孩子在场。", "事发时孩子在场目睹。"), 0.7),
    "pregnancy": (("女方怀孕。", "当事人怀孕三个月。"), 0.8),
    "separation": (("双方已分居。", "正在闹离婚。", "女方提出离婚。"), 0.8),
    "escalating": (("近来矛盾不断升级。", "冲突越来越频繁。"), 0.6),
    "fear": (("当事人十分害怕。", "当事人不敢回家。"), 0.6),
    "repeat": (("近一年多次发生类似事件。", "多次报警。"), 0.6),
    "drinking": (("对方经常酗酒。", "对方喝醉后闹事。"), 0.5),
    "gambling": (("对方有赌博习惯。",), 0.5),
    "suicidal": (("当事人情绪低落，有轻生念头。", "当事人说想不开。"), 0.5),
    "debt": (("家中有欠债。",), 0.3),
    "returned": (("对方外出务工返乡后矛盾增多。",), 0.3),
}


def _pick(rng: np.random.Generator, phrases: tuple[str, ...], n: int) -> np.ndarray:
    return np.asarray(phrases, dtype=object)[rng.integers(0, len(phrases), n)]


def _sometimes(
    rng: np.random.Generator, present: np.ndarray, phrases: tuple[str, ...], p: float | np.ndarray
) -> np.ndarray:
    """The phrase where the fact is present and gets written (probability ``p``), else ''."""
    n = len(present)
    written = present & (rng.random(n) < p)
    return np.where(written, _pick(rng, phrases, n), "")


def _by_code(
    rng: np.random.Generator,
    codes: tuple[str, ...],
    positions: np.ndarray,
    words: Mapping[str, tuple[str, ...]],
    p: float | np.ndarray = 1.0,
) -> np.ndarray:
    out = np.full(len(positions), "", dtype=object)
    for code, phrases in words.items():
        written = _sometimes(rng, positions >= 0, phrases, p)
        out = np.where(positions == codes.index(code), written, out)
    return out


def _hard_flag_p(blank: np.ndarray) -> np.ndarray:
    return np.where(blank, P.NOTE_MENTIONS_UNRECORDED, HARD_FLAG_MENTION)


def write_notes(
    rng: np.random.Generator,
    draw: CaseDraw,
    s: State,
    blanks: dict[str, np.ndarray],
    notes_missing: np.ndarray,
) -> pd.api.extensions.ExtensionArray:
    """One note per case (NA for the blank ones), consistent with the true case."""
    n = len(draw)
    i = draw.intake
    hard = hard_flag_true(draw)
    opening = _by_code(rng, CASE["source"].codes, i.source, OPENING)
    who = _by_code(rng, CASE["counterpart"].codes, draw.counterpart, COUNTERPART_WORD)
    topic = _by_code(rng, CASE["dispute_type"].codes, draw.dispute_type, TOPIC)
    facts = {
        "police_called": i.police_called,
        "child_witness": i.child_witness,
        "pregnancy": draw.pregnant,
        "separation": draw.separated,
        "escalating": i.escalating,
        "fear": i.victim_fear == CASE["victim_fear"].codes.index("high"),
        "repeat": draw.prior_incidents >= 3,
        "drinking": s.alcohol == FREQUENT,
        "gambling": s.gambling,
        "suicidal": s.suicidal,
        "debt": s.debt,
        "returned": s.returned,
    }
    pieces = [
        opening + "当事人与" + who + "因" + topic + "发生矛盾。",
        _sometimes(rng, i.physical_violence, *PHYSICAL),
        _sometimes(rng, ~i.physical_violence, *NO_PHYSICAL),
        _sometimes(rng, i.threats & ~i.threat_to_kill, *THREATS),
        _sometimes(rng, hard["threat_to_kill"], KILL, _hard_flag_p(blanks["threat_to_kill"])),
        _by_code(rng, CASE["weapon"].codes, i.weapon, WEAPON_WORDS, _hard_flag_p(blanks["weapon"])),
        _sometimes(rng, hard["strangulation"], STRANGLE, _hard_flag_p(blanks["strangulation"])),
        _by_code(rng, CASE["injury"].codes, i.injury, INJURY_WORDS, _hard_flag_p(blanks["injury"])),
        *(_sometimes(rng, facts[name], *spec) for name, spec in FACTS_OF_CASE.items()),
        _by_code(rng, CASE["mediation_status"].codes, i.mediation_status, MEDIATION, 0.7),
        _pick(rng, FILLER, n),
    ]
    text = ["".join(parts) for parts in zip(*pieces, strict=True)]
    by_source = np.array([P.NOTES_MISSING_BY_SOURCE.get(c, 1.0) for c in CASE["source"].codes])
    blank = rng.random(n) < notes_missing * by_source[i.source]
    return pd.array([None if b else t for t, b in zip(text, blank, strict=True)], dtype="string")
