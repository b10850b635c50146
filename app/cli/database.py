"""The settings and the database a command works on, or one clear line and exit 1.

Only `dealguard db upgrade` creates a database. Every other command that needs one first
checks that DEALGUARD_DATABASE_URL names a database that is there (for SQLite: the file)
and that carries dealguard's schema at this version's revision. Otherwise it says what is
missing and how to fix it, and creates nothing: no `instance/` directory, no empty file.
Run from another directory, the default `sqlite:///instance/dealguard.db` names a file
that is not there, which is the usual case.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import click
from sqlalchemy import Engine, create_engine, inspect
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from app.config import Settings
from app.db import is_sqlite

if TYPE_CHECKING:
    from app.log.read.query import Filters

FIX = ("set DEALGUARD_DATABASE_URL to your database, or create this one with "
       "`dealguard db upgrade`")
# A table of the first migration: a schema made from the models (as the test suite
# does) has it and no alembic_version row.
FIRST_TABLE = "api_keys"


def settings() -> Settings:
    """Settings.from_env, with a bad DEALGUARD_* value as a one-line error."""
    try:
        return Settings.from_env()
    except RuntimeError as error:
        raise click.ClickException(str(error)) from None


def open_database(current: Settings) -> Engine:
    """An engine on an existing dealguard database at the newest schema revision."""
    from app.db import make_engine

    url = _parse(current.database_url)
    shown = url.render_as_string(hide_password=True)
    path = sqlite_file(url)
    if path is not None and not os.path.isfile(path):
        raise click.ClickException(
            f"no database at {os.path.abspath(path)} (DEALGUARD_DATABASE_URL={shown}): {FIX}")
    # Looked at through a plain engine: the service's own sets SQLite's journal mode on
    # connecting, which writes to the file.
    probe = create_engine(url, poolclass=NullPool)
    try:
        with probe.connect() as connection:
            problem = _schema_problem(connection)
    except SQLAlchemyError as error:
        raise click.ClickException(
            f"cannot open the database {shown}: {describe(error)}; "
            "check DEALGUARD_DATABASE_URL") from None
    finally:
        probe.dispose()
    if problem:
        raise click.ClickException(
            f"the database {shown} {problem}: run `dealguard db upgrade` "
            "(it migrates the database that DEALGUARD_DATABASE_URL names)")
    return make_engine(current.database_url, current.sqlite_synchronous)


def filters_from_options(current: Settings, options: dict[str, Any]) -> Filters:
    """The log's filters from a command's options (--since, --action, ...); a bad one is
    named on stderr, and the command ends with exit 1."""
    from app.log.read.query import FILTER_NAMES, InvalidFilters, parse_filters

    args = {name: value for name, value in options.items()
            if name in FILTER_NAMES and value is not None}
    try:
        return parse_filters(args, current.timezone)
    except InvalidFilters as invalid:
        for name, messages in invalid.errors.items():
            for message in messages:
                click.echo(f"--{name.replace('_', '-')}: {message}", err=True)
        raise click.ClickException(invalid.detail) from None


def sqlite_file(url: URL) -> str | None:
    """The file of a SQLite URL; None for other databases and in-memory ones."""
    if not is_sqlite(url):
        return None
    database = url.database or ""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return database


def describe(error: SQLAlchemyError) -> str:
    """The error's type, and for a failed connection the driver's first line (which
    says "connection refused", "unable to open database file", a wrong password...).
    Never the statement's parameters: they may be keys or client data."""
    from sqlalchemy.exc import OperationalError

    name = type(error).__name__
    if isinstance(error, OperationalError) and error.orig is not None:
        first = str(error.orig).strip().splitlines()[:1]
        if first:
            return f"{name}: {first[0]}"
    return name


def _parse(database_url: str) -> URL:
    try:
        return make_url(database_url)
    except ArgumentError:
        raise click.ClickException(
            "DEALGUARD_DATABASE_URL is not a database URL "
            "(e.g. sqlite:///instance/dealguard.db or postgresql+psycopg://...)") from None


def _schema_problem(connection) -> str | None:
    from alembic.migration import MigrationContext

    revision = MigrationContext.configure(connection).get_current_revision()
    if revision is None:
        if inspect(connection).has_table(FIRST_TABLE):
            return None
        return "has no dealguard schema"
    head = _head_revision()
    if head is not None and revision != head:
        return f"is at schema revision {revision}, this dealguard needs {head}"
    return None


def _head_revision() -> str | None:
    """The newest migration, or None when the migrations are not to be found (the
    command then trusts any migrated schema)."""
    from alembic.script import ScriptDirectory

    from app.cli.service import migrations_dir

    try:
        return ScriptDirectory(migrations_dir()).get_current_head()
    except click.ClickException:
        return None
