"""POST /v1/decisions and /batch: the answer of CONTRACT §3, logged before it is given."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select, text

from app.log.models import Decision, DecisionReason

RESPONSE_KEYS = ["decision_id", "request_id", "action", "outcome", "required_approvals",
                 "reasons", "obligations", "approval_problems", "policy", "as_of",
    "decided_at", "duration_ms"]


def count(engine, model=Decision) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(model)).scalar()


@pytest.mark.parametrize("action", ["discount", "shipment", "claim", "disclosure", "offer"])
def test_each_action_is_decided_and_logged(body, post, db_engine, action):
    response = post(body(action))
    assert response.status_code == 200, response.get_json()
    assert response.mimetype == "application/json"
    answer = response.get_json()
    assert list(answer) == RESPONSE_KEYS
    assert answer["action"] == action
    assert answer["outcome"] in ("allow", "require_approval", "deny")
    # CONTRACT §3's name, version and sha256, and §12's version of the database.
    assert set(answer["policy"]) == {"name", "version", "sha256", "version_id"}
    assert answer["policy"]["version_id"] == 1  # the file, imported at the first start
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", answer["decided_at"])
    assert answer["as_of"] == "2026-11-27"
    with db_engine.connect() as connection:
        row = connection.execute(
            select(Decision).where(Decision.decision_id == answer["decision_id"])).one()
    assert row.outcome == answer["outcome"] and row.action == action
    assert row.client_id == "c-1" and row.actor_id == "m-1"


def test_discount_over_manager_limit_needs_head_of_sales(body, post, db_engine):
    answer = post(body("discount")).get_json()
    assert answer["outcome"] == "require_approval"
    assert answer["required_approvals"] == ["head_of_sales"]
    rules = [reason["rule"] for reason in answer["reasons"]]
    with db_engine.connect() as connection:
        logged = connection.execute(select(DecisionReason.rule, DecisionReason.principle)).all()
    assert [rule for rule, _ in logged] == rules
    assert all(principle == "pricing-policy" for _, principle in logged)


def test_subject_ids(body, post, db_engine):
    post(body("claim"))
    post(body("discount"))
    with db_engine.connect() as connection:
        rows = connection.execute(
            select(Decision.action, Decision.subject_id, Decision.order_id)).all()
    assert ("claim", "cl-1", "o-1") in rows
    assert ("discount", "d-1", None) in rows


def test_money_stays_exact_in_answer_and_log(client, crm, db_engine):
    # Raw text: the numbers must reach the log as written, not via a float.
    raw = ('{"action": "shipment", "as_of": "2026-11-27",'
           ' "actor": {"id": "m-1", "role": "manager"}, "client": {"id": "c-1"},'
           ' "order": {"id": "o-9", "currency": "RUB", "total": 1, "paid": 0.30,'
           ' "shipped_before": 0.10}, "shipment": {"id": "s-9", "amount": 0.20}}')
    response = client.post("/v1/decisions", data=raw, content_type="application/json",
                           headers=crm)
    assert response.get_json()["outcome"] == "allow"  # 0.30 - 0.10 covers 0.20 exactly
    with db_engine.connect() as connection:
        document = connection.execute(select(Decision.document)).scalar()
    assert '"paid":0.30' in document and '"amount":0.20' in document


def test_idempotent_request_id(body, post, db_engine):
    body = body("discount", request_id="crm-7781")
    first = post(body)
    second = post(body)
    assert first.status_code == second.status_code == 200
    assert first.get_json() == second.get_json()
    assert count(db_engine) == 1


def test_request_id_with_other_body_is_409(body, post, db_engine):
    post(body("discount", request_id="crm-1"))
    other = body("discount", request_id="crm-1")
    other["discount"] = {"percent": 3}
    response = post(other)
    assert response.status_code == 409
    assert response.mimetype == "application/problem+json"
    assert "request_id" in response.get_json()["errors"]
    assert count(db_engine) == 1


def test_claim_replacement_rests_on_a_logged_allowed_claim(body, post):
    claim = post(body("claim")).get_json()
    assert claim["outcome"] == "allow"
    replacement = body("shipment", order={"id": "o-1", "currency": "RUB", "total": 1000,
                                               "paid": 0},
                            shipment={"id": "s-2", "amount": 400, "kind": "claim_replacement",
                                      "claim_decision_id": claim["decision_id"]})
    assert post(replacement).get_json()["outcome"] == "allow"
    # Another client's claim does not cover it, nor does an unknown decision id.
    stranger = dict(replacement, client={"id": "c-2"})
    assert post(stranger).get_json()["outcome"] == "deny"
    unknown = body("shipment", shipment={"id": "s-3", "amount": 1,
                                               "kind": "claim_replacement",
                                               "claim_decision_id": "no-such-decision"})
    assert post(unknown).get_json()["outcome"] == "deny"


def test_claim_replacement_on_a_denied_claim_is_denied(body, post):
    late = body("claim")
    late["claim"] = dict(late["claim"], reason="changed_mind", days_since_delivery=30)
    claim = post(late).get_json()
    assert claim["outcome"] == "deny"
    replacement = body("shipment", shipment={"id": "s-2", "amount": 1,
                                                   "kind": "claim_replacement",
                                                   "claim_decision_id": claim["decision_id"]})
    assert post(replacement).get_json()["outcome"] == "deny"


def test_claim_replacement_when_the_log_cannot_be_read_is_a_503(body, post, db_engine):
    claim = post(body("claim")).get_json()
    with db_engine.begin() as connection:
        connection.execute(text("DROP TABLE decision_shadows"))
        connection.execute(text("DROP TABLE decision_reasons"))
        connection.execute(text("DROP TABLE approval_requests"))
        connection.execute(text("DROP TABLE decisions"))
    replacement = body("shipment", shipment={"id": "s-2", "amount": 1,
                                                   "kind": "claim_replacement",
                                                   "claim_decision_id": claim["decision_id"]})
    response = post(replacement)
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert "read" in response.get_json()["detail"]


def test_batch_answers_in_order_with_problems_in_place(body, post, db_engine):
    bad = body("discount")
    bad["deal"] = dict(bad["deal"], currency="EUR")
    requests = [body("discount"), bad, "not an object", body("claim")]
    response = post({"requests": requests}, path="/v1/decisions/batch")
    assert response.status_code == 200
    answers = response.get_json()["decisions"]
    assert [a.get("action") or a.get("status") for a in answers] == [
        "discount", 422, 400, "claim"]
    assert "deal.currency" in answers[1]["errors"]
    assert count(db_engine) == 2


def test_batch_limits(body, post):
    too_many = {"requests": [body("claim")] * 101}
    assert post(too_many, path="/v1/decisions/batch").status_code == 422
    assert post({"requests": "x"}, path="/v1/decisions/batch").status_code == 422
    assert post({"requests": []}, path="/v1/decisions/batch").get_json() == {"decisions": []}


def test_batch_of_100_is_accepted(body, post, db_engine):
    response = post({"requests": [body("claim")] * 100}, path="/v1/decisions/batch")
    assert response.status_code == 200
    assert count(db_engine) == 100


def test_as_of_defaults_to_today(body, post):
    body = body("claim")
    del body["as_of"]
    answer = post(body).get_json()
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", answer["as_of"])


def test_a_reused_request_id_is_found_by_the_write_and_answered_as_first(post, body, db_engine,
                                                                         monkeypatch):
    # No look-up before deciding: the log's unique index refuses the second entry, and
    # only then is the first decision read, once, and replayed (or refused with 409).
    from app import decision_service

    first = post(body("claim", request_id="race-1")).get_json()
    real_prior = decision_service._prior
    calls = []

    def counted_prior(ctx, request_id):
        calls.append(request_id)
        return real_prior(ctx, request_id)

    monkeypatch.setattr(decision_service, "_prior", counted_prior)
    again = post(body("claim", request_id="race-1"))
    assert again.status_code == 200 and again.get_json() == first
    assert calls == ["race-1"]
    other = body("claim", request_id="race-1", client={"id": "c-9"})
    assert post(other).status_code == 409
    assert count(db_engine) == 1


def test_a_request_id_whose_first_record_vanished_is_a_503(post, body, db_engine, monkeypatch):
    # The index says "taken" but the record cannot be read back: no answer is safe.
    from app import decision_service

    post(body("claim", request_id="gone-1"))
    monkeypatch.setattr(decision_service, "_prior", lambda ctx, request_id: None)
    assert post(body("claim", request_id="gone-1")).status_code == 503
    assert count(db_engine) == 1


def test_batch_with_a_request_id_twice_logs_it_once(post, body, db_engine):
    same = body("claim", request_id="twice")
    other = body("claim", request_id="twice", client={"id": "c-2"})
    answers = post({"requests": [same, body("offer"), same, other]},
                   path="/v1/decisions/batch").get_json()["decisions"]
    assert answers[0]["decision_id"] == answers[2]["decision_id"]
    assert answers[1]["action"] == "offer"
    assert answers[3]["status"] == 409
    assert count(db_engine) == 2


def test_batch_replays_a_logged_request_id(post, body, db_engine):
    first = post(body("claim", request_id="known")).get_json()
    answers = post({"requests": [body("claim", request_id="known"), body("offer")]},
                   path="/v1/decisions/batch").get_json()["decisions"]
    assert answers[0] == first
    assert count(db_engine) == 2


def test_batch_write_failure_answers_503_in_place(post, body, db_engine, monkeypatch):
    from app.log.write import writer
    from app.log.write.writer import LogWriteError

    def broken(*_args, **_kwargs):
        raise LogWriteError("OperationalError")

    # A batch is written by the same writer as the committer's groups.
    monkeypatch.setattr(writer, "append_many", broken)
    mixed = post({"requests": [body("claim"), {"action": "nope"}]}, path="/v1/decisions/batch")
    assert mixed.status_code == 200
    assert [a["status"] for a in mixed.get_json()["decisions"]] == [503, 422]
    everything = post({"requests": [body("claim"), body("offer")]}, path="/v1/decisions/batch")
    assert everything.status_code == 503 and everything.headers["Retry-After"]
    assert count(db_engine) == 0
