"""`dealguard db upgrade` and `dealguard keys ...`: the schema they make is the models'."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from click.testing import CliRunner
from sqlalchemy import create_engine, select, text

from app.cli import main
from app.cli.service import upgrade
from app.db import Base
from app.log.models import ChainHead

MY_TABLES = {"api_keys", "decisions", "decision_reasons", "decision_chain", "policy_versions",
             "decision_shadows", "approvals", "approval_requests", "outbox_events", "webhooks",
             "webhook_deliveries", "users", "sign_in_failures"}
# Indexes declared in app/log/models.py, app/versions/models.py and app/webhooks/models.py;
# other areas add (dialect-specific) ones of their own.
MY_INDEXES = {"ix_decisions_action_outcome", "ix_decisions_actor_id", "ix_decisions_client_id",
              "ix_decisions_subject_id", "ix_decisions_order_id", "ix_decisions_decided_at_outcome",
              "ix_decision_reasons_rule", "ix_decision_reasons_principle",
              "ix_decision_reasons_decision_seq", "ix_decision_shadows_version",
              "ux_policy_versions_one_active", "ux_policy_versions_one_shadow",
              "ix_policy_versions_sha256", "ix_approvals_verdict_seq",
              "ix_approvals_actor_seq", "ix_approval_requests_inbox",
              "ix_outbox_events_fanned_out_at_seq",
              "ix_webhook_deliveries_state_next_attempt_at",
              "ix_webhook_deliveries_webhook_id_created_at",
              "ix_sign_in_failures_name_failed_at"}


@pytest.fixture
def cli_env(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DEALGUARD_DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)  # the commands must not depend on the working directory
    return url


def run(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def migrated_url(request, cli_env, monkeypatch):
    """A database URL of either kind for `dealguard db upgrade` (the env names it)."""
    if request.param == "sqlite":
        return cli_env
    url = request.getfixturevalue("postgres_url")
    monkeypatch.setenv("DEALGUARD_DATABASE_URL", url)
    return url


def test_migrations_match_the_models(migrated_url):
    assert run("db", "upgrade").exit_code == 0
    assert run("db", "upgrade").exit_code == 0  # idempotent
    engine = create_engine(migrated_url)
    # Every area's models and indexes, as the running app has them (other areas'
    # migrations may index these tables too).
    from importlib import import_module

    from app.api import BLUEPRINT_MODULES

    for name in (*BLUEPRINT_MODULES, "app.webhooks.models"):
        import_module(name)

    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        head = connection.execute(select(ChainHead.seq, ChainHead.hash)).one()
    mine = [d for d in diff if _table_of(d) in MY_TABLES and _is_mine(d)
            and not _not_made_here(d, engine)]
    assert mine == []
    assert head.seq == 0 and head.hash == "0" * 64
    engine.dispose()


def _is_mine(difference) -> bool:
    item = difference[0] if isinstance(difference, list) else difference
    if item[0] in ("add_index", "remove_index"):
        return item[1].name in MY_INDEXES
    return True


def _not_made_here(difference, engine) -> bool:
    """An index the models make only on other databases (`ddl_if`, migration 0005)."""
    item = difference[0] if isinstance(difference, list) else difference
    if item[0] != "add_index":
        return False
    declared = {index.name: index for index in Base.metadata.tables[item[1].table.name].indexes}
    condition = getattr(declared.get(item[1].name), "_ddl_if", None)
    return condition is not None and not condition.callable_(
        None, item[1], engine, dialect=engine.dialect)


def _table_of(difference) -> str | None:
    item = difference[0] if isinstance(difference, list) else difference
    for part in item[1:]:
        name = getattr(part, "name", None)
        table = getattr(part, "table", None)
        if table is not None:
            return table.name
        if isinstance(part, str) and part in MY_TABLES:
            return part
        if name in MY_TABLES:
            return name
    return None


def test_keys_create_prints_the_key_alone(cli_env):
    run("db", "upgrade")
    result = CliRunner().invoke(main, ["keys", "create", "--role", "crm", "--name", "crm-1"])
    assert result.exit_code == 0
    assert result.stdout.strip().startswith("dg_") and len(result.stdout.strip().split()) == 1
    duplicate = run("keys", "create", "--role", "crm", "--name", "crm-1")
    assert duplicate.exit_code != 0
    assert run("keys", "create", "--role", "manager", "--name", "m").exit_code != 0
    assert run("keys", "create", "--role", "root", "--name", "r").exit_code != 0
    listing = run("keys", "list")
    assert "crm-1\tcrm" in listing.stdout and "dg_" not in listing.stdout
    assert run("keys", "revoke", "crm-1").exit_code == 0
    assert run("keys", "revoke", "nobody").exit_code != 0


def test_bootstrap_makes_one_admin_key_once(cli_env):
    run("db", "upgrade")
    first = run("keys", "bootstrap")
    assert first.exit_code == 0 and first.stdout.strip().startswith("dg_")
    second = run("keys", "bootstrap")
    assert second.exit_code == 0 and "dg_" not in second.stdout


def test_upgrade_function_takes_a_url(tmp_path):
    url = f"sqlite:///{tmp_path / 'direct.db'}"
    upgrade(url)
    engine = create_engine(url)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    engine.dispose()


@pytest.mark.parametrize(("name", "value"), [("DEALGUARD_TIMEZONE", "Mars/Olympus"),
                                             ("DEALGUARD_MAX_BODY", "lots"),
                                             ("DEALGUARD_MAX_BODY", "10")])
def test_bad_settings_fail_at_start(name, value):
    from app.config import Settings

    with pytest.raises(RuntimeError):
        Settings.from_env({name: value})


def test_secret_required_outside_development():
    from app.config import Settings

    with pytest.raises(RuntimeError):
        Settings.from_env({"DEALGUARD_ENV": "production"})
    settings = Settings.from_env({"DEALGUARD_ENV": "production",
                                  "DEALGUARD_SECRET_KEY": "a-long-hmac-secret"})
    assert settings.secret_key == "a-long-hmac-secret"
    assert "a-long-hmac-secret" not in repr(settings)  # a printed Settings hides it


def test_person_keys_carry_their_person_and_job_role(cli_env):
    run("db", "upgrade")
    approver = run("keys", "create", "--role", "approver", "--name", "olga",
                   "--person-id", "h-1", "--job-role", "head_of_sales")
    assert approver.exit_code == 0 and approver.stdout.strip().startswith("dg_")
    assert run("keys", "create", "--role", "manager", "--name", "anna",
               "--manager-id", "m-17").exit_code == 0
    listing = run("keys", "list").stdout
    assert "olga\tapprover\th-1\thead_of_sales\t" in listing
    assert "anna\tmanager\tm-17\tmanager\t" in listing
    for wrong in (
        ["--role", "approver", "--name", "x1", "--person-id", "h-2"],        # no job role
        ["--role", "approver", "--name", "x2", "--job-role", "cfo"],          # no person
        ["--role", "approver", "--name", "x3", "--person-id", "h-3",
         "--job-role", "manager"],                                          # not an approver's
        ["--role", "crm", "--name", "x4", "--person-id", "h-4"],             # crm is no person
        ["--role", "manager", "--name", "x5", "--person-id", "m-5"],         # manager: --manager-id
        ["--role", "approver", "--name", "x6", "--manager-id", "m-6",
         "--job-role", "cfo"],
    ):
        result = run("keys", "create", *wrong)
        assert result.exit_code != 0, wrong
        assert "dg_" not in result.output
    assert "x1" not in run("keys", "list").stdout


def test_upgrade_keeps_a_manager_keys_person(cli_env):
    # A manager key made before person keys existed (revision 0005) keeps working as
    # the same person after the upgrade.
    upgrade(cli_env, "0005")
    engine = create_engine(cli_env)
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO api_keys (name, role, manager_id, key_hash, created_at) "
            "VALUES ('old', 'manager', 'm-9', :hash, '2026-11-01 00:00:00')"),
            {"hash": "a" * 64})
    upgrade(cli_env)
    with engine.connect() as connection:
        row = connection.execute(text(
            "SELECT person_id, job_role FROM api_keys WHERE name = 'old'")).one()
    assert tuple(row) == ("m-9", "manager")
    engine.dispose()
