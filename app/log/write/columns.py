"""Which field of a record's document each column of `decisions` copies.

The hash covers the document only; the columns are copies of its fields, kept so
the log can be filtered with indexes. `of(document)` is the one definition of what
each column must hold: record.py builds a record's columns with it (so the
columns are made from the masked document, never from the raw request), and verify
checks every record's columns against it (a column changed in SQL would move a
decision between filters, or between managers' views, while the hash still held).

Values are given as the document writes them: dates as ISO text, decided_at to the
millisecond with a "Z". `seq`, `document`, `prev_hash` and `hash` are the chain's own.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from app.vocabulary import SUBJECT, WITH_ORDER

COPIED = ("decision_id", "request_id", "request_fingerprint", "action", "outcome",
          "actor_id", "actor_role", "client_id", "subject_id", "order_id", "key_name",
          "policy_name", "policy_version", "policy_sha256", "policy_version_id", "as_of",
          "decided_at", "duration_ms")


def of(document: dict[str, Any]) -> dict[str, Any]:
    """The value of every column of COPIED, as held by `document` (see the module doc).

    request_fingerprint is None for a record written before documents held it.
    """
    request = _dict(document.get("request"))
    action = document.get("action")
    actor, client = _dict(request.get("actor")), _dict(request.get("client"))
    subject = _dict(request.get(SUBJECT[action])).get("id") if action in SUBJECT else None
    order = _dict(request.get("order")).get("id") if action in WITH_ORDER else None
    policy = _dict(document.get("policy"))
    return {
        "decision_id": document.get("decision_id"),
        "request_id": document.get("request_id"),
        "request_fingerprint": document.get("request_fingerprint"),
        "action": action,
        "outcome": document.get("outcome"),
        "actor_id": actor.get("id"),
        "actor_role": actor.get("role"),
        "client_id": client.get("id"),
        "subject_id": subject,
        "order_id": order,
        "key_name": document.get("key_name"),
        "policy_name": _text(policy.get("name")),
        "policy_version": _text(policy.get("version")),
        "policy_sha256": _text(policy.get("sha256")),
        # None for a record from before versions were kept (and for a decision made
        # while the versions could not be read: the policy file was run as it is).
        "policy_version_id": _version_id(policy.get("version_id")),
        "as_of": document.get("as_of"),
        "decided_at": document.get("decided_at"),
        "duration_ms": document.get("duration_ms"),
    }


def as_date(value: Any) -> date:
    """The as_of column's value from the document's (an ISO date)."""
    return date.fromisoformat(str(value)[:10])


def as_datetime(text: str) -> datetime:
    """The decided_at column's value from the document's text ("...T12:00:00.123Z")."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def decided_at_text(moment: datetime) -> str:
    """How the document writes a decided_at: UTC, to the millisecond, with a Z."""
    if moment.tzinfo is None:  # SQLite gives back the UTC time it was given, naive
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _version_id(value: Any) -> int | None:
    # An int as the document holds it; anything else is no id (bool is not one).
    return value if type(value) is int else None


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
