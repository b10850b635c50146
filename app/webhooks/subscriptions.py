"""Which events some webhook wants, as a process knows it, at most a second old.

A decision writes an event only when a webhook subscribes to it: a service nobody
listens to keeps no outbox. Asking the database on every decision would cost a query
each; this asks it at most once a second per process, so a new webhook receives the
events of decisions made from about a second after it was registered (README).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable

from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError

from app.log.write.outbox import DECISION_EVENTS, EVENTS
from app.webhooks.models import Webhook

log = logging.getLogger(__name__)
REFRESH_SECONDS = 1.0


class Subscriptions:
    """The set of event names some active webhook subscribes to, refreshed lazily."""

    def __init__(self, db_engine: Engine, refresh_seconds: float = REFRESH_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._engine = db_engine
        self._refresh = refresh_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._events: frozenset[str] = frozenset()
        self._read_at: float | None = None

    def current(self) -> frozenset[str]:
        now = self._clock()
        if self._read_at is not None and now - self._read_at < self._refresh:
            return self._events
        with self._lock:  # one thread reads; the others keep the last answer meanwhile
            if self._read_at is None or self._clock() - self._read_at >= self._refresh:
                self._events = self._read()
                self._read_at = self._clock()
        return self._events

    def forget(self) -> None:
        """Read again at the next call (this process changed the webhooks)."""
        self._read_at = None

    def decision_events(self, outcome: str) -> tuple[str, ...]:
        """The events a decision with `outcome` must write: none unless subscribed."""
        event = DECISION_EVENTS.get(outcome)
        if event is None or event not in self.current():
            return ()
        return (event,)

    def _read(self) -> frozenset[str]:
        try:
            with self._engine.connect() as connection:
                lists = connection.execute(
                    select(Webhook.events).where(Webhook.deleted_at.is_(None))).scalars()
                return frozenset(name for text in lists for name in json.loads(text))
        except (SQLAlchemyError, ValueError, TypeError):
            # Not known: write every event rather than lose one a webhook wants (the
            # worker drops the events nobody subscribes to).
            log.warning("webhook subscriptions unreadable; writing every event")
            return frozenset(EVENTS)
