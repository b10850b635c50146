"""The `dealguard` command (CONTRACT §8): one module per command group, each its own."""

from __future__ import annotations

from importlib import import_module

import click
from sqlalchemy.exc import SQLAlchemyError

# Each module exposes `commands`: a list of click commands or groups.
COMMAND_MODULES = (
    "app.cli.policy",   # check, policy lint|test|impact|reload|facts
    "app.cli.service",  # db upgrade, keys create|list|revoke|bootstrap
    "app.cli.log",      # log verify|export|digest|digest-key|digest-public-key
    "app.cli.stats",    # stats
    "app.cli.worker",   # worker (webhooks)
    "app.cli.users",    # users create|list|disable|reset-password
)


class DealguardGroup(click.Group):
    """Turns a database failure that a command did not foresee into one line, exit 1."""

    def invoke(self, ctx: click.Context):
        from alembic.util import CommandError

        try:
            return super().invoke(ctx)
        except SQLAlchemyError as error:
            from app.cli.database import describe

            # The type and the driver's first line; never the statement's parameters.
            raise click.ClickException(
                f"database error ({describe(error)}); check DEALGUARD_DATABASE_URL") from None
        except CommandError as error:  # Alembic: e.g. a revision this checkout lacks
            raise click.ClickException(f"migration failed: {error}") from None


@click.group(cls=DealguardGroup)
@click.version_option(package_name="dealguard", message="dealguard %(version)s")
def main() -> None:
    """dealguard: deal-compliance policy service."""


for _name in COMMAND_MODULES:
    for _command in import_module(_name).commands:
        main.add_command(_command)
