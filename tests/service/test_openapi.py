"""The OpenAPI schema as a client generator and a reader of ``/docs`` see it: readable
operation ids, a typed answer for every operation, every field described from the one
zh/en label table, the refusals documented, and examples that the service accepts."""

from __future__ import annotations

import re
from typing import Any

import pytest
from conftest import auth

from risk.i18n import MESSAGES, both, text
from risk.schema import TIERS, all_fields
from service import schemas
from service.main import create_app
from service.settings import Settings
from service.xlsx_export import XLSX

SPEC = create_app(Settings(database_url="sqlite://")).openapi()
OPERATIONS = [
    (path, method, op) for path, ops in SPEC["paths"].items() for method, op in ops.items()
]
#: The operations whose answer is not JSON, and what they answer with.
NOT_JSON = {
    "get_metrics": "text/plain",
    "export_ledger": "application/vnd.apache.parquet",
    "export_visits_xlsx": XLSX,
    "export_case_xlsx": XLSX,
}


def _labels() -> set[str]:
    """Every description the label table can give a field."""
    out = {" / ".join(both(key)) for key, (zh, _) in MESSAGES.items() if "{" not in zh}
    out |= {f"{f.zh} / {f.en}" for _, f in all_fields()}
    out |= {
        f"{text('field_probability', 'zh', tier=c.zh)} / "
        f"{text('field_probability', 'en', tier=c.en)}"
        for c in TIERS
    }
    return out


def test_operation_ids_are_the_readable_names_a_client_calls():
    ids = [op["operationId"] for _, _, op in OPERATIONS]
    assert len(ids) == len(set(ids)) == 28
    assert [i for i in ids if not re.fullmatch(r"[a-z]+(_[a-z]+)+", i)] == []
    assert {"score_unit", "score_units", "add_case", "get_case", "list_visits"} <= set(ids)


@pytest.mark.parametrize("path, method, op", OPERATIONS, ids=lambda v: str(v)[:40])
def test_every_operation_answers_with_a_documented_model(path, method, op):
    status = "201" if "201" in op["responses"] else "200"
    content = op["responses"][status]["content"]
    if op["operationId"] in NOT_JSON:
        assert list(content) == [NOT_JSON[op["operationId"]]]
        return
    ref = content["application/json"]["schema"]["$ref"]
    assert ref.rsplit("/", 1)[1] in SPEC["components"]["schemas"]


@pytest.mark.parametrize("path, method, op", OPERATIONS, ids=lambda v: str(v)[:40])
def test_every_refusal_is_documented_with_its_body(path, method, op):
    needs_key = path not in ("/healthz", "/readyz")
    takes_input = "requestBody" in op or op.get("parameters")
    expected = ({"401", "429", "503"} if needs_key else set()) | ({"422"} if takes_input else set())
    assert expected <= set(op["responses"])
    for status, answer in op["responses"].items():
        if status.startswith(("4", "5")):
            schema = answer["content"]["application/json"]["schema"]
            assert "ErrorBody" in str(schema), (status, schema)
            assert answer["description"].split(": ")[1]  # names the error codes


def test_every_field_is_described_from_the_label_table():
    labels = _labels()
    undescribed = [
        (name, field, prop.get("description"))
        for name, component in SPEC["components"]["schemas"].items()
        for field, prop in component.get("properties", {}).items()
        if prop.get("description") not in labels
    ]
    assert undescribed == []


def test_the_docs_show_examples_the_models_accept():
    examples = {
        model: model.model_json_schema().get("examples", [])
        for model in (
            schemas.ScoreRequest,
            schemas.ScoreBatchRequest,
            schemas.OverrideIn,
            schemas.MoveIn,
            schemas.OutcomeIn,
        )
    }
    assert all(examples.values())
    for model, shown in examples.items():
        for example in shown:
            model.model_validate(example)


def test_the_score_example_scores_red_for_its_threat_to_kill(client, keys):
    response = client.post(
        "/v1/score", json=schemas.EXAMPLE_SCORE, headers=auth(keys["caseworker"])
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body["tier"] == "red" and "threat_to_kill" in {f["code"] for f in body["flags"]}
