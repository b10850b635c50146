"""Events for the webhooks, written in the transaction of the record that causes them.

A decision's events are written by the log writer with the decision's rows
(writer.py: an Entry's `events`); any other record, an approval say, adds its event
with `add_event` on the connection of its own transaction. Either way an event exists
if and only if its record does, and `dealguard worker` delivers it (app/webhooks/).

The event's `data` is stored as JSON text and must be masked as the log is (CONTRACT
§7): it is sent as it is.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert

from app.jsontext import dumps
from app.log.models import OutboxEvent

# The events a webhook may subscribe to (CONTRACT §10).
DECISION_DENIED = "decision.denied"
DECISION_REQUIRE_APPROVAL = "decision.require_approval"
APPROVAL_APPROVED = "approval.approved"
APPROVAL_DECLINED = "approval.declined"
EVENTS = (DECISION_DENIED, DECISION_REQUIRE_APPROVAL, APPROVAL_APPROVED, APPROVAL_DECLINED)

# A decision's outcome -> the event it causes (an allow causes none).
DECISION_EVENTS = {"deny": DECISION_DENIED, "require_approval": DECISION_REQUIRE_APPROVAL}


def event_row(event: str, data: dict[str, Any] | str, occurred_at: datetime) -> dict[str, Any]:
    """The outbox row of one event: `data` is a masked dict, or its JSON text already."""
    if event not in EVENTS:
        raise ValueError(f"unknown event {event!r}")
    text = data if isinstance(data, str) else dumps(data)
    return {"id": str(uuid.uuid4()), "event": event, "occurred_at": occurred_at, "data": text}


def add_event(connection: Connection, event: str, data: dict[str, Any] | str,
              occurred_at: datetime) -> str:
    """Write one event in the transaction `connection` is in; its id.

    Call it inside the transaction that writes the record the event is about, so that
    the event is committed, or rolled back, with it.
    """
    row = event_row(event, data, occurred_at)
    connection.execute(insert(OutboxEvent.__table__), row)
    return row["id"]
