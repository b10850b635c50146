"""`dealguard log verify|export` and `dealguard policy impact` (CONTRACT §8).

They do what the endpoints do, straight on DEALGUARD_DATABASE_URL, for an operator
or an auditor on the database host: no key, no HTTP timeout on a long export.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from app.cli.database import open_database, settings
from app.cli.policy import policy_group
from app.config import Settings
from app.problems import Problem

FILTER_OPTIONS = ("action", "outcome", "principle", "rule", "actor_id", "client_id",
                  "subject_id", "since", "until")


def _filters(current: Settings, options: dict[str, Any]):
    from app.audit.query import parse_filters

    args = {name: value for name, value in options.items()
            if name in FILTER_OPTIONS and value is not None}
    try:
        return parse_filters(args, current.timezone)
    except Problem as problem:
        _fail(problem)


def _fail(problem: Problem) -> None:
    for name, messages in problem.errors.items():
        for message in messages:
            click.echo(f"--{name.replace('_', '-')}: {message}", err=True)
    raise click.ClickException(problem.detail)


@click.group("log")
def log_group() -> None:
    """The decision log: prove it unchanged, hand it over."""


@log_group.command("verify")
def verify_command() -> None:
    """Re-compute the hash chain; print {ok, checked, first_bad_seq}; exit 1 if broken."""
    from app.audit.verify import verify

    result = verify(open_database(settings()))
    click.echo(json.dumps(result.as_dict()))
    if not result.ok:
        sys.exit(1)


def _filter_options(command):
    for name in reversed(FILTER_OPTIONS):
        flag = "--" + name.replace("_", "-")
        help_text = ("ISO date or date-time on decided_at" if name in ("since", "until")
                     else f"only decisions with this {name}")
        command = click.option(flag, name, default=None, help=help_text)(command)
    return command


@log_group.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv",
              show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None,
              help="Write here instead of standard output.")
@_filter_options
def export_command(fmt: str, output: str | None, **options: Any) -> None:
    """Stream the (masked) log as CSV or JSON lines, oldest first, with the API's filters."""
    from app.audit.export import stream

    current = settings()
    filters = _filters(current, options)
    chunks = stream(open_database(current), filters, fmt)
    if output is None:
        try:
            for chunk in chunks:
                sys.stdout.write(chunk)
            sys.stdout.flush()
        except BrokenPipeError:
            # `dealguard log export | head`: the reader has all it wants. Point stdout
            # at /dev/null so the flush at exit does not complain (Python's own advice).
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(1)
        return
    with open(output, "w", encoding="utf-8", newline="") as handle:
        for chunk in chunks:
            handle.write(chunk)


@click.command("impact")
@click.argument("candidate")
@click.option("--since", default=None, help="ISO date or date-time on decided_at")
@click.option("--until", default=None, help="ISO date or date-time on decided_at")
@click.option("--action", default=None, help="only decisions of this action")
@click.option("--limit", default=1000, show_default=True, type=click.IntRange(1, 10_000_000),
              help="replay at most this many of the newest matching decisions")
def impact_command(candidate: str, since: str | None, until: str | None, action: str | None,
                   limit: int) -> None:
    """Replay logged decisions under CANDIDATE rules.yaml; print what would change."""
    from app.audit.impact import replay
    from app.engine import PolicyError, load_policy

    current = settings()
    filters = _filters(current, {"since": since, "until": until, "action": action})
    if not Path(candidate).is_file():
        raise click.ClickException(f"cannot read {candidate}: no such file")
    try:
        policy = load_policy(Path(candidate))
    except PolicyError as error:
        for problem in error.problems:
            click.echo(problem.format(candidate), err=True)
        sys.exit(1)
    answer = replay(open_database(current), policy, filters, limit, current.timezone)
    click.echo(json.dumps(answer, indent=2, ensure_ascii=False, default=str))


policy_group.add_command(impact_command)

commands = [log_group]
