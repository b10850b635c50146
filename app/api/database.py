"""The application's database: one SQLAlchemy engine per app, one session per request."""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from app.db import make_engine


def init_app(app: Flask, url: str, sqlite_synchronous: str = "FULL") -> None:
    database = make_engine(url, sqlite_synchronous)
    app.extensions["dealguard.db_engine"] = database
    # Rendering the URL costs microseconds; every request names its database (app.auth).
    app.extensions["dealguard.database_url"] = str(database.url)
    app.extensions["dealguard.sessionmaker"] = sessionmaker(database, expire_on_commit=False)

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


def db_engine() -> Engine:
    """The current app's SQLAlchemy engine."""
    return current_app.extensions["dealguard.db_engine"]


def database_name() -> str:
    """The current app's database URL, its password hidden: a key for per-database caches."""
    return current_app.extensions["dealguard.database_url"]
