"""``service.load``: a ledger into the database in bulk, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import func, select

from risk.ingest import read_ledger
from risk.models.tiers import TIERS
from risk.models.triage import TriageModel
from risk.readers import read_table
from risk.registry import Registry
from risk.schema import CASE, HOUSEHOLD_SURVEY
from risk.synth import generate_to_dir
from service import cases, load
from service.auth import Caller, authenticate, create_key
from service.db import Database, migrate
from service.ledger import export_parquet
from service.load import LedgerFile, load_ledger
from service.tables import AuditEvent, Case, Outcome, Override, Score, SurveyWave
from service.visits import visit_list

AS_OF = dt.date(2024, 6, 30)
TABLES = (SurveyWave, Case, Outcome, Score)


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small county: Parquet files as `risk generate` writes them, and messy CSVs."""
    folder = tmp_path_factory.mktemp("county")
    generate_to_dir(folder, households=400, years=2, seed=5, messy=True, progress=False)
    return folder


@pytest.fixture(scope="module")
def model(model_store: str) -> TriageModel:
    return Registry(model_store).load("models:/risk-triage@champion")


@pytest.fixture
def database(fresh_database_url: str) -> Iterator[tuple[Database, Caller]]:
    migrate(fresh_database_url)
    db = Database(fresh_database_url, timeout=30)
    who = authenticate(db, create_key(db, "admin", label="loader"))
    assert who is not None
    yield db, who
    db.engine.dispose()


def _files(folder: Path, suffix: str = "parquet") -> tuple[LedgerFile, LedgerFile]:
    return LedgerFile(folder / f"households.{suffix}"), LedgerFile(folder / f"cases.{suffix}")


def _counts(db: Database) -> dict[str, int]:
    with db.session() as session:
        return {
            t.__tablename__: session.scalar(select(func.count()).select_from(t)) for t in TABLES
        }


def test_load_stores_every_good_row_and_twice_changes_nothing(
    database: tuple[Database, Caller], model: TriageModel, ledger: Path
) -> None:
    db, who = database
    report = load_ledger(db, model, who, *_files(ledger), as_of=AS_OF)
    waves, case_rows = report.households, report.cases
    assert waves is not None and case_rows is not None
    with_outcome = int(case_rows.frame["outcome"].notna().sum())
    stored = _counts(db)
    assert stored["survey_waves"] == waves.rows_out == report.counts["waves_added"]
    assert stored["cases"] == case_rows.rows_out == report.counts["cases_added"]
    assert stored["outcomes"] == with_outcome == report.counts["outcomes_added"]
    assert stored["scores"] == report.counts["scored"] > 0
    again = load_ledger(db, model, who, *_files(ledger), as_of=AS_OF)
    assert _counts(db) == stored
    assert {k: v for k, v in again.counts.items() if k != "scored"} == dict.fromkeys(
        ("waves_added", "waves_replaced", "cases_added", "cases_replaced"), 0
    ) | {"outcomes_added": 0, "scores_added": 0}
    with db.session() as session:
        loads = session.scalars(select(AuditEvent).where(AuditEvent.action == "load_ledger"))
        assert [e.key_id for e in loads] == [who.key_id, who.key_id]


def test_load_quarantines_bad_rows_and_loses_none(
    database: tuple[Database, Caller], model: TriageModel, ledger: Path, tmp_path: Path
) -> None:
    """A county's CSV (Chinese headers, mixed spellings) with broken cells: every row is
    stored or quarantined with its reason, and the stored records export as read."""
    db, who = database
    raw = read_table(ledger / "households.csv").astype(str)  # (GB18030, as counties send)
    raw.iloc[[3, 10, 11], 0] = "bad/id"  # household ids breaking the id rule
    raw.to_csv(tmp_path / "households.csv", index=False)
    report = load_ledger(
        db, model, who, LedgerFile(tmp_path / "households.csv"), _files(ledger, "csv")[1]
    )
    waves = report.households
    assert waves is not None and waves.rows_quarantined == 3
    assert waves.rows_in == _counts(db)["survey_waves"] + waves.rows_quarantined
    assert set(waves.errors["field"]) == {"household_id"}
    exported = pd.read_parquet(io.BytesIO(export_parquet(db, who, "households")))
    expected = read_ledger(tmp_path / "households.csv", HOUSEHOLD_SURVEY).frame
    key = ["household_id", "survey_date"]
    pd.testing.assert_frame_equal(
        exported.sort_values(key, ignore_index=True), expected.sort_values(key, ignore_index=True)
    )
    exported_cases = pd.read_parquet(io.BytesIO(export_parquet(db, who, "cases")))
    expected_cases = read_ledger(ledger / "cases.csv", CASE).frame
    assert exported_cases["case_id"].tolist() == sorted(expected_cases["case_id"])
    assert exported_cases.set_index("case_id")["outcome"].equals(
        expected_cases.set_index("case_id").sort_index()["outcome"]
    )


