"""The SQLite file lock the log's writers queue on, across every process of one database."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext

from sqlalchemy import Engine

from app.db import is_sqlite


def log_writers_queue(db_engine: Engine) -> AbstractContextManager[object]:
    """Held around a log write: the writers of all processes on one SQLite file take turns.

    SQLite's own lock does not queue: a writer that finds it taken sleeps and retries
    (1, 2, 5 ... 100 ms), so two workers' committers starve each other and a decision can
    wait a second. A blocking flock on a file beside the database wakes the next writer
    as soon as the lock is free. SQLite's lock (BEGIN IMMEDIATE) still decides who may
    write; this only makes waiting for it fair and short. PostgreSQL queues row locks
    itself.
    """
    if not is_sqlite(db_engine):
        return nullcontext()
    path = db_engine.url.database
    if not path or path == ":memory:" or path.startswith("file:"):
        return nullcontext()
    return _flocked(os.path.abspath(path) + "-log-writers")


@contextmanager
def _flocked(path: str) -> Iterator[None]:
    try:
        handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        yield  # a read-only directory: SQLite's own lock still serialises the writers
        return
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)  # blocks without the GIL
        yield
    finally:
        os.close(handle)  # closing releases the lock
