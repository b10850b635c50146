"""`dealguard stats`: the comparison table with directions, --json, and its errors."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from app.cli import main


@pytest.fixture
def run(settings, app):
    env = {"DEALGUARD_DATABASE_URL": settings.database_url, "DEALGUARD_TIMEZONE": "Europe/Moscow"}

    def invoke(*args: str):
        return CliRunner().invoke(main, ["stats", *args], env=env)

    return invoke


@pytest.fixture
def data(add_events, add_decision, event):
    add_events(
        event("call", "2025-11-17T10:00:00+03:00", manager="m-1"),
        event("call", "2025-11-17T11:00:00+03:00", manager="m-1"),
        event("call", "2025-11-24T10:00:00+03:00", manager="m-1"),
        event("meeting", "2025-11-24T10:00:00+03:00", manager="m-2"),
        event("contract_signed", "2025-11-24T10:00:00+03:00", amount=1234567.5, manager="m-1"),
        event("offer_sent", "2025-11-17T10:00:00+03:00", manager="m-1"),
        event("offer_sent", "2025-11-24T10:00:00+03:00", manager="m-1"),
    )
    add_decision("m-1", "deny", "2025-11-24T09:00:00+00:00")


def row(output: str, label: str) -> list[str]:
    line = next(line for line in output.splitlines() if line.startswith(label + "  "))
    return line[len(label):].split()


def test_table_with_directions(run, data) -> None:
    result = run("--at", "2025-11-26")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Week 24 Nov – 30 Nov 2025 against 17 Nov – 23 Nov 2025"
    assert lines[1] == "all managers · Europe/Moscow"
    assert row(result.output, "Calls") == ["1", "2", "-1", "-50.0%", "↓"]
    assert row(result.output, "Meetings") == ["1", "0", "+1", "—", "new"]
    assert row(result.output, "Offers sent") == ["1", "1", "0", "+0.0%", "→"]
    assert row(result.output, "Decisions denied") == ["1", "0", "+1", "—", "new"]
    deals = next(line for line in lines if line.startswith("Deals"))
    assert "1\u00a0234\u00a0567.50" in deals and deals.endswith("new")


def test_one_manager_and_another_period(run, data) -> None:
    result = run("--manager", "m-2", "--period", "month", "--at", "2025-11-25")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].startswith("Month 1 Nov – 30 Nov 2025 against")
    assert "manager m-2" in result.output
    assert row(result.output, "Meetings") == ["1", "0", "+1", "—", "new"]
    assert row(result.output, "Calls") == ["0", "0", "0", "—", "→"]


def test_json_is_the_api_answer(run, data) -> None:
    result = run("--at", "2025-11-26", "--json")
    answer = json.loads(result.output)
    assert answer["current"] == {"start": "2025-11-24", "end": "2025-11-30"}
    assert answer["metrics"]["deals_amount"]["current"] == 1234567.5


def test_the_running_period_says_so_far(run) -> None:
    # Without --at: today's week, which is still running.
    result = run()
    assert result.exit_code == 0, result.output
    assert "(so far) against" in result.output.splitlines()[0]


def test_bad_date_is_a_usage_error(run) -> None:
    assert run("--at", "25.11.2026").exit_code == 2
    assert run("--at", "0001-01-01").exit_code == 2
    assert run("--period", "year").exit_code == 2


def test_missing_schema_is_a_clear_error(tmp_path) -> None:
    env = {"DEALGUARD_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}"}
    result = CliRunner().invoke(main, ["stats"], env=env)
    assert result.exit_code == 1
    assert "dealguard db upgrade" in result.output
    assert "Traceback" not in result.output


def test_unknown_zone_is_a_clear_error(settings) -> None:
    env = {"DEALGUARD_DATABASE_URL": settings.database_url, "DEALGUARD_TIMEZONE": "Mars/Olympus"}
    result = CliRunner().invoke(main, ["stats"], env=env)
    assert result.exit_code == 1
    assert "not a known time zone" in result.output
