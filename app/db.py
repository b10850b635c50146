"""The database: one SQLAlchemy engine per application, one session per request."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext

from flask import Flask, current_app, g
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker


class Base(DeclarativeBase):
    """Every table of dealguard; Alembic migrations mirror these models."""


def make_engine(url: str, sqlite_synchronous: str = "FULL") -> Engine:
    if sqlite_synchronous not in ("FULL", "EXTRA", "NORMAL"):
        raise ValueError(f"unknown SQLite synchronous mode {sqlite_synchronous!r}")
    if url.startswith("sqlite"):
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
            # up front with BEGIN IMMEDIATE on the driver's connection: app/audit/writer.py.)
            connection.exec_driver_sql("BEGIN")

        return engine
    engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)
    if engine.dialect.name == "postgresql":

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


def log_writers_queue(engine: Engine) -> AbstractContextManager[object]:
    """Held around a log write: the writers of all processes on one SQLite file take turns.

    SQLite's own lock does not queue: a writer that finds it taken sleeps and retries
    (1, 2, 5 ... 100 ms), so two workers' committers starve each other and a decision can
    wait a second. A blocking flock on a file beside the database wakes the next writer
    as soon as the lock is free. SQLite's lock (BEGIN IMMEDIATE) still decides who may
    write; this only makes waiting for it fair and short. PostgreSQL queues row locks
    itself.
    """
    if engine.dialect.name != "sqlite":
        return nullcontext()
    path = engine.url.database
    if not path or path == ":memory:" or path.startswith("file:"):
        return nullcontext()
    return _flocked(os.path.abspath(path) + "-log-writers")


@contextmanager
def _flocked(path: str) -> Iterator[None]:
    try:
        handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        yield  # a read-only directory: SQLite's own lock still serialises the writers
        return
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)  # blocks without the GIL
        yield
    finally:
        os.close(handle)  # closing releases the lock


def _ensure_sqlite_dir(url: str) -> None:
    path = url.split("///", 1)[-1]
    if path and path != ":memory:":
        directory = os.path.dirname(os.path.abspath(path))
        try:
            os.makedirs(directory, exist_ok=True)
        except OSError:
            pass  # the first connection reports it; /health/ready says "unreachable"


def init_app(app: Flask, url: str, sqlite_synchronous: str = "FULL") -> None:
    engine = make_engine(url, sqlite_synchronous)
    app.extensions["dealguard.engine"] = engine
    # Rendering the URL costs microseconds; every request names its database (app.auth).
    app.extensions["dealguard.database"] = str(engine.url)
    app.extensions["dealguard.sessionmaker"] = sessionmaker(engine, expire_on_commit=False)

    @app.teardown_appcontext
    def _close_session(_exc) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.close()


def session() -> Session:
    """The session of the current request (or app context)."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["dealguard.sessionmaker"]()
    return g.db_session


def engine() -> Engine:
    return current_app.extensions["dealguard.engine"]


def database_name() -> str:
    """The current app's database URL, its password hidden: a key for per-database caches."""
    return current_app.extensions["dealguard.database"]
