"""Fixtures of the decision-log tests: decisions logged through the API, keys per role."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

BODIES: dict[str, dict[str, Any]] = {
    "discount": {
        "action": "discount",
        "as_of": "2026-11-27",
        "actor": {"id": "m-1", "role": "manager"},
        "client": {"id": "c-1", "segment": "wholesale", "name": "Ivan Petrov",
                   "email": "ivan.petrov@example.com", "phone": "+7 900 123-45-67",
                   "tax_id": "7701234567"},
        "deal": {"id": "d-1", "currency": "RUB", "list_amount": 100000, "category": "standard"},
        "discount": {"percent": 12.5},
    },
    "shipment": {
        "action": "shipment",
        "as_of": "2026-11-27",
        "actor": {"id": "m-1", "role": "manager"},
        "client": {"id": "c-1"},
        "order": {"id": "o-1", "currency": "RUB", "total": 1000, "paid": 500},
        "shipment": {"id": "s-1", "amount": 400},
    },
    "claim": {
        "action": "claim",
        "as_of": "2026-11-27",
        "actor": {"id": "m-1", "role": "manager"},
        "client": {"id": "c-1"},
        "order": {"id": "o-7", "currency": "RUB", "total": 10000},
        "claim": {"id": "cl-1", "reason": "defect", "amount": 2000, "days_since_delivery": 10,
                  "remedy": "replacement"},
    },
    "disclosure": {
        "action": "disclosure",
        "as_of": "2026-11-27",
        "actor": {"id": "m-1", "role": "manager"},
        "client": {"id": "c-1", "owner_id": "m-1", "name": "Ivan Petrov"},
        "disclosure": {"categories": ["order_history"], "recipient": "internal",
                       "purpose": "Quarterly review for Ivan Petrov"},
    },
    "offer": {
        "action": "offer",
        "as_of": "2026-11-27",
        "actor": {"id": "m-1", "role": "manager"},
        "client": {"id": "c-1", "segment": "retail", "needs": ["pumps"]},
        "offer": {"id": "of-1", "currency": "RUB", "promised_delivery_date": "2026-12-20",
                  "items": [{"sku": "P-100", "quantity": 2, "available_quantity": 5,
                             "lead_time_days": 3, "need": "pumps", "list_price": 5000}]},
    },
}

# The clear confidential values of BODIES: none may appear in any read of the log.
CLEAR_VALUES = ("Ivan Petrov", "ivan.petrov@example.com", "+7 900 123-45-67", "7701234567",
                "Quarterly review")


def make_body(action: str, actor: str = "m-1", client: str = "c-1",
              **changes: Any) -> dict[str, Any]:
    """A valid request for `action` by `actor` about `client`; `changes` replace fields."""
    body = copy.deepcopy(BODIES[action])
    body["actor"]["id"] = actor
    body["client"]["id"] = client
    if "owner_id" in body["client"]:
        body["client"]["owner_id"] = actor
    body.update(changes)
    return body


@pytest.fixture
def crm(make_key) -> dict[str, str]:
    return make_key("crm")


@pytest.fixture
def compliance(make_key) -> dict[str, str]:
    return make_key("compliance")


@pytest.fixture
def decide(client, crm) -> Callable[..., dict[str, Any]]:
    """decide(action, actor=, client=, **changes) -> the answer of a logged decision."""

    def send(action: str, **kwargs: Any) -> dict[str, Any]:
        response = client.post("/v1/decisions", json=make_body(action, **kwargs), headers=crm)
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    return send


@pytest.fixture
def listing(client, compliance) -> Callable[..., Any]:
    """listing(headers=compliance, **params) -> the response of GET /v1/decisions."""

    def get(headers: dict[str, str] | None = None, **params: Any):
        return client.get("/v1/decisions", query_string=params, headers=headers or compliance)

    return get


@pytest.fixture
def clear_values() -> tuple[str, ...]:
    return CLEAR_VALUES


@pytest.fixture
def candidate_text(settings) -> str:
    """The running policy's rules.yaml, for a test to change into a candidate."""
    return Path(settings.policy_path).read_text(encoding="utf-8")


@pytest.fixture
def body() -> Callable[..., dict[str, Any]]:
    """make_body(action, actor=, client=, **changes): a valid request to change."""
    return make_body
