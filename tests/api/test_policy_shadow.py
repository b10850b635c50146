"""Shadow mode (CONTRACT §12): a version evaluated beside the active one on live traffic.

Its outcome is stored beside each decision and never changes the answer; its report
counts the same transitions as `policy impact` on the same requests; a shadow that
raises is counted as an error and the decisions stand. Both databases.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.log.models import Decision, DecisionShadow
from tests.api.versions_helpers import changed

pytestmark = pytest.mark.usefixtures("backend")

# Wholesale discounts around the limits that `changed` moves from [10, 15, 20] to
# [10, 12, 12]: 12.5, 14 and 18 go from require_approval to deny.
PERCENTS = (5, 11, 12.5, 14, 18, 25)


@pytest.fixture
def admin(make_key):
    return make_key("admin")


@pytest.fixture
def shadowed(client, admin, candidate_text):
    """Version 2 (`changed`) proposed and running in shadow; its text."""
    text = changed(candidate_text)
    proposed = client.post("/v1/policy/versions", data=text, content_type="text/yaml",
                           headers=admin)
    assert proposed.status_code == 201
    started = client.post("/v1/policy/versions/2/shadow", headers=admin)
    assert started.status_code == 200 and started.get_json()["status"] == "shadow"
    return text


def traffic(decide) -> list[dict]:
    return [decide("discount", discount={"percent": p}, request_id=f"r-{p}")
            for p in PERCENTS]


def report(client, headers, **params):
    response = client.get("/v1/policy/shadow", query_string=params, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_the_shadow_never_changes_the_answers(client, admin, decide, db_engine, shadowed):
    answers = traffic(decide)
    assert [a["outcome"] for a in answers] == ["allow", "require_approval", "require_approval",
                                               "require_approval", "require_approval", "deny"]
    assert {a["policy"]["version_id"] for a in answers} == {1}
    with db_engine.connect() as connection:
        rows = connection.execute(
            select(Decision.outcome, DecisionShadow.outcome, DecisionShadow.version_id)
            .join(DecisionShadow, DecisionShadow.decision_seq == Decision.seq)
            .order_by(Decision.seq)).all()
    assert [tuple(row) for row in rows] == [
        ("allow", "allow", 2), ("require_approval", "require_approval", 2),
        ("require_approval", "deny", 2), ("require_approval", "deny", 2),
        ("require_approval", "deny", 2), ("deny", "deny", 2)]
    assert client.get("/v1/decisions/verify", headers=admin).get_json()["ok"] is True


def test_the_report_counts_what_impact_counts_on_the_same_requests(client, make_key, decide,
                                                                   shadowed):
    compliance = make_key("compliance")
    traffic(decide)
    shadow = report(client, compliance)
    impact = client.post("/v1/policy/impact", data=shadowed, content_type="application/yaml",
                         headers=compliance).get_json()
    assert shadow["by_transition"] == impact["by_transition"] == {"require_approval->deny": 3}
    assert (shadow["evaluated"], shadow["changed"], shadow["errors"]) == (
        impact["replayed"], impact["changed"], impact["errors"]) == (6, 3, 0)
    assert shadow["version_id"] == 2 and shadow["running"] is True and shadow["since"]
    assert {s["decision_id"] for s in shadow["samples"]} == {
        s["decision_id"] for s in impact["samples"]}
    assert all(s["before"] == "require_approval" and s["after"] == "deny"
               and s["required_approvals_after"] == [] for s in shadow["samples"])


def test_a_shadow_that_raises_is_counted_and_the_decisions_stand(app, client, make_key,
                                                                 decide, shadowed,
                                                                 monkeypatch):
    running = app.extensions["dealguard.policy"].running()
    assert running.shadow is not None and running.shadow.version_id == 2

    def broken(*args, **kwargs):
        raise RuntimeError("the shadow policy is broken")

    monkeypatch.setattr(running.shadow.policy, "evaluate", broken)
    answers = traffic(decide)
    assert [a["outcome"] for a in answers] == ["allow", "require_approval", "require_approval",
                                               "require_approval", "require_approval", "deny"]
    found = report(client, make_key("compliance"))
    assert (found["evaluated"], found["errors"], found["changed"]) == (6, 6, 0)
    assert found["errors_by_kind"] == {"RuntimeError": 6}
    assert found["by_transition"] == {}


def test_stopping_the_shadow_keeps_its_report(client, admin, decide, db_engine, shadowed):
    traffic(decide)
    stopped = client.delete("/v1/policy/shadow", headers=admin)
    assert stopped.status_code == 200 and stopped.get_json()["stopped"]["version_id"] == 2
    decide("discount", discount={"percent": 14})  # no shadow any more
    with db_engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(DecisionShadow)).scalar() == 6
    assert client.get("/v1/policy/shadow", headers=admin).status_code == 404
    ended = report(client, admin, version_id=2)
    assert ended["running"] is False and ended["evaluated"] == 6
    versions = client.get("/v1/policy/versions", headers=admin).get_json()["items"]
    assert versions[0]["status"] == "draft"  # never published: a draft again
    again = client.delete("/v1/policy/shadow", headers=admin)
    assert again.status_code == 200 and again.get_json() == {"stopped": None}


def test_the_active_version_cannot_be_its_own_shadow(client, admin):
    response = client.post("/v1/policy/versions/1/shadow", headers=admin)
    assert response.status_code == 409
    assert client.post("/v1/policy/versions/7/shadow", headers=admin).status_code == 404


def test_who_reads_the_shadow_report(client, make_key, shadowed):
    for role in ("compliance", "admin"):
        assert client.get("/v1/policy/shadow", headers=make_key(role)).status_code == 200
    for role in ("crm", "manager", "approver"):
        assert client.get("/v1/policy/shadow", headers=make_key(role)).status_code == 403
    bad = client.get("/v1/policy/shadow?version_id=x", headers=make_key("admin"))
    assert bad.status_code == 422


def test_publishing_the_shadow_version_ends_its_run(client, admin, decide, shadowed):
    assert client.post("/v1/policy/versions/2/publish", headers=admin).status_code == 200
    answer = decide("discount", discount={"percent": 14})
    assert (answer["outcome"], answer["policy"]["version_id"]) == ("deny", 2)
    assert client.get("/v1/policy/shadow", headers=admin).status_code == 404
