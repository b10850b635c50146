"""Approval references in a decision request: whether each counts (CONTRACT §10).

The engine asks (app.engine.approvals.ApprovalLookup); the log answers: an `approve`,
not expired, given on a decision about the same proposal counts in its role. The
proposal is kept only as an HMAC under the service's secret: its text holds the
request's confidential values.
"""

from __future__ import annotations

import hmac
from datetime import UTC
from hashlib import sha256
from typing import Any

from sqlalchemy import Engine

from app.approvals import clock
from app.engine.approvals import ApprovalLookup, Proposal, Referenced
from app.log.read import approvals as logged


def digest(secret: str, proposal: Proposal) -> str:
    """The HMAC a decision's record keeps of its proposal."""
    return hmac.new(secret.encode("utf-8"), b"proposal\x00" + proposal.text.encode("utf-8"),
                    sha256).hexdigest()


def lookup(db_engine: Engine, secret: str) -> ApprovalLookup:
    """The engine's look-up of a referenced approval in the log of `db_engine`.

    A failure of the database raises SQLAlchemyError (the caller answers 503).
    """
    def find(approval_id: str, proposal: Proposal) -> Referenced | None:
        with db_engine.connect() as connection:
            row = logged.referenced(connection, approval_id)
        if row is None:
            return None
        return Referenced(row.role, problem(row, secret, proposal))

    return find


def problem(row: Any, secret: str, proposal: Proposal) -> str | None:
    """Why the approval `row` (verdict, expires_at, proposal) does not count for
    `proposal`: declined, expired or other_proposal; None when it counts."""
    if row.verdict != "approve":
        return "declined"
    expires_at = row.expires_at
    if expires_at.tzinfo is None:  # SQLite gives back the UTC time it was given, naive
        expires_at = expires_at.replace(tzinfo=UTC)
    if clock.now() >= expires_at:
        return "expired"
    if row.proposal is None or not hmac.compare_digest(row.proposal, digest(secret, proposal)):
        return "other_proposal"
    return None
