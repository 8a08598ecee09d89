"""Upgrading a database with data in place, on SQLite and PostgreSQL: records stored under
the schema before a case's life (0004) are registered, their intake scores become their
intake assessments, and a case stored without a grid takes its household's survey grid;
the service then reads and moves them like any other."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from alembic import command
from service.conftest import _postgres_database

from risk.models.policy import load_policy
from service.auth import Caller
from service.cases import case_history
from service.centre import load_centre
from service.db import Database, _alembic_config, migrate
from service.lifecycle import transition

NOW = dt.datetime(2024, 4, 2, 9, 0, tzinfo=dt.UTC)
RESULT = {"tier": "red", "reasons": [], "flags": [], "model": {"name": "m", "version": "1"}}


@pytest.fixture(params=["sqlite", "postgresql"])
def old_database(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """A database at revision 0004 (the head before this change) holding a survey wave, a case
    with a grid and one stored before its household's survey (no grid), their scores
    and an override."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
        yield from _filled(url)
    else:
        for url in _postgres_database():
            yield from _filled(url)


def _filled(url: str) -> Iterator[str]:
    command.upgrade(_alembic_config(url), "0004")
    engine = sa.create_engine(url)
    meta = sa.MetaData()
    meta.reflect(engine)
    t = meta.tables
    with engine.begin() as conn:
        conn.execute(
            t["api_keys"].insert(),
            [
                {
                    "id": 1,
                    "prefix": "p",
                    "secret_hash": "h",
                    "role": "supervisor",
                    "grids": None,
                    "label": "old",
                    "created_at": NOW,
                }
            ],
        )
        conn.execute(
            t["survey_waves"].insert(),
            [
                {
                    "household_id": "H-1",
                    "survey_date": dt.date(2024, 5, 1),
                    "grid_id": "G-A",
                    "fields": {"household_id": "H-1"},
                    "key_id": 1,
                    "created_at": NOW,
                }
            ],
        )
        conn.execute(
            t["cases"].insert(),
            [
                {
                    "case_id": "C-1",
                    "household_id": "H-1",
                    "grid_id": None,
                    "opened_at": dt.date(2024, 4, 1),
                    "fields": {"dispute_type": "marital"},
                    "key_id": 1,
                    "created_at": NOW,
                },
                {
                    "case_id": "C-2",
                    "household_id": "H-2",
                    "grid_id": "G-B",
                    "opened_at": dt.date(2024, 4, 1),
                    "fields": {"dispute_type": "debt"},
                    "key_id": 1,
                    "created_at": NOW,
                },
            ],
        )
        conn.execute(
            t["scores"].insert(),
            [
                {
                    "case_id": case,
                    "household_id": household,
                    "grid_id": grid,
                    "tier": "red",
                    "p_red": 0.4,
                    "follow_up_date": dt.date(2024, 4, 8),
                    "inputs": {},
                    "result": RESULT,
                    "model_version": "1",
                    "key_id": 1,
                    "created_at": NOW,
                }
                for case, household, grid in (("C-1", "H-1", None), ("C-2", "H-2", "G-B"))
            ],
        )
        conn.execute(
            t["overrides"].insert(),
            [
                {
                    "case_id": "C-2",
                    "from_tier": "red",
                    "to_tier": "green",
                    "reason": "搬离",
                    "key_id": 1,
                    "created_at": NOW + dt.timedelta(hours=1),
                }
            ],
        )
    engine.dispose()
    yield url


def test_an_upgrade_with_data_in_place_keeps_and_completes_the_records(old_database):
    migrate(old_database)
    db = Database(old_database)
    try:
        boss = Caller(1, "supervisor", None)
        policy = load_policy()
        first = case_history(db, boss, "C-1", policy)
        assert first["grid_id"] == "G-A"  # its household's survey grid, taken at last
        assert first["life"]["state"] == "registered" and first["life"]["level"] == "village"
        with db.session() as session:
            kinds = session.execute(sa.text("SELECT kind, case_id FROM assessments")).all()
            grids = (
                session.execute(sa.text("SELECT grid_id FROM scores WHERE case_id = 'C-1'"))
                .scalars()
                .all()
            )
        assert sorted(kinds) == [("intake", "C-1"), ("intake", "C-2")]
        assert grids == ["G-A"]
        second = case_history(db, boss, "C-2", policy)
        plan = second["life"]["plan"]
        # an override made before the follow-up was recorded: the tier after it sets it
        assert plan["tier"] == "green" and plan["set_by"] == "override"
        assert plan["follow_up_date"] == "2024-07-01"  # 90 days from the override's day
        transition(db, load_centre(), boss, "C-2", "assign", "迁移后分流")
        assert case_history(db, boss, "C-2", policy)["life"]["state"] == "assigned"
    finally:
        db.engine.dispose()


def test_the_new_revisions_downgrade_cleanly(old_database):
    migrate(old_database)
    command.downgrade(_alembic_config(old_database), "0004")
    engine = sa.create_engine(old_database)
    try:
        names = set(sa.inspect(engine).get_table_names())
        columns = {c["name"] for c in sa.inspect(engine).get_columns("overrides")}
    finally:
        engine.dispose()
    assert not {"case_events", "assessments", "visit_notes"} & names
    assert "follow_up_date" not in columns
    migrate(old_database)  # and up again
