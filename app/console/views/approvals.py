"""Approvals in the console (CONTRACT §10, §11): an approver's inbox, with each decision's
reasons and proposal, approve or decline with a comment, and what was decided there; a
manager's own decisions waiting for approval.

The same functions as GET /v1/approvals and POST /v1/decisions/{id}/approvals
(app.approvals.inbox, app.approvals.verdicts): the same rules, the same errors, the
same record in the log's chain; a refusal is told in plain words.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug import Response

from app.api import database, paging
from app.api.approvals import decode_pending_cursor, encode_pending_cursor
from app.approvals import inbox, verdicts
from app.console import blueprint, identity, reasons
from app.console.forms import PostForm
from app.engine.approvals import NOT_PROPOSAL
from app.jsontext import loads
from app.log.models import Decision
from app.policy_holder import PolicyUnavailable
from app.problems import Problem

PAGE_SIZE = 20
INBOX_READERS = ("manager", "approver")


class NoPolicy(Exception):
    """No policy is loaded: the approvals' validity is not known."""


def _valid_hours() -> Any:
    try:
        return current_app.extensions["dealguard.policy"].current().model.approval_valid_hours
    except PolicyUnavailable:
        raise NoPolicy from None


def viewer() -> inbox.Viewer:
    person = identity.user()
    return inbox.Viewer(person.role, person.person_id, person.job_role)


def page_of(status: str, cursor: str | None, only_own: bool = False,
            ) -> tuple[list[dict[str, Any]], str | None]:
    """One page of `status` as the signed-in person may read it, and the next cursor.

    `only_own`: of the verdicts, only those the person gave. A cursor that is not one
    of ours starts from the first page (people edit addresses).
    """
    with database.db_engine().connect() as connection:
        if status == "pending":
            try:
                after = decode_pending_cursor(cursor)
            except Problem:
                after = None
            found = inbox.pending(connection, viewer(), _valid_hours(), PAGE_SIZE, after)
            items = [inbox.public(item) for item in found.items]
            _add_proposals(connection, items)
            reasons.in_language(items, connection=connection)
            return items, encode_pending_cursor(found.next_after) if found.next_after else None
        try:
            before = paging.decode_cursor(cursor)
        except Problem:
            before = None
        found = inbox.decided(connection, viewer(), status, PAGE_SIZE, before, only_own)
        return found.items, (paging.encode_cursor(found.next_after)
                             if found.next_after else None)


def _add_proposals(connection: Any, items: list[dict[str, Any]]) -> None:
    """Each item's proposal: its request as logged (masked), as `path: value` lines."""
    ids = [item["decision_id"] for item in items]
    if not ids:
        return
    rows = connection.execute(select(Decision.decision_id, Decision.document)
                              .where(Decision.decision_id.in_(ids)))
    requests = {decision_id: loads(text).get("request") or {} for decision_id, text in rows}
    for item in items:
        asked = requests.get(item["decision_id"], {})
        item["proposal"] = flat({k: v for k, v in asked.items()
                                 if k not in NOT_PROPOSAL and k != "actor"})


def flat(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """A request as (field path, value) pairs, in the §3 names: `offer.items.0.sku`."""
    if isinstance(value, dict):
        return [pair for key, inner in value.items()
                for pair in flat(inner, f"{prefix}{key}.")]
    if isinstance(value, list) and value and isinstance(value[0], dict | list):
        return [pair for index, inner in enumerate(value)
                for pair in flat(inner, f"{prefix}{index}.")]
    return [(prefix.rstrip("."), value)]


def _status() -> str:
    status = request.args.get("status", "pending")
    return status if status in inbox.STATUSES else "pending"


# Whose verdicts an approver's "Approved" and "Declined" show: their own by default,
# or every verdict of the roles their job role covers (what GET /v1/approvals lists).
WHOSE = ("mine", "role")


def _whose() -> str:
    whose = request.args.get("whose", "mine")
    return whose if whose in WHOSE else "mine"


def _inbox_page(status: str, code: int = 200, **context: Any) -> tuple[str, int]:
    approver = context["approver"] = identity.user().role == "approver"
    whose = context["whose"] = _whose() if approver else None
    try:
        items, next_cursor = page_of(status, request.args.get("cursor"),
                                     only_own=whose == "mine")
    except NoPolicy:
        return render_template("console/inbox.html", status=status, items=[],
                               next_cursor=None, verdict_form=PostForm(),
                               **{**context, "error": _("No policy is loaded; try again soon.")}
                               ), 503
    return render_template("console/inbox.html", status=status, items=items,
                           next_cursor=next_cursor, verdict_form=PostForm(),
                           **context), code


@blueprint.get("/inbox")
@identity.allowed(*INBOX_READERS)
def inbox_page() -> tuple[str, int]:
    return _inbox_page(_status())


@blueprint.post("/inbox/<decision_id>")
@identity.allowed("approver")
def give_verdict(decision_id: str) -> Response | tuple[str, int]:
    person = identity.user()
    asked = {"verdict": request.form.get("verdict", ""),
             "comment": request.form.get("comment") or None}
    try:
        verdict = verdicts.check_body(asked)
        record = verdicts.give(
            database.db_engine(), decision_id, verdict, person_id=person.person_id or "",
            job_role=person.job_role or "", key_name=person.caller.key_name,
            valid_hours=_valid_hours(),
            subscribed=current_app.extensions["dealguard.subscriptions"].current())
    except NoPolicy:
        return _inbox_page("pending", 503, refused=decision_id,
                           error=_("No policy is loaded; try again soon."))
    except Problem as problem:
        return _inbox_page("pending", problem.status, refused=decision_id,
                           error=refusal(problem), comment=asked["comment"] or "")
    if record["verdict"] == "approve":
        flash(_("You approved decision %(id)s.", id=decision_id))
    else:
        flash(_("You declined decision %(id)s.", id=decision_id))
    return redirect(url_for("console.inbox_page"))


def refusal(problem: Problem) -> str:
    """A refused verdict in plain words, in the person's language (the API's reasons)."""
    detail = problem.detail
    if problem.status == 404:
        return _("There is no such decision.")
    if problem.status == 409 and "already" in detail:
        return _("Your role has given its verdict on this decision already.")
    if problem.status == 409:
        return _("This decision does not ask for approval: there is nothing to approve.")
    if problem.status == 403 and detail.startswith("Four eyes"):
        return _("Four eyes: nobody approves their own decision.")
    if problem.status == 403:
        return _("Your job role does not approve what this decision asks for.")
    if problem.status == 422 and "comment" in problem.errors:
        if any("Required" in message for message in problem.errors["comment"]):
            return _("A decline needs a comment: say why.")
        return _("The comment is too long: at most %(n)s characters.",
                 n=verdicts.MAX_COMMENT)
    if problem.status == 422:
        return _("Choose to approve or to decline.")
    if problem.status == 503:
        return _("The approval cannot be logged now, so it was not recorded. Try again.")
    return detail


REGISTER_STATUSES = ("approved", "declined")


@blueprint.get("/approvals")
@identity.allowed("compliance", "admin")
def register() -> tuple[str, int]:
    """The approvals register: every verdict given in dealguard, newest first, paged."""
    status = request.args.get("status", "approved")
    if status not in REGISTER_STATUSES:
        status = "approved"
    items, next_cursor = page_of(status, request.args.get("cursor"))
    return render_template("console/approvals.html", status=status, items=items,
                           next_cursor=next_cursor), 200
