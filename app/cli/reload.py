"""`dealguard policy reload`: the command-line twin of `POST /v1/policy/reload`.

A running server keeps its policy in each worker's memory, and each worker follows the
policy version recorded in the database's `policy_state` row: at most once a second it
compares that sha256 with the policy it runs and, when they differ, loads its policy
file again (app/policy_holder.py). So this command loads DEALGUARD_POLICY exactly as a
worker would (a broken file changes nothing, exit 1) and records its sha256; every
worker of every server on this database then loads the file within a second. The
servers read their own DEALGUARD_POLICY: run it where they run, on the same file.
"""

from __future__ import annotations

import click

from app.cli.database import open_database, settings
from app.cli.policy import load_or_exit, policy_group


@policy_group.command("reload")
def reload_command() -> None:
    """Check the policy file and have every server on this database load it within 1 s."""
    from app.policy_holder import record_version

    current = settings()
    policy = load_or_exit(current.policy_path)
    engine = open_database(current)
    try:
        record_version(engine, policy)
    finally:
        engine.dispose()
    click.echo(f"{current.policy_path}: {policy.name} {policy.version} "
               f"(sha256 {policy.sha256[:12]}...) recorded; every server process on this "
               "database loads it within a second")


commands: list[click.Command] = []  # adds to `dealguard policy` (app.cli.policy)
