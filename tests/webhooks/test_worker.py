"""The worker delivers each event to each webhook that wants it, signed, and retries on
the contract's schedule (CONTRACT §10), on both databases."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import timedelta

import pytest

from app.webhooks.delivery import Answer, Sender
from app.webhooks.worker import GIVE_UP_AFTER, Limits, Worker
from tests.webhooks.conftest import aware, deliveries
from tests.webhooks.receiver import Receiver

pytestmark = pytest.mark.usefixtures("backend")


def make_worker(db_engine, settings, clock=None, **kwargs) -> Worker:
    if clock is not None:
        kwargs["clock"] = clock
    return Worker(db_engine, settings.secret_key, **kwargs)


def test_a_delivery_is_signed_and_carries_the_event(db_engine, settings, webhook, event,
                                                    client, make_key):
    with Receiver().running() as receiver:
        hook = webhook(receiver.url, ("decision.denied", "approval.approved"),
                       secret="receiver-secret-0001")
        event_id = event("decision.denied", {"decision_id": "d-9", "outcome": "deny",
                                             "reasons": [{"rule": "r"}]})
        worker = make_worker(db_engine, settings)
        assert worker.run_once() == 2  # one event fanned out, one delivery made
        worker.close()
    (got,) = receiver.received
    (made,) = deliveries(db_engine)
    expected = hmac.new(b"receiver-secret-0001", got.body, hashlib.sha256).hexdigest()
    assert got.headers["X-Dealguard-Signature"] == f"sha256={expected}"
    assert got.headers["X-Dealguard-Event"] == "decision.denied"
    assert got.headers["X-Dealguard-Delivery"] == made.id
    assert got.headers["Content-Type"] == "application/json"
    assert json.loads(got.body) == {
        "id": event_id, "event": "decision.denied", "occurred_at": "2026-11-30T08:59:00.000Z",
        "data": {"decision_id": "d-9", "outcome": "deny", "reasons": [{"rule": "r"}]}}
    assert (made.state, made.attempts, made.last_status_code) == ("delivered", 1, 200)
    assert made.lease_until is None and made.delivered_at is not None
    shown = client.get(f"/v1/webhooks/{hook['id']}/deliveries",
                       headers=make_key("admin")).get_json()["items"]
    assert [(d["id"], d["event_id"], d["state"], d["attempts"], d["last_status_code"])
            for d in shown] == [(made.id, event_id, "delivered", 1, 200)]


def test_each_webhook_gets_only_the_events_it_wants(db_engine, settings, webhook, event):
    with Receiver().running() as receiver:
        webhook(receiver.url + "/a", ("decision.denied",))
        webhook(receiver.url + "/b", ("decision.denied", "approval.declined"))
        event("decision.denied")
        event("approval.declined")
        event("decision.require_approval")  # nobody's
        worker = make_worker(db_engine, settings)
        worker.run_once()
        worker.close()
    assert sorted((r.path, r.headers["X-Dealguard-Event"]) for r in receiver.received) == [
        ("/hook/a", "decision.denied"), ("/hook/b", "approval.declined"),
        ("/hook/b", "decision.denied")]
    assert all(d.state == "delivered" for d in deliveries(db_engine))


def test_a_failure_is_retried_after_a_second_then_delivered(db_engine, settings, webhook,
                                                            event, clock):
    answers = iter([(500, b"x" * 10_000), (200, b"")])
    with Receiver(lambda _r: next(answers)).running() as receiver:
        webhook(receiver.url)
        event()
        worker = make_worker(db_engine, settings, clock)
        worker.run_once()
        (first,) = deliveries(db_engine)
        assert (first.state, first.attempts, first.last_status_code) == ("pending", 1, 500)
        assert aware(first.next_attempt_at) == clock.now + timedelta(seconds=1)
        assert first.last_error.startswith("HTTP 500") and len(first.last_error) <= 120
        clock.advance(0.5)
        assert worker.run_once() == 0  # not due yet
        clock.advance(0.5)
        worker.run_once()
        worker.close()
    (done,) = deliveries(db_engine)
    assert (done.state, done.attempts, done.last_status_code) == ("delivered", 2, 200)
    assert len(receiver.received) == 2
    assert receiver.received[0].headers["X-Dealguard-Delivery"] == done.id  # the same id


def test_no_answer_within_the_timeout_is_a_failure(db_engine, settings, webhook, event):
    def slow(_received):
        time.sleep(1.0)
        return 200, b""

    with Receiver(slow).running() as receiver:
        webhook(receiver.url)
        event()
        worker = make_worker(db_engine, settings, limits=Limits(timeout=0.2))
        worker.run_once()
        worker.close()
    (made,) = deliveries(db_engine)
    assert (made.state, made.attempts, made.last_status_code) == ("pending", 1, None)
    assert "within" in made.last_error


def test_a_refused_connection_and_a_redirect_are_failures(db_engine, settings, webhook, event):
    with Receiver(lambda _r: (302, b"")).running() as receiver:
        webhook(receiver.url)
        webhook("http://127.0.0.1:9/closed")  # nothing listens on the discard port
        event()
        worker = make_worker(db_engine, settings)
        worker.run_once()
        worker.close()
    states = sorted((d.state, d.last_status_code or 0) for d in deliveries(db_engine))
    assert states == [("pending", 0), ("pending", 302)]
    assert len(receiver.received) == 1  # the redirect was not followed


class AlwaysFailing:
    def __init__(self) -> None:
        self.calls = 0

    def post(self, url, body, head) -> Answer:
        self.calls += 1
        return Answer(503, "HTTP 503")

    def close(self) -> None:
        pass


def test_retries_double_up_to_an_hour_for_a_day_then_fail(db_engine, settings, webhook,
                                                          event, clock):
    webhook("http://receiver.example/hook")
    event()
    sender = AlwaysFailing()
    worker = make_worker(db_engine, settings, clock, sender=sender)
    start = clock.now
    delays = []
    while True:
        worker.run_once()
        (made,) = deliveries(db_engine)
        if made.state != "pending":
            break
        due = aware(made.next_attempt_at)
        delays.append((due - clock.now).total_seconds())
        clock.now = due
    assert delays[:13] == [2.0 ** n for n in range(12)] + [3600.0]
    assert set(delays[12:]) == {3600.0}
    assert made.state == "failed" and made.attempts == sender.calls == len(delays) + 1
    assert clock.now - start <= GIVE_UP_AFTER < clock.now - start + timedelta(hours=1)
    assert made.next_attempt_at is None
    clock.advance(7200)
    assert worker.run_once() == 0 and sender.calls == made.attempts  # failed is final


def test_a_deleted_webhook_gets_no_new_deliveries(db_engine, settings, webhook, event,
                                                  client, make_key):
    admin = make_key("admin")
    sender = AlwaysFailing()
    hook = webhook("http://receiver.example/hook")
    event()
    worker = make_worker(db_engine, settings, sender=sender)
    worker.run_once()
    assert client.delete(f"/v1/webhooks/{hook['id']}", headers=admin).status_code == 204
    event()
    worker.run_once()
    (only,) = deliveries(db_engine)
    assert (only.state, only.last_error) == ("failed", "webhook deleted")
    assert sender.calls == 1


def test_a_lease_keeps_a_delivery_from_other_workers_until_it_ends(db_engine, settings,
                                                                   webhook, event, clock):
    webhook("http://receiver.example/hook")
    event()
    first = make_worker(db_engine, settings, clock, sender=AlwaysFailing(), name="first")
    first.fan_out()
    assert len(first.claim()) == 1  # taken, then the worker dies before its POST
    second = make_worker(db_engine, settings, clock, sender=AlwaysFailing(), name="second")
    assert second.claim() == []
    clock.advance(Limits().lease.total_seconds() + 1)
    assert [c.id for c in second.claim()] == [deliveries(db_engine)[0].id]


def test_a_secret_sealed_under_another_key_fails_the_delivery(db_engine, settings, webhook,
                                                              event):
    webhook("http://receiver.example/hook")
    event()
    sender = AlwaysFailing()
    worker = Worker(db_engine, "another-service-secret", sender=sender)
    worker.run_once()
    (made,) = deliveries(db_engine)
    assert made.state == "failed" and "secret" in made.last_error and sender.calls == 0


def test_the_sender_keeps_only_an_excerpt_of_an_answer():
    long_answer = ("secret-of-the-receiver " * 5000).encode()
    with Receiver(lambda _r: (400, long_answer)).running() as receiver:
        answer = Sender().post(receiver.url, b"{}", {})
    assert answer.status == 400 and not answer.delivered
    assert len(answer.error) <= 120 and answer.error.startswith("HTTP 400: ")
