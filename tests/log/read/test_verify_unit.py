"""verify's column check: every column against the field of the document it copies."""

from __future__ import annotations

import json
from collections import namedtuple
from datetime import UTC, date, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from app.jsontext import dumps
from app.log.read import verify_columns
from app.log.read.verify import _check
from app.log.read.verify_columns import matches_text
from app.log.write import columns
from app.log.write.chain import GENESIS, link

# A record as verify selects it.
Row = namedtuple("Row", ("seq", *columns.COPIED, "document", "prev_hash", "hash"))

DOCUMENT = {
    "action": "claim", "approvals_presented": [], "as_of": "2026-11-27",
    "decided_at": "2026-11-27T09:00:00.123Z", "decision_id": "d-1", "duration_ms": 0.4,
    "facts": [{"claim.amount": 2000, "note": '],"key_name":"forged"'}],
    "key_name": "crm-1", "obligations": [], "outcome": "allow",
    "policy": {"name": "p", "sha256": "ab" * 32, "version": "1"}, "reasons": [],
    "request": {"action": "claim", "actor": {"id": "m-1", "role": "manager"},
                "claim": {"id": "cl-1"}, "client": {"id": "c-1"}, "order": {"id": "o-1"}},
    "request_fingerprint": "cd" * 32, "request_id": "r-1", "required_approvals": [], "seq": 1,
}
# The row as the service writes it: PostgreSQL gives dates and datetimes back as such.
ROW = {**columns.of(DOCUMENT), "seq": 1, "as_of": date(2026, 11, 27),
       "decided_at": datetime(2026, 11, 27, 9, 0, 0, 123000, tzinfo=UTC)}
OTHER = {"decision_id": "d-2", "request_id": "r-2", "request_fingerprint": "ef" * 32,
         "action": "offer", "outcome": "deny", "actor_id": "m-2", "actor_role": "head_of_sales",
         "client_id": "c-2", "subject_id": "cl-2", "order_id": "o-2", "key_name": "crm-2",
         "policy_name": "q", "policy_version": "2", "policy_sha256": "00" * 32,
         "policy_version_id": 7, "as_of": date(2026, 11, 28),
         "decided_at": datetime(2026, 11, 27, 9, 0, 1, tzinfo=UTC),
         "duration_ms": 0.5}


def _row(text: str, **changes) -> Row:
    return Row(**{**ROW, **changes, "document": text, "prev_hash": GENESIS,
                  "hash": link(GENESIS, text)})


def test_a_record_whose_columns_copy_its_document_passes():
    assert _check(_row(dumps(DOCUMENT)), 1, GENESIS) is None


def test_the_writers_shape_is_proven_without_parsing():
    from app.log.read.verify_columns import as_document

    row = _row(dumps(DOCUMENT))
    assert matches_text(as_document(row[1:1 + len(columns.COPIED)]), row.document)


def test_every_copied_column_is_compared():
    assert set(OTHER) == set(columns.COPIED)


@pytest.mark.parametrize("name", columns.COPIED)
def test_each_column_changed_is_found(name):
    problem = _check(_row(dumps(DOCUMENT), **{name: OTHER[name]}), 1, GENESIS)
    assert problem == f"column {name} differs from the document"


@pytest.mark.parametrize("name", ["subject_id", "order_id", "request_id", "client_id"])
def test_a_column_emptied_is_found(name):
    problem = _check(_row(dumps(DOCUMENT), **{name: None}), 1, GENESIS)
    assert problem == f"column {name} differs from the document"


VERSIONED = {**DOCUMENT, "policy": {**DOCUMENT["policy"], "version_id": 3}}


def test_a_record_with_its_policy_version_passes_without_parsing():
    from app.log.read.verify_columns import as_document

    row = _row(dumps(VERSIONED), policy_version_id=3)
    assert matches_text(as_document(row[1:1 + len(columns.COPIED)]), row.document)
    assert _check(row, 1, GENESIS) is None


@pytest.mark.parametrize("value", [None, 4])
def test_a_policy_version_id_changed_or_emptied_is_found(value):
    problem = _check(_row(dumps(VERSIONED), policy_version_id=value), 1, GENESIS)
    assert problem == "column policy_version_id differs from the document"


