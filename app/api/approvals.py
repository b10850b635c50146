"""POST /v1/decisions/{id}/approvals and GET /v1/approvals (CONTRACT §10)."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime, timedelta

from flask import Blueprint, Response, current_app, request
from sqlalchemy.exc import SQLAlchemyError

from app.api import database, paging
from app.api.body import object_body
from app.api.respond import json_response
from app.approvals import inbox, verdicts
from app.auth import current_key, requires
from app.policy_holder import PolicyUnavailable
from app.problems import Problem, unavailable

blueprint = Blueprint("approvals", __name__)

READERS = ("crm", "manager", "approver", "compliance", "admin")
CURSOR_PREFIX = "at:"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


def _valid_hours():
    try:
        return current_app.extensions["dealguard.policy"].current().model.approval_valid_hours
    except PolicyUnavailable:
        raise unavailable("No policy is loaded.") from None


@blueprint.post("/v1/decisions/<decision_id>/approvals")
@requires("approver")
def give_verdict(decision_id: str) -> Response:
    """An approver's verdict: 201 with the approval record."""
    verdict = verdicts.check_body(object_body())
    key = current_key()
    record = verdicts.give(database.db_engine(), decision_id, verdict,
                           person_id=key.person_id or "", job_role=key.job_role or "",
                           key_name=key.name, valid_hours=_valid_hours(),
                           subscribed=current_app.extensions["dealguard.subscriptions"].current())
    return json_response(record, status=201)


@blueprint.get("/v1/approvals")
@requires(*READERS)
def list_approvals() -> Response:
    """status=pending|approved|declined, limit, cursor: {items, next_cursor}, newest first."""
    status, limit, cursor = _page_args()
    key = current_key()
    viewer = inbox.Viewer(key.role, key.person_id, key.job_role)
    with database.db_engine().connect() as connection:
        if status == "pending":
            page = inbox.pending(connection, viewer, _valid_hours(), limit,
                                 decode_pending_cursor(cursor))
            items = [inbox.public(item) for item in page.items]
            next_cursor = encode_pending_cursor(page.next_after) if page.next_after else None
        else:
            page = inbox.decided(connection, viewer, status, limit,
                                 paging.decode_cursor(cursor))
            items = page.items
            next_cursor = paging.encode_cursor(page.next_after) if page.next_after else None
    return json_response({"items": items, "next_cursor": next_cursor})


def _page_args() -> tuple[str, int, str | None]:
    errors: dict[str, list[str]] = {}
    unknown = set(request.args) - {"status", "limit", "cursor"}
    for name in sorted(unknown):
        errors[name] = ["Unknown parameter."]
    status = request.args.get("status", "pending")
    if status not in inbox.STATUSES:
        errors["status"] = [f"Must be one of: {', '.join(inbox.STATUSES)}."]
    limit = paging.DEFAULT_LIMIT
    try:
        limit = paging.parse_limit(request.args.get("limit"))
    except Problem as problem:
        errors.update(problem.errors)
    if errors:
        raise Problem(422, "Some parameters are not valid.", errors)
    return status, limit, request.args.get("cursor")


def encode_pending_cursor(after: tuple[datetime, int]) -> str:
    at, seq = after
    text = f"{CURSOR_PREFIX}{(at - EPOCH) // MICROSECOND}:{seq}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_pending_cursor(raw: str | None) -> tuple[datetime, int] | None:
    """The (decided_at, seq) a pending page ended at; Problem(422) if forged."""
    if raw is None:
        return None
    bad = Problem(422, "The cursor is not valid.",
                  {"cursor": ["Use the next_cursor of a previous page, unchanged."]})
    if not 1 <= len(raw) <= 64 or not raw.isascii():
        raise bad
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode("ascii")
    except (binascii.Error, ValueError):
        raise bad from None
    micros, _, seq = text.removeprefix(CURSOR_PREFIX).partition(":")
    if (not text.startswith(CURSOR_PREFIX) or not micros.isdigit() or not seq.isdigit()
            or len(micros) > 18 or len(seq) > 18):
        raise bad
    try:
        at = EPOCH + int(micros) * MICROSECOND
    except (OverflowError, OSError, ValueError):
        raise bad from None
    return at, int(seq)


@blueprint.errorhandler(SQLAlchemyError)
def _log_unreadable(error: SQLAlchemyError) -> Response:
    current_app.logger.error("approvals read failed: %s", type(error).__name__)
    return unavailable("The decision log cannot be read; try again.").response()
