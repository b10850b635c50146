"""`dealguard policy propose|versions|diff|publish|shadow|shadow-report` (CONTRACT §12).

The command-line twins of /v1/policy/versions: they change the database, and every
server process on it follows within two seconds (app/policy_holder.py). The command
line has no key: `--by NAME` says who proposes or publishes (default "command line"),
which is what four eyes (DEALGUARD_FOUR_EYES=1) compares.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from app import version_service as versions
from app.cli.database import open_database
from app.cli.database import settings as _settings

BY = "command line"


class _Compiler:
    """What publishing needs of a holder here: compile the version (it must load), and
    no process of its own to switch."""

    def __init__(self, database) -> None:
        self.database = database

    def load(self, version_id: int) -> Any:
        from app.engine import load_policy_text
        from app.versions.store import text_of

        return load_policy_text(text_of(self.database, version_id), f"version-{version_id}.yaml")

    def refresh(self) -> None:
        pass


def _echo_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, ensure_ascii=False, default=str))


def _run(work):
    """Run `work(database)`; the refusals of the versions as one line and exit 1."""
    database = open_database(_settings())
    try:
        return work(database)
    except versions.VersionNotFound as error:
        if not error.args or error.args[0] is None:
            raise click.ClickException("no version is in shadow (name one with --version)"
                                       ) from None
        raise click.ClickException(f"there is no policy version {error.args[0]}") from None
    except versions.SameAuthor:
        raise click.ClickException("four eyes: a version is published by someone other "
                                   "than its author (--by)") from None
    except versions.VersionConflict as error:
        raise click.ClickException(str(error)) from None
    except versions.NotLoadable as error:
        for problem in getattr(error.error, "problems", ()):
            click.echo(problem.format(f"version {error.version_id}"), err=True)
        raise click.ClickException(f"version {error.version_id} cannot be loaded; "
                                   "nothing changed") from None
    finally:
        database.dispose()


@click.command("propose")
@click.argument("file")
@click.option("--comment", default="", help="why it changes (at most 1000 characters)")
@click.option("--by", "author", default=BY, show_default=True, help="who proposes it")
def propose(file: str, comment: str, author: str) -> None:
    """Store FILE as a draft version; print it. A file with mistakes stores nothing."""
    from app.engine import PolicyError
    from app.versions.store import MAX_COMMENT

    if len(comment) > MAX_COMMENT:
        raise click.ClickException(f"the comment is longer than {MAX_COMMENT} characters")
    try:
        text = Path(file).read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise click.ClickException(f"cannot read {file}: {error}") from None
    try:
        proposed = _run(lambda db: versions.propose(db, text, author, comment))
    except PolicyError as error:
        for problem in error.problems:
            click.echo(problem.format(file), err=True)
        sys.exit(1)
    _echo_json(proposed)


@click.command("versions")
def history() -> None:
    """The policy versions, newest first: id, status, version, author, created, comment."""
    for item in _run(versions.history):
        click.echo(f"{item['version_id']:>4}  {item['status']:<8} {item['version']:<14} "
                   f"{item['sha256'][:12]}  {item['author']:<16} {item['created_at']}  "
                   f"{item['comment']}")


@click.command("diff")
@click.argument("first", type=click.IntRange(1))
@click.argument("second", type=click.IntRange(1), required=False)
def diff(first: int, second: int | None) -> None:
    """What version FIRST changes from the active one; with SECOND, from FIRST to SECOND."""
    if second is None:
        _echo_json(_run(lambda db: versions.diff(db, first, None)))
    else:
        _echo_json(_run(lambda db: versions.diff(db, second, first)))


@click.command("publish")
@click.argument("version_id", type=click.IntRange(1))
@click.option("--by", "by", default=BY, show_default=True, help="who publishes it")
def publish(version_id: int, by: str) -> None:
    """Make VERSION_ID the active policy of every server (an older one: a rollback)."""
    four_eyes = _settings().four_eyes
    published = _run(lambda db: versions.publish(_Compiler(db), db, version_id, by, four_eyes))
    click.echo(f"version {published['version_id']} ({published['version']}) is active; "
               "every server process on this database runs it within 2 seconds")


@click.command("shadow")
@click.argument("version_id", type=click.IntRange(1), required=False)
@click.option("--stop", is_flag=True, help="stop the shadow run")
def shadow(version_id: int | None, stop: bool) -> None:
    """Evaluate VERSION_ID beside the active policy on every decision (or --stop)."""
    if stop == (version_id is not None):
        raise click.UsageError("give a version id, or --stop")
    if stop:
        stopped = _run(lambda db: versions.stop_shadow(_Compiler(db), db))
        click.echo("no version was in shadow" if stopped is None
                   else f"version {stopped['version_id']} no longer runs in shadow")
        return
    started = _run(lambda db: versions.start_shadow(_Compiler(db), db, version_id))
    click.echo(f"version {started['version_id']} ({started['version']}) runs in shadow; "
               "see `dealguard policy shadow-report`")


@click.command("shadow-report")
@click.option("--version", "version_id", type=click.IntRange(1), default=None,
              help="a version whose shadow run ended (default: the one running)")
def shadow_report(version_id: int | None) -> None:
    """What the shadow version would have changed on live traffic, as impact prints it."""
    _echo_json(_run(lambda db: versions.shadow_report(db, version_id)))


commands = [propose, history, diff, publish, shadow, shadow_report]
