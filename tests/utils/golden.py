"""Golden cases: units a case worker would recognise, each with the tiers common sense allows.

A case is a calm base record of its kind (a dispute case with its household's survey, or a
household known only from its survey) plus the fields that differ, and the household's
earlier cases in the ledger. The units are assembled the way training assembles them
(contract check through ingest, as-of join, ledger history), then scored one at a time.
The two models they are checked on are :func:`default_model` and :func:`ledger_model`.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from risk.features.units import build_units
from risk.models.triage import TriageModel
from risk.schema import CASE, HOUSEHOLD_SURVEY
from utils.builders import as_records, contract_frame
from utils.fitted import fitted

__all__ = ["CASES", "CASE_BASE", "SURVEY_BASE", "Golden", "default_model", "ledger_model", "unit"]

SURVEY_DATE, OPENED_AT = "2024-11-20", "2025-03-10"
#: The ledger-sized model: a county of 20,000 households (the size issue 14 reproduced on).
LEDGER_HOUSEHOLDS, LEDGER_SEED = 20_000, 2

#: A calm household's survey wave: every answer given, none of concern.
SURVEY_BASE: dict[str, Any] = {
    "survey_date": SURVEY_DATE,
    "grid_id": "G-GOLD",
    "area": "urban",
    "household_size": 3,
    "children": 1,
    "elderly": 0,
    "left_behind": "none",
    "returned_migrant": False,
    "economic_hardship": "none",
    "unemployed": False,
    "debt_pressure": False,
    "alcohol_misuse": "none",
    "gambling": False,
    "phq9": 2,
    "gad7": 1,
    "suicidal_ideation": False,
    "severe_mental_illness": False,
    "conflict_frequency": "never",
    "violence_history": False,
    "neighbour_relations": "good",
    "social_support": "strong",
    "caregiver_burden": False,
}

#: A calm case at intake: a neighbours' complaint, every answer no or none, not yet mediated.
CASE_BASE: dict[str, Any] = {
    "opened_at": OPENED_AT,
    "source": "grid_worker",
    "dispute_type": "neighbour_nuisance",
    "counterpart": "neighbour",
    "parties": 2,
    "prior_incidents_12m": 0,
    "mediation_attempts": 0,
    "mediation_status": "none",
    "threats": False,
    "threat_to_kill": False,
    "weapon": "none",
    "physical_violence": False,
    "strangulation": False,
    "injury": "none",
    "police_called": False,
    "protection_order": False,
    "separation": False,
    "pregnancy": False,
    "child_witness": False,
    "escalating": False,
    "victim_fear": "none",
}

GREEN_YELLOW = frozenset({"green", "yellow"})
YELLOW_RED = frozenset({"yellow", "red"})
RED = frozenset({"red"})
GREEN = frozenset({"green"})


@dataclass(frozen=True)
class Golden:
    """One golden case: what differs from the base records, and the tiers it may get.

    ``case`` is None for a household with no case (a screening unit as of its survey);
    ``surveyed`` is false for a household never surveyed; ``earlier`` are the household's
    earlier cases in the ledger, each as the fields that differ from :data:`CASE_BASE`.
    """

    name: str
    zh: str
    en: str
    allowed: frozenset[str]
    case: Mapping[str, Any] | None = None
    survey: Mapping[str, Any] = field(default_factory=dict)
    earlier: tuple[Mapping[str, Any], ...] = ()
    surveyed: bool = True

    @property
    def kind(self) -> str:
        """The unit's kind: "case" (case intake) or "survey" (household screening)."""
        return "survey" if self.case is None else "case"

    @property
    def household_id(self) -> str:
        return f"H-{self.name}"

    @property
    def case_id(self) -> str:
        return f"C-{self.name}"


