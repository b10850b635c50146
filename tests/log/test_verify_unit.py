"""verify's column check: a fast look at the canonical text, parsing only on a miss."""

from __future__ import annotations

from types import SimpleNamespace

from app.audit.canonical import dumps
from app.audit.chain import GENESIS, link
from app.audit.verify import _check

DOCUMENT = {"action": "claim", "as_of": "2026-11-27", "decided_at": "2026-11-27T09:00:00.000Z",
            "decision_id": "d-1", "duration_ms": 0.4, "outcome": "allow",
            "policy": {"name": "p"}, "request": {"outcome": "deny", "action": "offer"},
            "seq": 1}


def _row(text: str, **columns) -> SimpleNamespace:
    values = {"seq": 1, "decision_id": "d-1", "action": "claim", "outcome": "allow",
              **columns}
    return SimpleNamespace(document=text, prev_hash=GENESIS, hash=link(GENESIS, text), **values)


def test_canonical_document_matching_its_columns():
    assert _check(_row(dumps(DOCUMENT)), 1, GENESIS) is None


def test_a_document_of_another_shape_is_parsed_not_refused():
    text = '{"seq": 1, "outcome": "allow", "action": "claim", "decision_id": "d-1"}'
    assert _check(_row(text), 1, GENESIS) is None


def test_each_column_is_compared():
    text = dumps(DOCUMENT)
    for name, value in (("action", "offer"), ("outcome", "deny"), ("decision_id", "d-2")):
        problem = _check(_row(text, **{name: value}), 1, GENESIS)
        assert problem == f"column {name} differs from the document"
    # seq: the document names another seq than the row it sits in.
    assert _check(_row(dumps({**DOCUMENT, "seq": 2})), 1, GENESIS) == (
        "column seq differs from the document")


def test_reason_rows_against_the_document():
    from app.audit.verify_reasons import differ

    reasons = [{"approver": None, "item": None, "message": "m", "outcome": "deny",
                "principle": "pricing-policy", "rule": "pricing.segment-limit",
                "satisfied_by": None}]
    text = dumps({**DOCUMENT, "reasons": reasons})
    row = SimpleNamespace(rule="pricing.segment-limit", principle="pricing-policy",
                          outcome="deny")
    assert differ(text, [row]) is None
    assert differ(text, []) is not None
    assert differ(text, [row, row]) is not None
    assert differ(text, [SimpleNamespace(rule="x.y", principle="pricing-policy",
                                         outcome="deny")]) is not None
    # A rule id the writer's masking cut into is not called tampering.
    masked = dumps({**DOCUMENT, "reasons": [{**reasons[0],
                                             "principle": "hmac:0123456789abcdef-policy"}]})
    assert differ(masked, [row]) is None
