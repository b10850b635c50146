"""Can the decision log be written now? Find out by a write that leaves the log as it was.

/health/ready must not say ready while every decision fails (a full disk, a database
that refuses writes, a chain head held by a stuck writer), and it must not add a
record to the chain to find out. So the probe does what a decision's write does
without a decision: it takes the chain-head lock (and, on SQLite, its turn among the
writers), moves the head's seq one up and back down, and commits. The commit writes
and syncs a page like any append; the head ends as it was. (An UPDATE that sets seq to
itself would not do: SQLite skips writing a row that did not change, and then commits
nothing.) It does not prove that the decisions table itself can grow: a write that
fails there is seen by the committer's record of real writes (group_commit.py).
"""

from __future__ import annotations

from sqlalchemy import Engine, update
from sqlalchemy.exc import SQLAlchemyError

from app.log.models import ChainHead
from app.log.write.sqlite_lock import log_writers_queue
from app.log.write.writer import HEAD_ID, LogWriteError


def probe_write(db_engine: Engine) -> None:
    """Commit a change of the chain head that undoes itself; raise LogWriteError if not."""
    head = ChainHead.__table__
    try:
        with log_writers_queue(db_engine), db_engine.begin() as connection:
            for step in (1, -1):
                connection.execute(update(head).where(head.c.id == HEAD_ID)
                                   .values(seq=head.c.seq + step))
    except (SQLAlchemyError, OSError) as error:
        # The message of a driver error may quote values; keep only its type.
        raise LogWriteError(type(error).__name__) from None
