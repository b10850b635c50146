"""Fixtures of the statistics tests, on top of the root conftest (app, client, make_key,
and `backend`, which runs a test once on SQLite and once on PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import insert
from sqlalchemy.orm import Session

from app.stats.ingest import store_events
from app.stats.schemas import EventSchema

EVENT_SCHEMA = EventSchema()
_event_ids = iter(range(1, 10**9))



@pytest.fixture
def session(app) -> Iterator[Session]:
    # A session of its own, not the app context's: a pushed app context would be
    # reused by the test client's requests, which must each get a fresh session.
    with Session(app.extensions["dealguard.db_engine"]) as own:
        yield own


def event(kind: str, when: str, manager: str = "m-1", client: str = "c-1", **extra) -> dict:
    """A JSON event as the CRM sends it; `when` is an ISO date-time with offset."""
    body = {
        "id": extra.pop("id", f"ev-{next(_event_ids)}"),
        "type": kind,
        "manager_id": manager,
        "client_id": client,
        "occurred_at": when,
    }
    body.update(extra)
    return body


@pytest.fixture(name="event")
def event_fixture() -> Callable[..., dict]:
    return event


@pytest.fixture
def add_events(session: Session) -> Callable[..., None]:
    def add(*events: dict) -> None:
        store_events(session, [EVENT_SCHEMA.load(body) for body in events])

    return add


@pytest.fixture
def add_decision(session: Session) -> Callable[..., None]:
    """Log-shaped decision rows with only what the statistics read being meaningful."""
    from app.log.models import Decision

    seqs = iter(range(1, 10**9))

    def add(actor: str, outcome: str, decided_at: str, as_of: str | None = None) -> None:
        when = dt.datetime.fromisoformat(decided_at).astimezone(dt.UTC)
        zero = "0" * 64
        session.execute(insert(Decision), [{
            "seq": next(seqs), "decision_id": str(uuid.uuid4()), "request_fingerprint": zero,
            "action": "discount", "outcome": outcome, "actor_id": actor,
            "actor_role": "manager", "client_id": "c-1", "policy_name": "p",
            "policy_version": "1", "policy_sha256": zero,
            "as_of": dt.date.fromisoformat(as_of) if as_of else when.date(),
            "decided_at": when, "duration_ms": 0.1, "document": "{}",
            "prev_hash": zero, "hash": zero,
        }])
        session.commit()

    return add