def test_a_document_naming_another_seq_is_found():
    problem = _check(_row(dumps({**DOCUMENT, "seq": 2})), 1, GENESIS)
    assert problem == "column seq differs from the document"


def test_the_same_instant_in_another_zone_is_the_same_decided_at():
    moscow = ROW["decided_at"].astimezone(timezone(timedelta(hours=3)))
    assert _check(_row(dumps(DOCUMENT), decided_at=moscow), 1, GENESIS) is None


def test_sqlite_text_is_compared_as_stored():
    text = dumps(DOCUMENT)
    # Older records kept the microseconds; the document has the milliseconds.
    for stored in ("2026-11-27 09:00:00.123000", "2026-11-27 09:00:00.123456"):
        assert _check(_row(text, decided_at=stored, as_of="2026-11-27"), 1, GENESIS) is None
    # Another spelling of the same time would compare differently in a SQLite filter.
    for stored in ("2026-11-27T09:00:00.123000", "2026-11-27 09:00:00.124000"):
        problem = _check(_row(text, decided_at=stored), 1, GENESIS)
        assert problem == "column decided_at differs from the document"
    problem = _check(_row(text, as_of="2026-11-27 "), 1, GENESIS)
    assert problem == "column as_of differs from the document"


def test_a_record_older_than_the_fingerprint_in_its_document_passes():
    document = {k: v for k, v in DOCUMENT.items() if k != "request_fingerprint"}
    assert _check(_row(dumps(document)), 1, GENESIS) is None


@pytest.mark.parametrize("shape", ["spaced", "no facts", "actor with a name",
                                   "an object before the client's id"])
def test_a_document_of_another_shape_is_parsed_not_refused(shape):
    document = json.loads(json.dumps(DOCUMENT))
    text = None
    if shape == "spaced":
        text = json.dumps(document, sort_keys=True)
    elif shape == "no facts":
        del document["facts"]
    elif shape == "actor with a name":
        document["request"]["actor"]["name"] = "x"
    else:
        document["request"]["client"]["address"] = {"id": "c-1"}
        document["request"]["client"]["id"] = "c-9"
    text = text or dumps(document)
    row = _row(text, client_id=document["request"]["client"]["id"])
    if shape != "an object before the client's id":  # that one parses the request alone
        assert not matches_text(verify_columns.as_document(row[1:1 + len(columns.COPIED)]),
                                text)
    assert _check(row, 1, GENESIS) is None


def test_an_id_inside_a_nested_object_is_not_taken_for_the_clients():
    # client.id is c-9; a nested object before it holds "id":"c-1". The row saying c-1
    # must not pass because the text holds "id":"c-1" somewhere in the client.
    document = json.loads(json.dumps(DOCUMENT))
    document["request"]["client"]["address"] = {"id": "c-1"}
    document["request"]["client"]["id"] = "c-9"
    assert _check(_row(dumps(document)), 1, GENESIS) == "column client_id differs from the document"


def test_reason_rows_against_the_document():
    from app.log.read.verify_reasons import differ

    reasons = [{"approver": None, "item": None, "message": "m", "outcome": "deny",
                "principle": "pricing-policy", "rule": "pricing.segment-limit",
                "satisfied_by": None}]
    text = dumps({**DOCUMENT, "reasons": reasons})
    row = SimpleNamespace(rule="pricing.segment-limit", principle="pricing-policy",
                          outcome="deny")
    assert differ(text, [row]) is None
    assert differ(text, []) is not None
    assert differ(text, [row, row]) is not None
    assert differ(dumps(DOCUMENT), [row]) is not None
    for name, value in (("rule", "x.y"), ("principle", "claims"), ("outcome", "allow")):
        changed = SimpleNamespace(**{**vars(row), name: value})
        assert differ(text, [changed]) == f"reason rows differ from the document ({name})"
    # Older records kept in clear in their row a rule id the document masks.
    masked = dumps({**DOCUMENT, "reasons": [{**reasons[0],
                                             "principle": "hmac:0123456789abcdef-policy"}]})
    assert differ(masked, [row]) is None
