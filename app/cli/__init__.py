"""The `dealguard` command (CONTRACT §8). Each area adds its commands from its own module."""

from __future__ import annotations

from importlib import import_module

import click

# Each module exposes `commands`: a list of click commands or groups.
COMMAND_MODULES = (
    "app.cli.policy",   # check, policy lint|test|impact
    "app.cli.service",  # db upgrade, keys create|list|revoke|bootstrap
    "app.cli.log",      # log verify|export
    "app.cli.stats",    # stats
)


@click.group()
def main() -> None:
    """dealguard: deal-compliance policy service."""


for _name in COMMAND_MODULES:
    for _command in import_module(_name).commands:
        main.add_command(_command)
