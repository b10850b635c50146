"""Append one decision to the log, durably, as the next link of the one hash chain.

Writers serialise on the chain head: PostgreSQL locks its one row with
SELECT ... FOR UPDATE (so several workers and several hosts on one database keep
one chain), SQLite takes the write lock up front with BEGIN IMMEDIATE. The lock is
held only for the few statements that append the record.

An entry's webhook events (Entry.events) go into the outbox in the same transaction,
with the logged document as their data (app/log/write/outbox.py): an event exists
exactly when its decision does.

`append_many` writes a group in one transaction; `write_group` gives each entry of a
group its own outcome, so that one entry at fault never fails its neighbours. Both the
worker's committer (group_commit.py) and the writer process (writer_process.py) call
`write_group`.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, Table, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from app.db import is_sqlite
from app.jsontext import dumps
from app.log.models import (
    Approval,
    ApprovalRequest,
    ChainHead,
    Decision,
    DecisionReason,
    DecisionShadow,
    OutboxEvent,
)
from app.log.write.chain import GENESIS, link
from app.log.write.driver_sql import driver_sql, once_per_dialect
from app.log.write.outbox import event_row
from app.log.write.sqlite_lock import log_writers_queue

HEAD_ID = 1


class LogWriteError(Exception):
    """The decision could not be logged; the caller fails closed (503)."""


class DuplicateRequestId(Exception):
    """Another record already holds this request_id (a concurrent retry)."""


class RefusedEntry(LogWriteError):
    """The database (or the chain's own encoding) refused a value of an entry: a NUL in a
    string for PostgreSQL, a lone surrogate for UTF-8. Not a failure of the database, so
    the other entries of its group can be written without the one that holds it."""


@dataclass(frozen=True)
class ShadowResult:
    """The shadow version's answer to one decision: an outcome, or the error it met.

    Only values the service makes (an outcome, role names, an exception's type): no
    request value, so the database never refuses it and it never fails the decision.
    """

    version_id: int
    outcome: str | None
    required_approvals: str | None  # the roles as a JSON list
    error: str | None

    def __iter__(self):
        return iter((self.version_id, self.outcome, self.required_approvals, self.error))


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
    # A require_approval decision: the inboxes that show it (ApprovalRequest.audience).
    audiences: tuple[str, ...] = ()
    # The webhook events this record causes (app/log/write/outbox.py), written in its
    # transaction with the logged document as their data; only those some webhook
    # wants, so a decision nobody listens for writes no event.
    events: tuple[str, ...] = ()
    # The policy version it was decided under (also in the document's "policy").
    policy_version_id: int | None = None
    # What the shadow policy answered, if one runs: written beside the record, in the
    # same transaction (decision_shadows), never into the hashed document.
    shadow: ShadowResult | None = None

    def for_transport(self) -> tuple:
        """This entry as a plain tuple for another process (Entry.from_transport).

        With its text made and "seq" sorting last, the writer needs only the text: the
        body (a tree of dicts, lists and Decimals) would cost more to pickle than all
        the rest, and so would the dataclass itself. The reasons keep their three
        indexed columns only.
        """
        body = self.body
        if self.body_text is not None and splices_seq_last(body):
            body = {}
        reasons = [(r.get("rule"), r.get("principle"), r.get("outcome")) for r in self.reasons]
        shadow = None if self.shadow is None else tuple(self.shadow)
        return (*(getattr(self, name) for name in _SCALARS), body, reasons, self.body_text,
                self.audiences, tuple(self.events), self.policy_version_id, shadow)

    @classmethod
    def from_transport(cls, values: tuple) -> Entry:
        *scalars, body, reasons, body_text, audiences, events, policy_version_id, shadow = values
        return cls(*scalars, body=body, body_text=body_text, audiences=audiences,
                   events=events,
                   reasons=[{"rule": rule, "principle": principle, "outcome": outcome}
                            for rule, principle, outcome in reasons],
                   policy_version_id=policy_version_id,
                   shadow=None if shadow is None else ShadowResult(*shadow))


# Entry's fields before `body`, in order: the positional part of its transport tuple.
_FIELDS = tuple(f.name for f in fields(Entry))
_SCALARS = _FIELDS[:_FIELDS.index("body")]


Outcome = Exception | None  # None: written; else LogWriteError or DuplicateRequestId


@dataclass(frozen=True)
class Written:
    seq: int
    prev_hash: str
    hash: str
    document: str


def append_many(db_engine: Engine, entries: list[Entry]) -> list[Written]:
    """Write `entries` as the next records, all or none, in one transaction (one fsync).

    Raises LogWriteError, RefusedEntry (a LogWriteError) when a value of some entry was
    refused, or DuplicateRequestId when a request_id is taken already.
    The statements run on the driver's own connection, compiled once per dialect:
    SQLAlchemy's per-statement work cost more than the inserts themselves, and it is
    all done while every other writer waits for the chain head.
    """
    if not entries:
        return []
    sql = once_per_dialect(_compile, db_engine.dialect)
    try:
        # Serialised before the lock is taken; only seq is added under it.
        templates = [_document_template(entry.body, entry.body_text) for entry in entries]
        with log_writers_queue(db_engine):
            try:
                return _append_on_driver(db_engine, sql, entries, templates)
            except _NoHead:
                _add_head(db_engine)
                return _append_on_driver(db_engine, sql, entries, templates)
    except sql.integrity_error as error:
        if "request_id" in str(error).lower():
            raise DuplicateRequestId() from None
        raise RefusedEntry(type(error).__name__) from None
    except sql.refused_errors as error:
        raise RefusedEntry(type(error).__name__) from None
    except (sql.driver_error, SQLAlchemyError, OSError) as error:
        # The message of a driver error may quote row values; keep only its type.
        raise LogWriteError(type(error).__name__) from None


def _append_on_driver(db_engine: Engine, sql: _Statements, entries: list[Entry],
                      templates) -> list[Written]:
    raw = db_engine.raw_connection()
    try:
        written = _append_locked(raw, sql, entries, templates)
    except BaseException:
        _abandon(raw)
        raise
    raw.close()  # back to the pool
    return written


def _append_locked(raw, sql: _Statements, entries: list[Entry], templates) -> list[Written]:
    cursor = raw.cursor()
    try:
        if sql.begin is not None:
            cursor.execute(sql.begin)  # SQLite: the write lock now, not at the first insert
        cursor.execute(sql.lock_head)
        head = cursor.fetchone()
        if head is None:
            raise _NoHead()
        seq, prev_hash = int(head[0]), head[1]
        rows, reasons, asked, events, shadows, written = [], [], [], [], [], []
        for entry, with_seq in zip(entries, templates, strict=True):
            seq += 1
            document = with_seq(seq)
            digest = link(prev_hash, document)
            rows.append(sql.decision_params(_row(entry, seq, document, prev_hash, digest)))
            reasons.extend(sql.reason_params(reason) for reason in _reason_rows(entry, seq))
            asked.extend(sql.request_params({"decision_seq": seq, "audience": audience,
                                             "decided_at": entry.decided_at})
                         for audience in entry.audiences)
            events.extend(sql.event_params(event_row(event, document, entry.decided_at))
                          for event in entry.events)
            if entry.shadow is not None:
                shadows.append(sql.shadow_params(_shadow_row(entry.shadow, seq)))
            written.append(Written(seq, prev_hash, digest, document))
            prev_hash = digest
        # psycopg: the inserts and the head's move go in one round trip (a pipeline)
        # instead of one each, while the other writers wait for the head.
        with _pipeline(raw):
            cursor.executemany(sql.insert_decision, rows)
            if reasons:
                cursor.executemany(sql.insert_reason, reasons)
            if asked:
                cursor.executemany(sql.insert_request, asked)
            if events:
                cursor.executemany(sql.insert_event, events)
            if shadows:
                cursor.executemany(sql.insert_shadow, shadows)
            cursor.execute(sql.move_head, sql.head_params(seq, prev_hash))
        raw.commit()
        return written
    finally:
        cursor.close()


# A record of another kind than a decision (an approval): the rows to insert for the link
# at (seq, prev_hash), and the link's hash, the chain's new head.
LinkRows = Callable[[int, str], tuple[list[tuple[Table, dict[str, Any]]], str]]


class LinkTaken(LogWriteError):
    """A unique index refused the link's row: what it records exists already."""


def append_link(db_engine: Engine, rows_of: LinkRows) -> None:
    """Append one record that is not a decision as the next link of the one chain.

    The same lock and the same head as the decisions' append, one transaction: the
    rows of `rows_of(seq, prev_hash)` and the head's move. Raises LinkTaken when a
    unique index refuses a row, LogWriteError when the database fails.
    """
    sql = once_per_dialect(_compile, db_engine.dialect)
    try:
        with log_writers_queue(db_engine):
            try:
                _link_on_driver(db_engine, sql, rows_of)
            except _NoHead:
                _add_head(db_engine)
                _link_on_driver(db_engine, sql, rows_of)
    except sql.integrity_error:
        raise LinkTaken() from None
    except (sql.driver_error, SQLAlchemyError, OSError, ValueError, TypeError) as error:
        raise LogWriteError(type(error).__name__) from None


def _link_on_driver(db_engine: Engine, sql: _Statements, rows_of: LinkRows) -> None:
    raw = db_engine.raw_connection()
    cursor = raw.cursor()
    try:
        if sql.begin is not None:
            cursor.execute(sql.begin)
        cursor.execute(sql.lock_head)
        head = cursor.fetchone()
        if head is None:
            raise _NoHead()
        seq = int(head[0]) + 1
        rows, digest = rows_of(seq, head[1])
        for table, values in rows:
            statement, params = _insert_statement(table, tuple(values), db_engine.dialect)
            cursor.execute(statement, params(values))
        cursor.execute(sql.move_head, sql.head_params(seq, digest))
        raw.commit()
    except BaseException:
        cursor.close()
        _abandon(raw)
        raise
    cursor.close()
    raw.close()


_inserts: dict[tuple, tuple[str, Any]] = {}


def _insert_statement(table: Table, columns: tuple[str, ...], dialect) -> tuple[str, Any]:
    """INSERT of `columns` into `table` as driver SQL, compiled once per dialect."""
    key = (table.name, columns, dialect.name, dialect.driver)
    if key not in _inserts:
        _inserts[key] = driver_sql(insert(table).inline(), dialect, list(columns), table)
    return _inserts[key]


def _pipeline(raw) -> AbstractContextManager[object]:
    driver = getattr(raw, "driver_connection", None)
    pipeline = getattr(driver, "pipeline", None)
    return pipeline() if pipeline is not None else nullcontext()


def _abandon(raw) -> None:
    """Roll back and drop a connection a failed append used: it may be broken."""
    try:
        raw.rollback()
    except Exception:  # noqa: BLE001 - it is being thrown away
        pass
    try:
        raw.invalidate()
    except Exception:  # noqa: BLE001
        pass
    raw.close()


class _NoHead(Exception):
    """The schema lacks the chain head row (a schema made by create_all)."""


def _add_head(db_engine: Engine) -> None:
    """Add the missing head, continuing the chain from the last record if there is one.

    The migration adds the head; only a schema made by create_all (tests) lacks it.
    Two writers may both add it: the second one's insert fails and it uses the first's.
    """
    try:
        with db_engine.begin() as connection:
            # The last link, a decision or an approval.
            last = max((connection.execute(
                select(table.seq, table.hash).order_by(table.seq.desc()).limit(1)).first()
                for table in (Decision, Approval)), key=lambda row: row.seq if row else 0)
            seq, digest = (last.seq, last.hash) if last else (0, GENESIS)
            connection.execute(insert(ChainHead.__table__).values(id=HEAD_ID, seq=seq,
                                                                  hash=digest))
    except IntegrityError:
        pass


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


def _shadow_row(shadow: ShadowResult, seq: int) -> dict[str, Any]:
    return {"decision_seq": seq, "version_id": shadow.version_id,
            "outcome": shadow.outcome, "required_approvals": shadow.required_approvals,
            "error": None if shadow.error is None else shadow.error[:200]}


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


@dataclass(frozen=True)
class _Statements:
    """The append's statements for one dialect, as driver SQL, and how to bind them."""

    begin: str | None
    lock_head: str
    insert_decision: str
    insert_reason: str
    insert_request: str
    insert_event: str
    insert_shadow: str
    move_head: str
    decision_params: Any  # dict of column values -> the driver's parameters
    reason_params: Any
    request_params: Any
    event_params: Any
    shadow_params: Any
    head_params: Any
    integrity_error: type[Exception]
    # Errors about the values of an entry, not about the database (RefusedEntry).
    refused_errors: tuple[type[Exception], ...]
    driver_error: type[Exception]


def _compile(dialect) -> _Statements:
    decisions, reasons = Decision.__table__, DecisionReason.__table__
    reason_columns = [c.name for c in reasons.columns if c.name != "id"]
    head = (select(ChainHead.seq, ChainHead.hash).where(ChainHead.id == HEAD_ID)
            .with_for_update())
    move = (update(ChainHead.__table__).where(ChainHead.id == bindparam("head_id"))
            .values(seq=bindparam("new_seq"), hash=bindparam("new_hash")))
    lock_sql = str(head.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    decision_sql, decision_params = driver_sql(
        insert(decisions), dialect, [c.name for c in decisions.columns], decisions)
    # inline(): no RETURNING of the new ids, which nobody reads.
    reason_sql, reason_params = driver_sql(insert(reasons).inline(), dialect, reason_columns,
                                            reasons)
    requests = ApprovalRequest.__table__
    request_columns = [c.name for c in requests.columns if c.name != "id"]
    request_sql, request_params = driver_sql(insert(requests).inline(), dialect,
                                             request_columns, requests)
    outbox = OutboxEvent.__table__
    event_columns = ["id", "event", "occurred_at", "data"]
    event_sql, event_params = driver_sql(insert(outbox).inline(), dialect, event_columns, outbox)
    shadows = DecisionShadow.__table__
    shadow_sql, shadow_params = driver_sql(insert(shadows).inline(), dialect,
                                           [c.name for c in shadows.columns], shadows)
    move_sql, move_params = driver_sql(move, dialect)
    dbapi = dialect.dbapi
    return _Statements(
        begin="BEGIN IMMEDIATE" if is_sqlite(dialect) else None,
        lock_head=lock_sql,
        insert_decision=decision_sql,
        insert_reason=reason_sql,
        insert_request=request_sql,
        insert_event=event_sql,
        insert_shadow=shadow_sql,
        move_head=move_sql,
        decision_params=decision_params,
        reason_params=reason_params,
        request_params=request_params,
        event_params=event_params,
        shadow_params=shadow_params,
        head_params=lambda seq, digest: move_params(
            {"head_id": HEAD_ID, "new_seq": seq, "new_hash": digest}),
        integrity_error=dbapi.IntegrityError,
        # DataError: a value the column cannot hold (SQLSTATE class 22); ValueError
        # (UnicodeEncodeError) and TypeError: one the canonical text, the hash or the
        # driver's encoding cannot take. Not ProgrammingError: PostgreSQL says that of
        # a missing table, which no entry is at fault for.
        refused_errors=(dbapi.DataError, ValueError, TypeError),
        driver_error=dbapi.Error,
    )


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
        "policy_version_id": entry.policy_version_id,
        "as_of": entry.as_of,
        "decided_at": entry.decided_at,
        "duration_ms": entry.duration_ms,
        "document": document,
        "prev_hash": prev_hash,
        "hash": digest,
    }


def ensure_head(db_engine: Engine) -> None:
    """Add the chain head row if the schema lacks it (a schema made by create_all)."""
    with db_engine.begin() as connection:
        if connection.execute(select(ChainHead.id).where(ChainHead.id == HEAD_ID)).first() is None:
            connection.execute(insert(ChainHead.__table__).values(id=HEAD_ID, seq=0, hash=GENESIS))


def write_group(db_engine: Engine, entries: list[Entry]) -> list[Outcome]:
    """Write `entries` in one transaction if possible; the outcome of each, in order.

    A failed group fails every entry in it (the transaction is all or none), except a
    request_id that is already taken: that entry alone gets DuplicateRequestId and the
    others are written without it; and except an entry whose values are refused
    (RefusedEntry): the group is written again in halves, and halves of the half that
    fails, until that entry is alone. A refused group was rolled back whole, so the
    chain has no gap and no hash over it; the halves are written in order, a
    transaction each (a few more transactions, on this rare path only: the common one
    pays nothing for it). Every outcome is final when this returns: a duplicate's
    caller reads the first decision back, which is committed by then.
    """
    try:
        append_many(db_engine, entries)
    except DuplicateRequestId as duplicate:
        if len(entries) == 1:
            return [duplicate]
        return _write_without_duplicates(db_engine, entries)
    except RefusedEntry as refused:
        if len(entries) == 1:
            return [refused]
        half = len(entries) // 2
        return write_group(db_engine, entries[:half]) + write_group(db_engine, entries[half:])
    except LogWriteError as error:
        return [error] * len(entries)
    return [None] * len(entries)


def _write_without_duplicates(db_engine: Engine, entries: list[Entry]) -> list[Outcome]:
    """Fail only the entries whose request_id is taken (in the log or earlier in the
    group); write the rest together. A request_id taken meanwhile by another process
    makes this run again on the smaller group."""
    try:
        taken = _logged_request_ids(db_engine, [entry.request_id for entry in entries])
    except SQLAlchemyError as error:
        return [LogWriteError(type(error).__name__)] * len(entries)
    outcomes: list[Outcome] = [None] * len(entries)
    rest: list[int] = []
    for index, entry in enumerate(entries):
        if entry.request_id is not None and entry.request_id in taken:
            outcomes[index] = DuplicateRequestId()
        else:
            rest.append(index)
            if entry.request_id is not None:
                taken.add(entry.request_id)
    if len(rest) == len(entries):
        # The conflict is gone from view (another writer rolled back?): one at a time.
        return [write_group(db_engine, [entry])[0] for entry in entries]
    if rest:
        for index, outcome in zip(rest, write_group(db_engine, [entries[i] for i in rest]),
                                  strict=True):
            outcomes[index] = outcome
    return outcomes


def _logged_request_ids(db_engine: Engine, request_ids: list[str | None]) -> set[str]:
    wanted = sorted({r for r in request_ids if r is not None})
    if not wanted:
        return set()
    with db_engine.connect() as connection:
        return set(connection.execute(
            select(Decision.request_id).where(Decision.request_id.in_(wanted))).scalars())

