"""Reading the decision log: list, one record, export, verify; policy impact (CONTRACT §5, §6).

A person's key (manager, approver) sees only decisions whose actor.id is its own
person: the filter is forced on every read, so another person's decision answers 404
by id, exactly like a decision that does not exist (a 403 would confirm that it does).
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request, stream_with_context
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from app import db
from app.api.body import read_body
from app.api.respond import json_response
from app.audit import export, impact, query, records, verify, verify_digests
from app.audit.models import Decision
from app.auth import current_key, requires
from app.problems import Problem, problem_body, problem_response

blueprint = Blueprint("log", __name__)

READERS = ("compliance", "admin", "manager", "approver")
AUDITORS = ("compliance", "admin")
MAX_IMPACT = 10_000
IMPACT_PARAMS = ("since", "until", "action", "limit")
# Candidate rules.yaml bodies. curl --data-binary sends form-urlencoded unless told
# otherwise, so that is read as text too; JSON, multipart and the rest are refused.
YAML_TYPES = ("text/plain", "text/yaml", "text/x-yaml", "application/yaml",
              "application/x-yaml", "application/x-www-form-urlencoded", "")


def _timezone() -> str:
    return current_app.config["SETTINGS"].timezone


def _filters(extra: tuple[str, ...] = ()) -> query.Filters:
    return _restrict(query.parse_filters(request.args, _timezone(), allowed_extra=extra))


def _restrict(filters: query.Filters) -> query.Filters:
    key = current_key()
    if key.is_person:
        filters = filters.restricted_to_actor(key.person_id or "")
    return filters


@blueprint.get("/v1/decisions")
@requires(*READERS)
def list_decisions() -> Response:
    """The log, newest first: filters, limit (<= 500) and an opaque cursor; {items, next_cursor}."""
    filters, limit, before = query.parse_page(request.args, _timezone())
    filters = _restrict(filters)
    with db.engine().connect() as connection:
        page, more = query.fetch_page(connection, filters, limit, before, records.COLUMNS)
    next_cursor = query.encode_cursor(page[-1].seq) if more else None
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
    chunks = export.stream(db.engine(), filters, fmt)
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
        return json_response(verify.verify(db.engine()).as_dict())
    # With digests configured, the same proof as `log verify --digests`, plus `digests`;
    # checked with the server's own key, so it catches a rewrite in the database only.
    return json_response(verify_digests.with_settings(db.engine(), settings).as_dict())


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
        statement = statement.where(Decision.actor_id == (key.person_id or ""))
    with db.engine().connect() as connection:
        row = connection.execute(statement).first()
    if row is None:
        raise not_found
    return json_response(records.full(row))


@blueprint.post("/v1/policy/impact")
@requires(*AUDITORS)
def policy_impact() -> Response:
    """Replay logged decisions under a candidate rules.yaml; what would change. Writes nothing."""
    unknown = [name for name in request.args if name not in IMPACT_PARAMS]
    if unknown:
        raise Problem(422, "impact filters by since, until, action and limit only.",
                      {name: ["Unknown parameter."] for name in unknown})
    filters = query.parse_filters(request.args, _timezone(), allowed_extra=("limit",))
    limit = query.parse_limit(request.args.get("limit"), MAX_IMPACT, impact.DEFAULT_LIMIT)
    if (request.mimetype or "") not in YAML_TYPES:
        raise Problem(415, "Send the candidate rules.yaml as text (e.g. application/yaml).")
    try:
        text = read_body().decode("utf-8")  # 413 over the body limit
    except UnicodeDecodeError:
        raise Problem(400, "The policy text is not UTF-8.") from None
    if not text.strip():
        # Not "six missing fields": usually curl's @file named a file that is not there.
        raise Problem(422, "Empty body: send the candidate rules.yaml as the body.")

    from app.engine import load_policy_text
    from app.policy_holder import problems_of

    try:
        candidate = load_policy_text(text, "candidate.yaml")
    except Exception as error:  # noqa: BLE001 - every failure is an answer about the file
        body = problem_body(422, "The candidate policy is not valid; nothing was replayed.")
        body["valid"] = False
        body["errors"] = problems_of(error)  # [{line, path, message}], as /validate
        return json_response(body, 422, "application/problem+json")
    return json_response(impact.replay(db.engine(), candidate, filters, limit, _timezone()))


@blueprint.errorhandler(SQLAlchemyError)
def _log_unreadable(error: SQLAlchemyError) -> Response:
    # The driver's message may quote filter values; the log line keeps the type only.
    current_app.logger.error("decision log read failed: %s", type(error).__name__)
    return problem_response(503, "The decision log cannot be read; try again.",
                            headers={"Retry-After": "5"})


# -- the OpenAPI document (app.api.openapi reads openapi_paths) --------------------------

_FILTERS = [
    {"name": "action", "in": "query", "schema": {"type": "string", "enum": list(query.ACTIONS)}},
    {"name": "outcome", "in": "query",
     "schema": {"type": "string", "enum": list(query.OUTCOMES)}},
    {"name": "principle", "in": "query", "schema": {"type": "string"},
     "description": "Decisions with a reason of this principle."},
    {"name": "rule", "in": "query", "schema": {"type": "string"},
     "description": "Decisions with a reason of this rule."},
    {"name": "actor_id", "in": "query", "schema": {"type": "string"},
     "description": "A manager key always sees only its own actor.id."},
    {"name": "client_id", "in": "query", "schema": {"type": "string"}},
    {"name": "subject_id", "in": "query", "schema": {"type": "string"},
     "description": "A deal, order, offer or claim id (a claim or shipment also by its order)."},
    {"name": "since", "in": "query", "schema": {"type": "string"},
     "description": "ISO date (that whole day, service time zone) or date-time; inclusive."},
    {"name": "until", "in": "query", "schema": {"type": "string"},
     "description": "ISO date (that whole day included) or date-time (inclusive)."},
]
_SECURED = [{"bearer": []}]


def _answers(ok: str, content: dict, *statuses: int) -> dict:
    texts = {400: "The candidate is not UTF-8 text.", 413: "The body is over the limit.",
             401: "No key, an unknown or revoked key.", 403: "This key's role may not.",
             404: "No such decision (or another manager's).", 415: "Not a YAML text body.",
             422: "A parameter (or the candidate) is not valid; `errors` names it.",
             503: "The log cannot be read."}
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    return {"200": {"description": ok, "content": content},
            **{str(s): {"description": texts[s], "content": problem} for s in statuses}}


def _json_of(component: str) -> dict:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{component}"}}}


def openapi_paths() -> dict[str, dict]:
    """These endpoints for the OpenAPI document."""
    page = [{"name": "limit", "in": "query",
             "schema": {"type": "integer", "minimum": 1, "maximum": query.MAX_LIMIT,
                        "default": query.DEFAULT_LIMIT}},
            {"name": "cursor", "in": "query", "schema": {"type": "string"},
             "description": "next_cursor of the previous page, unchanged."}]
    window = [p for p in _FILTERS if p["name"] in ("since", "until", "action")]
    return {
        "/v1/decisions": {"get": {
            "summary": list_decisions.__doc__.splitlines()[0], "security": _SECURED,
            "parameters": _FILTERS + page,
            "responses": _answers("{items, next_cursor}; items newest first",
                                  _json_of("DecisionPage"), 401, 403, 422, 503)}},
        "/v1/decisions/{decision_id}": {"get": {
            "summary": show_decision.__doc__.splitlines()[0], "security": _SECURED,
            "parameters": [{"name": "decision_id", "in": "path", "required": True,
                            "schema": {"type": "string"}}],
            "responses": _answers("The full record", _json_of("DecisionRecord"),
                                  401, 403, 404, 503)}},
        "/v1/decisions/export": {"get": {
            "summary": export_decisions.__doc__.splitlines()[0], "security": _SECURED,
            "parameters": [{"name": "format", "in": "query",
                            "schema": {"type": "string", "enum": list(export.FORMATS),
                                       "default": "csv"}}] + _FILTERS,
            "responses": _answers("text/csv with a header row, or application/x-ndjson",
                                  {media: {"schema": {"type": "string"}}
                                   for media in export.MEDIA_TYPES.values()},
                                  401, 403, 422)}},
        "/v1/decisions/verify": {"get": {
            "summary": verify_log.__doc__.splitlines()[0], "security": _SECURED,
            "responses": _answers("{ok, checked, first_bad_seq, problem}, and `digests` (what "
                                  "was checked against the signed digests) when "
                                  "DEALGUARD_DIGEST_DIR is set",
                                  _json_of("Verification"), 401, 403, 422, 503)}},
        "/v1/policy/impact": {"post": {
            "summary": policy_impact.__doc__.splitlines()[0], "security": _SECURED,
            "parameters": window + [{"name": "limit", "in": "query", "schema": {
                "type": "integer", "minimum": 1, "maximum": MAX_IMPACT,
                "default": impact.DEFAULT_LIMIT}}],
            "requestBody": {"required": True,
                            "content": {"application/yaml": {"schema": {"type": "string"}}}},
            "responses": {**_answers("{replayed, changed, unchanged, errors, by_transition, "
                                     "samples, error_samples, candidate}", _json_of("Impact"),
                                     400, 401, 403, 413, 415, 503),
                          "422": _invalid_candidate()}}},
    }


def _invalid_candidate() -> dict:
    """A filter's problem (errors by parameter), or the candidate's line-numbered errors."""
    schemas = [{"$ref": "#/components/schemas/Problem"},
               {"$ref": "#/components/schemas/PolicyProblem"}]
    return {"description": "A parameter or the candidate is not valid; `errors` says why.",
            "content": {"application/problem+json": {"schema": {"oneOf": schemas}}}}
