"""Reading the decision log: list, one record, export, verify (CONTRACT §5, §6).

A person's key (manager, approver) sees only decisions whose actor.id is its own
person: the filter is forced on every read, so another person's decision answers 404
by id, exactly like a decision that does not exist (a 403 would confirm that it does).
An approver also reads the decisions its job role was asked to approve (CONTRACT §6).
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request, stream_with_context
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from app.api import database, paging
from app.api.respond import json_response
from app.auth import current_key, requires
from app.log.models import Decision
from app.log.read import approvals, export, query, records, verify, verify_digests
from app.problems import Problem, unavailable

blueprint = Blueprint("log", __name__)

READERS = ("compliance", "admin", "manager", "approver")
AUDITORS = ("compliance", "admin")


def _timezone() -> str:
    return current_app.config["SETTINGS"].timezone


def _filters(extra: tuple[str, ...] = ()) -> query.Filters:
    return _restrict(paging.filters(request.args, _timezone(), allowed_extra=extra))


def _restrict(filters: query.Filters) -> query.Filters:
    key = current_key()
    if key.role == "approver":
        return filters.seen_by_approver(key.person_id or "", key.job_role or "")
    if key.is_person:
        filters = filters.restricted_to_actor(key.person_id or "")
    return filters


@blueprint.get("/v1/decisions")
@requires(*READERS)
def list_decisions() -> Response:
    """The log, newest first: filters, limit (<= 500) and an opaque cursor; {items, next_cursor}."""
    filters, limit, before = paging.parse_page(request.args, _timezone())
    filters = _restrict(filters)
    with database.db_engine().connect() as connection:
        page, more = query.fetch_page(connection, filters, limit, before, records.COLUMNS)
    next_cursor = paging.encode_cursor(page[-1].seq) if more else None
    return json_response({"items": [records.summary(row) for row in page],
                          "next_cursor": next_cursor})


@blueprint.get("/v1/decisions/export")
@requires(*READERS)
def export_decisions() -> Response:
    """The masked log as CSV or JSON lines (format=csv|jsonl), streamed, oldest first."""
    fmt = request.args.get("format", "csv")
    if fmt not in export.FORMATS:
        raise Problem(422, "Unknown export format.", {"format": ["Must be csv or jsonl."]})
    filters = _filters(extra=("format",))
    chunks = export.stream(database.db_engine(), filters, fmt)
    response = Response(stream_with_context(chunks), mimetype=export.MEDIA_TYPES[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="decisions.{fmt}"'
    return response


@blueprint.get("/v1/decisions/verify")
@requires(*AUDITORS)
def verify_log() -> Response:
    """Re-compute the hash chain: {ok, checked, first_bad_seq, problem}."""
    if request.args:
        raise Problem(422, "verify takes no parameters.",
                      {name: ["Unknown parameter."] for name in request.args})
    settings = current_app.config["SETTINGS"]
    if not settings.digest_dir:
        return json_response(verify.verify(database.db_engine()).as_dict())
    # With digests configured, the same proof as `log verify --digests`, plus `digests`;
    # checked with the server's own key, so it catches a rewrite in the database only.
    return json_response(verify_digests.with_settings(database.db_engine(), settings).as_dict())


@blueprint.get("/v1/decisions/<decision_id>")
@requires(*READERS)
def show_decision(decision_id: str) -> Response:
    """One full record: the answer, masked request, facts, key name, seq and hashes."""
    not_found = Problem(404, "No decision with this id.")
    if not 1 <= len(decision_id) <= 36 or not decision_id.isprintable():
        raise not_found
    statement = select(*records.COLUMNS).where(Decision.decision_id == decision_id)
    key = current_key()
    if key.is_person:
        statement = statement.where(query.seen_by(
            key.person_id or "", key.job_role if key.role == "approver" else None))
    with database.db_engine().connect() as connection:
        row = connection.execute(statement).first()
        if row is None:
            raise not_found
        record = records.full(row)
        record["approvals"] = approvals.of_decision(connection, decision_id)
    return json_response(record)


@blueprint.errorhandler(SQLAlchemyError)
def _log_unreadable(error: SQLAlchemyError) -> Response:
    # The driver's message may quote filter values; the log line keeps the type only.
    current_app.logger.error("decision log read failed: %s", type(error).__name__)
    return unavailable("The decision log cannot be read; try again.").response()
