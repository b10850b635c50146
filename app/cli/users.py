"""`dealguard users create|list|disable|reset-password`: people of the console (§11)."""

from __future__ import annotations

import click

from app.cli.database import open_database, settings
from app.cli.tables import echo_principals
from app.vocabulary import APPROVERS


def _session():
    from sqlalchemy.orm import Session

    return Session(open_database(settings()))


@click.group("users")
def users_group() -> None:
    """People who sign in to the console at /console/."""


@users_group.command("create")
@click.option("--name", required=True, help="The name the person signs in with.")
@click.option("--role", required=True,
              type=click.Choice(("manager", "approver", "compliance", "admin")))
@click.option("--manager-id", default=None, help="For a manager: the manager's actor.id.")
@click.option("--person-id", default=None, help="For an approver: the person's actor.id.")
@click.option("--job-role", default=None, type=click.Choice(APPROVERS),
              help="For an approver: the person's job role.")
@click.option("--full-name", default=None, help="The name the console shows.")
def users_create(name: str, role: str, manager_id: str | None, person_id: str | None,
                 job_role: str | None, full_name: str | None) -> None:
    """Make a user and print its one-time password, alone, on stdout.

    The password must be changed at the first sign-in. A manager (--manager-id M) and
    an approver (--person-id P --job-role J) act only as that person, as their API
    keys would.
    """
    from app.users import create_user

    if manager_id and person_id:
        raise click.ClickException("give --manager-id (a manager) or --person-id "
                                   "(an approver), not both")
    if manager_id and role != "manager":
        raise click.ClickException("--manager-id is for a manager; an approver takes "
                                   "--person-id and --job-role")
    if person_id and role == "manager":
        raise click.ClickException("a manager takes --manager-id")
    with _session() as session:
        try:
            password = create_user(session, name, role, manager_id or person_id, job_role,
                                   full_name)
        except ValueError as error:
            raise click.ClickException(str(error).replace(" key", "")) from None
    click.echo(password)


@users_group.command("list")
def users_list() -> None:
    """Every user: name, role, person id, job role, created, disabled (never a password)."""
    from app.users import list_users

    with _session() as session:
        users = list_users(session)
    echo_principals(users, "disabled_at")


@users_group.command("disable")
@click.argument("name")
def users_disable(name: str) -> None:
    """Disable the user NAME: no more sign-ins, and its sessions end now."""
    from app.users import disable_user

    with _session() as session:
        if not disable_user(session, name):
            raise click.ClickException(f"no user named {name!r}")
    click.echo(f"user {name} disabled", err=True)


@users_group.command("reset-password")
@click.argument("name")
def users_reset_password(name: str) -> None:
    """Print a new one-time password for NAME, alone, on stdout; its sessions end."""
    from app.users import reset_password

    with _session() as session:
        password = reset_password(session, name)
    if password is None:
        raise click.ClickException(f"no user named {name!r}")
    click.echo(password)


commands = [users_group]
