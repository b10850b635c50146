"""The database: the tables' base, the engine factory, and which database it is.

No Flask here: the log's writer process and the command line use it too. The
application's engine and its per-request session are app/api/database.py's.
"""

from __future__ import annotations

import os
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """Every table of dealguard; Alembic migrations mirror these models."""


def make_engine(url: str, sqlite_synchronous: str = "FULL") -> Engine:
    if sqlite_synchronous not in ("FULL", "EXTRA", "NORMAL"):
        raise ValueError(f"unknown SQLite synchronous mode {sqlite_synchronous!r}")
    if is_sqlite(url):
        _ensure_sqlite_dir(url)
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:
            # WAL lets readers work while a worker writes; synchronous=FULL (the default)
            # keeps a committed decision on disk if the machine loses power.
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA synchronous={sqlite_synchronous}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()
            # Let SQLAlchemy, not the driver, say when a transaction begins (below).
            dbapi_connection.isolation_level = None

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection) -> None:
            # A transaction begins lazily. (The decision log's writer takes the write lock
            # up front with BEGIN IMMEDIATE on the driver's connection: app/log/write/writer.py.)
            connection.exec_driver_sql("BEGIN")

        return engine
    engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)
    if is_postgresql(engine):

        @event.listens_for(engine, "connect")
        def _postgres_timeouts(dbapi_connection, _record) -> None:
            # Every decision waits for the one chain-head row lock: a writer that hangs
            # must not stall the others forever. They give up after 10 s (a 503), and the
            # server ends a transaction left idle for 30 s, freeing the lock.
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SET lock_timeout = '10s'")
                cursor.execute("SET idle_in_transaction_session_timeout = '30s'")
            dbapi_connection.commit()

    return engine


def is_sqlite(bind: Any) -> bool:
    """True for a SQLite database: an engine, a connection, a dialect or a URL.

    The one place that asks which database it is (with is_postgresql)."""
    return _backend(bind) == "sqlite"


def is_postgresql(bind: Any) -> bool:
    """True for a PostgreSQL database: an engine, a connection, a dialect or a URL."""
    return _backend(bind) == "postgresql"


def _backend(bind: Any) -> str:
    if isinstance(bind, str):
        bind = make_url(bind)
    if isinstance(bind, URL):
        return bind.get_backend_name()
    return getattr(bind, "dialect", bind).name


def _ensure_sqlite_dir(url: str) -> None:
    path = url.split("///", 1)[-1]
    if path and path != ":memory:":
        directory = os.path.dirname(os.path.abspath(path))
        try:
            os.makedirs(directory, exist_ok=True)
        except OSError:
            pass  # the first connection reports it; /health/ready says "unreachable"
