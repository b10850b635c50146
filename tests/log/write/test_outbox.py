"""A webhook event is written in the transaction of the record that causes it.

A decision some webhook wants writes its event with its own rows (Entry.events): the
event exists exactly when the decision does, and carries the decision as logged
(masked). A decision nobody listens for writes none.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, insert, select

from app.jsontext import loads
from app.log.models import OutboxEvent
from app.log.write import writer
from app.log.write.outbox import add_event
from app.log.write.writer import DuplicateRequestId, Entry, RefusedEntry
from app.webhooks.models import Webhook
from app.webhooks.subscriptions import Subscriptions
from tests.bodies import CLEAR_VALUES, make_body
from tests.log.write.test_refused_entry import SURROGATE, entries_of, logged_decision_ids

pytestmark = pytest.mark.usefixtures("backend")

DENIED = make_body("shipment", shipment={"id": "s-1", "amount": 900})  # unpaid: deny
NEEDS_APPROVAL = make_body("discount")  # 12.5 % for a manager: require_approval
ALLOWED = make_body("shipment")


@pytest.fixture
def subscribe(client, make_key):
    admin = make_key("admin")

    def register(*events: str) -> dict:
        answer = client.post("/v1/webhooks", headers=admin, json={
            "url": "http://127.0.0.1:9/hook", "events": list(events),
            "secret": "s" * 16})
        assert answer.status_code == 201
        return answer.get_json()

    return register


def events(engine) -> list:
    with engine.connect() as connection:
        return connection.execute(select(OutboxEvent).order_by(OutboxEvent.seq)).all()


def test_a_wanted_decision_writes_its_event_with_the_decision_as_logged(
        client, post, subscribe, db_engine, compliance):
    subscribe("decision.denied", "decision.require_approval")
    denied, approval, allowed = (post(body).get_json() for body in
                                 (DENIED, NEEDS_APPROVAL, ALLOWED))
    assert (denied["outcome"], approval["outcome"], allowed["outcome"]) == (
        "deny", "require_approval", "allow")
    rows = events(db_engine)
    assert [(row.event, loads(row.data)["decision_id"]) for row in rows] == [
        ("decision.denied", denied["decision_id"]),
        ("decision.require_approval", approval["decision_id"])]
    record = client.get(f"/v1/decisions/{approval['decision_id']}",
                        headers=compliance).get_json()
    data = loads(rows[1].data)
    for name in ("decision_id", "action", "outcome", "required_approvals", "reasons",
                 "decided_at", "request", "seq"):
        assert data[name] == record[name], name
    assert rows[1].occurred_at is not None
    text = " ".join(row.data for row in rows)
    assert not [value for value in CLEAR_VALUES if value in text]  # masked as in the log


def test_an_event_nobody_wants_is_not_written(post, subscribe, db_engine):
    post(NEEDS_APPROVAL)
    subscribe("decision.denied")
    post(NEEDS_APPROVAL)
    assert events(db_engine) == []
    post(DENIED)
    assert [row.event for row in events(db_engine)] == ["decision.denied"]


def test_a_decision_not_logged_leaves_no_event(app, subscribe, db_engine):
    subscribe("decision.denied")
    entries = entries_of(app, [DENIED] * 3)
    assert all(entry.events == ("decision.denied",) for entry in entries)
    entries[1] = replace(entries[1], client_id=SURROGATE)  # the database refuses it
    outcomes = writer.write_group(db_engine, entries)
    assert isinstance(outcomes[1], RefusedEntry)
    logged = logged_decision_ids(db_engine)
    assert [loads(row.data)["decision_id"] for row in events(db_engine)] == logged
    assert entries[1].decision_id not in logged

    # A group that fails whole (a request_id taken) rolls its events back with it.
    again = entries_of(app, [{**DENIED, "request_id": "r-1"}])
    assert writer.write_group(db_engine, again) == [None]
    group = entries_of(app, [DENIED, {**DENIED, "request_id": "r-1"}])
    with pytest.raises(DuplicateRequestId):
        writer.append_many(db_engine, group)
    assert len(events(db_engine)) == len(logged_decision_ids(db_engine)) == 3


def test_the_events_cross_to_the_writer_process():
    entry = Entry(**{**_bare(), "events": ("decision.denied",)})
    assert Entry.from_transport(entry.for_transport()).events == ("decision.denied",)
    assert Entry.from_transport(Entry(**_bare()).for_transport()).events == ()


def _bare() -> dict:
    now = datetime.now(UTC)
    return dict(decision_id="d", request_id=None, request_fingerprint="f", action="offer",
                outcome="deny", actor_id=None, actor_role=None, client_id=None,
                subject_id=None, order_id=None, key_name=None, policy_name="p",
                policy_version="1", policy_sha256="s", as_of=now.date(), decided_at=now,
                duration_ms=0.1, body={"a": 1})


def test_add_event_commits_and_rolls_back_with_its_transaction(db_engine):
    now = datetime.now(UTC)
    with pytest.raises(RuntimeError), db_engine.begin() as connection:
        add_event(connection, "approval.approved", {"approval_id": "x"}, now)
        raise RuntimeError("the approval could not be written")
    assert events(db_engine) == []
    with db_engine.begin() as connection:
        event_id = add_event(connection, "approval.declined", {"approval_id": "y"}, now)
    (row,) = events(db_engine)
    assert (row.id, row.event, loads(row.data)) == (event_id, "approval.declined",
                                                    {"approval_id": "y"})
    with pytest.raises(ValueError), db_engine.begin() as connection:
        add_event(connection, "approval.maybe", {}, now)


def test_subscriptions_are_read_at_most_once_a_second(db_engine):
    moment = [0.0]
    subscriptions = Subscriptions(db_engine, clock=lambda: moment[0])
    assert subscriptions.decision_events("deny") == ()
    with db_engine.begin() as connection:
        connection.execute(insert(Webhook.__table__).values(
            id="w-1", url="http://x.example/", events='["decision.denied"]',
            secret_sealed="-", created_at=datetime.now(UTC)))
    moment[0] = 0.9
    assert subscriptions.decision_events("deny") == ()  # not read again yet
    moment[0] = 1.0
    assert subscriptions.decision_events("deny") == ("decision.denied",)
    assert subscriptions.decision_events("require_approval") == ()
    assert subscriptions.decision_events("allow") == ()
    with db_engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(Webhook)).scalar() == 1
