"""An approval's log record: a link of the decisions' hash chain (CONTRACT §10).

Its document is canonical JSON like a decision's, with `"record": "approval"`; the
`approvals` columns are copies of its fields (COPIED), which verify checks as it checks
a decision's. It is appended under the same chain lock, with the outbox rows of the
events it causes, in one transaction (writer.append_link).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Table

from app.jsontext import dumps
from app.log.models import Approval
from app.log.write import columns
from app.log.write.chain import link
from app.log.write.writer import append_link

KIND = "approval"
# Column -> the document's field it copies ("by" is a word SQL keeps for itself).
COPIED = {"approval_id": "approval_id", "decision_id": "decision_id", "verdict": "verdict",
          "role": "role", "approver_id": "by", "decision_actor_id": "decision_actor_id",
          "at": "at", "expires_at": "expires_at", "proposal": "proposal"}
# What the API answers of a record (POST /v1/decisions/{id}/approvals, GET /v1/approvals).
ANSWER_FIELDS = ("approval_id", "decision_id", "verdict", "role", "by", "comment", "at",
                 "expires_at")
DATES = ("at", "expires_at")


def document(*, approval_id: str, decision_id: str, verdict: str, role: str, by: str,
             comment: str | None, at: datetime, expires_at: datetime,
             decision_actor_id: str | None, proposal: str | None,
             key_name: str | None) -> dict[str, Any]:
    """The record of one verdict, without its seq (added under the chain lock)."""
    return {"record": KIND, "approval_id": approval_id, "decision_id": decision_id,
            "verdict": verdict, "role": role, "by": by, "comment": comment,
            "at": columns.decided_at_text(at), "expires_at": columns.decided_at_text(expires_at),
            "decision_actor_id": decision_actor_id, "proposal": proposal,
            "key_name": key_name}


def columns_of(doc: dict[str, Any]) -> dict[str, Any]:
    """The value of every column of COPIED, as `doc` holds it (dates as its text)."""
    return {column: doc.get(field) for column, field in COPIED.items()}


def append(db_engine: Engine, doc: dict[str, Any],
           also: Callable[[dict[str, Any]], list[tuple[Table, dict[str, Any]]]] | None = None,
           ) -> dict[str, Any]:
    """Append `doc` as the next link; `also(record)` gives rows written in the same
    transaction (the outbox's). Returns the record with its seq.

    Raises writer.LinkTaken when this decision has this role's verdict already, and
    LogWriteError when the log cannot be written.
    """
    written: dict[str, Any] = {}

    def rows_of(seq: int, prev_hash: str) -> tuple[list[tuple[Table, dict[str, Any]]], str]:
        record = {**doc, "seq": seq}
        text = dumps(record, str_keys=True)
        digest = link(prev_hash, text)
        values = columns_of(record)
        for name in DATES:
            values[name] = columns.as_datetime(values[name])
        row = {**values, "seq": seq, "document": text, "prev_hash": prev_hash, "hash": digest}
        written.clear()
        written.update(record)
        extra = also(record) if also is not None else []
        return [(Approval.__table__, row), *extra], digest

    append_link(db_engine, rows_of)
    return dict(written)


def answer(record: dict[str, Any]) -> dict[str, Any]:
    """The API's view of an approval record."""
    return {name: record.get(name) for name in ANSWER_FIELDS}
