"""/v1/webhooks: admin only; a valid registration, or a 422 that registers nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.webhooks.models import Webhook

pytestmark = pytest.mark.usefixtures("backend")

SECRET = "a-receivers-secret-1234"
VALID = {"url": "https://crm.example.com/dealguard", "events": ["decision.denied"],
         "secret": SECRET}


@pytest.fixture
def admin(make_key):
    return make_key("admin")


def test_register_list_and_delete(client, admin, db_engine):
    made = client.post("/v1/webhooks", json={**VALID, "events": [
        "decision.denied", "approval.approved"]}, headers=admin)
    assert made.status_code == 201
    webhook = made.get_json()
    assert set(webhook) == {"id", "url", "events", "created_at"}  # never the secret
    assert webhook["url"] == VALID["url"]
    assert webhook["events"] == ["decision.denied", "approval.approved"]
    assert webhook["created_at"].endswith("Z")
    listed = client.get("/v1/webhooks", headers=admin).get_json()
    assert listed == {"items": [webhook]}
    assert client.get(f"/v1/webhooks/{webhook['id']}/deliveries",
                      headers=admin).get_json() == {"items": []}
    with db_engine.connect() as connection:
        sealed = connection.execute(select(Webhook.secret_sealed)).scalar_one()
    assert SECRET not in sealed  # sealed at rest, not stored in clear

    assert client.delete(f"/v1/webhooks/{webhook['id']}", headers=admin).status_code == 204
    assert client.get("/v1/webhooks", headers=admin).get_json() == {"items": []}
    again = client.delete(f"/v1/webhooks/{webhook['id']}", headers=admin)
    assert again.status_code == 404
    assert again.headers["Content-Type"] == "application/problem+json"
    assert client.get(f"/v1/webhooks/{webhook['id']}/deliveries",
                      headers=admin).status_code == 404


@pytest.mark.parametrize("path", ["not-a-uuid", "0b4f6a0e-3c1e-4f57-9a53-5b1f1f0f7c11",
                                  "x" * 300])
def test_unknown_webhook_is_404(client, admin, path):
    assert client.delete(f"/v1/webhooks/{path}", headers=admin).status_code == 404
    assert client.get(f"/v1/webhooks/{path}/deliveries", headers=admin).status_code == 404


@pytest.mark.parametrize(("change", "field"), [
    ({"url": "ftp://example.com/x"}, "url"),
    ({"url": "file:///etc/passwd"}, "url"),
    ({"url": "javascript:alert(1)"}, "url"),
    ({"url": "http://"}, "url"),
    ({"url": "example.com/hook"}, "url"),
    ({"url": 42}, "url"),
    ({"url": "https://example.com/" + "a" * 2100}, "url"),
    ({"events": []}, "events"),
    ({"events": ["decision.allowed"]}, "events.0"),
    ({"events": ["decision.denied", "decision.denied"]}, "events"),
    ({"events": "decision.denied"}, "events"),
    ({"secret": "too-short"}, "secret"),
    ({"secret": "sixteen-chars-\u200b-invisible"}, "secret"),
    ({"secret": None}, "secret"),
    ({"extra": 1}, "extra"),
])
def test_invalid_registration_is_422_and_registers_nothing(client, admin, change, field):
    answer = client.post("/v1/webhooks", json={**VALID, **change}, headers=admin)
    assert answer.status_code == 422, answer.get_json()
    assert answer.headers["Content-Type"] == "application/problem+json"
    problem = answer.get_json()
    assert field in problem["errors"], problem
    assert SECRET not in answer.get_data(as_text=True)
    assert client.get("/v1/webhooks", headers=admin).get_json() == {"items": []}


@pytest.mark.parametrize("missing", ["url", "events", "secret"])
def test_each_field_is_required(client, admin, missing):
    body = {k: v for k, v in VALID.items() if k != missing}
    answer = client.post("/v1/webhooks", json=body, headers=admin)
    assert answer.status_code == 422 and missing in answer.get_json()["errors"]


def test_not_json_is_refused(client, admin):
    assert client.post("/v1/webhooks", data="x", headers=admin,
                       content_type="text/plain").status_code == 415
    assert client.post("/v1/webhooks", data="[1]", headers=admin,
                       content_type="application/json").status_code == 400


@pytest.mark.parametrize("role", ["crm", "manager", "approver", "compliance"])
def test_only_admin_keys(client, make_key, admin, role):
    made = client.post("/v1/webhooks", json=VALID, headers=admin).get_json()
    key = make_key(role)
    calls = [("post", "/v1/webhooks", VALID), ("get", "/v1/webhooks", None),
             ("delete", f"/v1/webhooks/{made['id']}", None),
             ("get", f"/v1/webhooks/{made['id']}/deliveries", None)]
    for method, path, body in calls:
        answer = getattr(client, method)(path, json=body, headers=key)
        assert answer.status_code == 403, (method, path)
        assert client.open(path, method=method.upper(), json=body).status_code == 401
    assert len(client.get("/v1/webhooks", headers=admin).get_json()["items"]) == 1
