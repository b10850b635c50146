"""The log's writer binds values on the driver's connection (app/log/write/driver_sql.py): it
must store them exactly as SQLAlchemy does, since the log's queries compare them (on
SQLite a time is text, and a time written in another format sorts differently)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, insert, select, text

from app.log.models import Decision
from app.log.write.writer import _row, append_many
from tests.log.write.test_writer_process import sample_entries


def stored_texts(engine, seq: int) -> tuple[str, str]:
    with engine.connect() as connection:
        return connection.execute(text(
            "SELECT CAST(decided_at AS TEXT), CAST(as_of AS TEXT) FROM decisions "
            "WHERE seq = :seq"), {"seq": seq}).one()


def test_times_are_stored_as_sqlalchemy_stores_them(backend, db_engine):
    whole = datetime(2026, 11, 27, 3, 4, 6, tzinfo=UTC)
    first, second = sample_entries(2)
    written = append_many(db_engine, [replace(first, decided_at=whole),
                                      replace(second, decided_at=whole + timedelta(
                                          microseconds=123456))])
    assert [w.seq for w in written] == [1, 2]
    # The same values written by SQLAlchemy itself, under another seq and id.
    row = _row(replace(first, decided_at=whole, decision_id="by-sqlalchemy"), 99,
               written[0].document, written[0].prev_hash, written[0].hash)
    with db_engine.begin() as connection:
        connection.execute(insert(Decision.__table__).values(**row))
    assert stored_texts(db_engine, 1) == stored_texts(db_engine, 99)
    with db_engine.connect() as connection:
        at_or_after = connection.execute(select(func.count()).select_from(Decision).where(
            Decision.decided_at >= whole)).scalar_one()
        read_back = connection.execute(select(Decision.decided_at).where(
            Decision.seq == 2)).scalar_one()
    assert at_or_after == 3  # the boundary itself included
    assert read_back.replace(tzinfo=UTC) == whole + timedelta(microseconds=123456)
