"""Check a proposed action in a form and see the decision in plain words (§11)."""

from __future__ import annotations

from flask import abort, current_app, render_template, request
from flask_babel import gettext as _
from sqlalchemy.exc import SQLAlchemyError
from werkzeug import Response

from app.api.decisions import decision_context
from app.approvals import attach
from app.console import blueprint, checks, identity
from app.console.forms import PostForm
from app.console.locale import language
from app.decision_service import decide
from app.discount_headroom import highest_alone
from app.policy_holder import PolicyUnavailable
from app.problems import Problem, unavailable
from app.vocabulary import ACTIONS

DECIDERS = ("manager", "approver", "admin")  # as POST /v1/decisions (CONTRACT §6)


@blueprint.get("/check")
@identity.allowed(*DECIDERS)
def check() -> str:
    return render_template("console/check_index.html", actions=ACTIONS)


@blueprint.route("/check/<action>", methods=["GET", "POST"])
@identity.allowed(*DECIDERS)
def check_action(action: str) -> str | Response:
    if action not in ACTIONS:
        abort(404)
    person = identity.user()
    if request.method == "GET":
        # A link may prefill the form (a CRM's "check in dealguard" button); only
        # submitting it decides. The approvals it would use are shown already.
        values = checks.values_of(request.args, action)
        try:
            shown = checks.as_shown(values, action)
            attached = _counting(checks.request_body(action, shown, _actor())) if values else []
        except Problem:
            attached = []  # the form still opens; checking it answers the 503
        return _page(action, values, form=PostForm(), attached=attached)
    form = PostForm()  # the CSRF token was checked before the view (security.py)
    values = checks.values_of(request.form, action)
    edit = request.form.get("edit", "")
    if edit:
        return _page(action, _edited(values, edit), form=form)
    body = checks.request_body(action, values, _actor())
    attached: list[attach.Attached] = []
    try:
        # Approvals already given for this very proposal go with it, as a CRM would
        # send them: the manager whose 12.5 % was approved gets allow (CONTRACT §10).
        attached = _counting(body)
        decision = decide(decision_context(), attach.attached_to(body, attached),
                          person.caller, language())
    except Problem as problem:
        status = problem.status if problem.status in (403, 409, 422, 503) else 422
        return _page(action, values, form=form, problem=problem, attached=attached), status
    highest = _highest_alone(body) if action == "discount" else None
    return _page(action, values, form=form, decision=decision, highest=highest,
                 has_highest=action == "discount", attached=attached)


def _actor() -> dict[str, str | None] | None:
    """The signed-in person as the request's actor; None for one who names it (admin)."""
    person = identity.user()
    return None if person.person_id is None else {"id": person.person_id,
                                                  "role": person.job_role}


def _counting(body: dict) -> list[attach.Attached]:
    """The approvals that count for `body`; Problem 503 when the log cannot be read."""
    context = decision_context()
    try:
        policy = context.holder.running().policy
    except PolicyUnavailable:
        return []  # deciding answers the 503 itself
    try:
        return attach.counting(context.database, context.secret, policy, body)
    except SQLAlchemyError:
        raise unavailable("The decision log cannot be read; try again.") from None


def _edited(values: dict, edit: str) -> dict:
    """Add or remove an offer line or a custom term, without deciding (no script needed)."""
    what, _, index = edit.partition(":")
    group = {"add-item": "offer.items", "remove-item": "offer.items",
             "add-term": "offer.custom_terms", "remove-term": "offer.custom_terms"}.get(what)
    if group is None:
        return values
    minimum = 1 if group == "offer.items" else 0
    count = checks.line_count(values, group, minimum)
    if what.startswith("add") and count < checks.MAX_LINES:
        first = checks.ITEM_FIELDS[0].path if group == "offer.items" else "text"
        return {**values, f"{group}.{count}.{first}": ""}
    if what.startswith("remove") and index.isdigit() and count > minimum:
        return checks.without_line(values, group, int(index))
    return values


def _highest_alone(body: dict):
    try:
        policy = current_app.extensions["dealguard.policy"].current()
    except PolicyUnavailable:
        return None
    return highest_alone(policy, body, current_app.config["SETTINGS"].timezone)


def _page(action: str, values: dict, attached: list[attach.Attached] | None = None,
          **context) -> str:
    person = identity.user()
    attached = attached or []
    return render_template(
        "console/check.html", action=action, values=values, forms=checks.FORMS[action],
        item_fields=checks.ITEM_FIELDS, term_fields=checks.TERM_FIELDS,
        items=checks.line_count(values, "offer.items", 1),
        terms=checks.line_count(values, "offer.custom_terms", 0),
        actor_fields=checks.ACTOR_FIELDS if person.person_id is None else (),
        common_fields=checks.OPTIONAL_COMMON, attached=attached,
        attached_by_id={a.approval_id: a for a in attached},
        title=_("Check: %(action)s", action=_action_label(action)), **context)


def _action_label(action: str) -> str:
    from app.console.words import ACTIONS as LABELS

    return str(LABELS[action])
