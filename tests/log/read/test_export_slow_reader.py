"""An export read slowly holds no transaction: PostgreSQL's idle timeout cannot cut it."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import event

from app import db as app_db
from app.log.read.export import stream
from app.log.read.query import Filters

pytestmark = pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])


def test_a_slow_reader_gets_every_record(app, decide, backend):
    made = [decide("shipment", client=f"c-{i}")["decision_id"] for i in range(5)]
    engine = app_db.make_engine(app.config["SETTINGS"].database_url)
    if backend == "postgresql":
        @event.listens_for(engine, "connect")
        def _impatient(dbapi_connection, _record) -> None:
            # The service's own limit is 30 s; one second makes the test quick.
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SET idle_in_transaction_session_timeout = '1s'")
            dbapi_connection.commit()

    lines = []
    try:
        for chunk in stream(engine, Filters(), "jsonl", batch=2):
            lines += chunk.splitlines()
            time.sleep(1.5)  # a client that reads slower than the server's patience
    finally:
        engine.dispose()
    assert [line for line in lines if any(d in line for d in made)] == lines
    assert len(lines) == 5
