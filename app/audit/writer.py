"""Append one decision to the log, durably, as the next link of the one hash chain.

Writers serialise on the chain head: PostgreSQL locks its one row with
SELECT ... FOR UPDATE (so several workers and several hosts on one database keep
one chain), SQLite takes the write lock up front with BEGIN IMMEDIATE. The lock is
held only for the few statements that append the record.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from app.audit.canonical import dumps
from app.audit.chain import GENESIS, link
from app.audit.models import ChainHead, Decision, DecisionReason
from app.db import log_writers_queue

HEAD_ID = 1


class LogWriteError(Exception):
    """The decision could not be logged; the caller fails closed (503)."""


class DuplicateRequestId(Exception):
    """Another record already holds this request_id (a concurrent retry)."""


@dataclass
class Entry:
    """A finished, masked decision, waiting for its seq and hash."""

    decision_id: str
    request_id: str | None
    request_fingerprint: str
    action: str
    outcome: str
    actor_id: str | None
    actor_role: str | None
    client_id: str | None
    subject_id: str | None
    order_id: str | None
    key_name: str | None
    policy_name: str
    policy_version: str
    policy_sha256: str
    as_of: date
    decided_at: datetime
    duration_ms: float
    body: dict[str, Any]  # the document without seq: response + masked request + facts + key
    reasons: list[dict[str, Any]] = field(default_factory=list)
    # canonical.dumps(body), when the caller made it already: made by the request thread,
    # it is not made by the one thread that writes the log for a whole worker.
    body_text: str | None = None

    def for_transport(self) -> Entry:
        """This entry without the parts the writer does not need, for another process.

        With its text made and "seq" sorting last, the writer needs only the text: the
        body (a tree of dicts, lists and Decimals) would cost more to pickle than all
        the rest. The reasons keep their three indexed columns only.
        """
        if self.body_text is None or not splices_seq_last(self.body):
            return self
        reasons = [{"rule": r.get("rule"), "principle": r.get("principle"),
                    "outcome": r.get("outcome")} for r in self.reasons]
        return replace(self, body={}, reasons=reasons)


@dataclass(frozen=True)
class Written:
    seq: int
    prev_hash: str
    hash: str
    document: str


def append(engine: Engine, entry: Entry) -> Written:
    """Write `entry` as the next record; raise LogWriteError or DuplicateRequestId."""
    return append_many(engine, [entry])[0]


def append_many(engine: Engine, entries: list[Entry]) -> list[Written]:
    """Write `entries` as the next records, all or none, in one transaction (one fsync).

    Raises LogWriteError, or DuplicateRequestId when a request_id is taken already.
    """
    if not entries:
        return []
    try:
        # Serialised before the lock is taken; only seq is added under it.
        templates = [_document_template(entry.body, entry.body_text) for entry in entries]
        written: list[Written] = []
        with log_writers_queue(engine), engine.connect() as connection:
            connection = connection.execution_options(dealguard_write_lock=True)
            with connection.begin():
                seq, prev_hash = _lock_head(connection)
                rows, reasons = [], []
                for entry, with_seq in zip(entries, templates, strict=True):
                    seq += 1
                    document = with_seq(seq)
                    digest = link(prev_hash, document)
                    rows.append(_row(entry, seq, document, prev_hash, digest))
                    reasons.extend(_reason_rows(entry, seq))
                    written.append(Written(seq, prev_hash, digest, document))
                    prev_hash = digest
                connection.execute(_INSERT_DECISIONS, rows)
                if reasons:
                    connection.execute(_INSERT_REASONS, reasons)
                connection.execute(_MOVE_HEAD, {"new_seq": seq, "new_hash": prev_hash})
        return written
    except IntegrityError as error:
        if "request_id" in str(error.orig).lower():
            raise DuplicateRequestId() from None
        raise LogWriteError(type(error).__name__) from None
    except (SQLAlchemyError, OSError, ValueError, TypeError) as error:
        # The message of a driver error may quote row values; keep only its type.
        raise LogWriteError(type(error).__name__) from None


def _reason_rows(entry: Entry, seq: int) -> list[dict[str, Any]]:
    return [
        {
            "decision_seq": seq,
            "rule": str(r.get("rule", ""))[:128],
            "principle": str(r.get("principle", ""))[:64],
            "outcome": str(r.get("outcome", ""))[:20],
        }
        for r in entry.reasons
    ]


def _document_template(body: dict[str, Any], text: str | None = None):
    """seq -> the canonical document text of `body` plus "seq".

    Canonical JSON sorts keys; when "seq" sorts last (every key of the record does sort
    before it) the text is the body's text with `,"seq":n` spliced in before the final brace.
    """
    if not splices_seq_last(body):
        return lambda seq: dumps({**body, "seq": seq})
    if text is None:
        text = dumps(body)
    head = text[:-1] + ("" if text == "{}" else ",")
    return lambda seq: f'{head}"seq":{int(seq)}}}'


def splices_seq_last(body: dict[str, Any]) -> bool:
    """True when every key of `body` sorts before "seq" (see _document_template)."""
    return all(str(key) < "seq" for key in body)


# Built once: constructing a statement costs more than SQLAlchemy's cached execution of it.
_HEAD = select(ChainHead.seq, ChainHead.hash).where(ChainHead.id == HEAD_ID).with_for_update()
_INSERT_DECISIONS = insert(Decision.__table__)
_INSERT_REASONS = insert(DecisionReason.__table__)
_MOVE_HEAD = (
    update(ChainHead.__table__)
    .where(ChainHead.id == HEAD_ID)
    .values(seq=bindparam("new_seq"), hash=bindparam("new_hash"))
)


def _lock_head(connection) -> tuple[int, str]:
    statement = _HEAD
    row = connection.execute(statement).first()
    if row is None:
        # A schema made by create_all (tests) has no head row yet; the migration adds it.
        # Start it from the last record so an existing chain is continued, not restarted.
        last = connection.execute(
            select(Decision.seq, Decision.hash).order_by(Decision.seq.desc()).limit(1)
        ).first()
        seq, digest = (last.seq, last.hash) if last else (0, GENESIS)
        connection.execute(insert(ChainHead.__table__).values(id=HEAD_ID, seq=seq, hash=digest))
        row = connection.execute(statement).first()
    return row.seq, row.hash


def _row(entry: Entry, seq: int, document: str, prev_hash: str, digest: str) -> dict[str, Any]:
    return {
        "seq": seq,
        "decision_id": entry.decision_id,
        "request_id": entry.request_id,
        "request_fingerprint": entry.request_fingerprint,
        "action": entry.action,
        "outcome": entry.outcome,
        "actor_id": entry.actor_id,
        "actor_role": entry.actor_role,
        "client_id": entry.client_id,
        "subject_id": entry.subject_id,
        "order_id": entry.order_id,
        "key_name": entry.key_name,
        "policy_name": entry.policy_name,
        "policy_version": entry.policy_version,
        "policy_sha256": entry.policy_sha256,
        "as_of": entry.as_of,
        "decided_at": entry.decided_at,
        "duration_ms": entry.duration_ms,
        "document": document,
        "prev_hash": prev_hash,
        "hash": digest,
    }


def ensure_head(engine: Engine) -> None:
    """Add the chain head row if the schema lacks it (a schema made by create_all)."""
    with engine.begin() as connection:
        if connection.execute(select(ChainHead.id).where(ChainHead.id == HEAD_ID)).first() is None:
            connection.execute(insert(ChainHead.__table__).values(id=HEAD_ID, seq=0, hash=GENESIS))
