"""Several workers at once: every delivery is made, and none by two workers at a time.

Two workers (each with its own engine, as two processes would have) share a thousand
events; some first attempts fail, so retries are claimed while new deliveries are.
The sender notes every POST that starts while the same delivery is already in flight.
"""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest
from sqlalchemy import func, select

from app.db import make_engine
from app.log.models import OutboxEvent
from app.log.write.outbox import event_row
from app.webhooks.delivery import Answer
from app.webhooks.models import WebhookDelivery
from app.webhooks.worker import Limits, Worker
from tests.conftest import wait_until

pytestmark = pytest.mark.usefixtures("backend")

EVENTS = 1000


class Recording:
    """A receiver in memory: fails the first attempt of every tenth delivery."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.in_flight: set[str] = set()
        self.overlaps = 0
        self.attempts: Counter[str] = Counter()
        self.delivered: Counter[str] = Counter()

    def post(self, url, body, head) -> Answer:
        delivery_id = head["X-Dealguard-Delivery"]
        with self.lock:
            if delivery_id in self.in_flight:
                self.overlaps += 1
            self.in_flight.add(delivery_id)
            self.attempts[delivery_id] += 1
            first = self.attempts[delivery_id] == 1
        time.sleep(0.0002)  # a receiver takes a moment: let the workers interleave
        fail = first and int(delivery_id[:2], 16) % 10 == 0
        with self.lock:
            self.in_flight.discard(delivery_id)
            if not fail:
                self.delivered[delivery_id] += 1
        return Answer(500, "HTTP 500") if fail else Answer(200, None)

    def close(self) -> None:
        pass


def test_two_workers_deliver_each_event_once(db_engine, settings, webhook):
    webhook("http://receiver.example/hook")
    with db_engine.begin() as connection:
        from datetime import UTC, datetime

        now = datetime.now(UTC)
        connection.execute(OutboxEvent.__table__.insert(), [
            event_row("decision.denied", {"n": n}, now) for n in range(EVENTS)])
    sender = Recording()
    engines = [make_engine(settings.database_url) for _ in range(2)]
    workers = [Worker(engine, settings.secret_key, sender=sender,
                      limits=Limits(fan_out_batch=100, claim_batch=20, idle_seconds=0.02))
               for engine in engines]
    threads = [threading.Thread(target=worker.run) for worker in workers]
    for thread in threads:
        thread.start()
    try:
        wait_until(lambda: len(sender.delivered) == EVENTS and _pending(db_engine) == 0,
                   "every event delivered")
    finally:
        for worker in workers:
            worker.stop()
        for thread in threads:
            thread.join()
        for engine in engines:
            engine.dispose()
    assert sender.overlaps == 0
    assert set(sender.delivered.values()) == {1}  # each delivered exactly once
    retried = [d for d, n in sender.attempts.items() if n > 1]
    assert retried and all(sender.attempts[d] == 2 for d in retried)
    with db_engine.connect() as connection:
        states = dict(connection.execute(
            select(WebhookDelivery.state, func.count()).group_by(WebhookDelivery.state)).all())
    assert states == {"delivered": EVENTS}


def _pending(db_engine) -> int:
    with db_engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(WebhookDelivery).where(
            WebhookDelivery.state != "delivered")).scalar_one()
