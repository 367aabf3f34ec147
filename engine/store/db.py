"""Database engines and sessions for SQLite (embedded default) and PostgreSQL.

SQLite runs in WAL mode. Write transactions start with ``BEGIN IMMEDIATE`` so that two writers queue on the
database lock (honouring ``busy_timeout``) instead of one failing when it upgrades a read lock to a write lock.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.pool import ConnectionPoolEntry

DEFAULT_SQLITE_PATH = Path("var") / "emflow.sqlite3"


def default_database_url() -> str:
    return os.environ.get("DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE_PATH}"


def normalise_url(url: str) -> str:
    """Accept the usual ``postgresql://`` spelling and use the psycopg 3 driver for it."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def make_engine(url: str) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
        # Let SQLAlchemy emit BEGIN itself (pysqlite's implicit transactions would defeat BEGIN IMMEDIATE).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


class Database:
    """One SQLAlchemy engine; the engine speaks Core (``engine.store.tables`` says why): ``connect`` for reads,
    ``transaction`` for the one transaction of a command."""

    def __init__(self, url: str | None = None):
        self.url = normalise_url(url or default_database_url())
        self.engine = make_engine(self.url)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self._write_engine = self.engine.execution_options(sqlite_begin="IMMEDIATE") if self.is_sqlite else self.engine

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A Core connection for hot read paths (no ORM bookkeeping); rolled back on close."""
        with self.engine.connect() as conn:
            yield conn

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A Core write transaction (BEGIN IMMEDIATE on SQLite): commits at the end, rolls back on error."""
        with self._write_engine.begin() as conn:
            yield conn

    def ping(self) -> str:
        """Reach the database once; returns its dialect name (sqlite, postgresql)."""
        with self.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        return self.engine.dialect.name

    def dispose(self) -> None:
        self.engine.dispose()
