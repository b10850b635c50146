"""POST /v1/activities: roles, validation by field path, idempotency, all-or-nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from app.stats import ingest
from app.stats.models import Activity

URL = "/v1/activities"


def call(id_: str = "ev-1", **changes) -> dict:
    body = {
        "id": id_, "type": "call", "manager_id": "m-1", "client_id": "c-1",
        "occurred_at": "2026-11-23T01:30:00+03:00", "outcome": "connected",
    }
    body.update(changes)
    return body


def signed(id_: str = "ev-2", **changes) -> dict:
    body = {
        "id": id_, "type": "contract_signed", "manager_id": "m-1", "client_id": "c-1",
        "occurred_at": "2026-11-24T10:00:00+03:00", "amount": 1500.5,
    }
    body.update(changes)
    return body


def stored(db_engine) -> int:
    with db_engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(Activity))


@pytest.fixture
def crm(make_key):
    return make_key("crm")


@pytest.mark.parametrize(("role", "status"), [
    ("crm", 200), ("admin", 200), ("manager", 403), ("compliance", 403),
])
def test_roles(client, make_key, role, status) -> None:
    response = client.post(URL, json={"events": [call()]}, headers=make_key(role))
    assert response.status_code == status
    if status == 403:
        assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer dg_unknown"}])
def test_no_or_unknown_key_is_401(client, headers) -> None:
    response = client.post(URL, json={"events": [call()]}, headers=headers)
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"


def test_stores_in_utc_and_answers_counts(backend, client, crm, db_engine) -> None:
    response = client.post(URL, json={"events": [call(), signed()]}, headers=crm)
    assert response.status_code == 200
    assert response.get_json() == {"accepted": 2, "duplicates": 0}
    with db_engine.connect() as connection:
        row = connection.execute(
            select(Activity.occurred_at, Activity.amount).where(Activity.event_id == "ev-2")
        ).one()
    # Stored as UTC (SQLite gives it back without an offset, PostgreSQL with one).
    assert row.occurred_at.replace(tzinfo=None) == dt.datetime(2026, 11, 24, 7) or (
        row.occurred_at == dt.datetime(2026, 11, 24, 7, tzinfo=dt.UTC)
    )
    assert str(row.amount) == "1500.50"


def test_a_repeated_batch_is_all_duplicates(client, crm, db_engine) -> None:
    batch = {"events": [call(), signed()]}
    client.post(URL, json=batch, headers=crm)
    response = client.post(URL, json=batch, headers=crm)
    assert response.get_json() == {"accepted": 0, "duplicates": 2}
    assert stored(db_engine) == 2


def test_same_instant_in_another_offset_and_same_amount_is_a_duplicate(
    backend, client, crm, db_engine
) -> None:
    client.post(URL, json={"events": [signed()]}, headers=crm)
    again = signed(occurred_at="2026-11-24T07:00:00Z", amount=1500.50)
    response = client.post(URL, json={"events": [again, call("ev-9")]}, headers=crm)
    assert response.get_json() == {"accepted": 1, "duplicates": 1}
    assert stored(db_engine) == 2


def test_an_id_repeated_inside_one_batch_is_stored_once(client, crm, db_engine) -> None:
    response = client.post(URL, json={"events": [call(), call()]}, headers=crm)
    assert response.get_json() == {"accepted": 1, "duplicates": 1}
    assert stored(db_engine) == 1


def test_an_id_reused_for_other_content_is_409_and_nothing_is_stored(
    backend, client, crm, db_engine
) -> None:
    client.post(URL, json={"events": [signed()]}, headers=crm)
    batch = {"events": [call("ev-new"), signed(amount=1600)]}
    response = client.post(URL, json=batch, headers=crm)
    assert response.status_code == 409
    assert response.mimetype == "application/problem+json"
    assert list(response.get_json()["errors"]) == ["events.1.amount"]
    assert stored(db_engine) == 1  # ev-new was not stored either


def test_an_id_given_twice_with_other_content_in_one_batch_is_409(
    client, crm, db_engine
) -> None:
    batch = {"events": [call(), call(outcome="no_answer")]}
    response = client.post(URL, json=batch, headers=crm)
    assert response.status_code == 409
    assert list(response.get_json()["errors"]) == ["events.1.outcome"]
    assert stored(db_engine) == 0


@pytest.mark.parametrize(("event", "path", "message"), [
    (call(occurred_at="2026-11-23T01:30:00"), "events.0.occurred_at", "offset"),
    (call(occurred_at="yesterday"), "events.0.occurred_at", "date-time"),
    (call(occurred_at=1764000000), "events.0.occurred_at", "date-time"),
    (call(occurred_at="0001-01-01T00:00:00+03:00"), "events.0.occurred_at", "between"),
    (call(type="visit"), "events.0.type", "one of"),
    (call(outcome="busy"), "events.0.outcome", "one of"),
    (call(manager_id=""), "events.0.manager_id", "Length"),
    (call(client_id=7), "events.0.client_id", "string"),
    (call(id="x" * 129), "events.0.id", "Length"),
    (call(id="ev\u00001"), "events.0.id", "control characters"),
    (call(manager_id="m-1\n"), "events.0.manager_id", "control characters"),
    (call(amount=10), "events.0.amount", "carry an amount"),
    (signed(amount=None), "events.0.amount", "Required for contract_signed"),
    (signed(type="payment_received", amount=None), "events.0.amount", "Required"),
    (signed(amount="1500.50"), "events.0.amount", "number"),
    (signed(amount=True), "events.0.amount", "number"),
    (signed(amount=-1), "events.0.amount", "greater than or equal"),
    (signed(amount=1.005), "events.0.amount", "two decimal places"),
    (signed(amount=1e16), "events.0.amount", "1e15"),
    (signed(amount=1e12 + 0.01), "events.0.amount", "less than or equal"),
    ({**signed(), "outcome": "connected"}, "events.0.outcome", "Only a call"),
    ({**call(), "note": "x"}, "events.0.note", "Unknown"),
    ({k: v for k, v in call().items() if k != "client_id"}, "events.0.client_id", "Missing"),
    ("not an event", "events.0", "Invalid"),
])
def test_invalid_event_is_422_by_field_path(client, crm, db_engine, event, path, message) -> None:
    # A valid event first: nothing of an invalid batch is stored.
    response = client.post(URL, json={"events": [event, call("ev-ok")]}, headers=crm)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    errors = response.get_json()["errors"]
    assert path in errors, errors
    assert any(message.lower() in text.lower() for text in errors[path]), errors
    assert stored(db_engine) == 0


def test_path_names_the_index_of_the_bad_event(client, crm) -> None:
    events = [call(f"ev-{i}") for i in range(5)]
    events[3] = signed("ev-3", amount="100")
    response = client.post(URL, json={"events": events}, headers=crm)
    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == ["events.3.amount"]


def test_nan_amount_is_422(client, crm) -> None:
    body = '{"events": [{"id": "e", "type": "contract_signed", "manager_id": "m",' \
           ' "client_id": "c", "occurred_at": "2026-11-24T10:00:00Z", "amount": NaN}]}'
    response = client.post(URL, data=body, content_type="application/json", headers=crm)
    assert response.status_code == 422


def test_at_most_1000_events(client, crm, db_engine) -> None:
    small = [{"id": f"{i}", "type": "meeting", "manager_id": "m", "client_id": "c",
              "occurred_at": "2026-11-24T10:00:00Z"} for i in range(1001)]
    response = client.post(URL, json={"events": small}, headers=crm)
    assert response.status_code == 422
    assert "events" in response.get_json()["errors"]
    response = client.post(URL, json={"events": small[:1000]}, headers=crm)
    assert response.get_json() == {"accepted": 1000, "duplicates": 0}
    assert stored(db_engine) == 1000


@pytest.mark.parametrize(("body", "status"), [
    ({}, 422),  # events missing
    ({"events": "x"}, 422),
    ({"events": [], "extra": 1}, 422),
    ({"events": []}, 200),
])
def test_batch_shape(client, crm, body, status) -> None:
    assert client.post(URL, json=body, headers=crm).status_code == status


@pytest.mark.parametrize(("data", "content_type", "status"), [
    ("{", "application/json", 400),
    ("[1, 2]", "application/json", 400),
    ('{"events": []}', "text/plain", 415),
    ("[" * 100000, "application/json", 422),
])
def test_body_that_is_not_a_json_object(client, crm, data, content_type, status) -> None:
    response = client.post(URL, data=data, content_type=content_type, headers=crm)
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"


def test_a_concurrent_insert_of_the_same_id_is_retried_as_a_duplicate(
    backend, client, crm, db_engine, monkeypatch
) -> None:
    client.post(URL, json={"events": [call()]}, headers=crm)
    # As if another request stored ev-1 between our look-up and our insert.
    real = ingest._stored_versions
    calls = []

    def blind_first(session, ids):
        calls.append(ids)
        return {} if len(calls) == 1 else real(session, ids)

    monkeypatch.setattr(ingest, "_stored_versions", blind_first)
    response = client.post(URL, json={"events": [call(), signed()]}, headers=crm)
    assert response.get_json() == {"accepted": 1, "duplicates": 1}
    assert len(calls) == 2
    assert stored(db_engine) == 2

