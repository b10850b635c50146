"""Reads of the approvals in the log: a reference, a decision's verdicts, the pages.

The inbox reads `approval_requests` (who is asked) joined to the decisions, newest
first by (decided_at, seq); the registers read `approvals` by seq. Every page reads one
row more than it shows, to know whether another follows.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, and_, exists, or_, select

from app.jsontext import loads
from app.log.models import Approval, ApprovalRequest, Decision
from app.log.write import approval as approval_record


def referenced(connection: Connection, approval_id: str) -> Any | None:
    """(verdict, role, expires_at, proposal) of one approval, or None."""
    return connection.execute(
        select(Approval.verdict, Approval.role, Approval.expires_at, Approval.proposal)
        .where(Approval.approval_id == approval_id)).first()


def approved_on_proposal(connection: Connection, proposal: str, limit: int) -> list[Any]:
    """The approves given on decisions about the proposal whose HMAC is `proposal`,
    newest first, at most `limit`: (approval_id, role, approver_id, verdict, expires_at,
    proposal) rows, expired ones included (the caller judges them as a reference is)."""
    return list(connection.execute(
        select(Approval.approval_id, Approval.role, Approval.approver_id, Approval.verdict,
               Approval.expires_at, Approval.proposal)
        .where(Approval.proposal == proposal, Approval.verdict == "approve")
        .order_by(Approval.seq.desc()).limit(limit)))


def of_decision(connection: Connection, decision_id: str) -> list[dict[str, Any]]:
    """The approval records given on one decision, oldest first, as the API shows them."""
    texts = connection.execute(select(Approval.document).where(
        Approval.decision_id == decision_id).order_by(Approval.seq)).scalars()
    return [approval_record.answer(loads(text)) for text in texts]


def verdicts(connection: Connection, decision_ids: Iterable[str],
             ) -> dict[str, list[tuple[str, str]]]:
    """decision_id -> [(role, verdict)] of the verdicts given on each."""
    wanted = sorted(set(decision_ids))
    found: dict[str, list[tuple[str, str]]] = {}
    if not wanted:
        return found
    rows = connection.execute(select(Approval.decision_id, Approval.role, Approval.verdict)
                              .where(Approval.decision_id.in_(wanted)))
    for decision_id, role, verdict in rows:
        found.setdefault(decision_id, []).append((role, verdict))
    return found


def records_page(connection: Connection, verdict: str, limit: int, before: int | None,
                 roles: list[str] | None = None, actor_id: str | None = None,
                 approver_id: str | None = None) -> list[Any]:
    """Approval records of one verdict, newest first: (seq, document) rows, limit + 1.

    `roles` keeps only verdicts given in those roles, `actor_id` only those on that
    person's decisions, `approver_id` only those that person gave.
    """
    statement = select(Approval.seq, Approval.document).where(Approval.verdict == verdict)
    if roles is not None:
        statement = statement.where(Approval.role.in_(roles))
    if approver_id is not None:
        statement = statement.where(Approval.approver_id == approver_id)
    if actor_id is not None:
        statement = statement.where(Approval.decision_actor_id == actor_id)
    if before is not None:
        statement = statement.where(Approval.seq < before)
    return list(connection.execute(statement.order_by(Approval.seq.desc()).limit(limit + 1)))


# What an inbox item shows of its decision.
DECISION_COLUMNS = (Decision.seq, Decision.decision_id, Decision.actor_id, Decision.actor_role,
                    Decision.client_id, Decision.subject_id, Decision.order_id,
                    Decision.document)


def asked_page(connection: Connection, audience: str, since: datetime, limit: int,
               before: tuple[datetime, int] | None, without_role: str | None) -> list[Any]:
    """require_approval decisions shown to `audience` since `since`, newest first.

    `without_role` leaves out those that role has given its verdict on already.
    `before` is the (decided_at, seq) a previous page ended at. limit + 1 rows.
    """
    asked = ApprovalRequest
    statement = (select(*DECISION_COLUMNS, asked.decided_at.label("asked_at"))
                 .join(Decision, Decision.seq == asked.decision_seq)
                 .where(asked.audience == audience, asked.decided_at > since))
    if before is not None:
        statement = statement.where(_older(asked.decided_at, asked.decision_seq, before))
    if without_role is not None:
        statement = statement.where(~exists().where(
            Approval.decision_id == Decision.decision_id, Approval.role == without_role))
    statement = statement.order_by(asked.decided_at.desc(), asked.decision_seq.desc())
    return list(connection.execute(statement.limit(limit + 1)))


def actors_asked_page(connection: Connection, actor_id: str, since: datetime, limit: int,
                      before: tuple[datetime, int] | None) -> list[Any]:
    """One person's require_approval decisions since `since`, newest first (limit + 1)."""
    statement = select(*DECISION_COLUMNS, Decision.decided_at.label("asked_at")).where(
        Decision.actor_id == actor_id, Decision.outcome == "require_approval",
        Decision.decided_at > since)
    if before is not None:
        statement = statement.where(_older(Decision.decided_at, Decision.seq, before))
    statement = statement.order_by(Decision.decided_at.desc(), Decision.seq.desc())
    return list(connection.execute(statement.limit(limit + 1)))


def _older(at_column: Any, seq_column: Any, before: tuple[datetime, int]) -> ColumnElement:
    """Rows after `before` in the newest-first order of (decided_at, seq)."""
    at, seq = before
    return or_(at_column < at, and_(at_column == at, seq_column < seq))


def approval_links(db_engine: Engine, batch: int) -> Iterator[Any]:
    """Every approval as a link of the chain, (seq, document, prev_hash, hash), in seq
    order, read by short keyset reads of `batch` rows (as the export reads decisions)."""
    after = 0
    while True:
        with db_engine.connect() as connection:
            part = list(connection.execute(
                select(Approval.seq, Approval.document, Approval.prev_hash, Approval.hash)
                .where(Approval.seq > after).order_by(Approval.seq).limit(batch)))
        yield from part
        if len(part) < batch:
            return
        after = part[-1].seq
