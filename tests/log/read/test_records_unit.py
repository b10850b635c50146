"""Summaries and CSV read a document without its bulk; whatever the cut breaks is read whole."""

from __future__ import annotations

import json

from app.jsontext import dumps
from app.log.read.records import head as _head

DOCUMENT = {
    "action": "offer", "as_of": "2026-11-27", "decided_at": "2026-11-27T09:00:00.000Z",
    "decision_id": "d-1", "duration_ms": 0.4,
    "facts": [{"client.needs": ["a"], "note": 'quoted "],\\"key_name\\":" text'}],
    "key_name": "crm", "obligations": [], "outcome": "deny",
    "policy": {"name": "p", "version": "1"},
    "reasons": [{"rule": "r.one", "outcome": "deny", "message": ',"request":{ in text'}],
    "request": {"action": "offer", "request_id": "crm-9", "client": {"id": "c"}},
    "request_id": "crm-9", "required_approvals": [], "seq": 7,
}


def test_the_head_keeps_every_csv_field_and_drops_the_bulk():
    head = _head(dumps(DOCUMENT), json.loads)
    assert "facts" not in head and "request" not in head
    assert head == {k: v for k, v in DOCUMENT.items() if k not in ("facts", "request")}


def test_a_document_of_another_shape_is_read_whole():
    text = json.dumps(DOCUMENT, indent=1)  # not canonical: the cut does not apply
    assert _head(text, json.loads) == DOCUMENT


def test_summaries_keep_numbers_exact():
    from decimal import Decimal

    assert _head(dumps({**DOCUMENT, "duration_ms": Decimal("0.30")}))["duration_ms"] == (
        Decimal("0.30"))
