"""verify's look at the approvals: links of the same chain as the decisions.

An approval row must link (seq, prev_hash, hash over its document, the document's
seq), and each of its columns must be the copy of its document's field that
app.log.write.approval.COPIED names: a verdict or an expiry changed in SQL would
make an approval count where it should not, while the hash still held.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, literal, select

from app.log.models import Approval
from app.log.write import approval, columns
from app.log.write.chain import link

_COLUMNS = tuple(approval.COPIED)


def rows(connection: Connection, batch: int) -> Iterator[Any]:
    """Every approval row in seq order, streamed; each says it is one (is_approval)."""
    selected = [Approval.seq, literal(approval.KIND).label("kind"),
                *(getattr(Approval, name) for name in _COLUMNS),
                Approval.document, Approval.prev_hash, Approval.hash]
    result = connection.execution_options(stream_results=True, yield_per=batch).execute(
        select(*selected).order_by(Approval.seq))
    for part in result.partitions():
        yield from part


def is_approval(row: Any) -> bool:
    return getattr(row, "kind", None) == approval.KIND


def check(row: Any, expected_seq: int, prev_hash: str) -> str | None:
    """What is wrong with one approval link, or None."""
    if row.seq != expected_seq:
        return "seq out of sequence (a record removed, inserted or renumbered)"
    if row.prev_hash != prev_hash:
        return "prev_hash does not link to the previous record"
    if link(row.prev_hash, row.document) != row.hash:
        return "hash does not match the document"
    try:
        document = json.loads(row.document)
    except ValueError:
        return "document is not a JSON object"
    if not isinstance(document, dict) or document.get("seq") != row.seq:
        return "column seq differs from the document"
    if document.get("record") != approval.KIND:
        return "an approval row holds no approval"
    expected = approval.columns_of(document)
    for name in _COLUMNS:
        have = getattr(row, name)
        if name in approval.DATES:
            have = _text(have)
        if have != expected[name]:
            return f"approval column {name} differs from the document"
    return None


def _text(value: Any) -> Any:
    if isinstance(value, datetime):
        return columns.decided_at_text(value)
    if isinstance(value, str) and len(value) == 26 and value[10] == " ":
        return columns.decided_at_text(datetime.fromisoformat(value))  # SQLite's text
    return value
