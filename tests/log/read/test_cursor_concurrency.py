"""Paging while other threads log decisions: no record skipped or repeated, on both databases."""

from __future__ import annotations

import threading

import pytest

pytestmark = pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])


def test_pages_stay_exact_under_concurrent_writes(app, decide, listing, crm, body, backend):
    for i in range(20):
        decide("shipment", client=f"c-{i}")
    stop = threading.Event()
    written: list[int] = []

    def write() -> None:
        writer = app.test_client()
        while not stop.is_set() and len(written) < 200:
            response = writer.post("/v1/decisions", json=body("claim"), headers=crm)
            written.append(response.status_code)

    threads = [threading.Thread(target=write) for _ in range(2)]
    for thread in threads:
        thread.start()
    try:
        seen: list[int] = []
        page = listing(limit=3).get_json()
        while True:
            seen += [item["seq"] for item in page["items"]]
            if not page["next_cursor"]:
                break
            page = listing(limit=3, cursor=page["next_cursor"]).get_json()
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert written and set(written) == {200}
    # Everything at or below the first page's newest record, each exactly once, in order.
    assert seen == list(range(seen[0], 0, -1))
    assert seen[0] >= 20
