"""The SQLite writer lock: held from a session's first write until its transaction ends,
across threads and processes, so writers queue without SQLite's sleep-and-retry."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import func, select

from service.db import Database, migrate
from service.tables import AuditEvent

#: Exits 0 if it can take the lock file's flock without waiting, 1 if another holds it.
PROBE = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
try:
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
except BlockingIOError:
    sys.exit(1)
"""


def _free(lock_file: Path) -> bool:
    """Whether another process could take the writer lock now."""
    return subprocess.run([sys.executable, "-c", PROBE, str(lock_file)]).returncode == 0


@pytest.fixture
def database(tmp_path: Path) -> Database:
    url = f"sqlite:///{tmp_path / 'risk.db'}"
    migrate(url)
    return Database(url)


def _event(action: str) -> AuditEvent:
    return AuditEvent(key_id=None, action=action, resource="test", status=200)


def test_a_writing_session_holds_the_lock_until_it_commits(database, tmp_path):
    lock_file = tmp_path / "risk.db.writer-lock"
    with database.session() as session:
        session.scalars(select(AuditEvent)).all()
        assert not lock_file.exists() or _free(lock_file), "a read took the writer lock"
        session.add(_event("write"))
        session.flush()
        assert not _free(lock_file)
    assert _free(lock_file)


def test_a_failed_write_releases_the_lock(database, tmp_path):
    with pytest.raises(RuntimeError), database.session() as session:
        session.add(_event("write"))
        session.flush()
        raise RuntimeError("the route failed after writing")
    assert _free(tmp_path / "risk.db.writer-lock")
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == 0


def test_concurrent_writers_from_threads_and_processes_all_land(database, tmp_path):
    url = database.url
    child = (
        "import sys; from service.db import Database; from service.tables import AuditEvent\n"
        "db = Database(sys.argv[1])\n"
        "for i in range(100):\n"
        "    with db.session() as s:\n"
        "        s.add(AuditEvent(key_id=None, action='child', resource='t', status=200))\n"
    )
    other = subprocess.Popen([sys.executable, "-c", child, url], cwd=Path.cwd())

    def write(i: int) -> None:
        with database.session() as session:
            session.add(_event(f"thread-{i % 8}"))

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(write, range(400)))
    assert other.wait(timeout=120) == 0
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == 500


def test_the_lock_file_is_private(database, tmp_path):
    with database.session() as session:
        session.add(_event("write"))
    mode = os.stat(tmp_path / "risk.db.writer-lock").st_mode & 0o777
    assert mode == 0o600
