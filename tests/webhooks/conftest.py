"""The worker's tests: webhooks and events made directly in the database, a clock to move."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.log.write.outbox import add_event
from app.webhooks import registry
from app.webhooks.models import WebhookDelivery


class Clock:
    """A clock the test moves; the worker reads it for every `now`."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def webhook(db_engine, settings) -> Callable[..., dict[str, Any]]:
    def make(url: str, events: tuple[str, ...] = ("decision.denied",),
             secret: str = "receiver-secret-0001") -> dict[str, Any]:
        with Session(db_engine) as session:
            return registry.create(session, settings.secret_key, url, list(events), secret)

    return make


@pytest.fixture
def event(db_engine) -> Callable[..., str]:
    def make(name: str = "decision.denied", data: dict | None = None) -> str:
        with db_engine.begin() as connection:
            return add_event(connection, name, data or {"decision_id": "d-1"},
                             datetime(2026, 11, 30, 8, 59, tzinfo=UTC))

    return make


def deliveries(db_engine) -> list[Any]:
    with db_engine.connect() as connection:
        return connection.execute(
            select(WebhookDelivery).order_by(WebhookDelivery.created_at,
                                              WebhookDelivery.id)).all()


def aware(moment: datetime | None) -> datetime | None:
    """A time read back from the database, in UTC (SQLite gives it back naive)."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)
