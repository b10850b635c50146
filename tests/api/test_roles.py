"""The cells of CONTRACT §6 for decisions and policy: who may, who gets 403."""

from __future__ import annotations

from pathlib import Path

import pytest

ROLES = ("crm", "manager", "approver", "compliance", "admin")
RULES_YAML = Path(__file__).resolve().parents[2] / "policies" / "rules.yaml"


def headers_for(make_key, role):
    return make_key(role, manager_id="m-1" if role == "manager" else None)


@pytest.mark.parametrize(("role", "status"), [("crm", 200), ("manager", 200),
                                              ("compliance", 403), ("admin", 200)])
@pytest.mark.parametrize("path", ["/v1/decisions", "/v1/decisions/batch"])
def test_post_decisions(client, body, make_key, role, status, path):
    payload = body("claim") if path == "/v1/decisions" else {"requests": [body("claim")]}
    response = client.post(path, json=payload, headers=headers_for(make_key, role))
    assert response.status_code == status


def test_manager_decides_only_as_itself(client, body, make_key):
    manager = make_key("manager", manager_id="m-1")
    other = body("claim", actor={"id": "m-2", "role": "manager"})
    response = client.post("/v1/decisions", json=other, headers=manager)
    assert response.status_code == 403
    assert response.mimetype == "application/problem+json"
    # As its own actor, even with a higher role named, the key decides.
    own = body("claim", actor={"id": "m-1", "role": "manager"})
    assert client.post("/v1/decisions", json=own, headers=manager).status_code == 200


def test_manager_batch_answers_foreign_items_with_403_in_place(client, body, make_key):
    manager = make_key("manager", manager_id="m-1")
    requests = [body("claim"), body("claim", actor={"id": "m-2", "role": "manager"})]
    response = client.post("/v1/decisions/batch", json={"requests": requests}, headers=manager)
    assert response.status_code == 200
    first, second = response.get_json()["decisions"]
    assert first["action"] == "claim" and second["status"] == 403


def test_other_keys_decide_for_any_actor(client, body, make_key):
    foreign = body("claim", actor={"id": "m-7", "role": "head_of_sales"})
    for role in ("crm", "admin"):
        assert client.post("/v1/decisions", json=foreign,
                           headers=make_key(role)).status_code == 200


@pytest.mark.parametrize("role", ROLES)
def test_everyone_reads_and_validates_the_policy(client, make_key, role):
    headers = headers_for(make_key, role)
    assert client.get("/v1/policy", headers=headers).status_code == 200
    with open(RULES_YAML, "rb") as handle:
        text = handle.read()
    response = client.post("/v1/policy/validate", data=text, content_type="text/yaml",
                           headers=headers)
    assert response.status_code == 200


@pytest.mark.parametrize(("role", "status"), [("crm", 403), ("manager", 403), ("approver", 403),
                                              ("compliance", 403), ("admin", 200)])
def test_only_admin_reloads(client, make_key, role, status):
    response = client.post("/v1/policy/reload", headers=headers_for(make_key, role))
    assert response.status_code == status


@pytest.mark.parametrize(("method", "path"), [("get", "/v1/policy"),
                                              ("post", "/v1/policy/validate"),
                                              ("post", "/v1/policy/reload"),
                                              ("post", "/v1/decisions/batch")])
def test_every_v1_call_needs_a_key(client, method, path):
    response = getattr(client, method)(path)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
