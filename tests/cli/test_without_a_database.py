"""`dealguard` run where there is no database, or no schema: one line, exit 1, nothing made.

A newcomer ran `cd /tmp && dealguard log verify`: it created ./instance/dealguard.db and
died with a traceback. Only `dealguard db upgrade` may create a database.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from app.cli import main
from app.cli.service import upgrade

REPO = Path(__file__).resolve().parents[2]
POLICY = REPO / "policies" / "rules.yaml"

# Every command that reads or writes the database, with arguments it could run with.
DATABASE_COMMANDS = [
    ["log", "verify"],
    ["log", "export"],
    ["keys", "list"],
    ["keys", "create", "--role", "crm", "--name", "crm-1"],
    ["keys", "revoke", "crm-1"],
    ["keys", "bootstrap"],
    ["stats"],
    ["policy", "impact", str(POLICY)],
    ["policy", "reload"],
]


@pytest.fixture
def elsewhere(tmp_path, monkeypatch):
    """An empty working directory outside the checkout, with no DEALGUARD_* set but the
    policy (so that `policy reload` gets as far as the database)."""
    for name in list(os.environ):
        if name.startswith("DEALGUARD_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("DEALGUARD_POLICY", str(POLICY))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, list(args), env=env)


def assert_one_line_refusal(result, *needles: str) -> str:
    # SystemExit: click's own exit, not an exception that CliRunner caught for us.
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    for needle in needles:
        assert needle in lines[0]
    return lines[0]


@pytest.mark.parametrize("args", DATABASE_COMMANDS, ids=" ".join)
def test_no_database_is_one_line_and_creates_nothing(elsewhere, args):
    result = run(*args)
    line = assert_one_line_refusal(result, "dealguard db upgrade", "DEALGUARD_DATABASE_URL")
    assert str(elsewhere / "instance" / "dealguard.db") in line
    assert list(elsewhere.iterdir()) == []


@pytest.mark.parametrize("args", DATABASE_COMMANDS, ids=" ".join)
def test_a_database_without_the_schema_is_refused(elsewhere, args):
    empty = elsewhere / "empty.db"
    empty.touch()
    result = run(*args, env={"DEALGUARD_DATABASE_URL": f"sqlite:///{empty}"})
    assert_one_line_refusal(result, "has no dealguard schema", "dealguard db upgrade",
                            "DEALGUARD_DATABASE_URL")
    assert empty.stat().st_size == 0


def test_an_old_schema_is_refused_until_upgraded(elsewhere):
    url = f"sqlite:///{elsewhere / 'old.db'}"
    upgrade(url, "0005")
    refused = run("keys", "list", env={"DEALGUARD_DATABASE_URL": url})
    assert_one_line_refusal(refused, "schema revision 0005", "dealguard db upgrade")
    assert run("db", "upgrade", env={"DEALGUARD_DATABASE_URL": url}).exit_code == 0
    assert run("keys", "list", env={"DEALGUARD_DATABASE_URL": url}).exit_code == 0


def test_db_upgrade_is_the_one_command_that_creates_it(elsewhere):
    assert run("db", "upgrade").exit_code == 0
    assert (elsewhere / "instance" / "dealguard.db").is_file()
    assert run("log", "verify").exit_code == 0


def test_an_unreachable_server_is_one_line_without_the_password(elsewhere):
    with socket.socket() as probe:  # a port where nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"postgresql+psycopg://dealguard:s3cret-pw@127.0.0.1:{port}/dealguard"
    for args in (["keys", "list"], ["db", "upgrade"]):
        result = run(*args, env={"DEALGUARD_DATABASE_URL": url})
        line = assert_one_line_refusal(result, "DEALGUARD_DATABASE_URL")
        assert "s3cret-pw" not in result.output
        assert "refused" in line


def test_a_bad_url_and_bad_settings_are_one_line(elsewhere):
    assert_one_line_refusal(run("log", "verify", env={"DEALGUARD_DATABASE_URL": "nonsense"}),
                            "DEALGUARD_DATABASE_URL is not a database URL")
    assert_one_line_refusal(run("keys", "list", env={"DEALGUARD_ENV": "production"}),
                            "DEALGUARD_SECRET_KEY")


@pytest.mark.parametrize("args", [["check", "-"], ["policy", "lint"], ["policy", "test"],
                                  ["policy", "reload"]], ids=" ".join)
def test_a_missing_policy_file_names_the_file_and_the_variable(elsewhere, monkeypatch, args):
    monkeypatch.delenv("DEALGUARD_POLICY")
    result = run(*args)
    assert_one_line_refusal(result, "cannot read the policy file policies/rules.yaml",
                            "DEALGUARD_POLICY")
    assert list(elsewhere.iterdir()) == []


def test_impact_on_a_missing_candidate_says_so(elsewhere):
    assert run("db", "upgrade").exit_code == 0
    result = run("policy", "impact", "candidate.yaml")
    assert_one_line_refusal(result, "cannot read candidate.yaml")


def test_the_installed_command_outside_the_checkout(tmp_path):
    # The newcomer's exact run, through the installed `dealguard` script.
    script = Path(sys.executable).parent / "dealguard"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "app.cli"]
    env = {name: value for name, value in os.environ.items()
           if not name.startswith("DEALGUARD_")}
    finished = subprocess.run([*command, "log", "verify"],
                              cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=60)
    assert finished.returncode == 1
    assert "Traceback" not in finished.stderr
    assert finished.stderr.count("\n") == 1 and "dealguard db upgrade" in finished.stderr
    assert list(tmp_path.iterdir()) == []


def test_version():
    from importlib.metadata import version

    result = run("--version")
    assert result.exit_code == 0
    assert result.output.strip() == f"dealguard {version('dealguard')}"


def test_revoke_says_how_long_running_servers_may_accept_the_key(elsewhere):
    from app.auth import KEY_CACHE_SECONDS

    assert run("db", "upgrade").exit_code == 0
    assert run("keys", "create", "--role", "crm", "--name", "crm-1").exit_code == 0
    result = run("keys", "revoke", "crm-1")
    assert result.exit_code == 0
    assert f"up to {KEY_CACHE_SECONDS:g} s" in result.output

