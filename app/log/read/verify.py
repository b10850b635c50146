"""Re-compute the hash chain of the whole log and say where it first breaks (CONTRACT §5).

Records are read in seq order, a batch at a time, in one snapshot; for each:

- its seq is the one after the previous record's (a gap is a removed record, a
  repeat or jump an inserted or renumbered one);
- its prev_hash is the previous record's hash (a removed, inserted or reordered
  record breaks this link);
- its hash is `chain.link(prev_hash, document)`, the writer's own function (a
  changed document or hash fails here);
- every column is the copy of its document's field that app.log.write.columns defines
  (the columns are what the log is filtered by, and a person's view: a changed
  outcome or actor_id column would make a filter lie while the hash still held);

The chain's links are decisions and approvals (app.log.write.approval), read from
their two tables merged by seq; an approval's columns are checked against its
document as a decision's are (app.log.read.verify_approvals). The last link is the
chain head the writers keep, so removing the newest
records, or appending past the head, is found too. The reason rows the rule and
principle filters read must be the document's reasons (app.log.read.verify_reasons).
`first_bad_seq` is the first position where one of these fails: every record
before it is proven unchanged.
"""

from __future__ import annotations

import heapq
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, String, select, type_coerce

from app.db import is_postgresql, is_sqlite
from app.log.models import ChainHead, Decision
from app.log.read import verify_approvals, verify_columns, verify_reasons
from app.log.read.verify_reasons import ReasonRows
from app.log.write import columns
from app.log.write.chain import GENESIS, link
from app.log.write.writer import HEAD_ID

BATCH = 2000
# The select's order: seq, the columns of columns.COPIED, then the chain's own.
_LAST_COPIED = 1 + len(columns.COPIED)


@dataclass(frozen=True)
class Result:
    ok: bool
    checked: int  # records read and found sound
    first_bad_seq: int | None
    problem: str | None = None  # what failed at first_bad_seq, for the auditor
    digests: dict[str, Any] | None = None  # what verify_digests checked, when it did

    def as_dict(self) -> dict[str, Any]:
        answer = {"ok": self.ok, "checked": self.checked, "first_bad_seq": self.first_bad_seq,
                  "problem": self.problem}
        if self.digests is not None:
            answer["digests"] = self.digests
        return answer


def verify(db_engine: Engine, batch: int = BATCH,
           checkpoints: Mapping[int, Any] | None = None) -> Result:
    """Check the whole chain; reads only, in constant memory.

    `checkpoints` maps a seq to what a signed digest says of it (.hash, .made_at,
    .previous_seq: app.log.read.verify_digests): the record there must have that hash.
    """
    with db_engine.connect() as connection:
        if is_postgresql(connection):
            # One snapshot for the head and every record, while writers go on appending.
            connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            head = connection.execute(
                select(ChainHead.seq, ChainHead.hash).where(ChainHead.id == HEAD_ID)).first()
            links = heapq.merge(_rows(connection, batch),
                                verify_approvals.rows(connection, batch),
                                key=lambda row: row.seq)
            return _walk(links, head, ReasonRows(connection, batch), checkpoints or {})


def _rows(connection: Connection, batch: int) -> Iterator[Any]:
    selected = [Decision.seq, *(getattr(Decision, name) for name in columns.COPIED),
                Decision.document, Decision.prev_hash, Decision.hash]
    if is_sqlite(connection):
        # SQLite keeps dates as text and filters compare that text: verify reads it
        # as stored (and spares parsing a datetime per record).
        selected = [type_coerce(c, String).label(c.name) if c.name in ("as_of", "decided_at")
                    else c for c in selected]
    result = connection.execution_options(stream_results=True, yield_per=batch).execute(
        select(*selected).order_by(Decision.seq))
    for rows in result.partitions():
        yield from rows


def _walk(rows: Iterator[Any], head: Any, reasons: ReasonRows,
          checkpoints: Mapping[int, Any]) -> Result:
    expected_seq, prev_hash, checked = 1, GENESIS, 0
    for row in rows:
        if verify_approvals.is_approval(row):
            problem = verify_approvals.check(row, expected_seq, prev_hash)
            if problem is not None:
                return Result(False, checked, expected_seq, problem)
            checked += 1
            expected_seq, prev_hash = row.seq + 1, row.hash
            continue
        problem = _check(row, expected_seq, prev_hash)
        if problem is not None:
            return Result(False, checked, expected_seq, problem)
        signed = checkpoints.get(row.seq)
        if signed is not None and signed.hash != row.hash:
            # The chain up to here links, so it was written again from somewhere after
            # the digest before this one: only the records up to that one are proven.
            return Result(False, signed.previous_seq, signed.previous_seq + 1,
                          f"the record at seq {row.seq} is not the one the digest of "
                          f"{signed.made_at} signed: a record after seq "
                          f"{signed.previous_seq} was rewritten")
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
    beyond = [c for seq, c in checkpoints.items() if seq >= expected_seq]
    if beyond:
        signed = min(beyond, key=lambda c: c.seq)
        return Result(False, checked, expected_seq,
                      f"the log ends at seq {expected_seq - 1}, but the digest of "
                      f"{signed.made_at} signed seq {signed.seq}: records were removed")
    return Result(True, checked, None)


def _check(row: Any, expected_seq: int, prev_hash: str) -> str | None:
    if row.seq != expected_seq:
        return "seq out of sequence (a record removed, inserted or renumbered)"
    if row.prev_hash != prev_hash:
        return "prev_hash does not link to the previous record"
    text = row.document
    if link(row.prev_hash, text) != row.hash:
        return "hash does not match the document"
    if not text.endswith(f',"seq":{row.seq}}}'):
        document = _parse(text)
        if document is None:
            return "document is not a JSON object"
        if document.get("seq") != row.seq:
            return "column seq differs from the document"
    values = verify_columns.as_document(row[1:_LAST_COPIED])
    if verify_columns.matches_text(values, text):
        return None
    document = _parse(text)
    if document is None:
        return "document is not a JSON object"
    return verify_columns.differ(values, text, document)


def _parse(text: str) -> dict[str, Any] | None:
    try:
        document = json.loads(text)
    except ValueError:
        return None
    return document if isinstance(document, dict) else None
