"""The configured zone drives the API's periods: Berlin, the week the clocks go back."""

from __future__ import annotations

import dataclasses

import pytest


@pytest.fixture
def settings(settings):
    return dataclasses.replace(settings, timezone="Europe/Berlin")


def test_berlin_week_of_the_autumn_change_through_the_api(client, make_key) -> None:
    def call(id_: str, when: str) -> dict:
        return {"id": id_, "type": "call", "manager_id": "m-1", "client_id": "c-1",
                "occurred_at": when}

    events = [
        call("a", "2026-10-18T22:00:00Z"),  # Mon 19 Oct 00:00 CEST: first instant
        call("b", "2026-10-25T00:30:00Z"),  # the first 02:30 (CEST)
        call("c", "2026-10-25T01:30:00Z"),  # the second 02:30 (CET)
        call("d", "2026-10-25T22:59:59Z"),  # Sun 25 Oct 23:59:59 CET: last second
        call("e", "2026-10-25T23:00:00Z"),  # Mon 26 Oct 00:00 CET: next week
        call("f", "2026-10-18T21:59:59Z"),  # Sun 18 Oct 23:59:59 CEST: week before
    ]
    stored = client.post("/v1/activities", json={"events": events}, headers=make_key("crm"))
    assert stored.get_json() == {"accepted": 6, "duplicates": 0}
    admin = make_key("admin")
    answer = client.get("/v1/stats?at=2026-10-25", headers=admin).get_json()
    assert answer["current"] == {"start": "2026-10-19", "end": "2026-10-25"}
    assert answer["metrics"]["calls"] == {
        "current": 4, "previous": 1, "change": 3, "change_pct": 300.0, "trend": "up"
    }
    day = client.get("/v1/stats?period=day&at=2026-10-25", headers=admin).get_json()
    assert day["metrics"]["calls"]["current"] == 3  # a 25-hour day: b, c and d
    series = client.get("/v1/stats/series?metric=calls&count=3&at=2026-11-01",
                        headers=admin).get_json()
    assert [p["value"] for p in series["points"]] == [1, 4, 1]
