"""A verdict and the decision that asks for it reach a webhook, signed (CONTRACT §10),
on both databases: made through HTTP, written to the outbox with their records,
delivered by the worker to a real receiver."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from sqlalchemy import func, select

from app.log.models import OutboxEvent
from app.webhooks.worker import Worker
from tests.webhooks.receiver import Receiver

pytestmark = pytest.mark.usefixtures("backend")

SECRET = "receiver-secret-0001"


def test_the_decision_and_each_verdict_are_delivered(app, client, db_engine, settings, body,
                                                     make_key):
    admin = make_key("admin")
    manager = make_key("manager", manager_id="m-17")
    head = make_key("approver", person_id="h-1", job_role="head_of_sales")
    director = make_key("approver", person_id="cd-1", job_role="commercial_director")
    with Receiver().running() as receiver:
        made = client.post("/v1/webhooks", headers=admin, json={
            "url": receiver.url, "secret": SECRET,
            "events": ["decision.require_approval", "approval.approved",
                       "approval.declined"]})
        assert made.status_code == 201, made.get_json()
        request = body("discount", actor={"id": "m-17", "role": "manager"})
        request["discount"] = {"percent": 12.5}
        decision = client.post("/v1/decisions", json=request, headers=manager).get_json()
        path = f"/v1/decisions/{decision['decision_id']}/approvals"
        declined = client.post(path, headers=head, json={"verdict": "decline",
                                                         "comment": "Not at this margin."})
        approved = client.post(path, headers=director, json={"verdict": "approve"})
        assert (declined.status_code, approved.status_code) == (201, 201)
        worker = Worker(db_engine, settings.secret_key)
        while worker.run_once():
            pass
        worker.close()
    got = {item.headers["X-Dealguard-Event"]: item for item in receiver.received}
    assert sorted(got) == ["approval.approved", "approval.declined",
                           "decision.require_approval"]
    for item in got.values():
        signature = hmac.new(SECRET.encode(), item.body, hashlib.sha256).hexdigest()
        assert item.headers["X-Dealguard-Signature"] == f"sha256={signature}"
    assert json.loads(got["approval.declined"].body)["data"] == declined.get_json()
    assert json.loads(got["approval.approved"].body)["data"] == approved.get_json()
    asked = json.loads(got["decision.require_approval"].body)["data"]
    assert asked["decision_id"] == decision["decision_id"]
    # Masked as in the log: the client's name never leaves in clear.
    assert "Ivan Petrov" not in got["decision.require_approval"].body.decode()


def test_no_webhook_no_event(client, db_engine, body, make_key):
    manager = make_key("manager", manager_id="m-17")
    head = make_key("approver", person_id="h-1", job_role="head_of_sales")
    request = body("discount", actor={"id": "m-17", "role": "manager"})
    decision = client.post("/v1/decisions", json=request, headers=manager).get_json()
    assert decision["outcome"] == "require_approval"
    answer = client.post(f"/v1/decisions/{decision['decision_id']}/approvals", headers=head,
                         json={"verdict": "approve"})
    assert answer.status_code == 201
    with db_engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(OutboxEvent)).scalar() == 0
