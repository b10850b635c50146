"""Logged rows as the API shows them: a page summary, the full record, an export line.

Everything shown comes from `document`, the masked JSON the hash covers, plus
columns copied from it; a clear confidential value is never in either (CONTRACT §7).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.jsontext import loads
from app.log.models import Decision
from app.log.read.lookup import RESPONSE_FIELDS

# What a list page and an export read: everything but the columns only the writer needs.
COLUMNS = (Decision.seq, Decision.actor_id, Decision.client_id, Decision.subject_id,
           Decision.key_name, Decision.document, Decision.prev_hash, Decision.hash)
# request_fingerprint: the HMAC of the request as sent, for telling a retry from another
# body; in the document since verify proves it (None in a record older than that).
FULL_EXTRA = ("request", "facts", "key_name", "approvals_presented", "request_fingerprint",
              "proposal")


def summary(row: Any) -> dict[str, Any]:
    """One item of GET /v1/decisions: the decision's answer, who asked about whom, seq."""
    document = head(row.document)
    item = {name: document.get(name) for name in RESPONSE_FIELDS}
    item["approval_problems"] = item["approval_problems"] or []  # older records
    item.update(actor_id=row.actor_id, client_id=row.client_id, seq=row.seq)
    return item


def full(row: Any) -> dict[str, Any]:
    """GET /v1/decisions/{id}: the answer, the masked request, facts and the chain links."""
    document = loads(row.document)
    record = {name: document.get(name) for name in RESPONSE_FIELDS}
    record.update({name: document.get(name) for name in FULL_EXTRA})
    record["approvals_presented"] = record["approvals_presented"] or []  # older records
    record["approval_problems"] = record["approval_problems"] or []
    if "user" in document:  # a decision made in the console: the person who asked (§11)
        record["user"] = document["user"]
    record.update(seq=row.seq, hash=row.hash, prev_hash=row.prev_hash)
    return record


def head(text: str, parse: Callable[[str], Any] = loads) -> dict[str, Any]:
    """The document without its bulk (facts, request), which summaries and CSV never show.

    Canonical JSON has its top-level keys sorted, so `facts` is the first list after
    five scalars and ends where `key_name` begins, and `request` sits between
    `reasons` and the last `request_id`; quotes inside strings are escaped, so these
    fragments only match as keys. Cutting them out first makes the parse about three
    times shorter. Whatever does not parse after the cut is parsed whole.
    """
    cut = text
    start = cut.find(',"facts":[')
    end = cut.find('],"key_name":', start)
    if 0 <= start < end:
        cut = cut[:start] + cut[end + 1:]
    start = cut.find(',"request":{')
    end = cut.rfind(',"request_id":')
    if 0 <= start < end:
        cut = cut[:start] + cut[end:]
    try:
        return parse(cut)
    except ValueError:
        return parse(text)


def jsonl_line(row: Any) -> str:
    """The full record as one JSON line, spliced from the stored text.

    The document is canonical JSON of an object, so adding the two chain fields before
    its closing brace gives the same record as `full` (keys sorted) without parsing
    and re-writing it: that is what keeps the export fast and its numbers exact.
    """
    document = row.document
    return f'{document[:-1]},"hash":"{row.hash}","prev_hash":"{row.prev_hash}"}}\n'
