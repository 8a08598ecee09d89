"""``risk keys``: create prints a working key once; list shows no secret; revoke stops it."""

from __future__ import annotations

import json

import pytest

from risk.cli import main
from service.auth import authenticate, list_keys
from service.db import Database, migrate
from service.roles import ROLES


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
    assert main(["keys", "list", "--format", "json"]) == 0
    (listed,) = json.loads(capsys.readouterr().out)
    assert (listed["prefix"], listed["role"], listed["grids"]) == (prefix, "psychologist", "G1,G2")
    assert listed["revoked"] == "" and key.split("_", 2)[2] not in json.dumps(listed)
    assert main(["keys", "revoke", prefix]) == 0
    assert authenticate(Database(url), key) is None
    assert main(["keys", "revoke", prefix]) == 1


def test_keys_create_takes_a_role_from_the_choices(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("RISK_DATABASE_URL", f"sqlite:///{tmp_path / 'keys.db'}")
    assert main(["keys", "create", "--role", "wizard", "--all-grids"]) == 2
    said = " ".join(capsys.readouterr().err.split())
    assert "'wizard' is not one of" in said
    assert all(role in said for role in ROLES)
    assert main(["keys", "create", "--role", "Supervisor", "--all-grids"]) == 0
    caller = authenticate(
        Database(f"sqlite:///{tmp_path / 'keys.db'}"), capsys.readouterr().out.strip()
    )
    assert caller is not None and caller.role == "supervisor"


@pytest.mark.parametrize(
    "grids",
    [[], ["--grids", ""], ["--grids", ","], ["--grids", "G1,,G2"], ["--grids", " G1"],
     ["--grids", "G1", "--all-grids"]],
    ids=["none", "empty", "comma", "empty-entry", "padded", "both"],
)  # fmt: skip
def test_keys_create_needs_grids_or_an_explicit_all_grids(tmp_path, monkeypatch, capsys, grids):
    """An empty shell variable (``--grids "$GRIDS"``) must not make a key for every grid."""
    url = f"sqlite:///{tmp_path / 'keys.db'}"
    monkeypatch.setenv("RISK_DATABASE_URL", url)
    migrate(url)
    assert main(["keys", "create", "--role", "caseworker", *grids]) == 2
    refused = capsys.readouterr()
    said = " ".join(refused.err.split())
    assert "rk_" not in refused.out and ("--all-grids" in said or "invalid grid id" in said)
    assert list_keys(Database(url)) == []


def test_keys_create_all_grids_only_when_asked(tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path / 'keys.db'}"
    monkeypatch.setenv("RISK_DATABASE_URL", url)
    assert main(["keys", "create", "--role", "admin", "--all-grids"]) == 0
    caller = authenticate(Database(url), capsys.readouterr().out.strip())
    assert caller is not None and caller.grids is None
