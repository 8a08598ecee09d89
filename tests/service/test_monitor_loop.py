"""End to end: a service loaded with one population, then fed a shifted one.

The monitor flags the shift before any outcome is known (new grids, police notes left
blank), raises the calibration alert once outcomes arrive, and the README's three commands
(monitor --export, train --base champion, promote) retrain and promote a model whose
intake red O/E on the next year's units is back in the monitor's band, where the old
champion's on the same units still raises the alert.
"""

from __future__ import annotations

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from utils.feed import feed, feed_outcomes
from utils.fitted import QUICK

from risk.cli import main
from risk.dataset import load_ledger
from risk.monitor import champion_reference, load_bands, scores_of, watch
from risk.registry import Registry
from risk.synth import generate_to_dir
from risk.train import train
from service.auth import authenticate, create_key
from service.main import create_app
from service.monitoring import recorded
from service.settings import Settings

HOUSEHOLDS = 4000
YEAR = pd.Timedelta(days=365)
PARAMS = '{"outer_bags": 1, "interactions": 3, "max_rounds": 600, "n_jobs": 1}'


@pytest.mark.slow
def test_monitor_flags_the_shift_then_the_calibration_and_the_loop_promotes(
    tmp_path, monkeypatch, capsys
):
    generate_to_dir(tmp_path / "a", households=HOUSEHOLDS, years=3, seed=1, progress=False)
    (tmp_path / "mlruns").mkdir()
    uri = f"sqlite:///{tmp_path / 'mlruns' / 'mlflow.db'}"
    champion = train(tmp_path / "a", uri=uri, params=QUICK)
    Registry(uri).promote(str(champion.version), force=True, reason="the first county's model")
    a = load_ledger(tmp_path / "a")
    start = a.cases["opened_at"].max() + pd.Timedelta(days=1)
    generate_to_dir(
        tmp_path / "b",
        households=HOUSEHOLDS,
        years=3,
        seed=2,
        start=start.date(),
        progress=False,
        shift="rural",
    )
    b = load_ledger(tmp_path / "b")
    database = f"sqlite:///{tmp_path / 'risk.db'}"
    monkeypatch.setenv("RISK_DATABASE_URL", database)
    settings = Settings(database_url=database, mlflow_uri=uri)
    with TestClient(create_app(settings)) as client:
        app = client.app
        operator = authenticate(app.state.db, create_key(app.state.db, "admin", label="loader"))
        assert operator is not None
        # the first county in service for a year, outcomes recorded
        feed(app, operator, a, start - YEAR, start)
        feed_outcomes(app, operator, a, start - YEAR, start)
        # the shifted county's first year, no outcome recorded yet
        feed(app, operator, b, start, start + YEAR)
        reference = champion_reference(uri)
        scores, ledger = recorded(app.state.db, operator)
        before = watch(scores, ledger, reference, first=start.date(), fairness=False)
        assert "major_drift_findings" in set(before.alerts["figure"])
        grids = before.drift.ids.set_index("field").loc["grid_id"]
        assert grids["unseen_share"] == 1.0
        police = before.drift.text.set_index("value").loc["police"]
        assert police["verdict"] == "major"
        intake = before.figures.query("decision == 'intake' and month == 'all' and tier == 'all'")
        assert intake["n_outcomes"].iloc[0] == 0
        assert not (
            (before.alerts["decision"] == "intake")
            & (before.alerts["figure"] == "observed_expected_red")
        ).any()

        feed_outcomes(app, operator, b, start, start + YEAR)
        scores, ledger = recorded(app.state.db, operator)
        after = watch(scores, ledger, reference, first=start.date(), fairness=False)
        raised = after.alerts[after.alerts["decision"] == "intake"]
        figures = after.figures.query("decision == 'intake' and month == 'all' and tier == 'all'")
        assert "observed_expected_red" in set(raised["figure"]), figures.T

        # a second year of the new county, then the three commands
        feed(app, operator, b, start + YEAR + pd.Timedelta(days=1), start + 2 * YEAR)
        feed_outcomes(app, operator, b, start + YEAR + pd.Timedelta(days=1), start + 2 * YEAR)
        new = tmp_path / "new"
        since = ["--since", start.date().isoformat(), "--tracking-uri", uri]
        assert (
            main(["monitor", *since, "--out", str(tmp_path / "m.html"), "--export", str(new)]) == 1
        )
        assert (tmp_path / "m.html").read_text("utf-8").count("<section") == 5
        assert (
            main(
                [
                    "train",
                    "--data",
                    str(new),
                    "--base",
                    "champion",
                    "--tracking-uri",
                    uri,
                    "--params",
                    PARAMS,
                ]
            )
            == 0
        )
        version = capsys.readouterr().out.rsplit("risk promote ", 1)[1].split()[0]
        assert main(["promote", version, "--tracking-uri", uri]) == 0, capsys.readouterr().out
        assert str(Registry(uri).champion().version) == version
        app.state.models.load()

        # the next year's units, scored by the new champion, beside the old one's scores
        third = start + 2 * YEAR + pd.Timedelta(days=1)
        feed(app, operator, b, third, start + 3 * YEAR)
        feed_outcomes(app, operator, b, third, start + 3 * YEAR)
        scores, ledger = recorded(app.state.db, operator)
        scores = scores[scores["model_version"].astype(str) == version]
        old = scores_of(Registry(uri).load(str(champion.version)), ledger)
        figures, alerts = {}, {}
        for name, scored in (("new", scores), ("old", old)):
            report = watch(scored, ledger, None, first=third.date(), fairness=False)
            everything = report.figures.query("month == 'all' and tier == 'all'")
            figures[name] = everything.set_index("decision")
            alerts[name] = report.alerts.query("month == 'all'")
        intake = {name: f.loc["intake"] for name, f in figures.items()}
        assert intake["new"]["n_outcomes"] == intake["old"]["n_outcomes"] > 100
        # intake's red O/E back in the band, and the alert the old champion still raises
        # gone. At 4,000 households a year holds ~15 red cases, and this is the draw as
        # much as the fix: over 20 replays of this scenario (benchmarks/monitor_loop.py,
        # docs/monitoring.md) the new champion's third-year intake O/E is in the band in
        # 45% (80% at 10,000 households) and nearer 1 than the old champion's in 85%.
        # Screening's rests on a handful of red surveys a year; retraining does not bring
        # it nearer (10 of 20 replays), so it is reported, not asserted.
        low, high = load_bands().of("intake")["observed_expected_red"]
        assert low <= intake["new"]["observed_expected_red"] <= high, intake["new"]
        raised = {n: set(zip(a["decision"], a["figure"], strict=True)) for n, a in alerts.items()}
        assert ("intake", "observed_expected_red") in raised["old"], intake["old"]
        assert ("intake", "observed_expected_red") not in raised["new"], intake["new"]
        screening = figures["new"].loc["screening"]
        assert screening["n_outcomes"] > 100 and screening["observed_expected_red"] > 0
        assert abs(intake["new"]["citl_red"]) < abs(intake["old"]["citl_red"]), intake
