"""Tables of the decision log.

`decisions.document` is the exact JSON text the hash covers; the other columns
are copies of its fields, kept only so the log can be filtered with indexes.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, is_postgresql

# SQLite only auto-increments a column declared exactly INTEGER PRIMARY KEY; we assign seq
# ourselves under the chain lock anyway, so a plain BigInteger is used everywhere.
SeqType = BigInteger().with_variant(Integer(), "sqlite")


def _not_postgresql(_ddl, _target, _bind, **kw) -> bool:
    return not is_postgresql(kw["dialect"])


class Decision(Base):
    __tablename__ = "decisions"

    seq: Mapped[int] = mapped_column(SeqType, primary_key=True, autoincrement=False)
    decision_id: Mapped[str] = mapped_column(String(36), unique=True)
    request_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    # HMAC of the canonical raw body: tells "same body" from "other body" for request_id
    # reuse without keeping the clear body.
    request_fingerprint: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[str | None] = mapped_column(String(128))
    actor_role: Mapped[str | None] = mapped_column(String(32))
    client_id: Mapped[str | None] = mapped_column(String(128))
    # deal.id / order.id / offer.id / claim.id; order_id also holds order.id of a
    # shipment or claim so a claim can be found by its order too.
    subject_id: Mapped[str | None] = mapped_column(String(128))
    order_id: Mapped[str | None] = mapped_column(String(128))
    key_name: Mapped[str | None] = mapped_column(String(128))
    policy_name: Mapped[str] = mapped_column(String(128))
    policy_version: Mapped[str] = mapped_column(String(64))
    policy_sha256: Mapped[str] = mapped_column(String(64))
    # The policy_versions row it was decided under; None before versions were kept.
    policy_version_id: Mapped[int | None] = mapped_column(Integer)
    as_of: Mapped[date] = mapped_column(Date)
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    duration_ms: Mapped[float] = mapped_column(Float)
    document: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    reasons: Mapped[list[DecisionReason]] = relationship(
        back_populates="decision", cascade="all, delete-orphan", lazy="selectin"
    )

    __table_args__ = (
        # On PostgreSQL the (col, seq) indexes of app.log.read.indexes serve every look-up
        # these do; each index more is written by every decision (migration 0005).
        *(index.ddl_if(callable_=_not_postgresql) for index in (
            Index("ix_decisions_action_outcome", "action", "outcome"),
            Index("ix_decisions_actor_id", "actor_id"),
            Index("ix_decisions_client_id", "client_id"),
            Index("ix_decisions_subject_id", "subject_id"),
            Index("ix_decisions_order_id", "order_id"),
        )),
        # With the outcome, the statistics count a week's decisions from the index alone
        # (migration 0012); time windows of the log read it as they read decided_at.
        Index("ix_decisions_decided_at_outcome", "decided_at", "outcome"),
    )


class DecisionReason(Base):
    """One matched rule of a decision, for filtering the log by rule or principle."""

    __tablename__ = "decision_reasons"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    decision_seq: Mapped[int] = mapped_column(
        SeqType, ForeignKey("decisions.seq", ondelete="CASCADE")
    )
    rule: Mapped[str] = mapped_column(String(128))
    principle: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(20))

    decision: Mapped[Decision] = relationship(back_populates="reasons")

    __table_args__ = (
        Index("ix_decision_reasons_rule", "rule", "decision_seq"),
        Index("ix_decision_reasons_principle", "principle", "decision_seq"),
        Index("ix_decision_reasons_decision_seq", "decision_seq"),
    )


class ChainHead(Base):
    """One row: the last seq and hash. Writers lock it, so the log stays one chain."""

    __tablename__ = "decision_chain"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(SeqType)
    hash: Mapped[str] = mapped_column(String(64))


class Approval(Base):
    """A verdict given in dealguard on a require_approval decision (CONTRACT §10).

    A link of the same hash chain as the decisions: its seq comes from the one chain
    head, `document` is the exact JSON text the hash covers, and the other columns are
    copies of its fields (app.log.write.verdicts.COPIED), checked by verify.
    """

    __tablename__ = "approvals"

    seq: Mapped[int] = mapped_column(SeqType, primary_key=True, autoincrement=False)
    approval_id: Mapped[str] = mapped_column(String(36), unique=True)
    decision_id: Mapped[str] = mapped_column(String(36))
    verdict: Mapped[str] = mapped_column(String(16))
    role: Mapped[str] = mapped_column(String(32))
    approver_id: Mapped[str] = mapped_column(String(128))  # the document's "by"
    decision_actor_id: Mapped[str | None] = mapped_column(String(128))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The HMAC of the proposal it was given on (app.approvals.references).
    proposal: Mapped[str | None] = mapped_column(String(64))
    document: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (
        # One verdict per role per decision, even from two approvers at once.
        UniqueConstraint("decision_id", "role", name="uq_approvals_decision_role"),
        Index("ix_approvals_verdict_seq", "verdict", "seq"),
        Index("ix_approvals_actor_seq", "decision_actor_id", "seq"),
        # The approvals given on one proposal (the console's check attaches them), and
        # those one approver gave (what they decided).
        Index("ix_approvals_proposal_seq", "proposal", "seq"),
        Index("ix_approvals_approver_seq", "approver_id", "seq"),
    )


class ApprovalRequest(Base):
    """Who is asked to approve a require_approval decision: one row per job role whose
    inbox shows it (app.vocabulary.APPROVERS that meet a requirement) and one for the
    offices that see every queue ("*"). Written with the decision, in its transaction;
    it only makes the inbox fast: the decision's document stays the proof."""

    __tablename__ = "approval_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    decision_seq: Mapped[int] = mapped_column(
        SeqType, ForeignKey("decisions.seq", ondelete="CASCADE"))
    audience: Mapped[str] = mapped_column(String(32))
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ix_approval_requests_inbox", "audience", "decided_at", "decision_seq"),
    )


