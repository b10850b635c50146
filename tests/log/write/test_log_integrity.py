"""The decision log: confidential values masked (CONTRACT §7), one unbroken hash chain."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
from decimal import Decimal

from sqlalchemy import select, text

from app.jsontext import dumps, loads
from app.log.models import Decision
from app.log.write.chain import link
from app.log.write.masking import mask_request, scrub, token
from tests.chain import assert_one_chain, decide_from_processes
from tests.log.write.helpers import every_stored_text

SECRET = "test-secret-for-hmac"  # tests/conftest.py TEST_SECRET
CLEAR = ("Ivan Petrov", "ivan.petrov@example.com", "+7 900 123-45-67", "7701234567",
         "Quarterly review")


def test_clear_values_never_reach_the_database(post, body, db_engine, caplog):
    caplog.set_level(logging.DEBUG)
    answers = [post(body(action)).get_json() for action in ("discount", "disclosure")]
    assert all("decision_id" in answer for answer in answers)
    stored = every_stored_text(db_engine)
    for value in CLEAR:
        assert value not in stored
        assert value not in caplog.text
    document = json.loads(stored_documents(db_engine)[0])
    client = document["request"]["client"]
    assert client["name"] == token(SECRET, "Ivan Petrov")
    assert client["email"].startswith("hmac:") and len(client["email"]) == 5 + 16
    assert client["id"] == "c-1"  # not confidential


def test_the_token_is_hmac_sha256_prefix():
    expected = hmac.new(SECRET.encode(), b"Ivan Petrov", hashlib.sha256).hexdigest()[:16]
    assert token(SECRET, "Ivan Petrov") == "hmac:" + expected


def test_same_person_same_token_across_decisions(post, body, db_engine):
    post(body("discount"))
    post(body("disclosure"))
    names = [json.loads(d)["request"]["client"]["name"] for d in stored_documents(db_engine)]
    assert names[0] == names[1] == token(SECRET, "Ivan Petrov")


def test_masking_walks_lists_and_scrubs_free_text():
    request = {"offer": {"custom_terms": [{"text": "secret plan A"}, {"text": "plan B!"}]},
               "client": {"name": "Anna"}}
    masked, clear = mask_request(request, ["offer.custom_terms.text", "client.name",
                                           "client.email"], SECRET)
    assert [t["text"] for t in masked["offer"]["custom_terms"]] == [
        token(SECRET, "secret plan A"), token(SECRET, "plan B!")]
    assert request["client"]["name"] == "Anna"  # the caller's copy is untouched
    facts = scrub([{"message": "Offer to Anna: secret plan A", "n": 1}], clear, SECRET)
    assert "Anna" not in json.dumps(facts) and "secret plan A" not in json.dumps(facts)


def test_the_caller_gets_clear_values(post, body):
    answer = post(body("discount")).get_json()
    assert "hmac:" not in json.dumps(answer)


def stored_documents(engine) -> list[str]:
    with engine.connect() as connection:
        return list(connection.execute(select(Decision.document).order_by(Decision.seq))
                    .scalars())


def test_hash_chain_is_continuous(post, body, db_engine):
    for action in ("discount", "shipment", "claim", "disclosure", "offer", "claim"):
        post(body(action))
    post({"requests": [body("claim"), body("offer")]}, path="/v1/decisions/batch")
    assert assert_one_chain(db_engine) == 8


def test_document_is_canonical_and_complete(post, body, db_engine):
    answer = post(body("discount", request_id="r-9")).get_json()
    document_text = stored_documents(db_engine)[0]
    document = loads(document_text)
    assert dumps(document) == document_text  # canonical: re-serialises to the same text
    for key, value in answer.items():
        assert json.loads(json.dumps(document[key], default=str)) == value or key == "duration_ms"
    assert document["key_name"].startswith("test-crm-")
    assert document["request"]["deal"]["id"] == "d-1"
    assert isinstance(document["facts"], list)


def test_a_changed_record_breaks_the_chain(post, body, db_engine):
    for _ in range(3):
        post(body("claim"))
    with db_engine.begin() as connection:
        connection.execute(text("UPDATE decisions SET document = replace(document, "
                                "'\"outcome\":\"allow\"', '\"outcome\":\"deny\"') WHERE seq = 2"))
    with db_engine.connect() as connection:
        row = connection.execute(select(Decision.hash, Decision.prev_hash, Decision.document)
                                 .where(Decision.seq == 2)).one()
    assert '"outcome":"deny"' in row.document
    assert row.hash != link(row.prev_hash, row.document)


def test_threads_share_one_chain(app, body, make_key):
    headers = make_key("crm")
    errors = []

    def worker() -> None:
        client = app.test_client()
        for _ in range(10):
            response = client.post("/v1/decisions", json=body("claim"), headers=headers)
            if response.status_code != 200:
                errors.append(response.status_code)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert assert_one_chain(app.extensions["dealguard.db_engine"]) == 40


def test_processes_share_one_chain_on_sqlite(app, settings, body):
    """Like two gunicorn workers: separate processes, one SQLite file, one chain."""
    decide_from_processes(app, settings, body("claim"), "sqlite-writers", 3, 25)
    assert assert_one_chain(app.extensions["dealguard.db_engine"]) == 75


def test_a_confidential_number_is_masked_in_facts_too():
    request = {"deal": {"list_amount": Decimal("123456.70"), "id": "d"}}
    masked, clear = mask_request(request, ["deal.list_amount"], SECRET)
    assert masked["deal"]["list_amount"].startswith("hmac:")
    facts = scrub([{"deal.list_amount": 123456.7, "other": 5, "flag": True}], clear, SECRET)
    assert facts[0]["deal.list_amount"] == masked["deal"]["list_amount"]
    assert facts[0]["other"] == 5 and facts[0]["flag"] is True
