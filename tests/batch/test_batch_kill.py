"""A scoring run killed halfway leaves no file under the output's name; a rerun succeeds."""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
from conftest import AS_OF

from risk.cli import main

SCRIPT = """
import pickle, sys
from pathlib import Path
from risk.batch import score_local
model = pickle.loads(Path(sys.argv[1]).read_bytes())
data = Path(sys.argv[2])
score_local(data / "households.parquet", data / "cases.parquet", Path(sys.argv[3]), model,
            sys.argv[4], jobs=1, batch_rows=32)
"""


def test_a_killed_run_leaves_no_complete_looking_output_and_a_rerun_succeeds(
    ledger, model, registered, tmp_path
):
    model_path = tmp_path / "model.pkl"
    model_path.write_bytes(pickle.dumps(model))
    out = tmp_path / "out" / "scores.parquet"
    run = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(model_path), str(ledger), str(out), AS_OF],
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    try:
        deadline = time.monotonic() + 120
        part: list[Path] = []
        while not part and time.monotonic() < deadline and run.poll() is None:
            time.sleep(0.05)
            part = list(out.parent.glob(".scores.parquet.*.part")) if out.parent.exists() else []
        assert part, "the run never started writing"
        while _size(part[0]) < 4096 and time.monotonic() < deadline and run.poll() is None:
            time.sleep(0.02)  # some row groups written: killed halfway, not before the start
        assert run.poll() is None, "the run ended before it could be killed"
        run.send_signal(signal.SIGKILL)
        run.wait(30)
    finally:
        run.kill()
    assert run.returncode == -signal.SIGKILL
    assert not out.exists()
    assert [p.name.startswith(".") and p.suffix == ".part" for p in out.parent.iterdir()] == [True]

    uri, version = registered
    rerun = [
        "score", "--households", str(ledger / "households.parquet"),
        "--cases", str(ledger / "cases.parquet"), "--out", str(out), "--model", version,
        "--tracking-uri", uri, "--as-of", AS_OF, "--quiet", "--jobs", "1",
    ]  # fmt: skip
    assert main(rerun) == 0
    surveys = pd.read_parquet(ledger / "households.parquet")
    surveyed = surveys.loc[surveys["survey_date"] <= AS_OF, "household_id"]
    scored = pd.read_parquet(out, columns=["household_id"])["household_id"]
    assert scored.is_unique and set(surveyed) <= set(scored)
    assert list(out.parent.iterdir()) == [out]  # the rerun swept what the killed run left


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0
