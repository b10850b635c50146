"""`dealguard users create|list|disable|reset-password` and the tables they use (§11)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from click.testing import CliRunner
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from app.cli import main
from app.db import Base
from app.users import User, sign_in

USER_TABLES = {"users", "sign_in_failures"}


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_the_migration_makes_the_users_tables_of_the_models(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DEALGUARD_DATABASE_URL", url)
    assert run("db", "upgrade").exit_code == 0
    import app.users  # noqa: F401 - the models compared

    engine = create_engine(url)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    mine = [d for d in diff if _names(d) & USER_TABLES]
    assert mine == []
    engine.dispose()


def _names(difference) -> set[str]:
    item = difference[0] if isinstance(difference, list) else difference
    found = set()
    for part in item[1:]:
        for name in (getattr(part, "name", None), getattr(getattr(part, "table", None),
                                                           "name", None), part):
            if isinstance(name, str):
                found.add(name)
    return found


def test_create_prints_the_one_time_password_alone(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DEALGUARD_DATABASE_URL", url)
    run("db", "upgrade")
    made = run("users", "create", "--name", "olga", "--role", "manager",
               "--manager-id", "m-7", "--full-name", "Ольга Смирнова")
    assert made.exit_code == 0, made.output
    password = made.stdout.strip()
    assert len(password.split()) == 1 and len(password) >= 16
    engine = create_engine(url)
    with Session(engine) as session:
        signed = sign_in(session, "olga", password).user
        assert signed is not None and signed.person_id == "m-7"
        assert signed.job_role == "manager" and signed.must_change_password
    listing = run("users", "list")
    assert "olga\tmanager\tm-7\tmanager\t" in listing.stdout and password not in listing.stdout
    engine.dispose()


def test_create_refuses_what_a_key_would_refuse(tmp_path, monkeypatch):
    monkeypatch.setenv("DEALGUARD_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    run("db", "upgrade")
    assert run("users", "create", "--name", "m", "--role", "manager").exit_code != 0
    assert run("users", "create", "--name", "a", "--role", "approver",
               "--person-id", "a-1").exit_code != 0
    assert run("users", "create", "--name", "c", "--role", "crm").exit_code != 0
    assert run("users", "create", "--name", "c", "--role", "compliance",
               "--person-id", "p").exit_code != 0
    assert run("users", "create", "--name", "c", "--role", "compliance").exit_code == 0
    again = run("users", "create", "--name", "c", "--role", "admin")
    assert again.exit_code != 0 and "exists already" in again.output


def test_reset_password_and_disable(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DEALGUARD_DATABASE_URL", url)
    run("db", "upgrade")
    first = run("users", "create", "--name", "ivan", "--role", "approver", "--person-id",
                "a-2", "--job-role", "cfo").stdout.strip()
    reset = run("users", "reset-password", "ivan")
    assert reset.exit_code == 0
    second = reset.stdout.strip()
    assert second != first and len(second.split()) == 1
    engine = create_engine(url)
    with Session(engine) as session:
        assert sign_in(session, "ivan", first).user is None
        assert sign_in(session, "ivan", second).user is not None
    assert run("users", "disable", "ivan").exit_code == 0
    with Session(engine) as session:
        assert sign_in(session, "ivan", second).user is None
        assert session.query(User).filter_by(name="ivan").one().disabled_at is not None
    assert run("users", "disable", "nobody").exit_code != 0
    assert run("users", "reset-password", "nobody").exit_code != 0
    engine.dispose()
