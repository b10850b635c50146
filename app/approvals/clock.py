"""The approvals' clock: when a verdict is given, whether one has expired, the inbox's
window. One function, so that a test can move time (monkeypatch `clock.now`)."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    """The current time, in UTC."""
    return datetime.now(UTC)
