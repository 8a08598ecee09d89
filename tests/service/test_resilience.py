"""A database that is down: 503 with a clear error, and nothing reported as stored."""

from __future__ import annotations

from service.conftest import auth, unique
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker


def test_database_down_gives_503_and_stores_nothing(client, keys):
    db = client.app.state.db
    engine, sessions = db.engine, db.sessions
    dead = create_engine(
        "postgresql+psycopg://nobody@127.0.0.1:1/none", connect_args={"connect_timeout": 1}
    )
    db.engine, db.sessions = dead, sessionmaker(dead, expire_on_commit=False)
    try:
        ready = client.get("/readyz")
        assert ready.status_code == 503 and ready.json()["error"] == "db_unavailable"
        body = {
            "case_id": unique("C"),
            "household_id": unique("H"),
            "opened_at": "2024-04-01",
            "source": "police",
            "dispute_type": "marital",
            "counterpart": "spouse",
        }
        response = client.post("/v1/cases", json=body, headers=auth(keys["caseworker"]))
        assert response.status_code == 503
        assert response.json()["message_en"].startswith("database unavailable")
        assert "stored" not in response.json() and "Traceback" not in response.text
    finally:
        db.engine, db.sessions = engine, sessions
    assert client.get("/readyz").status_code == 200
    missing = client.get(f"/v1/cases/{body['case_id']}", headers=auth(keys["caseworker"]))
    assert missing.status_code == 404
