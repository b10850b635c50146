"""Who is asked to approve what, and what each caller sees (CONTRACT §6, §10).

An approver sees the requirements its job role meets (a commercial director also
head-of-sales ones; a cfo only cfo ones) that it has given no verdict on; a manager
sees its own decisions; the offices (crm, compliance, admin) see every queue. The
pending ones are the require_approval decisions of the last `approval_valid_hours`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection

from app.approvals import clock
from app.engine.combine import covered_by, meets
from app.jsontext import loads
from app.log.read import approvals as logged
from app.log.read.records import head
from app.log.write import approval as approval_record
from app.vocabulary import APPROVERS

EVERY_QUEUE = "*"  # the audience of the offices, which see every role's queue
STATUSES = ("pending", "approved", "declined")
VERDICT_OF_STATUS = {"approved": "approve", "declined": "decline"}


def audiences(required: list[str]) -> tuple[str, ...]:
    """The inboxes a decision requiring `required` is shown in (ApprovalRequest rows)."""
    roles = {job for job in APPROVERS for each in required if meets(each, job)}
    return (*sorted(roles), EVERY_QUEUE)


def open_roles(required: list[str], given: list[tuple[str, str]]) -> list[str]:
    """The requirements of `required` that no approve of `given` [(role, verdict)] meets."""
    return [each for each in required
            if not any(verdict == "approve" and meets(each, role) for role, verdict in given)]


@dataclass(frozen=True)
class Viewer:
    """Who reads the approvals: a key's role and, for a person's key, the person."""

    role: str
    person_id: str | None = None
    job_role: str | None = None

    @property
    def audience(self) -> str | None:
        """The inbox this viewer reads, or None for a manager (its own decisions)."""
        if self.role == "approver":
            return self.job_role
        return None if self.role == "manager" else EVERY_QUEUE

    def verdict_roles(self) -> list[str] | None:
        """The roles whose verdicts this viewer may read (None: all, or by person)."""
        if self.role == "approver" and self.job_role is not None:
            return [role for role in APPROVERS if meets(role, self.job_role)]
        return None


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    next_after: Any  # what the next page starts after, or None at the end


def pending(connection: Connection, viewer: Viewer, valid_hours: Any, limit: int,
            after: tuple[datetime, int] | None) -> Page:
    """The require_approval decisions this viewer is still asked about, newest first."""
    since = clock.now().astimezone(UTC) - timedelta(hours=float(Decimal(str(valid_hours))))
    audience = viewer.audience
    kept: list[dict[str, Any]] = []
    while True:
        if audience is None:
            rows = logged.actors_asked_page(connection, viewer.person_id or "", since,
                                            limit, after)
        else:
            rows = logged.asked_page(connection, audience, since, limit, after,
                                     viewer.job_role if viewer.role == "approver" else None)
        given = logged.verdicts(connection, (row.decision_id for row in rows))
        for row in rows[:limit]:
            item = _item(row, given.get(row.decision_id, []), viewer)
            if item is not None:
                kept.append(item)
            after = (_utc(row.asked_at), row.seq)
            if len(kept) > limit:
                break
        # A page of candidates of which some are answered already: read on until the
        # page is full or the window ends.
        if len(kept) > limit or len(rows) <= limit:
            break
    if len(kept) > limit:
        last = kept[limit - 1]
        return Page(kept[:limit], (last["_at"], last["_seq"]))
    return Page(kept, None)


def decided(connection: Connection, viewer: Viewer, status: str, limit: int,
            after: int | None, only_own: bool = False) -> Page:
    """The approval records of one verdict this viewer may read, newest first.

    `only_own` keeps an approver's own verdicts (the console's "what I decided"); the
    API shows every verdict of the roles the approver's job role covers.
    """
    actor = viewer.person_id if viewer.role == "manager" else None
    approver = viewer.person_id if only_own and viewer.role == "approver" else None
    rows = logged.records_page(connection, VERDICT_OF_STATUS[status], limit, after,
                               roles=viewer.verdict_roles(), actor_id=actor,
                               approver_id=approver)
    items = [approval_record.answer(loads(row.document)) for row in rows[:limit]]
    return Page(items, rows[limit - 1].seq if len(rows) > limit else None)


def public(item: dict[str, Any]) -> dict[str, Any]:
    """An item without the page's bookkeeping."""
    return {name: value for name, value in item.items() if not name.startswith("_")}


def _item(row: Any, given: list[tuple[str, str]], viewer: Viewer) -> dict[str, Any] | None:
    document = head(row.document)
    required = list(document.get("required_approvals") or ())
    still = open_roles(required, given)
    if viewer.role == "approver":
        mine = viewer.job_role or ""
        if not covered_by(mine, still) or any(role == mine for role, _ in given):
            return None
    elif not still:
        return None
    return {
        "decision_id": row.decision_id,
        "action": document.get("action"),
        "actor": {"id": row.actor_id, "role": row.actor_role},
        "client": {"id": row.client_id},
        "subject_id": row.subject_id,
        "order_id": row.order_id,
        "outcome": document.get("outcome"),
        "required_approvals": required,
        "open": still,
        "reasons": document.get("reasons") or [],
        "decided_at": document.get("decided_at"),
        "_at": _utc(row.asked_at),
        "_seq": row.seq,
    }


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
