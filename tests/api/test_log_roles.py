"""Who may read the log (CONTRACT §6): every cell of the log's rows.

A manager sees only decisions whose actor.id is its own manager id. Another
manager's decision by id answers 404, like one that does not exist: a 403 would
confirm it exists.
"""

from __future__ import annotations

import pytest

CANDIDATE_HEADERS = {"Content-Type": "application/yaml"}
READS = ["/v1/decisions", "/v1/decisions/export?format=csv", "/v1/decisions/export?format=jsonl"]


@pytest.fixture
def two_managers(decide):
    return {"m-1": decide("shipment", actor="m-1"), "m-2": decide("claim", actor="m-2")}


def _get(client, path, headers, policy_file):
    if path == "/v1/policy/impact":
        return client.post(path, data=policy_file, headers={**headers, **CANDIDATE_HEADERS})
    return client.get(path, headers=headers)


ALL_PATHS = [*READS, "/v1/decisions/{id}", "/v1/decisions/verify", "/v1/policy/impact"]
ALLOWED = {
    "crm": set(),
    "manager": {*READS, "/v1/decisions/{id}"},
    "approver": {*READS, "/v1/decisions/{id}"},
    "compliance": set(ALL_PATHS),
    "admin": set(ALL_PATHS),
}


@pytest.mark.parametrize("role", ["crm", "manager", "approver", "compliance", "admin"])
@pytest.mark.parametrize("path", ALL_PATHS)
def test_role_table(client, make_key, two_managers, candidate_text, role, path):
    # The approver is person m-1 too: a person's key reads the decisions it made.
    headers = make_key(role, manager_id="m-1" if role == "manager" else None,
                       person_id="m-1" if role == "approver" else None)
    url = path.replace("{id}", two_managers["m-1"]["decision_id"])
    response = _get(client, url, headers, candidate_text)
    if path in ALLOWED[role]:
        assert response.status_code == 200, (role, path, response.get_json())
    else:
        assert response.status_code == 403, (role, path, response.status_code)
        assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize("path", ALL_PATHS)
def test_no_key_or_bad_key_is_401(client, path, candidate_text):
    assert _get(client, path, {}, candidate_text).status_code == 401
    bad = {"Authorization": "Bearer dg_nope"}
    assert _get(client, path, bad, candidate_text).status_code == 401


def test_manager_lists_only_its_own(client, make_key, two_managers):
    manager = make_key("manager", manager_id="m-1")
    items = client.get("/v1/decisions", headers=manager).get_json()["items"]
    assert [i["decision_id"] for i in items] == [two_managers["m-1"]["decision_id"]]
    # Asking for another actor does not widen the view: it narrows to nothing.
    other = client.get("/v1/decisions?actor_id=m-2", headers=manager).get_json()
    assert other == {"items": [], "next_cursor": None}
    own = client.get("/v1/decisions?actor_id=m-1", headers=manager).get_json()["items"]
    assert len(own) == 1


def test_manager_gets_404_for_another_managers_decision(client, make_key, two_managers):
    manager = make_key("manager", manager_id="m-1")
    foreign = two_managers["m-2"]["decision_id"]
    response = client.get(f"/v1/decisions/{foreign}", headers=manager)
    assert response.status_code == 404
    unknown = client.get("/v1/decisions/0b4f6a0e-3c1e-4f57-9a53-5b1f1f0f7c11", headers=manager)
    assert response.get_json() == unknown.get_json()  # nothing tells the two apart


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_manager_exports_only_its_own(client, make_key, two_managers, fmt):
    manager = make_key("manager", manager_id="m-1")
    text = client.get(f"/v1/decisions/export?format={fmt}", headers=manager).get_data(
        as_text=True)
    assert two_managers["m-1"]["decision_id"] in text
    assert two_managers["m-2"]["decision_id"] not in text
