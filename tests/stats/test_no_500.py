"""No input gives a 500: seeded random queries and events against every stats endpoint."""

from __future__ import annotations

import random
from urllib.parse import quote

import pytest

ODD = [
    "", " ", "0", "-1", "+5", "1e3", "１２", "٣", "null", "[]", "\x00", "\u202e", "NaN",
    "2026-02-29", "2024-02-29", "2026-11-25 ", "9998-12-31", "1900-01-01", "1899-12-31",
    "x" * 3000, "week", "quarter", "calls", "deals_amount", "m-1",
]
QUERY_KEYS = ["period", "at", "manager_id", "metric", "count", "other"]
EVENT_VALUES = [
    *ODD, 1, 1.5, -1, None, True, [], {}, 1e300, 10**30, "2026-11-24T10:00:00+03:00",
    "9998-12-31T23:59:59-23:59", "contract_signed", "call", "connected",
]
EVENT_KEYS = ["id", "type", "manager_id", "client_id", "occurred_at", "amount", "outcome", "x"]


@pytest.mark.parametrize("seed", range(2))
def test_random_queries(backend, client, make_key, seed: int) -> None:
    rng = random.Random(seed)
    keys = [make_key("admin"), make_key("manager", "m-1")]
    for _ in range(100):
        path = rng.choice(["/v1/stats", "/v1/stats/series", "/v1/stats/chart.svg"])
        query = "&".join(
            f"{quote(rng.choice(QUERY_KEYS))}={quote(rng.choice(ODD))}"
            for _ in range(rng.randrange(4))
        )
        for headers in keys:
            response = client.get(f"{path}?{query}", headers=headers)
            assert response.status_code < 500, (path, query)


@pytest.mark.parametrize("seed", range(2))
def test_random_events(backend, client, make_key, seed: int) -> None:
    rng = random.Random(seed)
    headers = make_key("crm")
    for _ in range(100):
        event = {key: rng.choice(EVENT_VALUES) for key in EVENT_KEYS if rng.random() < 0.8}
        body = {"events": [event] * rng.randrange(1, 3)}
        response = client.post("/v1/activities", json=body, headers=headers)
        assert response.status_code < 500, body
