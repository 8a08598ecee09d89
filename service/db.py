"""Database engine, sessions and migrations (Alembic, the same for SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeout
from sqlalchemy.orm import Session, sessionmaker

from service import sqlite
from service.db_guard import Breaker, guard

__all__ = ["Database", "migrate"]

MIGRATIONS = Path(__file__).with_name("migrations")


def _alembic_config(url: str) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def migrate(url: str) -> None:
    """Bring the database at ``url`` to the newest schema."""
    from alembic import command

    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(_alembic_config(url), "head")


class Database:
    """An engine and its session factory. On PostgreSQL no request waits on the database
    much past ``timeout`` seconds: connects time out (libpq's minimum, 2 s), and a
    statement, a commit, a checkout ping or a wait for a pooled connection past
    ``timeout`` fails (:mod:`service.db_guard`); after a failure, sessions fail at once
    for ``timeout`` seconds instead of each waiting again."""

    def __init__(self, url: str, timeout: float = 1.0) -> None:
        self.url = url
        options: dict[str, Any] = {}
        if url.startswith("sqlite"):
            options["connect_args"] = {"check_same_thread": False, "timeout": 30}
        else:
            options.update(
                pool_size=10,
                max_overflow=20,
                pool_timeout=timeout,
                connect_args={"connect_timeout": max(2, round(timeout))},
            )
        self.engine: Engine = create_engine(url, **options)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.breaker = Breaker(timeout if not url.startswith("sqlite") else 0.0)
        if url.startswith("sqlite"):
            file = self.engine.url.database
            on_disk = Path(file) if file and file != ":memory:" else None
            sqlite.configure(self.engine, self.sessions, on_disk)
        else:
            guard(self.engine, timeout, self.breaker)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session whose changes commit together at the end, or not at all."""
        with self._watched(), self.sessions() as session, session.begin():
            yield session

    def ping(self) -> None:
        """Raise if the database cannot answer; it is asked even just after a failure."""
        with self.breaker.probe(), self._watched(), self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    @contextmanager
    def _watched(self) -> Iterator[None]:
        self.breaker.check()
        try:
            yield
        except (OperationalError, SQLAlchemyTimeout):
            self.breaker.failed()
            raise
