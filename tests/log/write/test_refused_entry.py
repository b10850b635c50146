"""One entry the database refuses fails alone: its neighbours in the group are logged.

PostgreSQL refuses a NUL in a text column (psycopg raises DataError); SQLite, like
the chain's UTF-8, a lone surrogate. Such a value used to fail every decision of its
commit group, and every item of its batch (503). Here it fails only its own entry;
the others are written in order, the chain has no gap, and no hash covers the
refused entry. The values reach the writer directly: the API's validation refuses
them in ids before any entry is made.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select

from app.api import decisions as decisions_api
from app.decision_service import Caller, prepare
from app.log.models import Decision
from app.log.read.verify import verify
from app.log.write import record, writer
from app.log.write.writer import Entry, LogWriteError, RefusedEntry
from app.log.write.writer_process import WriterProcess
from tests.bodies import make_body

pytestmark = pytest.mark.usefixtures("backend")

SURROGATE = "c-\ud800"  # no UTF-8 for it: refused by SQLite, PostgreSQL and the hash alike
NUL = "c-\x00x"  # refused by PostgreSQL only


def entries_of(app, bodies: list[dict]) -> list[Entry]:
    """Entries as the service makes them, not yet logged."""
    with app.test_request_context():
        context = decisions_api._context()
        return [prepare(context, body, Caller("test-crm", "crm")).entry for body in bodies]


def logged_decision_ids(engine) -> list[str]:
    with engine.connect() as connection:
        return list(connection.execute(
            select(Decision.decision_id).order_by(Decision.seq)).scalars())


def refused_values(backend: str) -> list[str]:
    return [SURROGATE, NUL] if backend == "postgres" else [SURROGATE]


@pytest.mark.parametrize("position", [0, 2, 4])
def test_a_refused_entry_fails_alone_and_the_chain_goes_on(app, db_engine, backend, position):
    for value in refused_values(backend):
        entries = entries_of(app, [make_body(action) for action in
                                   ("discount", "shipment", "claim", "offer", "disclosure")])
        entries[position] = replace(entries[position], client_id=value)
        outcomes = writer.write_group(db_engine, entries)
        assert isinstance(outcomes[position], RefusedEntry)
        assert outcomes[:position] + outcomes[position + 1:] == [None] * 4
    expected = [e.decision_id for i, e in enumerate(entries) if i != position]
    assert logged_decision_ids(db_engine)[-4:] == expected
    result = verify(db_engine)
    assert result.ok and result.checked == 4 * len(refused_values(backend)), result


def test_two_refused_entries_of_one_group(app, db_engine):
    entries = entries_of(app, [make_body("shipment", request_id=f"r-{i}") for i in range(9)])
    for index in (3, 7):
        entries[index] = replace(entries[index], actor_id=SURROGATE)
    outcomes = writer.write_group(db_engine, entries)
    assert [index for index, outcome in enumerate(outcomes) if outcome is not None] == [3, 7]
    assert len(logged_decision_ids(db_engine)) == 7 and verify(db_engine).ok


def test_a_group_the_database_cannot_take_at_all_still_fails_whole(app, db_engine):
    # Not a value: the table is gone. Every entry fails, none is tried alone.
    from sqlalchemy import text

    entries = entries_of(app, [make_body("offer"), make_body("claim")])
    with db_engine.begin() as connection:
        connection.execute(text("DROP TABLE decision_shadows"))
        connection.execute(text("DROP TABLE decision_reasons"))
        connection.execute(text("DROP TABLE approval_requests"))
        connection.execute(text("DROP TABLE decisions"))
    outcomes = writer.write_group(db_engine, entries)
    assert all(isinstance(o, LogWriteError) and not isinstance(o, RefusedEntry)
               for o in outcomes)


def test_the_writer_process_isolates_it_too(app, db_engine, settings, backend):
    entries = entries_of(app, [make_body(action) for action in ("discount", "claim", "offer")])
    entries[1] = replace(entries[1], subject_id=refused_values(backend)[-1])
    writer = WriterProcess(settings.database_url)
    try:
        outcomes = writer.write(entries)
    finally:
        writer.close()
    assert outcomes[0] is None and outcomes[2] is None
    assert isinstance(outcomes[1], LogWriteError)
    assert logged_decision_ids(db_engine) == [entries[0].decision_id, entries[2].decision_id]
    assert verify(db_engine).ok


@pytest.fixture
def refuse_deal(monkeypatch, backend):
    """Entries of a deal with id "d-refused" carry a value the database refuses."""
    make_entry = record.entry

    def entry(*args, **kwargs):
        made = make_entry(*args, **kwargs)
        if made.subject_id == "d-refused":
            return replace(made, client_id=refused_values(backend)[-1])
        return made

    monkeypatch.setattr(record, "entry", entry)


def test_a_batch_answers_the_refused_item_503_in_place(client, make_key, db_engine,
                                                       refuse_deal):
    bad = make_body("discount", deal={"id": "d-refused", "currency": "RUB",
                                      "list_amount": 100000, "category": "standard"})
    requests = [make_body("offer"), bad, make_body("claim"), make_body("shipment")]
    response = client.post("/v1/decisions/batch", headers=make_key("crm"),
                           json={"requests": requests})
    assert response.status_code == 200
    answers = response.get_json()["decisions"]
    assert [a.get("status", 200) for a in answers] == [200, 503, 200, 200]
    assert "decision_id" not in answers[1]
    assert logged_decision_ids(db_engine) == [answers[i]["decision_id"] for i in (0, 2, 3)]
    assert verify(db_engine).ok
