"""Golden cases: the tier a sane triage must give units a case worker would recognise.

The cases (``utils.golden``) are written from the practices in the product brief
(PRODUCT.md): the Zhumadian and Tieling grading of family and neighbour disputes, the
DASH, Danger Assessment and Lethality Screen red flags (a threat to kill, a knife,
strangulation, serious injury, three or more incidents in a year), Qujing's risk groups
(returned migrant workers, heavy drinkers, past domestic violence) and Wuzhou's household
screening. The everyday ones (a lift, a wall across a village road, noise, a quarrel
settled the same day) are those issue 14 saw tiered red. Each case allows the tiers common
sense allows, not what any model gives today. Both the default model ``risk serve`` embeds
and a model trained on a 20,000-household ledger must keep every case in range, and show
reasons a worker can use: never "has a case" (the same for every unit of a decision),
never a no as raising risk.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from utils.golden import CASES, Golden, default_model, ledger_model, unit

from risk.models.tiers import TIERS
from risk.models.triage import TriageModel
from risk.schema import CASE, HOUSEHOLD_SURVEY

pytestmark = pytest.mark.slow

MODELS: dict[str, Callable[[], TriageModel]] = {"default": default_model, "ledger": ledger_model}
#: The feature that is the same for every unit of one decision.
UNIT_KIND_FEATURE = "has_case"


@pytest.fixture(scope="module", params=list(MODELS))
def model(request: pytest.FixtureRequest) -> TriageModel:
    return MODELS[request.param]()


def _ids(golden: Golden) -> str:
    return golden.name


def _shown(result: dict[str, Any]) -> str:
    return "; ".join(f"{r['code']}={r['value_en']} {r['size']:+.3f}" for r in result["reasons"])


def _is_no(name: str, value: Any) -> bool:
    """A contract answer of no: a yes/no field answered no, or an enum answered with its
    "none" or "never" choice (未调解, "not mediated", is not one)."""
    for kind in (HOUSEHOLD_SURVEY, CASE):
        if name in kind:
            f = kind[name]
            if f.kind == "bool":
                return value is False
            return f.kind == "enum" and any(
                c.code == value and c.en in ("none", "never") for c in f.choices
            )
    return False


def test_golden_cases_cover_both_decisions_with_sane_ranges():
    names = [g.name for g in CASES]
    assert len(names) >= 15 and len(set(names)) == len(names)
    assert {g.kind for g in CASES} == {"case", "survey"}
    for golden in CASES:
        assert golden.allowed and golden.allowed <= set(TIERS), golden.name
        assert golden.allowed != set(TIERS), f"{golden.name}: a range that cannot fail"
        assert golden.zh and golden.en
        assert unit(golden)["unit"] == golden.kind  # assembled through the contract check


@pytest.mark.parametrize("golden", CASES, ids=_ids)
def test_golden_case_tier_is_within_its_range(model, golden):
    result = model.predict_record(unit(golden))
    tier, allowed = result["tier"], sorted(golden.allowed)
    assert tier in allowed, (
        f"{golden.en}: {tier} at P(red) {result['probabilities']['red']:.4f}, "
        f"allowed {allowed}; reasons {_shown(result)}"
    )


@pytest.mark.parametrize("golden", [g for g in CASES if g.kind == "case"], ids=_ids)
def test_having_a_case_is_never_a_reason_for_a_case(model, golden):
    result = model.predict_record(unit(golden))
    shown = [r["code"] for r in result["reasons"]]
    assert all(UNIT_KIND_FEATURE not in code.split(" × ") for code in shown), (
        f"{golden.en}: {UNIT_KIND_FEATURE} among the reasons {_shown(result)}"
    )


@pytest.mark.parametrize("golden", CASES, ids=_ids)
def test_a_no_answer_is_never_shown_as_raising_risk(model, golden):
    record = unit(golden)
    result = model.predict_record(record)
    for reason in result["reasons"]:
        names = reason["code"].split(" × ")
        if all(_is_no(name, record.get(name)) for name in names):
            assert reason["direction"] != "raises", (
                f"{golden.en}: {reason['code']}={reason['value_en']} shown as raising risk "
                f"({reason['size']:+.3f}); reasons {_shown(result)}"
            )
