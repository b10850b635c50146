"""`dealguard policy propose|versions|diff|publish|shadow|shadow-report`, and impact of a
stored version: the command line's path through the versions (CONTRACT §12)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from app.cli import main
from app.cli.service import upgrade
from app.db import make_engine
from app.policy_holder import PolicyHolder

REPO = Path(__file__).resolve().parents[2]
TEXT = (REPO / "policies" / "rules.yaml").read_text(encoding="utf-8")


def run(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def database(tmp_path, monkeypatch):
    """A migrated database whose active version 1 is the repository's rules.yaml."""
    url = f"sqlite:///{tmp_path / 'versions.db'}"
    upgrade(url)
    monkeypatch.setenv("DEALGUARD_DATABASE_URL", url)
    monkeypatch.setenv("DEALGUARD_POLICY", str(REPO / "policies" / "rules.yaml"))
    result = run("policy", "reload")
    assert result.exit_code == 0, result.output
    assert "is version 1, active" in result.output
    return url


@pytest.fixture
def candidate(tmp_path) -> Path:
    path = tmp_path / "candidate.yaml"
    path.write_text(TEXT.replace("retail:      [5, 10, 15]", "retail:      [7, 10, 15]"),
                    encoding="utf-8")
    return path


def test_propose_diff_publish_and_roll_back(database, candidate):
    proposed = run("policy", "propose", str(candidate), "--comment", "retail managers: 7 %")
    assert proposed.exit_code == 0, proposed.output
    assert json.loads(proposed.output)["status"] == "draft"
    listed = run("policy", "versions").output.splitlines()
    assert listed[0].split()[:2] == ["2", "draft"] and listed[1].split()[:2] == ["1", "active"]
    assert "retail managers: 7 %" in listed[0]

    diff = json.loads(run("policy", "diff", "2").output)
    assert diff["tables"] == [{"table": "discount_limits", "row": "retail", "column": "manager",
                               "from": 5, "to": 7}]
    assert json.loads(run("policy", "diff", "2", "1").output)["tables"][0]["to"] == 5

    engine = make_engine(database)
    holder = PolicyHolder(str(REPO / "policies" / "rules.yaml"), engine, check_interval=0)
    holder.start()
    assert holder.running().version_id == 1
    published = run("policy", "publish", "2")
    assert published.exit_code == 0 and "version 2" in published.output
    assert holder.running().version_id == 2  # a server process follows
    assert run("policy", "publish", "1").exit_code == 0  # the rollback
    assert holder.running().version_id == 1
    engine.dispose()


def test_a_file_with_mistakes_stores_nothing(database, tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text(TEXT + "\nsurprise: 1\n", encoding="utf-8")
    result = run("policy", "propose", str(broken))
    assert result.exit_code == 1 and "surprise" in result.output
    assert len(run("policy", "versions").output.splitlines()) == 1


def test_four_eyes_on_the_command_line(database, candidate, monkeypatch):
    monkeypatch.setenv("DEALGUARD_FOUR_EYES", "1")
    assert run("policy", "propose", str(candidate), "--by", "olga").exit_code == 0
    refused = run("policy", "publish", "2", "--by", "olga")
    assert refused.exit_code == 1 and "four eyes" in refused.output
    assert run("policy", "publish", "2", "--by", "boris").exit_code == 0


def test_shadow_and_its_report_and_impact_of_a_version(database, candidate):
    run("policy", "propose", str(candidate))
    started = run("policy", "shadow", "2")
    assert started.exit_code == 0 and "runs in shadow" in started.output
    report = json.loads(run("policy", "shadow-report").output)
    assert (report["version_id"], report["evaluated"], report["running"]) == (2, 0, True)
    assert "no longer runs in shadow" in run("policy", "shadow", "--stop").output
    assert run("policy", "shadow-report").exit_code == 1  # none runs now
    assert json.loads(run("policy", "shadow-report", "--version", "2").output)["running"] is False
    impact = run("policy", "impact", "2")
    assert impact.exit_code == 0, impact.output
    assert json.loads(impact.output)["candidate"]["version"] == "2026.11.1"
    assert run("policy", "impact", "9").exit_code == 1
    assert run("policy", "shadow").exit_code == 2  # neither an id nor --stop


def test_unknown_versions(database):
    for args in (("publish", "9"), ("diff", "9"), ("shadow", "9")):
        result = run("policy", *args)
        assert result.exit_code == 1 and "no policy version 9" in result.output
