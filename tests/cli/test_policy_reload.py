"""`dealguard policy reload`: a checked file, imported and published as the version
every worker follows.

A worker (app/policy_holder.py) keeps its policy until the database's active version
changes; editing the file alone changes nothing, the command is what publishes it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from app.cli import main
from app.cli.service import upgrade
from app.db import make_engine
from app.policy_holder import PolicyHolder
from app.versions.models import PolicyVersion

REPO = Path(__file__).resolve().parents[2]
VERSION_LINE = 'version: "2026.11.1"'


@pytest.fixture
def served(tmp_path, monkeypatch):
    """A migrated database, a policy file, and a worker's holder running that file."""
    policy = tmp_path / "rules.yaml"
    text = (REPO / "policies" / "rules.yaml").read_text(encoding="utf-8")
    assert VERSION_LINE in text
    policy.write_text(text, encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'reload.db'}"
    upgrade(url)
    monkeypatch.setenv("DEALGUARD_DATABASE_URL", url)
    monkeypatch.setenv("DEALGUARD_POLICY", str(policy))
    engine = make_engine(url)
    holder = PolicyHolder(str(policy), engine, check_interval=0)  # looks on every call
    holder.start()
    yield policy, holder, engine
    engine.dispose()


def recorded(engine) -> str:
    with engine.connect() as connection:
        return connection.execute(select(PolicyVersion.sha256)
                                  .where(PolicyVersion.status == "active")).scalar_one()


def edit_version(policy: Path, version: str) -> None:
    text = policy.read_text(encoding="utf-8")
    policy.write_text(text.replace(VERSION_LINE, f'version: "{version}"'), encoding="utf-8")


def test_a_worker_loads_the_changed_file_after_reload(served):
    policy, holder, engine = served
    edit_version(policy, "2026.12.1")
    assert holder.current().version == "2026.11.1"  # an edited file alone changes nothing
    result = CliRunner().invoke(main, ["policy", "reload"])
    assert result.exit_code == 0, result.output
    assert "2026.12.1" in result.output
    assert holder.current().version == "2026.12.1"
    assert recorded(engine) == holder.current().sha256


def test_a_broken_file_changes_nothing(served):
    policy, holder, engine = served
    before = recorded(engine)
    policy.write_text(policy.read_text(encoding="utf-8") + "\nsurprise: 1\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["policy", "reload"])
    assert result.exit_code == 1
    assert "surprise" in result.output  # the loader's file:line message
    assert recorded(engine) == before
    assert holder.current().version == "2026.11.1"
