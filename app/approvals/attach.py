"""The approvals already given that count for a request, to attach to it (CONTRACT §10).

A manager whose 12.5 % was approved checks the same proposal again: the console finds
the approvals that count for it and sends them as `approvals: [{approval_id}]`, as a
CRM would, so that the answer is allow and names the approval. An approval counts when
the engine's own look-up would say so (app.approvals.references): an `approve`, not
expired, given on a decision about the same proposal. The candidates are found by the
proposal's HMAC, made from the engine's Proposal of this very request; each is then
judged by the same test a reference is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from app.approvals import references
from app.engine import InvalidRequest, Policy
from app.log.read import approvals as logged

# As many as a request may carry (app.schemas.common: `approvals`, at most 20).
MAX_ATTACHED = 20
# Candidates read before the expired ones are left out: a proposal approved this often
# is rare, and the newest approvals are the ones still valid.
CANDIDATES = 100


@dataclass(frozen=True)
class Attached:
    """An approval that counts for the request: which, in what role, by whom, until when."""

    approval_id: str
    role: str
    by: str
    expires_at: datetime  # in UTC


def counting(db_engine: Engine, secret: str, policy: Policy,
             request: dict[str, Any]) -> list[Attached]:
    """The approvals that count for `request` under `policy`, newest first.

    Nothing for a request that is not valid (its decision names the errors). A failure
    of the database raises SQLAlchemyError (the caller answers 503).
    """
    try:
        proposal = policy.proposal(request)
    except InvalidRequest:
        return []
    with db_engine.connect() as connection:
        rows = logged.approved_on_proposal(connection, references.digest(secret, proposal),
                                           CANDIDATES)
    found = [Attached(row.approval_id, row.role, row.approver_id, _utc(row.expires_at))
             for row in rows if references.problem(row, secret, proposal) is None]
    return found[:MAX_ATTACHED]


def attached_to(request: dict[str, Any], approvals: list[Attached]) -> dict[str, Any]:
    """`request` carrying references to `approvals`, after those it carries already."""
    given = list(request.get("approvals") or [])
    named = {item.get("approval_id") for item in given if isinstance(item, dict)}
    added = [{"approval_id": a.approval_id} for a in approvals if a.approval_id not in named]
    return {**request, "approvals": given + added} if added else request


def _utc(moment: datetime) -> datetime:
    # SQLite gives back the UTC time it was given, naive.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