def test_load_newer_rows_replace_older(
    database: tuple[Database, Caller], model: TriageModel, ledger: Path, tmp_path: Path
) -> None:
    db, who = database
    load_ledger(db, model, who, *_files(ledger), as_of=AS_OF)
    waves = pd.read_parquet(ledger / "households.parquet")
    case_rows = pd.read_parquet(ledger / "cases.parquet")
    waves.loc[0, "phq9"] = 27
    open_case = case_rows.index[case_rows["outcome"].isna()][0]
    case_rows.loc[open_case, ["outcome", "outcome_at"]] = ["serious_harm", pd.Timestamp(AS_OF)]
    waves.to_parquet(tmp_path / "households.parquet", index=False)
    case_rows.to_parquet(tmp_path / "cases.parquet", index=False)
    before = _counts(db)
    report = load_ledger(db, model, who, *_files(tmp_path), as_of=AS_OF)
    assert report.counts["waves_replaced"] == 1 and report.counts["waves_added"] == 0
    assert report.counts["outcomes_added"] == 1 and report.counts["cases_added"] == 0
    after = _counts(db)
    assert after["survey_waves"] == before["survey_waves"]
    assert after["outcomes"] == before["outcomes"] + 1
    with db.session() as session:
        wave = session.scalars(
            select(SurveyWave).where(
                SurveyWave.household_id == waves.loc[0, "household_id"],
                SurveyWave.survey_date == waves.loc[0, "survey_date"].date(),
            )
        ).one()
        assert wave.fields["phq9"] == 27
        closed = case_rows.loc[open_case, "case_id"]
        assert session.scalars(select(Outcome.outcome).where(Outcome.case_id == closed)).all() == [
            "serious_harm"
        ]
    # the older ledger again: the case keeps its later outcome
    report = load_ledger(db, model, who, *_files(ledger), as_of=AS_OF)
    assert report.counts["outcomes_added"] == 0


def test_load_stopped_half_way_leaves_the_database_as_it_was(
    database: tuple[Database, Caller],
    model: TriageModel,
    ledger: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    db, who = database
    before = _counts(db)
    monkeypatch.setattr(load, "BATCH_ROWS", 100)
    batches: list[tuple[str, int]] = []

    def fail_after_first_batch(phase: str, done: int, total: int) -> None:
        batches.append((phase, done))
        if phase == "cases" and done > 0:
            raise KeyboardInterrupt  # as a user's Ctrl-C half-way through

    with pytest.raises(KeyboardInterrupt):
        load_ledger(db, model, who, *_files(ledger), as_of=AS_OF, progress=fail_after_first_batch)
    assert ("survey waves", 100) in batches  # the waves were staged when it stopped
    assert _counts(db) == before
    with db.session() as session:
        assert session.scalar(select(func.count()).where(AuditEvent.action == "load_ledger")) == 0
    load_ledger(db, model, who, *_files(ledger), as_of=AS_OF)  # and a load still works after
    assert _counts(db)["survey_waves"] > 0


def test_load_needs_an_admin_key_for_every_grid(
    database: tuple[Database, Caller], model: Any
) -> None:
    from service.errors import ServiceError

    db, _ = database
    limited = authenticate(db, create_key(db, "admin", ["G0000001"]))
    caseworker = authenticate(db, create_key(db, "caseworker"))
    for who in (limited, caseworker):
        assert who is not None
        with pytest.raises(ServiceError) as refused:
            load_ledger(db, model, who, None, None)
        assert refused.value.status == 403


# --- the visit list, ranked in SQL, against the Python ranking it replaced ---------------


def _python_ranking(db: Database, grid: str, capacity: int) -> list[tuple[str, str | None]]:
    """The visit list as the service ranked it in Python before (each unit's latest score,
    an override decides, closed cases and greens left out; the most urgent unit per
    household; tier, follow-up date, P(red))."""
    with db.session() as session:
        scores = session.scalars(select(Score).where(Score.grid_id == grid).order_by(Score.id))
        latest = {(s.household_id, s.case_id): s for s in scores}
        closed = set(session.scalars(select(Outcome.case_id)))
        overrides = dict(
            session.execute(select(Override.case_id, Override.to_tier).order_by(Override.id)).all()
        )
    best: dict[str, tuple[tuple[int, dt.date, float, int], str | None]] = {}
    for (household, case_id), s in latest.items():
        if case_id in closed:
            continue
        tier = overrides.get(case_id or "", s.tier)
        if tier == "green":
            continue
        key = (-TIERS.index(tier), s.follow_up_date, -s.p_red, s.id)
        if household not in best or key < best[household][0]:
            best[household] = (key, case_id)
    ranked = sorted(best.items(), key=lambda item: item[1][0])[:capacity]
    return [(household, case_id) for household, (_, case_id) in ranked]


def test_visit_list_sql_ranks_as_the_python_ranking(
    database: tuple[Database, Caller], model: TriageModel, ledger: Path
) -> None:
    db, who = database
    load_ledger(db, model, who, *_files(ledger), as_of=AS_OF)
    with db.session() as session:
        grid, open_case = session.execute(
            select(Score.grid_id, Score.case_id)
            .where(Score.case_id.is_not(None), Score.tier != "red")
            .where(Score.case_id.not_in(select(Outcome.case_id)))
            .limit(1)
        ).one()
    cases.override(db, who, open_case, "red", "raised by the test")  # an override decides
    load_ledger(db, model, who, *_files(ledger), as_of=AS_OF + dt.timedelta(days=30))  # rescored
    listed = visit_list(db, who, grid, 1000)
    assert listed, "the grid has households to visit"
    assert [(v["household_id"], v["case_id"]) for v in listed] == _python_ranking(db, grid, 1000)
    assert (listed[0]["tier"], listed[0]["case_id"]) == ("red", listed[0]["case_id"])
    assert any(v["case_id"] == open_case and v["tier"] == "red" for v in listed)
    assert [v["household_id"] for v in visit_list(db, who, grid, 3)] == [
        v["household_id"] for v in listed[:3]
    ]
