"""The decision path and the hash chain on the real PostgreSQL (CI sets the URL and
DEALGUARD_REQUIRE_POSTGRES=1, so these fail rather than skip when it is missing)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from app.cli.service import upgrade
from app.log.models import Decision
from tests.chain import assert_one_chain, decide_from_processes

pytestmark = pytest.mark.postgres
REPO = Path(__file__).resolve().parents[3]


def test_it_really_is_postgres(db_engine):
    assert db_engine.dialect.name == "postgresql"


def test_decision_path(client, body, make_key, db_engine):
    headers = make_key("crm")
    for action in ("discount", "shipment", "claim", "disclosure", "offer"):
        response = client.post("/v1/decisions", json=body(action), headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)
    same = body("claim", request_id="pg-1")
    first = client.post("/v1/decisions", json=same, headers=headers).get_json()
    again = client.post("/v1/decisions", json=same, headers=headers).get_json()
    assert first == again
    other = body("claim", request_id="pg-1", client={"id": "c-2"})
    assert client.post("/v1/decisions", json=other, headers=headers).status_code == 409
    batch = client.post("/v1/decisions/batch", headers=headers,
                        json={"requests": [body("offer"), {"action": "nope"}]})
    assert [a.get("status", 200) for a in batch.get_json()["decisions"]] == [200, 422]
    assert assert_one_chain(db_engine) == 7
    with db_engine.connect() as connection:
        stored = " ".join(connection.execute(select(Decision.document)).scalars())
    assert "Ivan Petrov" not in stored and "hmac:" in stored


def test_claim_replacement_on_postgres(client, body, make_key):
    headers = make_key("crm")
    claim = client.post("/v1/decisions", json=body("claim"), headers=headers).get_json()
    replacement = body("shipment", shipment={"id": "s-2", "amount": 10,
                                             "kind": "claim_replacement",
                                             "claim_decision_id": claim["decision_id"]})
    answer = client.post("/v1/decisions", json=replacement, headers=headers).get_json()
    assert answer["outcome"] == "allow"


def test_503_when_postgres_refuses_the_write(client, body, make_key, db_engine):
    headers = make_key("crm")
    with db_engine.begin() as connection:
        connection.execute(text("ALTER TABLE decisions ADD CONSTRAINT no_more CHECK (seq < 0)"
                                " NOT VALID"))
    response = client.post("/v1/decisions", json=body("claim"), headers=headers)
    assert response.status_code == 503
    assert response.headers["Retry-After"]


def test_migrations_on_postgres(postgres_url):
    upgrade(postgres_url)
    engine = create_engine(postgres_url)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT seq FROM decision_chain")).scalar() == 0
    engine.dispose()


def test_two_processes_keep_one_chain(app, settings, body, db_engine):
    """Two processes (like two gunicorn workers, or two hosts) write at once."""
    decide_from_processes(app, settings, body("claim"), "pg-writers", 3, 40)
    assert assert_one_chain(db_engine) == 120
    with db_engine.connect() as connection:
        assert connection.execute(select(func.count(func.distinct(Decision.decision_id))))\
            .scalar() == 120


def test_the_migrated_log_has_the_indexes_of_the_models(db_engine, postgres_url):
    """db_engine's schema was made by create_all from the models; a second schema here
    by the migrations. Each index is written by every decision: none more, none fewer."""
    import uuid

    from sqlalchemy import inspect
    from sqlalchemy.engine import make_url

    schema = "m_" + uuid.uuid4().hex[:12]
    with db_engine.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        connection.commit()
    url = make_url(postgres_url).update_query_dict({"options": f"-csearch_path={schema}"})
    url = url.render_as_string(hide_password=False)
    upgrade(url)
    migrated = create_engine(url)
    try:
        for table in ("decisions", "decision_reasons"):
            made = {i["name"]: i["column_names"] for i in inspect(db_engine).get_indexes(table)}
            assert {i["name"]: i["column_names"]
                    for i in inspect(migrated).get_indexes(table)} == made
        names = {i["name"] for i in inspect(migrated).get_indexes("decisions")}
        assert "ix_decisions_client_id_seq" in names and "ix_decisions_client_id" not in names
    finally:
        migrated.dispose()
        with db_engine.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            connection.commit()
