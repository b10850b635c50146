"""The decision log in the console: my decisions (a person), the whole log with every
§5 filter page by page (compliance, admin), one record in full (masked), the chain's
verification and the exports. Reads go through app.log.read, as the API's do."""

from __future__ import annotations

import json
from decimal import Decimal

from flask import (
    Response,
    abort,
    current_app,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from sqlalchemy import select

from app.api import database, paging
from app.console import blueprint, identity, reasons
from app.console.forms import PostForm
from app.log.models import Decision
from app.log.read import approvals, export, query, records, verify, verify_digests
from app.problems import Problem
from app.vocabulary import ACTIONS, OUTCOMES, PRINCIPLES

AUDITORS = ("compliance", "admin")
PAGE_SIZE = 25
FILTERS = query.FILTER_NAMES


def _timezone() -> str:
    return current_app.config["SETTINGS"].timezone


def _page(filters: query.Filters, cursor: str | None):
    """One page of the log, newest first, and the cursor of the next page (or None)."""
    before = paging.decode_cursor(cursor)
    with database.db_engine().connect() as connection:
        rows, more = query.fetch_page(connection, filters, PAGE_SIZE, before, records.COLUMNS)
    items = [{**records.summary(row), "subject_id": row.subject_id} for row in rows]
    return items, (paging.encode_cursor(rows[-1].seq) if more else None)


@blueprint.get("/decisions/mine")
@identity.allowed("manager", "approver")
def my_decisions() -> str:
    person = identity.user()
    filters = query.Filters(actor_id=person.person_id)
    try:
        items, next_cursor = _page(filters, request.args.get("cursor"))
    except Problem:
        items, next_cursor = _page(filters, None)
    return render_template("console/my_decisions.html", items=items, next_cursor=next_cursor)


@blueprint.get("/log")
@identity.allowed(*AUDITORS)
def log() -> tuple[str, int] | str:
    asked = {name: value for name in FILTERS if (value := request.args.get(name, "").strip())}
    errors: dict[str, list[str]] = {}
    items, next_cursor = [], None
    try:
        filters = paging.filters(asked, _timezone())
        items, next_cursor = _page(filters, request.args.get("cursor"))
    except Problem as problem:
        errors = problem.errors
    export_links = {fmt: url_for("console.log_export", format=fmt, **asked)
                    for fmt in export.FORMATS}
    page = render_template(
        "console/log.html", items=items, next_cursor=next_cursor, asked=asked, errors=errors,
        export_links=export_links, actions=ACTIONS, outcomes=OUTCOMES, principles=PRINCIPLES,
        verify_form=PostForm())
    return (page, 422) if errors else page


@blueprint.get("/log/export")
@identity.allowed(*AUDITORS)
def log_export() -> Response:
    fmt = request.args.get("format", "csv")
    if fmt not in export.FORMATS:
        abort(404)
    asked = {name: value for name in FILTERS if (value := request.args.get(name, "").strip())}
    try:
        filters = paging.filters(asked, _timezone())
    except Problem:
        abort(422)
    chunks = export.stream(database.db_engine(), filters, fmt)
    response = Response(stream_with_context(chunks), mimetype=export.MEDIA_TYPES[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="decisions.{fmt}"'
    return response


@blueprint.post("/log/verify")
@identity.allowed(*AUDITORS)
def log_verify() -> str:
    settings = current_app.config["SETTINGS"]
    if settings.digest_dir:
        result = verify_digests.with_settings(database.db_engine(), settings).as_dict()
    else:
        result = verify.verify(database.db_engine()).as_dict()
    return render_template("console/verify.html", result=result)


@blueprint.get("/decisions/<decision_id>")
@identity.allowed("manager", "approver", *AUDITORS)
def decision(decision_id: str) -> str:
    if not 1 <= len(decision_id) <= 36 or not decision_id.isprintable():
        abort(404)
    statement = select(*records.COLUMNS).where(Decision.decision_id == decision_id)
    person = identity.user()
    if person.person_id is not None:  # a person sees only their own (§6), as the API
        statement = statement.where(query.seen_by(
            person.person_id, person.job_role if person.role == "approver" else None))
    with database.db_engine().connect() as connection:
        row = connection.execute(statement).first()
        if row is None:
            abort(404)
        given = approvals.of_decision(connection, decision_id)
    record = records.full(row)
    reasons.in_language([record])  # this page's copy: the log keeps its English
    return render_template(
        "console/decision.html", record=record, approvals=given,
        request_text=_pretty(record["request"]), facts_text=_pretty(record["facts"]))


def _pretty(value: object) -> str:
    """Indented JSON for people; money and percents as the exact numbers logged."""
    return json.dumps(value, ensure_ascii=False, indent=2, default=_number)


def _number(value: object) -> float | int:
    if isinstance(value, Decimal):
        exact = int(value) if value == value.to_integral_value() else float(value)
        if Decimal(str(exact)) == value:
            return exact
    raise TypeError(f"not JSON: {type(value).__name__}")