class DecisionShadow(Base):
    """What the shadow policy would have answered to a decision (CONTRACT §12).

    Beside the hash chain, not in it: the decision is what was answered, and the
    shadow's outcome is an observation about a candidate. Written in the same
    transaction as its decision (app/log/write/writer.py), so there is never one
    without the other, and at no cost of a commit of its own.
    """

    __tablename__ = "decision_shadows"

    decision_seq: Mapped[int] = mapped_column(
        SeqType, ForeignKey("decisions.seq", ondelete="CASCADE"), primary_key=True,
        autoincrement=False)
    version_id: Mapped[int] = mapped_column(Integer)
    # None when the shadow policy could not decide (then `error` says why).
    outcome: Mapped[str | None] = mapped_column(String(20))
    required_approvals: Mapped[str | None] = mapped_column(String(200))  # JSON list
    error: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (
        Index("ix_decision_shadows_version", "version_id", "decision_seq"),
    )


# SQLite auto-increments only a column declared exactly INTEGER PRIMARY KEY.
RowId = BigInteger().with_variant(Integer(), "sqlite")


class OutboxEvent(Base):
    """An event for the webhooks, written in the same transaction as the record that
    caused it (a decision, an approval), so that no event is lost and none is sent for
    a record that was never written. `dealguard worker` fans each one out into one
    delivery per webhook subscribed to it (app/webhooks/)."""

    __tablename__ = "outbox_events"

    # The order the worker fans events out in.
    seq: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(36), unique=True)
    event: Mapped[str] = mapped_column(String(32))
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The event's `data` as canonical JSON text, masked as the log is (CONTRACT §7).
    data: Mapped[str] = mapped_column(Text)
    # Set once the worker has made the event's deliveries.
    fanned_out_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ix_outbox_events_fanned_out_at_seq", "fanned_out_at", "seq"),
    )
