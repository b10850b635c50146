"""Helpers of the log's write tests: a bare entry, and every text the database holds."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import inspect, text

from app.log.write.writer import Entry


def entry(name: str) -> Entry:
    """An entry whose decision_id and request_id are `name`, for writers that fake the log."""
    now = datetime.now(UTC)
    return Entry(decision_id=name, request_id=name, request_fingerprint="f" * 64,
                 action="offer", outcome="allow", actor_id="m-1", actor_role="manager",
                 client_id="c-1", subject_id=None, order_id=None, key_name="k",
                 policy_name="p", policy_version="1", policy_sha256="s" * 64,
                 as_of=now.date(), decided_at=now, duration_ms=0.1, body={})


def every_stored_text(engine) -> str:
    """All text of all rows of all tables, to search for clear values."""
    parts = []
    with engine.connect() as connection:
        for table in inspect(connection).get_table_names():
            for row in connection.execute(text(f'SELECT * FROM "{table}"')):
                parts.append(" ".join(str(value) for value in row))
    return "\n".join(parts)
