"""Logged requests as they were decided, for deciding them again (a policy's impact).

Each comes masked, as the log holds it: no rule reads a confidential field, so the
tokens in their place change nothing. Newest first, read a batch at a time.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from app.jsontext import loads
from app.log.models import Decision
from app.log.read.query import Filters, batches

BATCH = 500
_COLUMNS = (Decision.seq, Decision.decision_id, Decision.action, Decision.outcome,
            Decision.document)


@dataclass(frozen=True)
class LoggedRequest:
    """One logged decision's request, its business date and what it was answered."""

    seq: int
    decision_id: str
    action: str
    outcome: str
    as_of: str | None
    request: dict[str, Any]
    reasons: list[Any]


def logged_requests(db_engine: Engine, filters: Filters, limit: int) -> Iterator[LoggedRequest]:
    """The newest `limit` logged decisions matching `filters`, newest first."""
    for rows in batches(db_engine, filters, _COLUMNS, newest_first=True, size=BATCH,
                        limit=limit):
        for row in rows:
            document = loads(row.document)
            yield LoggedRequest(row.seq, row.decision_id, row.action, row.outcome,
                                document.get("as_of"), dict(document.get("request") or {}),
                                document.get("reasons"))
