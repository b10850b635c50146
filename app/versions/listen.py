"""PostgreSQL LISTEN/NOTIFY: every process hears of a publish at once.

A change of the active or shadow version sends NOTIFY on one channel inside its
transaction, so it is heard when it commits. Each process on PostgreSQL keeps one
connection LISTENing in a daemon thread, and looks at the versions when it hears
anything (or when it reconnects: a notice sent meanwhile was missed). Polling stays
underneath: a process whose listener is down still follows within its poll interval,
and on SQLite polling is all there is.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable

from sqlalchemy import Connection, Engine, text

from app.db import is_postgresql

log = logging.getLogger(__name__)
CHANNEL = "dealguard_policy"
# How often the thread looks whether its process still wants it, and how long it
# waits after losing its connection.
WAKE_SECONDS = 1.0
RETRY_SECONDS = 2.0


def notify(connection: Connection) -> None:
    """Tell every listening process to look (sent when the transaction commits)."""
    if is_postgresql(connection):
        connection.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})


def listen(db_engine: Engine, owner: object,
           heard: Callable[[object], None]) -> threading.Thread | None:
    """Start a thread calling `heard(owner)` on every notice, while `owner` lives.

    Only the thread's weak reference keeps track of the owner, so an owner that is
    dropped (an app in a test) ends its thread and its connection within a second.
    None on a database without notices.
    """
    if not is_postgresql(db_engine):
        return None
    thread = threading.Thread(target=_run, args=(db_engine, weakref.ref(owner), heard),
                              name="dealguard-policy-listener", daemon=True)
    thread.start()
    return thread


def _run(db_engine: Engine, owner: weakref.ref, heard: Callable[[object], None]) -> None:
    cargs, cparams = db_engine.dialect.create_connect_args(db_engine.url)
    dbapi = db_engine.dialect.dbapi
    while _wanted(owner):
        try:
            connection = dbapi.connect(*cargs, autocommit=True, **cparams)
        except Exception as error:  # noqa: BLE001 - polling covers it; try again later
            log.warning("policy listener cannot connect (%s); polling only",
                        type(error).__name__)
            _sleep(owner, RETRY_SECONDS)
            continue
        try:
            connection.execute(f"LISTEN {CHANNEL}")
            _tell(owner, heard)  # what was published while nobody listened
            while _wanted(owner):
                for _notice in connection.notifies(timeout=WAKE_SECONDS, stop_after=1):
                    _tell(owner, heard)
        except Exception as error:  # noqa: BLE001 - reconnect; polling covers the gap
            log.warning("policy listener lost its connection (%s)", type(error).__name__)
            _sleep(owner, RETRY_SECONDS)
        finally:
            try:
                connection.close()
            except Exception:  # noqa: BLE001 - it is being thrown away
                pass


def _wanted(owner: weakref.ref) -> bool:
    target = owner()
    return target is not None and not getattr(target, "closed", False)


def _tell(owner: weakref.ref, heard: Callable[[object], None]) -> None:
    target = owner()
    if target is not None:
        heard(target)


def _sleep(owner: weakref.ref, seconds: float) -> None:
    event = threading.Event()
    waited = 0.0
    while waited < seconds and _wanted(owner):
        event.wait(0.25)
        waited += 0.25
