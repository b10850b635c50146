"""Valid requests of every action, shared by every test that decides (`make_body`).

The clear confidential values below must never appear in any read of the log.
"""

from __future__ import annotations

import copy
from typing import Any

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
        "order": {"id": "o-1", "currency": "RUB", "total": 10000},
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

CLEAR_VALUES = ("Ivan Petrov", "ivan.petrov@example.com", "+7 900 123-45-67", "7701234567",
                "Quarterly review")


def make_body(action: str, **changes: Any) -> dict[str, Any]:
    """A valid request for `action`; `changes` replace top-level fields.

    `actor` or `client` given as a str is that object's id alone (an actor keeps owning
    the client it owned): make_body("claim", actor="m-2", client="c-3").
    """
    body = copy.deepcopy(BODIES[action])
    actor, client = changes.pop("actor", None), changes.pop("client", None)
    if isinstance(actor, str):
        body["actor"]["id"] = actor
        if "owner_id" in body["client"]:
            body["client"]["owner_id"] = actor
    elif actor is not None:
        body["actor"] = actor
    if isinstance(client, str):
        body["client"]["id"] = client
    elif client is not None:
        body["client"] = client
    body.update(changes)
    return body
