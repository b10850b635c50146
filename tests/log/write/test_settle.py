"""Settling a lost log writer's group (app/log/write/settle.py, writer_process.application_name)."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from app.log.models import ChainHead, Decision
from app.log.write.settle import Unsettled, logged_decisions
from app.log.write.writer_process import application_name
from tests.bodies import make_body


def test_the_log_says_which_of_a_groups_decisions_it_holds(backend, settings, client, make_key,
                                                            db_engine):
    answer = client.post("/v1/decisions", json=make_body("claim"), headers=make_key("crm"))
    logged = answer.get_json()["decision_id"]
    found = logged_decisions(settings.database_url, None, [logged, "never-written"])
    assert found == {logged}


@pytest.mark.postgres
def test_the_lost_writers_open_transaction_is_ended_before_the_log_is_read(settings, db_engine):
    # A writer's session still in its transaction (the chain head locked and moved, no
    # COMMIT yet) is terminated and gone before the log is read: it can commit nothing
    # afterwards, and the head it held is free and unchanged.
    name = application_name(settings.database_url, 4242)
    url = make_url(settings.database_url).update_query_dict({"application_name": name})
    lost = create_engine(url.render_as_string(hide_password=False)).connect()
    with db_engine.connect() as connection:
        head = connection.execute(select(ChainHead.seq)).scalar_one()
    try:
        lost.execute(text("UPDATE decision_chain SET seq = seq + 1"))  # holds the lock
        assert logged_decisions(settings.database_url, name, ["d-1"]) == set()
        with db_engine.connect() as connection:
            sessions = connection.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = :name"),
                {"name": name}).scalar_one()
            assert sessions == 0
            assert connection.execute(select(ChainHead.seq)).scalar_one() == head
            assert connection.execute(select(Decision.seq)).all() == []
    finally:
        lost.invalidate()
        lost.engine.dispose()


def test_an_unreadable_log_leaves_the_outcome_unknown(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(Unsettled):
        logged_decisions(f"sqlite:///{blocker}/log.db", None, ["d-1"], budget=1)


def test_each_writer_gets_a_name_of_its_own_that_postgres_keeps_whole():
    url = "postgresql+psycopg://u@h/db?application_name=crm-gateway-Ünïcode-and-a-very-long-name"
    names = {application_name(url, 1234) for _ in range(100)}
    assert len(names) == 100  # writers of two hosts may share a pid: never a name
    for name in names:
        assert name.startswith("crm-gateway-ncode-and-a-")
        assert "-log-writer-1234-" in name
        assert len(name.encode()) <= 63 and name.isascii() and name.isprintable()
    assert application_name("sqlite:///x.db", 1234) is None
