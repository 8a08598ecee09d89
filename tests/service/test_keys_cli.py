"""``risk keys``: create prints a working key once; list shows no secret; revoke stops it."""

from __future__ import annotations

from risk.cli import main
from service.auth import authenticate
from service.db import Database


def test_keys_create_list_revoke(tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path / 'keys.db'}"
    monkeypatch.setenv("RISK_DATABASE_URL", url)
    assert main(["keys", "create", "--role", "psychologist", "--grids", "G1,G2"]) == 0
    key = capsys.readouterr().out.strip()
    caller = authenticate(Database(url), key)
    assert caller is not None and caller.role == "psychologist"
    assert caller.grids == frozenset({"G1", "G2"})
    assert main(["keys", "list"]) == 0
    listing = capsys.readouterr().out
    prefix = key.split("_")[1]
    assert prefix in listing and key.split("_", 2)[2] not in listing
    assert main(["keys", "revoke", prefix]) == 0
    assert authenticate(Database(url), key) is None
    assert main(["keys", "revoke", prefix]) == 1
    assert main(["keys", "create", "--role", "wizard"]) == 2
