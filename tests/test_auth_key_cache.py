"""Valid API keys are remembered KEY_CACHE_SECONDS per process: a key revoked elsewhere
(the command line, another worker) is refused within that bound. The clock is moved by
hand, so nothing here waits or depends on the machine's speed."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import update

from app import auth
from app.auth import KEY_CACHE_SECONDS, ApiKey


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def revoke_elsewhere(db_engine) -> None:
    """As `dealguard keys revoke` does from its own process: this process is not told."""
    with db_engine.begin() as connection:
        connection.execute(update(ApiKey.__table__).values(revoked_at=datetime.now(UTC)))


def test_a_key_revoked_elsewhere_is_refused_within_the_bound(client, body, crm, db_engine,
                                                            monkeypatch):
    clock = Clock()
    monkeypatch.setattr(auth.time, "monotonic", clock)
    auth.forget_keys()
    assert client.post("/v1/decisions", json=body("claim"), headers=crm).status_code == 200
    revoke_elsewhere(db_engine)
    clock.now += KEY_CACHE_SECONDS / 2  # still remembered: at most this long
    assert client.post("/v1/decisions", json=body("claim"), headers=crm).status_code == 200
    clock.now += KEY_CACHE_SECONDS / 2 + 0.001
    response = client.post("/v1/decisions", json=body("claim"), headers=crm)
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"


def test_an_unknown_key_is_not_remembered(client, body, make_key, db_engine, monkeypatch):
    # A refused key is looked up again each time, so a key made a moment later works at once.
    clock = Clock()
    monkeypatch.setattr(auth.time, "monotonic", clock)
    auth.forget_keys()
    missing = {"Authorization": "Bearer dg_not-a-key"}
    assert client.post("/v1/decisions", json=body("claim"), headers=missing).status_code == 401
    assert client.post("/v1/decisions", json=body("claim"),
                       headers=make_key("crm")).status_code == 200


def test_a_remembered_key_keeps_its_role(client, body, make_key):
    compliance = make_key("compliance")
    for _ in range(2):  # the second answer comes from the remembered key
        assert client.post("/v1/decisions", json=body("claim"),
                           headers=compliance).status_code == 403
