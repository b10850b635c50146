"""`dealguard check` and `dealguard policy lint|test|facts|impact|reload` (CONTRACT §8).

check, lint, test and facts work offline and log nothing; check reads the log only for
a request that references it (an approval, a claim decision).
impact replays the decision log under a candidate (a file or a stored version); reload
imports the policy file as a new version and publishes it; the versions' own commands
are app/cli/policy_versions.py.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from sqlalchemy.exc import SQLAlchemyError

from app import impact_service, review_service
from app.cli.database import describe, filters_from_options, open_database
from app.cli.database import settings as _settings
from app.engine import InvalidRequest, PolicyError, load_policy
from app.engine.casefile import case_files, run_file


def load_or_exit(path: str):
    _require_file(path)
    try:
        return load_policy(path)
    except PolicyError as error:
        for problem in error.problems:
            click.echo(problem.format(error.filename), err=True)
        sys.exit(1)


@click.command()
@click.argument("source", default="-")
@click.option("--policy", "policy_path", default=None, help="rules.yaml (DEALGUARD_POLICY)")
def check(source: str, policy_path: str | None) -> None:
    """Decide one request (a JSON file, or - for standard input) offline; log nothing."""
    settings = _settings()
    policy = load_or_exit(policy_path or settings.policy_path)
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
        request = json.loads(text, parse_float=_decimal)
    except (OSError, ValueError) as error:
        raise click.ClickException(f"cannot read a JSON request from {source}: {error}") from None
    try:
        evaluation = policy.evaluate(request, timezone=settings.timezone,
                                     **_log_lookups(settings, request))
    except SQLAlchemyError as error:
        raise click.ClickException(f"cannot read the decision log: {describe(error)}") from None
    except InvalidRequest as error:
        click.echo(json.dumps({"errors": error.errors}, indent=2, ensure_ascii=False))
        sys.exit(2)
    decision = {"action": evaluation.action, **evaluation.as_dict(),
                "policy": {"name": policy.name, "version": policy.version,
                           "sha256": policy.sha256},
                "as_of": evaluation.as_of}
    click.echo(json.dumps(decision, indent=2, ensure_ascii=False))


def _log_lookups(settings, request: object) -> dict:
    """A request that rests on the log (an approval it references, the claim a replacement
    shipment rests on) is judged against the log of DEALGUARD_DATABASE_URL, read only;
    any other request needs no database."""
    if not isinstance(request, dict):
        return {}
    shipment = request.get("shipment")
    if not request.get("approvals") and not (
            isinstance(shipment, dict) and shipment.get("claim_decision_id")):
        return {}
    from app.decision_service import log_lookups

    return log_lookups(open_database(settings), settings.secret_key, request)


def _require_file(path: str) -> None:
    # Run outside the checkout, the default policies/rules.yaml is not there: say which
    # file was looked for and how to name another, rather than "line 0".
    if not Path(path).is_file():
        raise click.ClickException(
            f"cannot read the policy file {path}: no such file; DEALGUARD_POLICY names "
            "the policy (default: policies/rules.yaml in the current directory)")


def _decimal(text: str):
    from decimal import Decimal

    return Decimal(text)


@click.group("policy")
def policy_group() -> None:
    """Check and test the policy file."""


@policy_group.command("lint")
@click.argument("file", required=False)
def lint(file: str | None) -> None:
    """Print file:line: message for each problem of FILE; exit 1 if any."""
    path = file or _settings().policy_path
    _require_file(path)
    try:
        policy = load_policy(path)
    except PolicyError as error:
        for problem in error.problems:
            click.echo(problem.format(path))
        sys.exit(1)
    click.echo(f"{path}: ok, {len(policy.rules)} rules, version {policy.version}")


@policy_group.command("test")
@click.argument("directory", required=False)
@click.option("--policy", "policy_path", default=None, help="rules.yaml (DEALGUARD_POLICY)")
@click.option("--coverage", is_flag=True, help="Name the rules that no case reached.")
def test(directory: str | None, policy_path: str | None, coverage: bool) -> None:
    """Run the YAML cases in DIRECTORY (default policies/tests); end with N passed, N failed."""
    settings = _settings()
    policy_file = policy_path or settings.policy_path
    policy = load_or_exit(policy_file)
    folder = Path(directory) if directory else review_service.tests_folder(policy_file)
    files = case_files(folder)
    if not files:
        raise click.ClickException(f"no case files (*.yaml) in {folder}")
    passed = failed = 0
    reached: set[str] = set()
    for file in files:
        for result in run_file(policy, file, settings.timezone):
            reached |= result.rules
            if result.passed:
                passed += 1
                continue
            failed += 1
            click.echo(f"FAIL {result.file}: {result.name}")
            for failure in result.failures:
                click.echo(f"     {failure}")
    if coverage:
        missing = [rule.id for rule in policy.rules if rule.id not in reached]
        total = len(policy.rules)
        click.echo(f"coverage: {total - len(missing)} of {total} rules reached")
        for rule_id in missing:
            click.echo(f"  not reached: {rule_id}")
    click.echo(f"{passed} passed, {failed} failed")
    if failed or (coverage and missing):
        sys.exit(1)


@policy_group.command("impact")
@click.argument("candidate")
@click.option("--since", default=None, help="ISO date or date-time on decided_at")
@click.option("--until", default=None, help="ISO date or date-time on decided_at")
@click.option("--action", default=None, help="only decisions of this action")
@click.option("--limit", default=impact_service.DEFAULT_LIMIT, show_default=True,
              type=click.IntRange(1, 10_000_000),
              help="replay at most this many of the newest matching decisions")
def impact(candidate: str, since: str | None, until: str | None, action: str | None,
           limit: int) -> None:
    """Replay logged decisions under CANDIDATE (a rules.yaml, or a version id); print
    what would change."""
    current = _settings()
    filters = filters_from_options(current, {"since": since, "until": until, "action": action})
    database = open_database(current)
    if not Path(candidate).is_file() and candidate.isascii() and candidate.isdigit():
        policy = _version(database, int(candidate))
    else:
        if not Path(candidate).is_file():
            raise click.ClickException(f"cannot read {candidate}: no such file")
        try:
            policy = load_policy(Path(candidate))
        except PolicyError as error:
            for problem in error.problems:
                click.echo(problem.format(candidate), err=True)
            sys.exit(1)
    answer = impact_service.impact(database, policy, filters, limit, current.timezone)
    click.echo(json.dumps(answer, indent=2, ensure_ascii=False, default=str))


def _version(database, version_id: int):
    """The compiled policy of a stored version, for impact."""
    from app.engine import load_policy_text
    from app.versions.store import VersionNotFound, text_of

    try:
        text = text_of(database, version_id)
    except VersionNotFound:
        raise click.ClickException(f"{version_id} is neither a file nor a policy "
                                   "version") from None
    try:
        return load_policy_text(text, f"version-{version_id}.yaml")
    except PolicyError as error:
        for problem in error.problems:
            click.echo(problem.format(f"version {version_id}"), err=True)
        sys.exit(1)


@policy_group.command("facts")
def facts() -> None:
    """Print the facts computed from each request that rules compare, with formulas."""
    from app.engine.facts import describe

    for line in describe():
        click.echo(line)


# The command-line twin of POST /v1/policy/reload: the file DEALGUARD_POLICY becomes a
# new version (the active one if it is the same text) and is published; every server
# process on the database runs it within 2 seconds (app/policy_holder.py). A broken file
# changes nothing (exit 1).
@policy_group.command("reload")
@click.option("--by", "by", default="command line", show_default=True,
              help="who imports and publishes it")
def reload(by: str) -> None:
    """Import the policy file as a new version and publish it to every server."""
    from app import version_service
    from app.cli.policy_versions import _Compiler, _run

    current = _settings()
    policy = load_or_exit(current.policy_path)

    def work(database):
        row = version_service.store.import_file(database, current.policy_path, by)
        return version_service.publish(_Compiler(database), database, row.id, by,
                                       current.four_eyes)

    published = _run(work)
    click.echo(f"{current.policy_path}: {policy.name} {policy.version} "
               f"(sha256 {policy.sha256[:12]}...) is version {published['version_id']}, "
               "active; every server process on this database runs it within 2 seconds")


def _attach_version_commands() -> None:
    from app.cli import policy_versions

    for command in policy_versions.commands:
        policy_group.add_command(command)


_attach_version_commands()
commands = [check, policy_group]
