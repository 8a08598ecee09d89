"""Database engine, sessions and migrations (Alembic, the same for SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import DatabaseError, OperationalError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeout
from sqlalchemy.orm import Session, sessionmaker

from service import sqlite
from service.db_guard import Breaker, guard

__all__ = ["Database", "DatabaseCorrupt", "is_corruption", "migrate"]


class DatabaseCorrupt(Exception):
    """The database file is damaged (SQLite): no retry will help; answered 503 without
    ``Retry-After`` and named by ``/readyz``."""


def is_corruption(error: BaseException) -> bool:
    """Whether a database error says the file is damaged or is no database at all."""
    said = str(getattr(error, "orig", error)).lower()
    return "malformed" in said or "not a database" in said


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
        self.timeout = timeout
        self.corrupt = False
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

    @contextmanager
    def patient(self, seconds: float) -> Iterator[Database]:
        """This database for statements of minutes (a bulk load, a city's monitor): on
        PostgreSQL an engine of its own whose deadline is ``seconds``, disposed after;
        itself when SQLite (no deadline to lift) or already that patient."""
        if self.url.startswith("sqlite") or self.timeout >= seconds:
            yield self
            return
        patient = Database(self.url, timeout=seconds)
        try:
            yield patient
        finally:
            patient.engine.dispose()

    def ping(self) -> None:
        """Raise if the database cannot answer; it is asked even just after a failure."""
        with self.breaker.probe(), self._watched(), self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def check_integrity(self) -> None:
        """On SQLite, read the whole file once (``PRAGMA quick_check``); a damaged one is
        remembered, and every session and ping then raises :class:`DatabaseCorrupt`."""
        if not self.url.startswith("sqlite"):
            return
        with self._watched(), self.engine.connect() as connection:
            found = connection.execute(text("PRAGMA quick_check(1)")).scalar()
        if found != "ok":
            self.corrupt = True

    @contextmanager
    def _watched(self) -> Iterator[None]:
        if self.corrupt:
            raise DatabaseCorrupt
        self.breaker.check()
        try:
            yield
        except DatabaseError as exc:
            if is_corruption(exc):
                self.corrupt = True
                raise DatabaseCorrupt from exc
            if isinstance(exc, OperationalError):
                self.breaker.failed()
            raise
        except SQLAlchemyTimeout:
            self.breaker.failed()
            raise
