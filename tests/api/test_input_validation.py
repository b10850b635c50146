"""Input no text encoding or database can take is refused at the door, never a 500 or 503.

Ids with control or invisible characters (CONTRACT §3), lone surrogates in any string,
an `as_of` outside the calendar once in the service's zone, and repeated JSON keys.
Run on SQLite and PostgreSQL: PostgreSQL refuses NUL in text, which once made a whole
commit group of decisions answer 503.
"""

from __future__ import annotations

import copy
import json

import pytest
from sqlalchemy import func, select

from app.log.models import Decision
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


def string_paths(node, prefix=""):
    """The dotted path of every string in a request (dict keys excluded)."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from string_paths(value, f"{prefix}{key}.")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from string_paths(value, f"{prefix}{index}.")
    elif isinstance(node, str):
        yield prefix[:-1]


def logged(db_engine) -> int:
    with db_engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(Decision)).scalar_one()


def post_text(client, headers, text, path="/v1/decisions"):
    return client.post(path, data=text, headers={**headers, "Content-Type": "application/json"})


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


@pytest.mark.parametrize("action", list(BODIES))
def test_a_lone_surrogate_in_any_string_is_a_422_naming_its_path(client, crm, db_engine,
                                                                 action):
    paths = list(string_paths(BODIES[action]))
    assert len(paths) >= 8
    for path in paths:
        for lone in ("\ud800", "\udfff", "a\udc00b"):
            text = json.dumps(with_value(action, path, lone))  # escaped: \ud800
            response = post_text(client, crm, text)
            assert response.status_code == 422, (path, response.get_data(as_text=True))
            assert list(response.get_json()["errors"]) == [path]
    assert logged(db_engine) == 0


def test_a_lone_surrogate_in_a_key_is_a_422_and_a_pair_is_a_character(client, crm):
    response = post_text(client, crm, '{"action": "claim", "client": {"x\\ud800": 1}}')
    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == ["client.x\\ud800"]
    # A pair escaped in the text is one character (U+1F600), and a backslash escaped
    # before "ud800" is no surrogate at all: both are plain text.
    text = json.dumps(with_value("discount", "discount.reason", "\U0001f600 \\ud800"))
    assert '\\ud83d\\ude00' in text
    assert post_text(client, crm, text).status_code == 200


def test_a_lone_surrogate_in_an_activity_is_a_422(client, crm):
    event = {"id": "e-1", "type": "call", "manager_id": "m-1", "client_id": "c-1",
             "occurred_at": "2026-11-27T10:00:00+03:00", "outcome": "connected"}
    for field in event:
        broken = dict(event, **{field: "\ud800"})
        response = post_text(client, crm, json.dumps({"events": [event, broken]}),
                             "/v1/activities")
        assert response.status_code == 422
        assert list(response.get_json()["errors"]) == [f"events.1.{field}"]


def test_a_batch_answers_an_item_with_a_lone_surrogate_in_its_place(client, crm, db_engine):
    broken = with_value("discount", "client.name", "Ivan \ud800")
    text = json.dumps({"requests": [BODIES["claim"], broken, BODIES["offer"]]})
    response = post_text(client, crm, text, "/v1/decisions/batch")
    assert response.status_code == 200
    first, second, third = response.get_json()["decisions"]
    assert first["outcome"] and third["outcome"]
    assert second["status"] == 422 and list(second["errors"]) == ["client.name"]
    assert logged(db_engine) == 2


def test_a_lone_surrogate_outside_the_batch_items_refuses_the_batch(client, crm):
    text = json.dumps({"requests": [BODIES["claim"]], "note": "\ud800"})
    response = post_text(client, crm, text, "/v1/decisions/batch")
    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == ["note"]


@pytest.mark.parametrize("as_of", [
    "9999-12-31T22:00:00+00:00",  # the year 10000 in Moscow
    "9999-12-31T23:59:59.999999+00:00",
    "0001-01-01T00:00:00+05:00",  # the year 0 in UTC
    "0001-01-01T02:00:00+03:00",
])
def test_an_as_of_outside_the_calendar_in_the_service_zone_is_a_422(client, crm, db_engine,
                                                                     as_of):
    response = client.post("/v1/decisions",
                           json=with_value("discount", "as_of", as_of), headers=crm)
    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == ["as_of"]
    batch = client.post("/v1/decisions/batch", headers=crm, json={"requests": [
        with_value("claim", "as_of", as_of), BODIES["claim"]]})
    first, second = batch.get_json()["decisions"]
    assert first["status"] == 422 and "as_of" in first["errors"]
    assert second["outcome"] == "allow"
    assert logged(db_engine) == 1


@pytest.mark.parametrize("as_of", ["9999-12-31", "0001-01-01", "9999-12-31T23:59:59",
                                   "9999-12-31T20:59:59+00:00", "0001-01-01T03:00:00+02:00"])
def test_an_as_of_at_the_calendar_edges_inside_it_is_decided(post, as_of):
    assert post(with_value("discount", "as_of", as_of)).status_code == 200


@pytest.mark.parametrize("text", [
    '{"action": "claim", "action": "discount"}',
    '{"action": "claim", "client": {"id": "c-1", "id": "c-2"}}',
    '{"offer": {"items": [{"sku": "a", "need": null, "sku": "b"}]}}',
    '{"requests": [{"a": 1, "b": 2, "a": 1}]}',
])
@pytest.mark.parametrize("path", ["/v1/decisions", "/v1/decisions/batch", "/v1/activities"])
def test_a_repeated_key_at_any_depth_is_a_400(client, crm, db_engine, text, path):
    response = post_text(client, crm, text, path)
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert "repeats the key" in response.get_json()["detail"]
    assert logged(db_engine) == 0


def test_a_repeated_key_is_named_escaped_and_short(client, crm):
    key = "\ud800" + "k" * 300
    escaped = json.dumps(key)
    text = f'{{{escaped}: 1, {escaped}: 2}}'
    detail = post_text(client, crm, text).get_json()["detail"]
    assert '"\\ud800kkk' in detail and len(detail) < 150


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
