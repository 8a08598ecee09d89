"""Metrics and the access log through TestClient: bounded labels, a dashboard that queries
only metrics the service has, and access lines with nothing the request carried."""

from __future__ import annotations

import json
import logging
import re
import uuid
from pathlib import Path

from conftest import auth

DASHBOARD = Path(__file__).parents[2] / "docs" / "grafana" / "risk-service.json"


def test_unknown_methods_and_paths_make_no_new_series(client, keys):
    path, method = f"/no-such-{uuid.uuid4().hex}", "BREW"
    assert client.get(path).status_code == 404
    assert client.request(method, "/v1/score").status_code == 405
    assert client.get(f"/v1/cases/{uuid.uuid4().hex}", headers=auth(keys["admin"]))
    metrics = client.get("/metrics", headers=auth(keys["admin"])).text
    assert path not in metrics and method not in metrics
    assert 'method="other",route="/v1/score",status="405"' in metrics
    assert 'route="unmatched",status="404"' in metrics
    assert 'route="/v1/cases/{case_id}"' in metrics


def test_every_metric_the_dashboard_queries_exists(client, keys):
    client.get("/healthz")
    metrics = client.get("/metrics", headers=auth(keys["admin"])).text
    labels: dict[str, set[str]] = {}
    for line in metrics.splitlines():
        if match := re.match(r"([a-z_]+)\{(.*)\} ", line):
            labels.setdefault(match[1], set()).update(re.findall(r'([a-z_]+)="', match[2]))
    exprs = [
        target["expr"]
        for panel in json.loads(DASHBOARD.read_text(encoding="utf-8"))["panels"]
        for target in panel["targets"]
    ]
    queried = {name for expr in exprs for name in re.findall(r"\b(risk_[a-z_]+)\b", expr)}
    assert queried and queried <= set(labels)
    used = {
        label
        for expr in exprs
        for group in re.findall(r"by \(([^)]*)\)|\b([a-z_]+)=~", expr)
        for part in group
        for label in re.split(r",\s*", part)
        if label and label not in ("le", "job")
    }
    assert used and used <= set().union(*labels.values())


def test_the_access_log_names_the_route_never_the_path_query_or_key(client, keys, caplog):
    key = keys["admin"]
    case = uuid.uuid4().hex
    with caplog.at_level(logging.INFO, logger="risk.access"):
        response = client.get(
            f"/v1/cases/{case}?secret=hunter2",
            headers={**auth(key), "X-Request-ID": "trace-17"},
        )
    assert response.status_code == 404 and response.headers["x-request-id"] == "trace-17"
    (line,) = [r.getMessage() for r in caplog.records if r.name == "risk.access"]
    entry = json.loads(line)
    assert {k: entry[k] for k in ("method", "route", "status", "request_id")} == {
        "method": "GET",
        "route": "/v1/cases/{case_id}",
        "status": 404,
        "request_id": "trace-17",
    }
    assert entry["ms"] >= 0
    assert case not in line and "hunter2" not in line and key not in line


def test_a_request_id_that_is_not_a_plain_token_is_replaced(client):
    response = client.get("/healthz", headers={"X-Request-ID": "a b\tc" + "x" * 80})
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])
