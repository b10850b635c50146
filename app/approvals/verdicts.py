"""An approver's verdict on a require_approval decision (CONTRACT §10).

Checked in the contract's order: the decision exists (404); it asks for approval
(409, first); the approver's job role meets one of its requirements (403) and the
approver is not the decision's actor (403, four eyes); its role has given no verdict
on it yet (409; the log's unique index settles two at once). The record is a link of
the log's hash chain (app.log.write.approval), written before the answer.
"""

from __future__ import annotations

import uuid
from datetime import UTC, timedelta
from decimal import Decimal
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy import Engine, Table, select
from sqlalchemy.exc import SQLAlchemyError

from app.approvals import clock
from app.engine.combine import covered_by
from app.jsontext import loads
from app.log.models import Approval, Decision, OutboxEvent
from app.log.write import approval as approval_record
from app.log.write import outbox
from app.log.write.writer import LinkTaken, LogWriteError
from app.problems import Problem, unavailable
from app.schemas import flatten_errors
from app.vocabulary import VERDICTS

MAX_COMMENT = 1000

# A verdict -> the webhook event it causes (CONTRACT §10).
EVENT_OF_VERDICT = {"approve": outbox.APPROVAL_APPROVED, "decline": outbox.APPROVAL_DECLINED}


class VerdictSchema(Schema):
    verdict = fields.String(required=True, validate=validate.OneOf(VERDICTS))
    comment = fields.String(load_default=None, allow_none=True,
                            validate=validate.Length(max=MAX_COMMENT))


def check_body(body: Any) -> dict[str, Any]:
    """The verdict and comment of a request body; Problem(422) naming each bad field."""
    if not isinstance(body, dict):
        raise Problem(400, "The body must be a JSON object.")
    try:
        valid = VerdictSchema().load(body)
    except ValidationError as error:
        raise Problem(422, "The verdict is not valid.", flatten_errors(error.messages)) from None
    comment = valid["comment"]
    if valid["verdict"] == "decline" and not (comment and comment.strip()):
        raise Problem(422, "A decline needs a comment: say why.",
                      {"comment": ["Required to decline."]})
    return valid


def give(db_engine: Engine, decision_id: str, verdict: dict[str, Any], *, person_id: str,
         job_role: str, key_name: str | None, valid_hours: Any,
         subscribed: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Record `verdict` (check_body's) on a decision; the approval record as answered.

    When a webhook subscribes to its event (`subscribed`), the event is written to the
    outbox in the record's own transaction.
    """
    decision = _decision(db_engine, decision_id)
    document = loads(decision.document)
    if decision.outcome != "require_approval":
        raise Problem(409, "This decision does not ask for approval: its outcome is "
                           f"{decision.outcome}.")
    required = list(document.get("required_approvals") or ())
    if not covered_by(job_role, required):
        raise Problem(403, f"A {job_role} does not approve what this decision asks for: "
                           f"{', '.join(required)}.")
    if decision.actor_id == person_id:
        raise Problem(403, "Four eyes: nobody approves their own decision.")
    if _has_verdict(db_engine, decision_id, job_role):
        raise _second_verdict(job_role)
    at = clock.now().astimezone(UTC)
    doc = approval_record.document(
        approval_id=str(uuid.uuid4()), decision_id=decision_id, verdict=verdict["verdict"],
        role=job_role, by=person_id, comment=verdict["comment"], at=at,
        expires_at=at + timedelta(hours=float(Decimal(str(valid_hours)))),
        decision_actor_id=decision.actor_id, proposal=document.get("proposal"),
        key_name=key_name)
    event = EVENT_OF_VERDICT[verdict["verdict"]]

    def with_event(record: dict[str, Any]) -> list[tuple[Table, dict[str, Any]]]:
        if event not in subscribed:
            return []
        return [(OutboxEvent.__table__,
                 outbox.event_row(event, approval_record.answer(record), at))]

    try:
        record = approval_record.append(db_engine, doc, with_event)
    except LinkTaken:
        raise _second_verdict(job_role) from None
    except LogWriteError:
        raise unavailable("The approval cannot be logged; it was not recorded.") from None
    return approval_record.answer(record)


def _decision(db_engine: Engine, decision_id: str) -> Any:
    not_found = Problem(404, "No decision with this id.")
    if not 1 <= len(decision_id) <= 36 or not decision_id.isprintable():
        raise not_found
    try:
        with db_engine.connect() as connection:
            row = connection.execute(
                select(Decision.outcome, Decision.actor_id, Decision.document)
                .where(Decision.decision_id == decision_id)).first()
    except SQLAlchemyError:
        raise unavailable("The decision log cannot be read; try again.") from None
    if row is None:
        raise not_found
    return row


def _has_verdict(db_engine: Engine, decision_id: str, role: str) -> bool:
    try:
        with db_engine.connect() as connection:
            return connection.execute(select(Approval.seq).where(
                Approval.decision_id == decision_id, Approval.role == role)).first() is not None
    except SQLAlchemyError:
        raise unavailable("The decision log cannot be read; try again.") from None


def _second_verdict(role: str) -> Problem:
    return Problem(409, f"A {role} has given its verdict on this decision already.")