CASES: tuple[Golden, ...] = (
    # -- case intake ------------------------------------------------------------------
    Golden(
        "knife_threat_divorce",
        "离婚期间男方酒后持菜刀扬言杀妻，孩子在场，近一年已有三次同类事件",
        "During a divorce a drunk husband threatens to kill his wife with a kitchen knife, "
        "a child present, after three such incidents this year",
        RED,
        case={
            "source": "police",
            "dispute_type": "divorce",
            "counterpart": "spouse",
            "prior_incidents_12m": 3,
            "mediation_attempts": 1,
            "mediation_status": "failed",
            "threats": True,
            "threat_to_kill": True,
            "weapon": "knife",
            "physical_violence": True,
            "injury": "minor",
            "police_called": True,
            "separation": True,
            "child_witness": True,
            "escalating": True,
            "victim_fear": "high",
            "notes": "女方提出离婚后，男方酒后持菜刀扬言要杀了她，孩子在场。近一年已报警三次。",
        },
        survey={"conflict_frequency": "weekly", "alcohol_misuse": "frequent"},
        earlier=(
            {
                "opened_at": "2024-10-05",
                "dispute_type": "marital",
                "counterpart": "spouse",
                "threats": True,
                "physical_violence": True,
                "outcome": "recurred",
                "outcome_at": "2024-11-30",
            },
        ),
    ),
    Golden(
        "lift_dispute",
        "老旧小区加装电梯，低层与高层住户意见不一，多户协商未果，无威胁",
        "Residents of an old block disagree about installing a lift; many parties, no threats",
        GREEN_YELLOW,
        case={
            "parties": 14,
            "mediation_attempts": 1,
            "mediation_status": "ongoing",
            "notes": "老旧小区加装电梯，一楼住户反对，高层住户多次协商未果。",
        },
        survey={"elderly": 1, "neighbour_relations": "fair"},
    ),
    Golden(
        "wall_blocks_village_road",
        "村民砌墙占用村道，邻户通行受阻，双方发生口角",
        "A villager's new wall blocks the village road; a verbal quarrel with the neighbours",
        GREEN_YELLOW,
        case={
            "dispute_type": "land_boundary",
            "parties": 3,
            "mediation_attempts": 1,
            "mediation_status": "ongoing",
            "notes": "村民在宅基地边砌墙，占用村道，邻户通行受阻，双方发生口角。",
        },
        survey={"area": "rural", "neighbour_relations": "poor"},
    ),
    Golden(
        "noise_complaint_all_no",
        "邻居投诉夜间噪音，所有问题均答否或无",
        "A neighbour's complaint about noise at night; every answer is no or none",
        GREEN_YELLOW,
        case={"notes": "楼上住户夜间噪音，邻居投诉。"},
    ),
    Golden(
        "quarrel_settled_same_day",
        "邻里因晾晒衣物口角，网格员当天调解，双方达成协议",
        "A neighbours' quarrel over drying laundry, settled by the grid worker the same day",
        GREEN,
        case={
            "mediation_attempts": 1,
            "mediation_status": "agreement",
            "notes": "邻里因晾晒衣物发生口角，网格员当天调解，双方达成协议。",
        },
    ),
    Golden(
        "elder_support_quarrel",
        "老人与儿子因赡养费分担争吵，无肢体冲突",
        "An elderly parent quarrels with a son over support payments; no violence",
        GREEN_YELLOW,
        case={
            "dispute_type": "elder_support",
            "counterpart": "child",
            "parties": 3,
            "prior_incidents_12m": 1,
            "mediation_attempts": 1,
            "mediation_status": "ongoing",
            "notes": "老人与儿子因赡养费分担发生争吵，要求儿子每月支付生活费。",
        },
        survey={
            "area": "rural",
            "household_size": 2,
            "children": 0,
            "elderly": 2,
            "economic_hardship": "moderate",
        },
    ),
    Golden(
        "debt_with_threats",
        "借款到期未还，债主多次上门威胁恐吓",
        "A debt dispute: the lender comes to the door again and again with threats",
        YELLOW_RED,
        case={
            "source": "self",
            "dispute_type": "debt",
            "counterpart": "other",
            "prior_incidents_12m": 2,
            "threats": True,
            "police_called": True,
            "victim_fear": "some",
            "notes": "借款到期未还，债主多次上门威胁恐吓，称不还钱就让他好看。",
        },
        survey={"debt_pressure": True, "economic_hardship": "severe"},
    ),
    Golden(
        "partner_violence_strangulation_history",
        "反复家暴：台账中曾有掐脖案件，本次丈夫再次殴打妻子，事态升级",
        "Repeated partner violence: an earlier case recorded strangulation; he hit her again "
        "and it is escalating",
        RED,
        case={
            "source": "womens_federation",
            "dispute_type": "marital",
            "counterpart": "spouse",
            "prior_incidents_12m": 4,
            "mediation_attempts": 2,
            "mediation_status": "failed",
            "threats": True,
            "physical_violence": True,
            "injury": "minor",
            "police_called": True,
            "child_witness": True,
            "escalating": True,
            "victim_fear": "high",
            "notes": "丈夫再次殴打妻子，妻子称去年曾被掐住脖子，多次报警。",
        },
        survey={"conflict_frequency": "weekly", "violence_history": True},
        earlier=(
            {
                "opened_at": "2024-07-12",
                "dispute_type": "marital",
                "counterpart": "spouse",
                "physical_violence": True,
                "strangulation": True,
                "injury": "minor",
                "police_called": True,
                "outcome": "recurred",
                "outcome_at": "2024-09-01",
            },
            {
                "opened_at": "2024-12-02",
                "dispute_type": "marital",
                "counterpart": "spouse",
                "physical_violence": True,
                "police_called": True,
                "outcome": "recurred",
                "outcome_at": "2025-01-20",
            },
        ),
    ),
    Golden(
        "strangulation_now",
        "夫妻冲突中丈夫酒后掐住妻子脖子，邻居报警",
        "A drunk husband strangles his wife during a fight; a neighbour calls the police",
        RED,
        case={
            "source": "police",
            "dispute_type": "marital",
            "counterpart": "spouse",
            "physical_violence": True,
            "strangulation": True,
            "injury": "minor",
            "police_called": True,
            "victim_fear": "high",
            "notes": "丈夫酒后掐住妻子脖子，邻居报警。",
        },
    ),
    Golden(
        "boundary_fight_serious_injury",
        "两家因宅基地边界斗殴，一方被棍棒打成重伤住院",
        "Two families fight over a plot boundary; one man is beaten with a stick and hospitalised",
        RED,
        case={
            "source": "police",
            "dispute_type": "land_boundary",
            "parties": 4,
            "physical_violence": True,
            "weapon": "blunt",
            "injury": "serious",
            "police_called": True,
            "notes": "两家因宅基地边界斗殴，一方被棍棒打伤住院。",
        },
        survey={"area": "rural"},
    ),
    Golden(
        "inheritance_siblings",
        "父亲去世后兄妹四人对老房继承意见不一，调解未成，无威胁",
        "Four siblings cannot agree on their late father's house; mediation failed, no threats",
        GREEN_YELLOW,
        case={
            "dispute_type": "inheritance",
            "counterpart": "sibling",
            "parties": 4,
            "mediation_attempts": 2,
            "mediation_status": "failed",
            "notes": "父亲去世后兄妹四人对老房继承分配意见不一。",
        },
    ),
    Golden(
        "custody_threats",
        "离婚后争夺抚养权，前夫威胁要把孩子带走",
        "After a divorce the ex-husband threatens to take the child away",
        YELLOW_RED,
        case={
            "source": "court",
            "dispute_type": "custody",
            "counterpart": "ex_partner",
            "mediation_attempts": 1,
            "mediation_status": "failed",
            "threats": True,
            "separation": True,
            "victim_fear": "some",
            "notes": "离婚后双方争夺抚养权，前夫威胁要把孩子带走。",
        },
    ),
    Golden(
        "agreed_divorce",
        "双方协议离婚，财产分割已谈妥",
        "An agreed divorce; the property split is settled",
        GREEN_YELLOW,
        case={
            "dispute_type": "divorce",
            "counterpart": "spouse",
            "mediation_attempts": 1,
            "mediation_status": "agreement",
            "separation": True,
            "notes": "双方协议离婚，财产分割已谈妥，孩子随母亲生活。",
        },
    ),
    Golden(
        "first_push_no_injury",
        "夫妻因家务争吵，首次推搡，未受伤，无威胁",
        "A first push in a quarrel over housework; no injury, no threats",
        GREEN_YELLOW,
        case={
            "dispute_type": "marital",
            "counterpart": "spouse",
            "physical_violence": True,
            "victim_fear": "some",
            "notes": "夫妻因家务发生争吵，丈夫推搡妻子，未受伤，以前没有发生过。",
        },
        survey={"conflict_frequency": "monthly"},
    ),
    Golden(
        "pregnant_wife_beaten_after_separating",
        "妻子怀孕后提出分居，遭丈夫殴打受伤，极度恐惧",
        "A pregnant wife who asked to separate is beaten and hurt; she is very afraid",
        YELLOW_RED,
        case={
            "source": "police",
            "dispute_type": "marital",
            "counterpart": "spouse",
            "threats": True,
            "physical_violence": True,
            "injury": "minor",
            "police_called": True,
            "separation": True,
            "pregnancy": True,
            "victim_fear": "high",
            "notes": "妻子怀孕后提出分居，丈夫殴打致其受伤。",
        },
    ),
    Golden(
        "returned_migrant_drinking",
        "返乡务工人员长期失业酗酒，酒后打骂妻子",
        "A returned migrant worker, out of work and drinking, hits his wife when drunk",
        YELLOW_RED,
        case={
            "dispute_type": "marital",
            "counterpart": "spouse",
            "prior_incidents_12m": 2,
            "threats": True,
            "physical_violence": True,
            "police_called": True,
            "victim_fear": "some",
            "notes": "丈夫返乡后一直失业，经常酒后打骂妻子。",
        },
        survey={
            "area": "rural",
            "returned_migrant": True,
            "unemployed": True,
            "economic_hardship": "moderate",
            "alcohol_misuse": "frequent",
            "conflict_frequency": "weekly",
        },
    ),
    Golden(
        "property_split_suicidal",
        "兄弟分家房产分配不均，哥哥有自杀意念",
        "Brothers split the family property unevenly; the elder one has suicidal thoughts",
        YELLOW_RED,
        case={
            "dispute_type": "property",
            "counterpart": "sibling",
            "parties": 3,
            "mediation_attempts": 1,
            "mediation_status": "ongoing",
            "notes": "兄弟分家时房产分配不均，哥哥称不想活了。",
        },
        survey={"phq9": 18, "gad7": 12, "suicidal_ideation": True},
    ),
    Golden(
        "protection_order_breach",
        "前男友违反人身安全保护令，再次到女方住处威胁",
        "An ex-boyfriend under a protection order turns up at her home again and threatens her",
        YELLOW_RED,
        case={
            "source": "police",
            "dispute_type": "marital",
            "counterpart": "ex_partner",
            "prior_incidents_12m": 2,
            "threats": True,
            "police_called": True,
            "protection_order": True,
            "separation": True,
            "escalating": True,
            "victim_fear": "high",
            "notes": "前男友违反人身安全保护令，再次到女方住处威胁。",
        },
    ),
    Golden(
        "irrigation_brawl_sticks",
        "两户村民因灌溉用水持棍棒互殴，双方轻微受伤",
        "Two village families fight with sticks over irrigation water; minor injuries",
        YELLOW_RED,
        case={
            "dispute_type": "land_boundary",
            "parties": 6,
            "physical_violence": True,
            "weapon": "blunt",
            "injury": "minor",
            "police_called": True,
            "notes": "两户村民因灌溉用水争执，持棍棒互殴，双方轻微受伤。",
        },
        survey={"area": "rural"},
    ),
    Golden(
        "neighbour_dispute_little_recorded",
        "邻里纠纷只登记了必填项，其余未记录，户未做过入户调查",
        "A neighbours' dispute with only the required fields recorded; the household was "
        "never surveyed",
        GREEN_YELLOW,
        case={name: None for name in CASE_BASE if name not in CASE.required},
        surveyed=False,
    ),
    # -- household screening ------------------------------------------------------------
    Golden(
        "survey_calm",
        "城镇普通家庭，调查各项均无风险",
        "An urban household whose survey shows nothing of concern",
        GREEN,
    ),
    Golden(
        "survey_daily_conflict_drinking",
        "家庭每天争吵，丈夫经常酗酒",
        "A household that quarrels every day, with a husband who drinks heavily",
        YELLOW_RED,
        survey={
            "alcohol_misuse": "frequent",
            "conflict_frequency": "daily",
            "neighbour_relations": "fair",
            "social_support": "weak",
        },
    ),
    Golden(
        "survey_phq9_severe",
        "户内成员PHQ-9 23分（重度抑郁），焦虑明显，社会支持弱",
        "A member scores 23 on PHQ-9 (severe depression), with marked anxiety and weak support",
        YELLOW_RED,
        survey={"phq9": 23, "gad7": 16, "social_support": "weak"},
    ),
    Golden(
        "survey_left_behind_elderly_care",
        "留守老人照护负担重，家庭经济一般",
        "Left-behind elderly people with a heavy care burden and modest means",
        GREEN_YELLOW,
        survey={
            "area": "rural",
            "household_size": 2,
            "children": 0,
            "elderly": 2,
            "left_behind": "elderly",
            "economic_hardship": "moderate",
            "caregiver_burden": True,
            "conflict_frequency": "monthly",
        },
    ),
    Golden(
        "survey_after_serious_harm",
        "四个月前的家暴案件以严重事件结案，如今家庭仍每周争吵",
        "Four months after a partner-violence case ended in serious harm, the household still "
        "quarrels every week",
        YELLOW_RED,
        survey={"conflict_frequency": "weekly", "violence_history": True},
        earlier=(
            {
                "opened_at": "2024-07-20",
                "dispute_type": "marital",
                "counterpart": "spouse",
                "physical_violence": True,
                "injury": "serious",
                "police_called": True,
                "outcome": "serious_harm",
                "outcome_at": "2024-08-10",
            },
        ),
    ),
)


