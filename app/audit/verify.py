"""Re-compute the hash chain of the whole log and say where it first breaks (CONTRACT §5).

Records are read in seq order, a batch at a time, in one snapshot; for each:

- its seq is the one after the previous record's (a gap is a removed record, a
  repeat or jump an inserted or renumbered one);
- its prev_hash is the previous record's hash (a removed, inserted or reordered
  record breaks this link);
- its hash is `chain.link(prev_hash, document)`, the writer's own function (a
  changed document or hash fails here);
- its document names the same seq, decision_id, action and outcome as its columns
  (the columns are what the log is filtered by; a changed outcome column would make
  a filter lie while the hash still held);

and the last record is the chain head the writers keep, so removing the newest
records, or appending past the head, is found too. The reason rows the rule and
principle filters read must be the document's reasons (app.audit.verify_reasons).
`first_bad_seq` is the first position where one of these fails: every record
before it is proven unchanged.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, select

from app.audit import verify_reasons
from app.audit.chain import GENESIS, link
from app.audit.models import ChainHead, Decision
from app.audit.verify_reasons import ReasonRows
from app.audit.writer import HEAD_ID

BATCH = 2000
_json_string = functools.lru_cache(maxsize=64)(json.JSONEncoder(ensure_ascii=False).encode)
_COLUMNS = (Decision.seq, Decision.decision_id, Decision.action, Decision.outcome,
            Decision.document, Decision.prev_hash, Decision.hash)


@dataclass(frozen=True)
class Result:
    ok: bool
    checked: int  # records read and found sound
    first_bad_seq: int | None
    problem: str | None = None  # what failed at first_bad_seq, for the auditor

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "checked": self.checked, "first_bad_seq": self.first_bad_seq,
                "problem": self.problem}


def verify(engine: Engine, batch: int = BATCH) -> Result:
    """Check the whole chain; reads only, in constant memory."""
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            # One snapshot for the head and every record, while writers go on appending.
            connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            head = connection.execute(
                select(ChainHead.seq, ChainHead.hash).where(ChainHead.id == HEAD_ID)).first()
            return _walk(_rows(connection, batch), head, ReasonRows(connection, batch))


def _rows(connection: Connection, batch: int) -> Iterator[Any]:
    result = connection.execution_options(stream_results=True, yield_per=batch).execute(
        select(*_COLUMNS).order_by(Decision.seq))
    for rows in result.partitions():
        yield from rows


def _walk(rows: Iterator[Any], head: Any, reasons: ReasonRows) -> Result:
    expected_seq, prev_hash, checked = 1, GENESIS, 0
    for row in rows:
        problem = _check(row, expected_seq, prev_hash)
        if problem is not None:
            return Result(False, checked, expected_seq, problem)
        if head is not None and row.seq > head.seq:
            return Result(False, checked, row.seq, "record beyond the chain head")
        mine, stray = reasons.take(row.seq)
        problem = ("reason rows of no record" if stray
                   else verify_reasons.differ(row.document, mine))
        if problem is not None:
            return Result(False, checked, row.seq, problem)
        checked += 1
        expected_seq, prev_hash = row.seq + 1, row.hash
    if reasons.left_over() is not None:
        return Result(False, checked, expected_seq, "reason rows of no record")
    if head is not None:
        if head.seq >= expected_seq:
            return Result(False, checked, expected_seq, "records missing before the chain head")
        if head.seq and head.hash != prev_hash:
            return Result(False, checked, head.seq, "last record differs from the chain head")
    return Result(True, checked, None)


def _check(row: Any, expected_seq: int, prev_hash: str) -> str | None:
    if row.seq != expected_seq:
        return "seq out of sequence (a record removed, inserted or renumbered)"
    if row.prev_hash != prev_hash:
        return "prev_hash does not link to the previous record"
    if link(row.prev_hash, row.document) != row.hash:
        return "hash does not match the document"
    if _columns_match_quickly(row):
        return None
    return _columns_differ(row)


def _columns_match_quickly(row: Any) -> bool:
    """The columns against the document's text, without parsing it.

    The document is canonical JSON (keys sorted, no spaces), so its top level reads
    {"action":..,"as_of":..,"decided_at":..,"decision_id":..,"duration_ms":.. ...
    "outcome":..,"policy":{.. ... ,"seq":N}. Strings inside it have their quotes
    escaped, so these fragments only match as keys. Parsing millions of documents
    would triple verify's time; a miss falls back to parsing, so a document of
    another shape costs time, never a false alarm.
    """
    text, quote = row.document, _json_string  # action and outcome: a handful of values
    return (text.startswith(f'{{"action":{quote(row.action)},')
            and text.endswith(f',"seq":{row.seq}}}')
            and f'"decision_id":{quote.__wrapped__(row.decision_id)},"duration_ms":' in text
            and f'"outcome":{quote(row.outcome)},"policy":' in text)


def _columns_differ(row: Any) -> str | None:
    try:
        document = json.loads(row.document)
    except ValueError:
        return "document is not JSON"
    if not isinstance(document, dict):
        return "document is not a JSON object"
    for name in ("seq", "decision_id", "action", "outcome"):
        if document.get(name) != getattr(row, name):
            return f"column {name} differs from the document"
    return None
