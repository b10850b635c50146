"""An id that equals a confidential value of its request is masked too (CONTRACT §7).

A CRM may use a client's e-mail as its id, or a tax id as a person's id: the value is
confidential wherever it sits, so the columns, the document, the reason rows and
every read of the log hold its "hmac:" token, and the log's filters find the record
by that token (what compliance sees in every other record of that client).
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.log.models import Decision
from app.log.write.masking import token
from tests.conftest import TEST_SECRET
from tests.log.write.helpers import every_stored_text

pytestmark = pytest.mark.usefixtures("backend")

EMAIL = "ivan.petrov@example.com"
TAX_ID = "7701234567"


@pytest.fixture
def logged(client, crm, body):
    """A discount whose client.id is the client's e-mail, asked by an actor whose id is
    the client's tax id; and a shipment about the same client with an order id that
    holds the e-mail."""
    discount = body("discount", actor=TAX_ID, client=EMAIL)
    assert discount["client"]["email"] == EMAIL and discount["client"]["tax_id"] == TAX_ID
    shipment = body("shipment", client=EMAIL)
    shipment["client"]["email"] = EMAIL
    shipment["order"]["id"] = f"order-of-{EMAIL}"
    answers = []
    for request in (discount, shipment):
        response = client.post("/v1/decisions", json=request, headers=crm)
        assert response.status_code == 200, response.get_json()
        answers.append(response.get_json())
    # The caller's answer is not masked; it holds no id but the request_id anyway.
    return answers


def test_the_database_never_holds_the_clear_value(logged, db_engine):
    stored = every_stored_text(db_engine)
    assert EMAIL not in stored and TAX_ID not in stored
    with db_engine.connect() as connection:
        rows = connection.execute(select(Decision.actor_id, Decision.client_id,
                                         Decision.subject_id, Decision.order_id)
                                  .order_by(Decision.seq)).all()
    email, tax_id = token(TEST_SECRET, EMAIL), token(TEST_SECRET, TAX_ID)
    assert (rows[0].actor_id, rows[0].client_id) == (tax_id, email)
    assert (rows[1].client_id, rows[1].order_id) == (email, f"order-of-{email}")
    assert rows[1].subject_id == rows[1].order_id


def test_no_read_of_the_log_shows_it(logged, client, compliance):
    paths = ["/v1/decisions", f"/v1/decisions/{logged[0]['decision_id']}",
             f"/v1/decisions/{logged[1]['decision_id']}", "/v1/decisions/export?format=csv",
             "/v1/decisions/export?format=jsonl"]
    for path in paths:
        response = client.get(path, headers=compliance)  # a stream: read before the next
        assert response.status_code == 200
        shown = response.get_data(as_text=True)
        assert EMAIL not in shown and TAX_ID not in shown
        assert token(TEST_SECRET, EMAIL) in shown


def test_the_filters_find_it_by_its_token(logged, listing):
    email, tax_id = token(TEST_SECRET, EMAIL), token(TEST_SECRET, TAX_ID)
    found = listing(client_id=email).get_json()["items"]
    assert [item["decision_id"] for item in found] == [logged[1]["decision_id"],
                                                       logged[0]["decision_id"]]
    assert [i["decision_id"] for i in listing(actor_id=tax_id).get_json()["items"]] == [
        logged[0]["decision_id"]]
    assert listing(subject_id=f"order-of-{email}").get_json()["items"][0]["decision_id"] == (
        logged[1]["decision_id"])
    # The clear value is not looked up: the log holds none.
    assert listing(client_id=EMAIL).get_json()["items"] == []


def test_the_masked_log_verifies(logged, client, compliance):
    answer = client.get("/v1/decisions/verify", headers=compliance).get_json()
    assert (answer["ok"], answer["checked"]) == (True, 2)


def test_a_retry_is_still_answered_as_logged(client, crm, body, db_engine):
    # The request_id is the e-mail too: masked in the log, the retry still finds it.
    request = body("discount", client=EMAIL, request_id=EMAIL)
    first = client.post("/v1/decisions", json=request, headers=crm)
    again = client.post("/v1/decisions", json=request, headers=crm)
    assert first.status_code == again.status_code == 200
    assert again.get_json() == first.get_json()
    assert first.get_json()["request_id"] == EMAIL  # the caller's answer is not masked
    with db_engine.connect() as connection:
        assert connection.execute(select(Decision.request_id)).scalars().all() == [
            token(TEST_SECRET, EMAIL)]


def test_a_claim_logged_with_its_client_id_masked_still_covers_its_replacement(
        client, crm, body):
    claim = body("claim", client=EMAIL)
    claim["client"]["email"] = EMAIL
    logged = client.post("/v1/decisions", json=claim, headers=crm).get_json()
    assert logged["outcome"] == "allow"
    replacement = body("shipment", client=EMAIL,
                       order={"id": "o-1", "currency": "RUB", "total": 1000, "paid": 0},
                       shipment={"id": "s-2", "amount": 400, "kind": "claim_replacement",
                                 "claim_decision_id": logged["decision_id"]})
    answer = client.post("/v1/decisions", json=replacement, headers=crm).get_json()
    assert answer["outcome"] == "allow", answer
    stranger = dict(replacement, client={"id": "c-2"})
    assert client.post("/v1/decisions", json=stranger, headers=crm).get_json()[
        "outcome"] == "deny"


def test_a_token_is_never_cut_into_by_a_short_clear_value():
    from app.log.write.masking import Scrubber

    masked = token(TEST_SECRET, "someone@example.com")
    digits = masked[len("hmac:"):][3:9]  # a clear value that happens to be in the token
    scrub = Scrubber([digits], TEST_SECRET)
    assert scrub({"email": masked, "note": f"id {digits}"}) == {
        "email": masked, "note": f"id {token(TEST_SECRET, digits)}"}
