"""POST /v1/policy/impact and `dealguard policy impact`: replay the log, write nothing."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from app.cli import main
from app.log.models import Decision

YAML = {"Content-Type": "application/yaml"}


def tightened(policy: str) -> str:
    """The wholesale manager limit cut from 10% to 5%."""
    assert "wholesale:   [10, 15, 20]" in policy
    return policy.replace("wholesale:   [10, 15, 20]", "wholesale:   [5, 15, 20]")


@pytest.fixture
def history(decide):
    return [
        decide("discount", discount={"percent": 8}),                # allow; 5% would not
        decide("discount", discount={"percent": 4}),                # allow either way
        decide("discount", discount={"percent": 12.5}),             # require_approval
        decide("shipment"),
        decide("claim"),
    ]


def _impact(client, headers, text, **params):
    return client.post("/v1/policy/impact", data=text, query_string=params,
                       headers={**headers, **YAML})


def _count(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(Decision)).scalar()


def test_the_running_policy_changes_nothing(client, compliance, history, candidate_text):
    answer = _impact(client, compliance, candidate_text).get_json()
    assert answer["replayed"] == 5 and answer["changed"] == 0 and answer["errors"] == 0
    assert answer["by_transition"] == {} and answer["samples"] == []


def test_a_tighter_limit_turns_allow_into_require_approval(client, compliance, history,
                                                           candidate_text, db_engine):
    before = _count(db_engine)
    response = _impact(client, compliance, tightened(candidate_text))
    assert response.status_code == 200, response.get_json()
    answer = response.get_json()
    assert answer["replayed"] == 5
    assert answer["changed"] == 1
    assert answer["by_transition"] == {"allow->require_approval": 1}
    [sample] = answer["samples"]
    assert sample["decision_id"] == history[0]["decision_id"]
    assert (sample["before"], sample["after"]) == ("allow", "require_approval")
    assert sample["rules_before"] == [] and sample["rules_after"] == ["pricing.segment-limit"]
    assert _count(db_engine) == before  # nothing written


def test_a_request_logged_without_as_of_replays_on_its_logged_day(client, crm, compliance,
                                                                   candidate_text, body):
    request = body("offer")
    del request["as_of"]
    assert client.post("/v1/decisions", json=request, headers=crm).status_code == 200
    answer = _impact(client, compliance, candidate_text).get_json()
    assert (answer["replayed"], answer["changed"], answer["errors"]) == (1, 0, 0)


def test_filters_and_limit(client, compliance, history, candidate_text):
    text = tightened(candidate_text)
    assert _impact(client, compliance, text, action="shipment").get_json()["replayed"] == 1
    assert _impact(client, compliance, text, limit=2).get_json()["replayed"] == 2  # newest two
    assert _impact(client, compliance, text, since="2999-01-01").get_json()["replayed"] == 0
    whole = _impact(client, compliance, text, since="2000-01-01", until="2999-01-01")
    assert whole.get_json()["changed"] == 1


def test_a_broken_candidate_is_422_with_line_numbers(client, compliance, history,
                                                     candidate_text):
    broken = candidate_text.replace("currency: RUB\n", "currency: RUB\nsurprise: 1\n", 1)
    response = _impact(client, compliance, broken)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["valid"] is False
    lines = [error["line"] for error in body["errors"]]
    expected = candidate_text.splitlines().index("currency: RUB") + 2
    assert expected in lines, body["errors"]


@pytest.mark.parametrize("text", ["", "::: not yaml :::", "- a\n- list\n", "\x00", "a: [1,"])
def test_garbage_candidates_are_422(client, compliance, text):
    assert _impact(client, compliance, text).status_code == 422


def test_a_lone_surrogate_escape_in_a_candidate_is_422_at_its_line(client, compliance,
                                                                   candidate_text):
    # YAML's "\ud800" escape makes a lone surrogate: it was a 500 (no text can hold it).
    broken = candidate_text.replace("name: deal-compliance", 'name: "deal\\ud800"', 1)
    response = _impact(client, compliance, broken)
    assert response.status_code == 422
    (error,) = response.get_json()["errors"]
    assert error["line"] == candidate_text.splitlines().index("name: deal-compliance") + 1
    assert "surrogate" in error["message"]


def test_requests_that_no_longer_validate_are_errors(client, compliance, history,
                                                     candidate_text):
    # The candidate's currency makes every logged RUB request invalid.
    other = candidate_text.replace("currency: RUB\n", "currency: EUR\n", 1)
    response = _impact(client, compliance, other)
    assert response.status_code == 200, response.get_json()
    answer = response.get_json()
    assert answer["errors"] == 5 and answer["changed"] == 0
    assert answer["error_samples"][0]["errors"]


@pytest.mark.parametrize(("content_type", "status"), [
    ("text/plain", 200), ("text/yaml", 200), ("application/x-yaml", 200),
    ("application/json", 415), ("multipart/form-data; boundary=x", 415), ("image/png", 415),
])
def test_content_types(client, compliance, candidate_text, content_type, status):
    response = client.post("/v1/policy/impact", data=candidate_text,
                           headers={**compliance, "Content-Type": content_type})
    assert response.status_code == status


@pytest.mark.parametrize("params", [{"limit": "0"}, {"limit": "10001"}, {"outcome": "deny"},
                                    {"action": "nope"}, {"since": "x"}])
def test_bad_parameters_are_422(client, compliance, candidate_text, params):
    response = _impact(client, compliance, candidate_text, **params)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"


def test_cli_impact(app, history, candidate_text, tmp_path, monkeypatch):
    monkeypatch.setenv("DEALGUARD_DATABASE_URL", app.config["SETTINGS"].database_url)
    candidate = tmp_path / "candidate.yaml"
    candidate.write_text(tightened(candidate_text), encoding="utf-8")
    result = CliRunner().invoke(main, ["policy", "impact", str(candidate)])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert answer["by_transition"] == {"allow->require_approval": 1}
    candidate.write_text(candidate_text.replace("currency: RUB\n", "currency: RUB\nx: 1\n"),
                         encoding="utf-8")
    result = CliRunner().invoke(main, ["policy", "impact", str(candidate)])
    assert result.exit_code == 1
    assert f"{candidate}:" in result.output
