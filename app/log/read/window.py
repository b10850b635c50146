"""A time window on decided_at, narrowed to a seq range the indexes can start from.

Pages run in seq order, and every index ends in seq; a filter on decided_at alone
gives a database no place to start, so it scans the log from the newest record
back, row by row, to the end of the window (seconds on a million-record SQLite
log for `until` a year ago). decided_at grows with seq except for records written
at nearly the same moment (the writer takes the time just before it appends), so
the window can be widened by SLACK and turned into seq bounds with one index probe
at each end. The decided_at condition itself stays in the query: the bounds only
let it start in the right place, they never decide what matches.

The bounds hold as long as no record is appended more than SLACK after its
decided_at was taken (clocks of all writers agreeing within SLACK). The writer
appends within seconds or fails (lock and worker timeouts are 30 s), so a day
is far beyond any real delay.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, select

from app.log.models import Decision

SLACK = timedelta(days=1)


def seq_range(connection: Connection, since: datetime | None, until: datetime | None
              ) -> tuple[int | None, int | None]:
    """(above, below): every record decided in [since, until) has above < seq < below."""
    above = below = None
    if since is not None:
        # The last record decided a SLACK before the window was appended before it.
        above = connection.execute(
            select(Decision.seq).where(Decision.decided_at < since - SLACK)
            .order_by(Decision.decided_at.desc()).limit(1)).scalar()
    if until is not None:
        # The first record decided a SLACK after the window was appended after it.
        below = connection.execute(
            select(Decision.seq).where(Decision.decided_at >= until + SLACK)
            .order_by(Decision.decided_at.asc()).limit(1)).scalar()
    return above, below
