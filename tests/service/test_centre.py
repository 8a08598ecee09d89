"""The centre's rules file: the packaged one reads, and a typo is a clear error naming
the key, never a silent default."""

from __future__ import annotations

import pytest

from risk.errors import ConfigError
from service.centre import DEFAULT_CENTRE, load_centre


def test_the_packaged_rules_give_owners_deadlines_levels_and_closure():
    centre = load_centre()
    assert centre.owner_for("red", "land_boundary") == "police_liaison"
    assert centre.owner_for("green", "land_boundary") == "mediation_committee"
    assert centre.owner_for("yellow", None) == "mediation_committee"
    assert centre.days_in("assigned", "red") == 1 and centre.days_in("follow_up", "red") is None
    assert [level.code for level in centre.levels] == ["village", "township", "county"]
    assert centre.next_level("county") is None and centre.closure.consecutive_below == 2


@pytest.mark.parametrize(
    ("old", "new", "named"),
    [
        (
            "    land_boundary: mediation_committee\n",
            "    land_bondary: mediation_committee\n",
            "land_bondary",
        ),
        ("    default: police_liaison\n", "    default: police\n", "owners.red.default"),
        ("{code: county, attempts: 1}", "{code: city, attempts: 1}", "level_city"),
        ("  in_mediation: {green: 30, yellow: 30, red: 20}\n", "", "in_mediation"),
        ("  consecutive_below: 2", "  consecutive_below: 0", "closure.consecutive_below"),
    ],
)
def test_a_typo_in_the_rules_is_an_error_naming_it(tmp_path, old, new, named):
    text = DEFAULT_CENTRE.read_text("utf-8")
    assert old in text
    path = tmp_path / "centre.yaml"
    path.write_text(text.replace(old, new), "utf-8")
    with pytest.raises(ConfigError, match=named):
        load_centre(str(path))


def test_a_missing_file_is_an_error_naming_it(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        load_centre(str(tmp_path / "nowhere.yaml"))
