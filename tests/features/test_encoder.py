"""The encoder reads units the same way from a frame and from dicts, missing as NaN."""

from __future__ import annotations

import numpy as np
import pytest
from utils.builders import random_ledger

from risk.features import NOTE_PHRASES, FeatureEncoder, build_units, feature_specs
from risk.features.notes import note_flags_one


@pytest.fixture(scope="module")
def units():
    return build_units(*random_ledger(7, households=8, cases=40))


def test_frame_and_records_give_the_same_matrix(units) -> None:
    encoder = FeatureEncoder().fit(units)
    frame = encoder.transform(units)
    records = encoder.transform_records(units.to_dict("records"))
    np.testing.assert_array_equal(frame, records)


def test_specs_name_every_column_in_both_languages(units) -> None:
    encoder = FeatureEncoder().fit(units)
    assert encoder.transform(units).shape[1] == len(encoder.specs_) == len(feature_specs())
    assert all(s.zh and s.en for s in encoder.specs_)
    assert len(set(encoder.feature_names_out_)) == len(encoder.specs_)


def test_an_empty_record_is_all_missing_but_the_unit_flags() -> None:
    encoder = FeatureEncoder().fit(None)
    row = encoder.transform_records([{}])[0]
    names = list(encoder.feature_names_out_)
    assert row[names.index("has_case")] == 0 and row[names.index("has_survey")] == 0
    assert np.isnan(np.delete(row, [names.index("has_case"), names.index("has_survey")])).all()


def test_codes_follow_the_contract_order() -> None:
    encoder = FeatureEncoder().fit(None)
    names = list(encoder.feature_names_out_)
    row = encoder.transform_records(
        [
            {
                "alcohol_misuse": "frequent",
                "weapon": "knife",
                "threats": True,
                "parties": 3,
                "injury": "unheard-of",
            }
        ]
    )[0]
    assert row[names.index("alcohol_misuse")] == 2 and row[names.index("weapon")] == 1
    assert row[names.index("threats")] == 1 and row[names.index("parties")] == 3
    assert np.isnan(row[names.index("injury")])
    spec = encoder.specs_[names.index("alcohol_misuse")]
    assert (spec.kind, spec.value_label(2.0, "zh"), spec.value_label(2.0, "en")) == (
        "ordinal",
        "经常",
        "frequent",
    )


@pytest.mark.parametrize(
    "note,flags",
    [
        (
            "男方酒后持刀扬言要杀了她，孩子在场",
            {"note_alcohol", "note_weapon", "note_kill_threat", "note_child_present"},
        ),
        ("双方因宅基地争吵，未持刀，没有扬言杀人", set()),
        (
            "女方怀孕期间被掐住脖子，想不开",
            {"note_pregnancy", "note_strangulation", "note_suicide"},
        ),
        ("邻居多次报警", {"note_repeat_police"}),
    ],
)
def test_note_phrases_are_found_and_negations_ignored(note: str, flags: set[str]) -> None:
    found = note_flags_one(note)
    assert {k for k, v in found.items() if v == 1.0} == flags
    assert set(found) == set(NOTE_PHRASES)


def test_no_note_is_missing_not_zero() -> None:
    assert all(np.isnan(v) for v in note_flags_one(None).values())
    assert all(np.isnan(v) for v in note_flags_one("  ").values())
