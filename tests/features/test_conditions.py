"""Conditions on a case's fields: the frame's mask and the one record's answer agree, a
missing value never meets one, and the hard red flag is the default policy's red floors."""

from __future__ import annotations

import numpy as np
import pandas as pd
from utils.builders import as_records, case_row, contract_frame, random_ledger

from risk.features.conditions import FieldIn
from risk.features.history import HARD_RED_FLAG
from risk.models.policy import load_policy
from risk.schema import CASE


def test_the_mask_and_the_record_agree_and_missing_never_meets():
    _, cases = random_ledger(4, households=20, cases=300)
    blank = contract_frame(
        [case_row(case_id="X", threat_to_kill=None, weapon=None, strangulation=None, injury=None)],
        CASE,
    )
    cases = pd.concat([cases, blank], ignore_index=True)
    mask = HARD_RED_FLAG.mask(cases)
    assert mask.any() and not mask.all() and not mask[-1]
    assert mask.tolist() == [HARD_RED_FLAG.holds(r) for r in as_records(cases)]


def test_a_yes_no_condition_takes_only_true():
    threat = FieldIn("threat_to_kill", (True,))
    assert threat.holds({"threat_to_kill": True}) and threat.holds({"threat_to_kill": np.True_})
    assert not threat.holds({"threat_to_kill": 1}) and not threat.holds({})
    assert not FieldIn("weapon", ("knife",)).holds({"weapon": True})


def test_the_hard_red_flag_is_the_default_policys_red_floors_on_case_fields():
    floors = {
        (f.field, f.in_ if f.in_ is not None else (f.is_,))
        for f in load_policy().red_flags
        if f.tier == "red" and f.field in CASE.names
    }
    assert floors == {(c.field, c.values) for c in HARD_RED_FLAG.conditions}
