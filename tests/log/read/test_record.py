"""GET /v1/decisions/{id}: the full, masked record with its chain links."""

from __future__ import annotations

import json

import pytest

RECORD_KEYS = ["decision_id", "request_id", "action", "outcome", "required_approvals",
               "reasons", "obligations", "approval_problems", "policy", "as_of",
    "decided_at", "duration_ms",
               "request", "facts", "key_name", "approvals_presented", "request_fingerprint",
               "proposal", "seq", "hash", "prev_hash", "approvals"]


def test_full_record(decide, client, compliance, clear_values):
    decide("shipment")
    answer = decide("discount", request_id="crm-1")
    response = client.get(f"/v1/decisions/{answer['decision_id']}", headers=compliance)
    assert response.status_code == 200
    record = response.get_json()
    assert list(record) == RECORD_KEYS
    assert {k: record[k] for k in answer} == answer
    assert record["seq"] == 2 and len(record["hash"]) == 64 and len(record["prev_hash"]) == 64
    assert record["key_name"].startswith("test-crm-")
    assert record["request"]["deal"] == {"id": "d-1", "currency": "RUB", "list_amount": 100000,
                                         "category": "standard"}
    assert record["request"]["client"]["name"].startswith("hmac:")
    # The facts are what the rules compared: the request fact, then the discount's line.
    request_fact, line = record["facts"]
    assert request_fact["client.segment"] == "wholesale"
    assert line["line.discount_percent"] == 12.5 and line["line.net_price"] == 87500
    text = json.dumps(record, ensure_ascii=False)
    assert not [value for value in clear_values if value in text]


def test_prev_hash_is_the_previous_records_hash(decide, client, compliance):
    first, second = decide("shipment"), decide("claim")
    one = client.get(f"/v1/decisions/{first['decision_id']}", headers=compliance).get_json()
    two = client.get(f"/v1/decisions/{second['decision_id']}", headers=compliance).get_json()
    assert two["prev_hash"] == one["hash"] and one["prev_hash"] == "0" * 64


def test_money_stays_exact(client, crm, compliance):
    raw = ('{"action": "shipment", "as_of": "2026-11-27",'
           ' "actor": {"id": "m-1", "role": "manager"}, "client": {"id": "c-1"},'
           ' "order": {"id": "o-9", "currency": "RUB", "total": 1, "paid": 0.30,'
           ' "shipped_before": 0.10}, "shipment": {"id": "s-9", "amount": 0.20}}')
    answer = client.post("/v1/decisions", data=raw, content_type="application/json",
                         headers=crm).get_json()
    text = client.get(f"/v1/decisions/{answer['decision_id']}",
                      headers=compliance).get_data(as_text=True)
    assert '"paid":0.30' in text and '"amount":0.20' in text


@pytest.mark.parametrize("decision_id", [
    "0b4f6a0e-3c1e-4f57-9a53-5b1f1f0f7c11", "nope", "x" * 300, "1 OR 1=1", "%00", "%E2%80%AE",
])
def test_unknown_or_malformed_id_is_404(decide, client, compliance, decision_id):
    decide("shipment")
    response = client.get(f"/v1/decisions/{decision_id}", headers=compliance)
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["status"] == 404


def test_an_unreadable_log_is_503(client, compliance, db_engine):
    from sqlalchemy import text

    with db_engine.begin() as connection:
        connection.execute(text("DROP TABLE decision_shadows"))
        connection.execute(text("DROP TABLE decision_reasons"))
        connection.execute(text("DROP TABLE approval_requests"))
        connection.execute(text("DROP TABLE decisions"))
    for path in ("/v1/decisions", "/v1/decisions/verify", "/v1/decisions/x",
                 "/v1/decisions?rule=r"):
        response = client.get(path, headers=compliance)
        assert response.status_code == 503, path
        assert response.mimetype == "application/problem+json"
        assert response.headers["Retry-After"]
