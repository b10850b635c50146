"""`dealguard worker`: fans the outbox's events out into deliveries and makes them.

    fan out   each new event -> one pending delivery per active webhook subscribed to it
    claim     due pending deliveries, leased to this worker for a while
    deliver   POST them, several at once (delivery.py); 2xx delivered, else retried
              later, or failed

Several workers may run at once, on one host or many. Each step that picks rows is one
UPDATE ... WHERE id IN (SELECT ...) RETURNING: on PostgreSQL its SELECT takes the rows
FOR UPDATE SKIP LOCKED, so two workers never pick the same row; on SQLite the UPDATE
itself takes the database's write lock, so the picks are made one after the other. A
delivery picked stays leased (lease_until) while it is made: no other worker takes it
until the lease runs out, which happens only if its worker died.

Retries: the delay doubles from 1 s up to 1 h after each failed attempt, for 24 h after
the first attempt; a delivery that would be due later than that is failed instead.
At least once: a worker that dies after a POST but before it writes the outcome leaves
the delivery to be made again when its lease ends (the receiver drops the repeat by
its X-Dealguard-Delivery id).

The clock and the waiting are passed in, so tests run the schedule without waiting.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, bindparam, insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from app.db import is_postgresql
from app.log.models import OutboxEvent
from app.log.write.columns import decided_at_text
from app.webhooks import delivery
from app.webhooks.models import DELIVERED, FAILED, PENDING, Webhook, WebhookDelivery
from app.webhooks.secrets import SecretUnreadable, unseal

log = logging.getLogger(__name__)

FIRST_DELAY = timedelta(seconds=1)
MAX_DELAY = timedelta(hours=1)
GIVE_UP_AFTER = timedelta(hours=24)


@dataclass(frozen=True)
class Limits:
    fan_out_batch: int = 500  # events per fan-out transaction
    claim_batch: int = 20  # deliveries a worker takes at once
    # POSTs under way at once: a receiver that never answers holds one of them for the
    # timeout, not the deliveries to every other webhook behind it.
    parallel: int = 8
    idle_seconds: float = 0.5  # the wait when there is nothing to do
    timeout: float = delivery.TIMEOUT_SECONDS

    @property
    def lease(self) -> timedelta:
        # Long enough for a whole batch of receivers that each take the full timeout.
        return timedelta(seconds=self.claim_batch * self.timeout + 30)


def retry_at(first_attempt: datetime, attempts: int, now: datetime) -> datetime | None:
    """When to try again after `attempts` failed attempts; None: give up (failed)."""
    delay = min(FIRST_DELAY * (2 ** (attempts - 1)), MAX_DELAY)
    due = now + delay
    return None if due > first_attempt + GIVE_UP_AFTER else due


@dataclass
class Claimed:
    id: str
    url: str
    secret_sealed: str
    event_id: str
    event: str
    occurred_at: datetime
    data: str
    attempts: int
    first_attempt_at: datetime | None


# The columns an attempt's outcome sets.
_OUTCOME = ("state", "attempts", "last_status_code", "last_error", "next_attempt_at",
            "first_attempt_at", "delivered_at")


def utc_now() -> datetime:
    return datetime.now(UTC)


class Worker:
    def __init__(self, db_engine: Engine, service_secret: str, *,
                 limits: Limits = Limits(),
                 clock: Callable[[], datetime] = utc_now,
                 sender: Any = None,
                 name: str | None = None) -> None:
        self._engine = db_engine
        self._service_secret = service_secret
        self._limits = limits
        self._clock = clock
        self._sender = (sender if sender is not None
                        else delivery.Sender(limits.timeout, connections=limits.parallel))
        self.name = name or f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._stop = threading.Event()
        self._postgres = is_postgresql(db_engine)
        self._posts = ThreadPoolExecutor(max_workers=limits.parallel,
                                         thread_name_prefix="webhook-post")

    # -- the loop --------------------------------------------------------------------

    def stop(self) -> None:
        """Finish the delivery under way, then return from run() (SIGTERM, SIGINT)."""
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def run(self, wait: Callable[[float], Any] | None = None) -> None:
        """Work until stop(); `wait(seconds)` idles when there is nothing to do."""
        wait = wait or self._stop.wait
        while not self._stop.is_set():
            try:
                busy = self.run_once()
            except SQLAlchemyError as error:
                # The database is away: say so (no parameters: they may be anything)
                # and try again after a pause; nothing is lost, the rows wait.
                log.warning("webhook worker: database error (%s); retrying",
                            type(error).__name__)
                busy = 0
            except Exception as error:  # noqa: BLE001 - a long-running process goes on
                # Whatever went wrong, the deliveries it held come back when their
                # leases end; the name of the error only (its text may quote a row).
                log.error("webhook worker: %s; retrying", type(error).__name__)
                busy = 0
            if not busy:
                wait(self._limits.idle_seconds)

    def run_once(self) -> int:
        """One round: fan out new events, make the due deliveries; how much was done."""
        done = self.fan_out()
        claimed = self.claim()
        self.deliver(claimed)
        return done + len(claimed)

    # -- fan out ---------------------------------------------------------------------

    def fan_out(self) -> int:
        """Make the deliveries of up to a batch of new events; the number of events."""
        now = self._clock()
        events = OutboxEvent.__table__
        pick = (select(events.c.seq).where(events.c.fanned_out_at.is_(None))
                .order_by(events.c.seq).limit(self._limits.fan_out_batch))
        if self._postgres:
            pick = pick.with_for_update(skip_locked=True)
        with self._engine.begin() as connection:
            taken = connection.execute(
                update(events).where(events.c.seq.in_(pick.scalar_subquery()))
                .values(fanned_out_at=now).returning(events.c.id, events.c.event)).all()
            if not taken:
                return 0
            hooks = connection.execute(
                select(Webhook.id, Webhook.events).where(Webhook.deleted_at.is_(None))).all()
            wanted = [(hook.id, set(json.loads(hook.events))) for hook in hooks]
            rows = [{"id": str(uuid.uuid4()), "webhook_id": hook_id, "event_id": event.id,
                     "event": event.event, "state": PENDING, "attempts": 0,
                     "next_attempt_at": now, "created_at": now}
                    for event in taken for hook_id, names in wanted if event.event in names]
            if rows:
                connection.execute(insert(WebhookDelivery.__table__), rows)
        return len(taken)

    # -- claim -----------------------------------------------------------------------

    def claim(self) -> list[Claimed]:
        """Lease up to a batch of due deliveries to this worker, oldest due first."""
        now = self._clock()
        table = WebhookDelivery.__table__
        due = (select(table.c.id)
               .where(table.c.state == PENDING, table.c.next_attempt_at <= now,
                      (table.c.lease_until.is_(None)) | (table.c.lease_until < now))
               .order_by(table.c.next_attempt_at).limit(self._limits.claim_batch))
        if self._postgres:
            due = due.with_for_update(skip_locked=True)
        with self._engine.begin() as connection:
            ids = connection.execute(
                update(table).where(table.c.id.in_(due.scalar_subquery()))
                .values(lease_until=now + self._limits.lease, leased_by=self.name)
                .returning(table.c.id)).scalars().all()
            if not ids:
                return []
            rows = connection.execute(
                select(table.c.id, table.c.event_id, table.c.event, table.c.attempts,
                       table.c.first_attempt_at, Webhook.url, Webhook.secret_sealed,
                       OutboxEvent.occurred_at, OutboxEvent.data)
                .join(Webhook, Webhook.id == table.c.webhook_id)
                .join(OutboxEvent, OutboxEvent.id == table.c.event_id)
                .where(table.c.id.in_(ids))
                .order_by(table.c.next_attempt_at)).all()
        return [Claimed(**row._mapping) for row in rows]

    # -- deliver ---------------------------------------------------------------------

    def deliver(self, claimed: list[Claimed]) -> None:
        """Make the claimed deliveries (several at once), then write their outcomes in
        one transaction.

        Stopped meanwhile, it finishes the deliveries under way, writes what was done
        and hands the rest back at once (their leases end now) for any worker to take."""

        def attempt(item: Claimed) -> dict[str, Any] | None:
            return None if self._stop.is_set() else self._attempt(item)

        results = list(self._posts.map(attempt, claimed))
        self._record([outcome for outcome in results if outcome is not None])
        untried = [item for item, outcome in zip(claimed, results, strict=True)
                   if outcome is None]
        if untried:
            self._release(untried)

    def _attempt(self, item: Claimed) -> dict[str, Any]:
        try:
            secret = unseal(self._service_secret, item.secret_sealed)
        except SecretUnreadable:
            return {"id": item.id, "state": FAILED, "attempts": item.attempts,
                    "last_status_code": None, "next_attempt_at": None,
                    "first_attempt_at": item.first_attempt_at, "delivered_at": None,
                    "last_error": "secret unreadable (DEALGUARD_SECRET_KEY changed?)"}
        body = delivery.body_text(item.event_id, item.event,
                                  decided_at_text(item.occurred_at), item.data)
        answer = self._sender.post(item.url, body,
                                   delivery.headers(secret, body, item.event, item.id))
        now = self._clock()
        first = item.first_attempt_at or now
        if first.tzinfo is None:  # SQLite gives back the UTC time it stored, naive
            first = first.replace(tzinfo=UTC)
        attempts = item.attempts + 1
        outcome = {"id": item.id, "attempts": attempts, "last_status_code": answer.status,
                   "last_error": answer.error, "first_attempt_at": first}
        if answer.delivered:
            return {**outcome, "state": DELIVERED, "next_attempt_at": None,
                    "delivered_at": now}
        again = retry_at(first, attempts, now)
        # The ids and the status only: never the URL (it may carry a token), nor what
        # the receiver answered.
        reason = f"HTTP {answer.status}" if answer.status is not None else answer.error
        if again is None:
            log.warning("webhook delivery %s failed for good after %d attempts (%s)",
                        item.id, attempts, reason)
        else:
            log.info("webhook delivery %s attempt %d failed (%s); next at %s", item.id,
                     attempts, reason, decided_at_text(again))
        return {**outcome, "state": PENDING if again else FAILED, "next_attempt_at": again,
                "delivered_at": None}

    def _record(self, outcomes: list[dict[str, Any]]) -> None:
        if not outcomes:
            return
        table = WebhookDelivery.__table__
        # Only while it is still ours and pending: a delivery whose lease ran out meanwhile
        # may have been taken by another worker, whose outcome stands, and one of a
        # webhook deleted meanwhile stays failed.
        statement = (update(table)
                     .where(table.c.id == bindparam("b_id"),
                            table.c.leased_by == bindparam("b_worker"),
                            table.c.state == PENDING)
                     .values(**{name: bindparam(f"v_{name}") for name in _OUTCOME},
                             lease_until=None, leased_by=None))
        rows = [{**{f"v_{name}": o[name] for name in _OUTCOME}, "b_id": o["id"],
                 "b_worker": self.name} for o in outcomes]
        with self._engine.begin() as connection:
            connection.execute(statement, rows)

    def _release(self, items: list[Claimed]) -> None:
        table = WebhookDelivery.__table__
        with self._engine.begin() as connection:
            connection.execute(
                update(table).where(table.c.id.in_([item.id for item in items]),
                                    table.c.leased_by == self.name)
                .values(lease_until=None, leased_by=None))

    def close(self) -> None:
        self._posts.shutdown()
        self._sender.close()
