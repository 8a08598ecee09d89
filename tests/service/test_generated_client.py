"""A Python client generated from the running service's OpenAPI schema by
openapi-python-client scores a case, as a team consuming the API would do it.

The generator is a tool with pins of its own (typer, httpx), so it lives in a virtualenv
of its own, as its documentation advises (pipx): ``.ci/run`` makes it from
``.ci/openapi-client.txt`` and names it in ``RISK_OPENAPI_CLIENT_VENV``. The client runs
there too, apart from the project's packages. Without that variable the test is skipped,
except in CI (``CI`` set), where that is an error.
"""

from __future__ import annotations

import json
import os
import subprocess
import urllib.request
from pathlib import Path

import pytest
from utils.served import served

from service.schemas import EXAMPLE_SCORE

CONFIG = "project_name_override: risk-triage-client\npackage_name_override: risk_triage_client\n"

SMOKE = """
import json, sys
from risk_triage_client import AuthenticatedClient
from risk_triage_client.api.health import check_ready
from risk_triage_client.api.score import score_unit
from risk_triage_client.models import ErrorBody, ScoreRequest, ScoreResult

base, key, example = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
client = AuthenticatedClient(base_url=base, token=key, raise_on_unexpected_status=True)
ready = check_ready.sync(client=client)
result = score_unit.sync(client=client, body=ScoreRequest.from_dict(example))
assert isinstance(result, ScoreResult), result
refused = score_unit.sync(client=AuthenticatedClient(base_url=base, token="rk_wrong"),
                          body=ScoreRequest.from_dict(example))
assert isinstance(refused, ErrorBody), refused
print(json.dumps({
    "ready": ready.status,
    "tier": result.tier.value,
    "flags": [f.code for f in result.flags],
    "follow_up_date": result.follow_up_date.isoformat(),
    "version": result.model.version,
    "refused": refused.error,
}))
"""


def _generator_venv() -> Path:
    folder = os.environ.get("RISK_OPENAPI_CLIENT_VENV")
    if folder:
        return Path(folder)
    if os.environ.get("CI"):
        pytest.fail("RISK_OPENAPI_CLIENT_VENV is not set (.ci/run makes it)")
    pytest.skip(
        "no openapi-python-client: python -m venv .venv-openapi && .venv-openapi/bin/pip "
        "install -r .ci/openapi-client.txt, then set RISK_OPENAPI_CLIENT_VENV=.venv-openapi"
    )


@pytest.mark.slow
def test_a_generated_client_scores_a_case(model_store, tmp_path):
    venv = _generator_venv()
    env = {"RISK_MLFLOW_URI": model_store, "RISK_DATABASE_URL": f"sqlite:///{tmp_path / 'db'}"}
    with served(env, tmp_path / "serve.log") as server:
        base = f"http://127.0.0.1:{server.port}"
        key = next(
            line for line in (tmp_path / "serve.log").read_text().splitlines() if line[:3] == "rk_"
        )
        with urllib.request.urlopen(f"{base}/openapi.json", timeout=30) as answer:
            (tmp_path / "openapi.json").write_bytes(answer.read())
        (tmp_path / "config.yml").write_text(CONFIG)
        generated = subprocess.run(
            [
                str(venv / "bin" / "openapi-python-client"),
                "generate",
                "--path=openapi.json",
                "--config=config.yml",
                "--meta=none",
                "--output-path=risk_triage_client",
            ],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert generated.returncode == 0, generated.stdout + generated.stderr
        # the one thing it leaves out: the ledger export's Parquet answer (binary)
        assert "Unable to process schema" not in generated.stdout, generated.stdout
        smoke = subprocess.run(
            [str(venv / "bin" / "python"), "-c", SMOKE, base, key, json.dumps(EXAMPLE_SCORE)],
            cwd=tmp_path,
            env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(tmp_path)},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert smoke.returncode == 0, smoke.stderr
        answer = json.loads(smoke.stdout)
    assert answer["ready"] == "ready" and answer["refused"] == "unauthorized"
    assert answer["tier"] == "red" and "threat_to_kill" in answer["flags"]
    assert answer["follow_up_date"].startswith("2024-04-") and answer["version"]
