"""app/policy_holder.py: a process compiles each version once, follows the database, and
keeps its running policy when the database is away or a version does not load."""

from __future__ import annotations

from pathlib import Path

import pytest

from app import policy_holder
from app.cli.service import upgrade
from app.db import make_engine
from app.policy_holder import PolicyHolder
from app.versions import store

RULES = Path(__file__).resolve().parent.parent / "policies" / "rules.yaml"
TEXT = RULES.read_text(encoding="utf-8")


@pytest.fixture
def engine(tmp_path):
    url = f"sqlite:///{tmp_path / 'holder.db'}"
    upgrade(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture
def compiled(monkeypatch) -> list[str]:
    """The file names of every policy text compiled, in order."""
    names: list[str] = []
    real = policy_holder.load_text

    def counting(text: str, filename: str):
        names.append(filename)
        return real(text, filename)

    monkeypatch.setattr(policy_holder, "load_text", counting)
    return names


def propose(engine, version: str) -> int:
    text = TEXT.replace('version: "2026.11.1"', f'version: "{version}"')
    return store.propose(engine, text, "deal-compliance", version, "t", "").id


def test_each_version_is_compiled_once_and_a_rollback_costs_nothing(engine, compiled):
    holder = PolicyHolder(str(RULES), engine, check_interval=0)
    holder.start()
    assert holder.running().version_id == 1
    second = propose(engine, "2")
    for version_id in (second, 1, second, 1):
        store.publish(engine, version_id, "t", four_eyes=False)
        assert holder.running().version_id == version_id
        assert holder.running().version_id == version_id  # asked again: nothing to do
    assert compiled == ["version-1.yaml", f"version-{second}.yaml"]


def test_the_first_start_imports_the_file_once(engine):
    PolicyHolder(str(RULES), engine).start()
    PolicyHolder(str(RULES), engine).start()  # another worker: finds version 1 active
    rows = store.history(engine)
    assert [(row.id, row.status, row.author) for row in rows] == [(1, "active", "file")]


def test_the_running_policy_stays_while_the_database_is_away(engine, tmp_path):
    holder = PolicyHolder(str(RULES), engine, check_interval=0)
    holder.start()
    running = holder.running()
    # A database that answers nothing the holder can read (no versions table).
    holder.db_engine = away = make_engine(f"sqlite:///{tmp_path / 'away.db'}")
    assert holder.running() is running
    away.dispose()


def test_a_start_without_the_versions_table_runs_the_file(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")  # never migrated
    holder = PolicyHolder(str(RULES), engine)
    holder.start()
    assert holder.running().version_id is None
    assert holder.current().version == "2026.11.1"
    engine.dispose()


def test_a_broken_file_at_the_first_start_leaves_no_policy(engine, tmp_path):
    broken = tmp_path / "rules.yaml"
    broken.write_text("name: [broken\n", encoding="utf-8")
    holder = PolicyHolder(str(broken), engine)
    holder.start()
    with pytest.raises(policy_holder.PolicyUnavailable) as raised:
        holder.running()
    assert raised.value.problems and store.history(engine) == []
