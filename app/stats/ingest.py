"""Storing a batch of CRM events: all or nothing, idempotent by event id.

An id seen before with the same content (the same instant, whatever offset it was
written with, and the same amount to the kopeck) is a duplicate: counted, not
stored again, not an error, so a CRM can resend a batch after a timeout. An id seen
before with other content is a conflict, as with a reused decision `request_id`
(CONTRACT §4, 409): the first version stays, because statistics already reported
must not change behind the reader's back, and the whole batch is refused so the
CRM learns about it instead of losing the correction silently. A corrected event
needs a new id.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.stats.models import Activity

COMPARED = ("type", "manager_id", "client_id", "occurred_at", "amount", "outcome")
LOOKUP_CHUNK = 500  # ids per IN (...) list: well below every driver's parameter limit


@dataclass(frozen=True)
class StoreResult:
    accepted: int
    duplicates: int


class EventConflict(Exception):
    """Event ids already used for other content; `errors` maps events.N.field to messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("event ids reused with other content")
        self.errors = errors


def store_events(session: Session, events: Sequence[dict]) -> StoreResult:
    """Store the new events of a validated batch; raise EventConflict and store nothing
    if any id was used before for other content."""
    try:
        return _store(session, events)
    except IntegrityError:
        # Another request stored some of these ids between our look-up and our insert;
        # once more, and they are found and compared like any earlier event.
        session.rollback()
        return _store(session, events)


def _store(session: Session, events: Sequence[dict]) -> StoreResult:
    stored = _stored_versions(session, [event["id"] for event in events])
    first_in_batch: dict[str, dict] = {}
    new_rows: list[dict] = []
    errors: dict[str, list[str]] = {}
    duplicates = 0
    for index, event in enumerate(events):
        earlier = stored.get(event["id"]) or first_in_batch.get(event["id"])
        if earlier is None:
            first_in_batch[event["id"]] = event
            new_rows.append(event)
            continue
        differing = [name for name in COMPARED if _value(event, name) != _value(earlier, name)]
        if differing:
            for name in differing:
                errors[f"events.{index}.{name}"] = [
                    f"Event id {event['id']!r} was already given another {name}."
                ]
        else:
            duplicates += 1
    if errors:
        raise EventConflict(errors)
    if new_rows:
        received_at = dt.datetime.now(dt.UTC)
        session.execute(insert(Activity), [_row(event, received_at) for event in new_rows])
    session.commit()
    return StoreResult(accepted=len(new_rows), duplicates=duplicates)


def _stored_versions(session: Session, ids: list[str]) -> dict[str, dict]:
    found: dict[str, dict] = {}
    columns = [getattr(Activity, name) for name in COMPARED]
    for chunk in _chunks(sorted(set(ids)), LOOKUP_CHUNK):
        query = select(Activity.event_id, *columns).where(Activity.event_id.in_(chunk))
        for row in session.execute(query).mappings():
            found[row["event_id"]] = dict(row)
    return found


def _value(event: dict, name: str) -> object:
    value = event.get(name)
    if name == "occurred_at" and value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)  # SQLite gives back the stored UTC, naive
    return value


def _row(event: dict, received_at: dt.datetime) -> dict:
    return {
        "event_id": event["id"],
        "type": event["type"],
        "manager_id": event["manager_id"],
        "client_id": event["client_id"],
        "occurred_at": event["occurred_at"],  # UTC, converted by the schema
        "amount": event.get("amount"),
        "outcome": event.get("outcome"),
        "received_at": received_at,
    }


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
