"""CONTRACT §6: a person's key asks only as that person (SQLite and PostgreSQL).

Each escalation a manager could try with its own key: naming another person, naming
a higher job role, asserting an approval nobody gave. The CRM's key keeps asserting
approvals of its own workflow, and the log says so.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

pytestmark = pytest.mark.usefixtures("backend")

RULES = Path(__file__).resolve().parents[2] / "policies" / "rules.yaml"


def wholesale_discount(body, percent, actor_id="m-17", role="manager", **changes):
    request = body("discount", actor={"id": actor_id, "role": role}, **changes)
    request["discount"] = {"percent": percent}
    return request


@pytest.fixture
def manager(make_key):
    return make_key("manager", manager_id="m-17")


def refused(response, path):
    assert response.status_code == 403, response.get_json()
    assert response.mimetype == "application/problem+json"
    assert path in response.get_json()["errors"]
    return response.get_json()


@pytest.mark.parametrize("role", ["head_of_sales", "commercial_director", "cfo"])
def test_a_manager_key_cannot_name_a_higher_role(post, body, manager, role):
    # The exploit: 19 % wholesale needs the commercial director; the manager says it is one.
    answer = refused(post(wholesale_discount(body, 19, role=role), manager), "actor.role")
    assert "manager" in answer["detail"]


def test_a_manager_key_cannot_name_another_person(post, body, manager):
    refused(post(wholesale_discount(body, 5, actor_id="m-18"), manager), "actor.id")


def test_a_manager_key_cannot_assert_an_approval(post, body, manager):
    request = wholesale_discount(body, 19, approvals=[
        {"role": "commercial_director", "by": "m-17"}])
    answer = refused(post(request, manager), "approvals.0")
    assert "approval_id" in answer["detail"]
    # Not even one naming only a role, or only a person.
    for approval in ({"role": "head_of_sales"}, {"by": "h-1"}):
        refused(post(wholesale_discount(body, 12.5, approvals=[approval]), manager),
                "approvals.0")


def test_nothing_is_logged_for_a_refused_escalation(post, body, manager, client, make_key):
    post(wholesale_discount(body, 19, role="commercial_director"), manager)
    listing = client.get("/v1/decisions", headers=make_key("compliance")).get_json()
    assert listing["items"] == []


def test_a_manager_key_asking_as_itself_gets_the_policy_answer(post, body, manager):
    answer = post(wholesale_discount(body, 19), manager).get_json()
    assert answer["outcome"] == "require_approval"
    assert answer["required_approvals"] == ["commercial_director"]


def test_the_batch_answers_an_escalating_item_in_place(post, body, manager):
    requests = [wholesale_discount(body, 5),
                wholesale_discount(body, 19, role="commercial_director"),
                wholesale_discount(body, 5, actor_id="m-18")]
    response = post({"requests": requests}, manager, path="/v1/decisions/batch")
    assert response.status_code == 200
    first, second, third = response.get_json()["decisions"]
    assert first["outcome"] == "allow"
    assert second["status"] == 403 and "actor.role" in second["errors"]
    assert third["status"] == 403 and "actor.id" in third["errors"]


def test_an_approver_key_asks_in_its_own_job_role(post, body, make_key):
    head = make_key("approver", person_id="h-1", job_role="head_of_sales")
    answer = post(wholesale_discount(body, 12.5, actor_id="h-1", role="head_of_sales"),
                  head).get_json()
    # Its own role meets the head-of-sales requirement (CONTRACT §2).
    assert answer["outcome"] == "allow"
    assert answer["reasons"][0]["satisfied_by"] == "head_of_sales"
    refused(post(wholesale_discount(body, 19, actor_id="h-1", role="commercial_director"),
                 head), "actor.role")
    refused(post(wholesale_discount(body, 12.5, actor_id="h-2", role="head_of_sales"), head),
            "actor.id")
    refused(post(wholesale_discount(body, 19, actor_id="h-1", role="head_of_sales",
                                    approvals=[{"role": "commercial_director", "by": "d-1"}]),
                 head), "approvals.0")


@pytest.mark.parametrize("role", ["crm", "admin"])
def test_crm_and_admin_assert_approvals_logged_as_the_crms(post, body, make_key, client,
                                                           role):
    request = wholesale_discount(body, 19, approvals=[
        {"role": "commercial_director", "by": "d-1"}])
    answer = post(request, make_key(role)).get_json()
    assert answer["outcome"] == "allow"
    assert answer["reasons"][0]["satisfied_by"] == "commercial_director"
    record = client.get(f"/v1/decisions/{answer['decision_id']}",
                        headers=make_key("compliance")).get_json()
    assert record["approvals_presented"] == [
        {"role": "commercial_director", "by": "d-1", "source": "crm"}]
    assert client.get("/v1/decisions/verify", headers=make_key("compliance")).get_json()["ok"]


def test_a_record_without_approvals_presents_none(post, body, make_key, client):
    answer = post(wholesale_discount(body, 5), make_key("crm")).get_json()
    record = client.get(f"/v1/decisions/{answer['decision_id']}",
                        headers=make_key("compliance")).get_json()
    assert record["approvals_presented"] == []


def test_a_person_reads_only_its_own_decisions(post, body, make_key, client):
    head = make_key("approver", person_id="h-1", job_role="head_of_sales")
    mine = post(wholesale_discount(body, 5, actor_id="h-1", role="head_of_sales"),
                head).get_json()
    theirs = post(wholesale_discount(body, 5), make_key("crm")).get_json()
    listing = client.get("/v1/decisions", headers=head).get_json()
    assert [item["decision_id"] for item in listing["items"]] == [mine["decision_id"]]
    assert client.get(f"/v1/decisions/{theirs['decision_id']}",
                      headers=head).status_code == 404


@pytest.mark.parametrize(("method", "path", "status"), [
    ("get", "/v1/policy", 200),
    ("get", "/v1/stats?period=week", 200),
    ("get", "/v1/decisions/verify", 403),
    ("post", "/v1/activities", 403),
    ("post", "/v1/policy/reload", 403),
    ("post", "/v1/policy/impact", 403),
])
def test_the_approver_column_of_the_role_table(client, make_key, method, path, status):
    response = getattr(client, method)(path, headers=make_key("approver"))
    assert response.status_code == status


class TestARefusingPolicy:
    @pytest.fixture
    def settings(self, settings, tmp_path):
        path = tmp_path / "rules.yaml"
        shutil.copy(RULES, path)
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("asserted_approvals: accept", "asserted_approvals: refuse"),
                        encoding="utf-8")
        return replace(settings, policy_path=str(path))

    def test_asserted_approvals_are_422_naming_approval_id(self, post, body, make_key):
        request = wholesale_discount(body, 19, approvals=[
            {"role": "commercial_director", "by": "d-1"}])
        response = post(request, make_key("crm"))
        assert response.status_code == 422
        message = response.get_json()["errors"]["approvals.0"][0]
        assert "approval_id" in message
        # The same request without the assertion is decided.
        del request["approvals"]
        assert post(request, make_key("crm")).get_json()["outcome"] == "require_approval"
