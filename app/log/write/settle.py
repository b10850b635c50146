"""What became of a group whose log writer process was lost (hung, killed, or garbled).

A caller told 503 must not find its decision in the log later, and a caller told 200
must find it there. When the writer of a group stops answering, the group may be
committed or not, or (on PostgreSQL) be committed by the server a moment later. So the
worker first kills the writer and reaps it; on PostgreSQL it then ends the writer's
database sessions (found by the application_name the writer connected with) and waits
until they are gone. From then on nothing can commit that group any more, and the log
says, by decision_id, which of its entries it holds: those are answered as logged, the
others 503.

If the log cannot be read within the budget (the database itself is unreachable), the
outcome stays unknown: the caller gets 503, and a retry with the same request_id is
answered by the logged decision if there is one.
"""

from __future__ import annotations

import time

from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.pool import NullPool

from app.db import is_postgresql, is_sqlite
from app.log.models import Decision

SETTLE_SECONDS = 2.0


class Unsettled(Exception):
    """The lost writer's sessions did not end, or the log could not be read, in time."""


def logged_decisions(url: str, application_name: str | None, decision_ids: list[str],
                     budget: float = SETTLE_SECONDS) -> set[str]:
    """The decision_ids among these in the log, once no session of the lost writer is left.

    The writer process must be dead already. Raises Unsettled.
    """
    deadline = time.monotonic() + budget
    db_engine = _engine(url, budget)
    try:
        with db_engine.connect() as connection:
            postgres = is_postgresql(db_engine)
            if postgres:
                # pg_stat_activity is read once per transaction: each poll needs its own.
                connection.execution_options(isolation_level="AUTOCOMMIT")
                if application_name:
                    _end_sessions(connection, application_name, deadline)
            found = set()
            for start in range(0, len(decision_ids), 500):
                if postgres:
                    _time_left(connection, deadline)
                found.update(connection.execute(
                    select(Decision.decision_id)
                    .where(Decision.decision_id.in_(decision_ids[start:start + 500])))
                    .scalars())
            return found
    except Unsettled:
        raise
    except Exception as error:  # noqa: BLE001 - any failure leaves the outcome unknown
        raise Unsettled(type(error).__name__) from None
    finally:
        db_engine.dispose()


def _engine(url: str, budget: float) -> Engine:
    # A connection of its own, never a pooled one that may be as broken as the writer's;
    # and one that gives up within the budget instead of waiting for a dead host.
    if is_sqlite(url):
        return create_engine(url, poolclass=NullPool, connect_args={"timeout": budget})
    # (libpq waits at least 2 s for a connection, whatever it is told.)
    return create_engine(url, poolclass=NullPool,
                         connect_args={"connect_timeout": max(2, round(budget))})


def _end_sessions(connection, application_name: str, deadline: float) -> None:
    """Terminate the sessions named `application_name` and wait until none is left.

    A session in the middle of COMMIT finishes it before it ends; once it is gone, its
    transaction is committed or not for good.
    """
    while True:
        if time.monotonic() > deadline:
            raise Unsettled("the lost log writer's database session did not end")
        _time_left(connection, deadline)
        left = connection.execute(text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE application_name = :name AND pid <> pg_backend_pid()"),
            {"name": application_name}).all()
        if not left:
            return
        time.sleep(0.02)


def _time_left(connection, deadline: float) -> None:
    """Bound the next statement by what is left of the budget; Unsettled if nothing is."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise Unsettled("no time left to settle")
    connection.execute(text("SELECT set_config('statement_timeout', :ms, false)"),
                       {"ms": str(max(1, int(left * 1000)))})