def _rows(golden: Golden) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The case's survey waves and ledger cases as contract rows (English names, codes)."""
    ids = {"household_id": golden.household_id}
    surveys = [{**ids, **SURVEY_BASE, **golden.survey}] if golden.surveyed else []
    cases = [
        {**ids, **CASE_BASE, "case_id": f"{golden.case_id}-{i}", **fields}
        for i, fields in enumerate(golden.earlier, 1)
    ]
    if golden.case is not None:
        cases.append({**ids, **CASE_BASE, "case_id": golden.case_id, **golden.case})
    return surveys, cases


@functools.cache
def _units() -> dict[str, dict[str, Any]]:
    surveys, cases = [], []
    for golden in CASES:
        s, c = _rows(golden)
        surveys += s
        cases += c
    units = build_units(
        contract_frame(surveys, HOUSEHOLD_SURVEY), contract_frame(cases, CASE)
    ).set_index(["household_id", "unit"], drop=False)
    out = {}
    for golden in CASES:
        rows = units.loc[[(golden.household_id, golden.kind)]]
        if golden.kind == "case":
            rows = rows[rows["case_id"] == golden.case_id]
        (record,) = as_records(rows)
        out[golden.name] = record
    return out


def unit(golden: Golden) -> dict[str, Any]:
    """The case as the one-unit scoring input (a fresh dict each call)."""
    return dict(_units()[golden.name])


def default_model() -> TriageModel:
    """The model ``risk serve`` embeds when there is no champion: its population, the
    classifier's default parameters (as ``risk train`` fits)."""
    from service.bootstrap import DEFAULT_HOUSEHOLDS, DEFAULT_SEED, DEFAULT_YEARS

    return fitted(DEFAULT_HOUSEHOLDS, DEFAULT_SEED, DEFAULT_YEARS, quick=False).fit.model


def ledger_model() -> TriageModel:
    """A model trained on a county-sized ledger of 20,000 households (QUICK parameters)."""
    return fitted(LEDGER_HOUSEHOLDS, LEDGER_SEED).fit.model
