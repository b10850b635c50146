"""`dealguard db upgrade` and `dealguard keys create|list|revoke|bootstrap` (CONTRACT §8)."""

from __future__ import annotations

import os

import click
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.auth import KEY_CACHE_SECONDS, ROLES
from app.cli.database import open_database, settings
from app.cli.tables import echo_principals
from app.vocabulary import APPROVERS

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def migrations_dir() -> str:
    """The Alembic scripts: DEALGUARD_MIGRATIONS, else migrations/ beside the app package
    (a checkout or `pip install -e .`), else migrations/ in the working directory (a plain
    `pip install .` run from the checkout)."""
    if os.environ.get("DEALGUARD_MIGRATIONS"):
        return os.environ["DEALGUARD_MIGRATIONS"]
    for base in (REPO_ROOT, os.getcwd()):
        candidate = os.path.join(base, "migrations")
        if os.path.isfile(os.path.join(candidate, "env.py")):
            return candidate
    raise click.ClickException(
        "cannot find the migrations/ folder; run from the checkout or set DEALGUARD_MIGRATIONS")


def upgrade(database_url: str, revision: str = "head") -> None:
    from alembic import command
    from alembic.config import Config

    directory = migrations_dir()
    config = Config(os.path.join(directory, "alembic.ini"))
    config.set_main_option("script_location", directory)
    # Alembic's config is %-interpolated; a password may hold a %.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    command.upgrade(config, revision)


def _session() -> Session:
    return Session(open_database(settings()))


@click.group("db")
def db_group() -> None:
    """The database schema."""


@db_group.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the schema to the newest revision."""
    upgrade(settings().database_url)
    click.echo("database is up to date", err=True)


@click.group("keys")
def keys_group() -> None:
    """API keys: shown once when made, stored only as a hash."""


@keys_group.command("create")
@click.option("--role", required=True,
              type=click.Choice(ROLES))
@click.option("--name", required=True, help="A unique name; it is logged with each decision.")
@click.option("--manager-id", default=None, help="For a manager key: the manager's actor.id.")
@click.option("--person-id", default=None, help="For an approver key: the person's actor.id.")
@click.option("--job-role", default=None,
              type=click.Choice(APPROVERS),
              help="For an approver key: the person's job role.")
def keys_create(role: str, name: str, manager_id: str | None, person_id: str | None,
                job_role: str | None) -> None:
    """Make a key and print it, alone, on stdout.

    A manager key (--manager-id M) and an approver key (--person-id P --job-role J)
    belong to one person and ask only as that person.
    """
    from app.auth import create_key

    if manager_id and person_id:
        raise click.ClickException("give --manager-id (a manager) or --person-id "
                                   "(an approver), not both")
    if manager_id and role != "manager":
        raise click.ClickException("--manager-id is for a manager key; an approver key "
                                   "takes --person-id and --job-role")
    if person_id and role == "manager":
        raise click.ClickException("a manager key takes --manager-id")
    with _session() as session:
        try:
            key = create_key(session, role, name, manager_id or person_id, job_role)
        except ValueError as error:
            raise click.ClickException(str(error)) from None
    click.echo(key)


@keys_group.command("list")
def keys_list() -> None:
    """Every key: name, role, person id, job role, created, revoked (never the key)."""
    from app.auth import ApiKey

    with _session() as session:
        keys = session.scalars(select(ApiKey).order_by(ApiKey.created_at)).all()
    echo_principals(keys, "revoked_at")


@keys_group.command("revoke")
@click.argument("name")
def keys_revoke(name: str) -> None:
    """Revoke the key NAME: 401 from now on, in a running server within 5 s."""
    from app.auth import revoke_key

    with _session() as session:
        if not revoke_key(session, name):
            raise click.ClickException(f"no key named {name!r}")
    # Each server process remembers a valid key for KEY_CACHE_SECONDS (app/auth.py), so
    # the revoked key still passes there until its entry expires.
    click.echo(f"revoked {name}; running server processes may still accept it for up to "
               f"{KEY_CACHE_SECONDS:g} s", err=True)


@keys_group.command("bootstrap")
@click.option("--name", default="admin", show_default=True)
def keys_bootstrap(name: str) -> None:
    """Make a first admin key if there is no key at all, and print it once."""
    from app.auth import ApiKey, create_key

    with _session() as session:
        if session.scalar(select(func.count()).select_from(ApiKey)):
            click.echo("keys exist already; make more with `dealguard keys create`", err=True)
            return
        key = create_key(session, "admin", name)
    click.echo("First admin key, shown only now; keep it:", err=True)
    click.echo(key)


commands = [db_group, keys_group]
