"""Input no text encoding or database can take is refused at the door, never a 500 or 503.

Ids with control or invisible characters (CONTRACT §3). Run on SQLite and PostgreSQL:
PostgreSQL refuses NUL in text, which once made a whole commit group of decisions
answer 503.
"""

from __future__ import annotations

import copy

import pytest
from sqlalchemy import func, select

from app.audit.models import Decision
from tests.bodies import BODIES

pytestmark = pytest.mark.usefixtures("backend")

# Unicode categories Cc (controls, C0 and C1) and Cf (invisible format characters).
INVISIBLE = ["\x00", "\x1b", "\x7f", "\x85", "\u200b", "\u202e", "\u2066", "\ufeff",
             "\U000e0041"]
# Every id of every action (CONTRACT §3), by action and field path.
ID_PATHS = [
    ("discount", "request_id"), ("discount", "actor.id"), ("discount", "client.id"),
    ("discount", "client.owner_id"), ("discount", "deal.id"), ("shipment", "order.id"),
    ("shipment", "shipment.id"), ("shipment", "shipment.claim_decision_id"),
    ("claim", "order.id"), ("claim", "claim.id"), ("offer", "offer.id"),
    ("offer", "offer.items.0.sku"), ("discount", "approvals.0.by"),
]


def with_value(action: str, path: str, value) -> dict:
    body = copy.deepcopy(BODIES[action])
    if path.startswith("approvals"):
        body["approvals"] = [{"role": "head_of_sales", "by": "h-1"}]
    node = body
    *parents, last = path.split(".")
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    node[int(last) if last.isdigit() else last] = value
    return body


def logged(db_engine) -> int:
    with db_engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(Decision)).scalar_one()


@pytest.mark.parametrize(("action", "path"), ID_PATHS)
@pytest.mark.parametrize("char", INVISIBLE)
def test_an_id_with_a_control_or_invisible_character_is_a_422(post, db_engine, action, path,
                                                             char):
    response = post(with_value(action, path, f"id{char}1"))
    assert response.status_code == 422, response.get_data(as_text=True)
    assert "control characters" in response.get_json()["errors"][path][0]
    assert logged(db_engine) == 0


@pytest.mark.parametrize(("action", "path"), ID_PATHS)
def test_ids_of_any_script_and_up_to_128_characters_are_accepted(post, action, path):
    assert post(with_value(action, path, "клиент-№7 ü 客户")).status_code == 200
    assert post(with_value(action, path, "x" * 128)).status_code == 200
    assert post(with_value(action, path, "x" * 129)).status_code == 422


@pytest.mark.parametrize("field", ["id", "manager_id", "client_id"])
@pytest.mark.parametrize("char", ["\x00", "\x85", "\u200b", "\u202e", "\ufeff"])
def test_an_activity_id_with_an_invisible_character_is_a_422(client, crm, field, char):
    event = {"id": "e-1", "type": "call", "manager_id": "m-1", "client_id": "c-1",
             "occurred_at": "2026-11-27T10:00:00+03:00", "outcome": "connected"}
    event[field] = f"x{char}y"
    response = client.post("/v1/activities", json={"events": [event]}, headers=crm)
    assert response.status_code == 422
    assert f"events.0.{field}" in response.get_json()["errors"]


@pytest.mark.parametrize(("path", "name"), [
    ("/v1/decisions", "actor_id"), ("/v1/decisions", "client_id"),
    ("/v1/decisions", "subject_id"), ("/v1/stats", "manager_id"),
    ("/v1/stats/series?metric=calls", "manager_id"),
])
@pytest.mark.parametrize("char", ["%00", "%C2%85", "%E2%80%8B", "%E2%80%AE", "%EF%BB%BF"])
def test_an_id_filter_with_an_invisible_character_is_a_422(client, make_key, path, name,
                                                           char):
    joiner = "&" if "?" in path else "?"
    response = client.get(f"{path}{joiner}{name}=m{char}1", headers=make_key("admin"))
    assert response.status_code == 422
    assert name in response.get_json()["errors"]


@pytest.mark.parametrize(("action", "path"), [
    ("offer", "client.needs.0"), ("discount", "discount.reason"), ("offer", "offer.items.0.need"),
    ("disclosure", "disclosure.purpose"), ("discount", "client.name"),
])
@pytest.mark.parametrize("char", ["\x00", "\x1b", "\u202e"])
def test_free_text_with_control_characters_is_logged_escaped(client, crm, make_key, action,
                                                              path, char):
    # Free text may carry any character: the log keeps it as JSON text, where a control
    # character is an escape (\u0000), so PostgreSQL takes it; no column holds it raw.
    body = with_value(action, path, f"text{char}more")
    response = client.post("/v1/decisions", json=body, headers=crm)
    assert response.status_code == 200, response.get_data(as_text=True)
    decision_id = response.get_json()["decision_id"]
    compliance = make_key("compliance")
    assert client.get(f"/v1/decisions/{decision_id}", headers=compliance).status_code == 200
    verified = client.get("/v1/decisions/verify", headers=compliance)
    assert verified.get_json()["ok"] is True


def test_free_text_of_custom_terms_with_nul_is_logged(client, crm):
    body = copy.deepcopy(BODIES["offer"])
    body["offer"]["custom_terms"] = [{"text": "a\x00b", "requires_process_change": False}]
    assert client.post("/v1/decisions", json=body, headers=crm).status_code == 200
