"""GET /v1/policy, POST /v1/policy/validate, /reload and /impact (CONTRACT §5)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request
from sqlalchemy.exc import SQLAlchemyError

from app import impact_service, version_service
from app.api import database, paging
from app.api.body import read_body
from app.api.respond import json_response
from app.auth import current_key, requires
from app.policy_holder import PolicyUnavailable, problems_of
from app.problems import Problem, invalid_policy, unavailable

blueprint = Blueprint("policy", __name__)

EVERY_ROLE = ("crm", "manager", "approver", "compliance", "admin")
AUDITORS = ("compliance", "admin")
MAX_IMPACT = 10_000
IMPACT_PARAMS = ("since", "until", "action", "limit")
# Multipart and form bodies are not a rules file; anything else is read as its text,
# since curl --data-binary sends a file as application/x-www-form-urlencoded.
REFUSED_TYPES = ("multipart/form-data",)
# Candidate rules.yaml bodies of /impact: as above, but JSON and the rest are refused too.
YAML_TYPES = ("text/plain", "text/yaml", "text/x-yaml", "application/yaml",
              "application/x-yaml", "application/x-www-form-urlencoded", "")


def _holder():
    return current_app.extensions["dealguard.policy"]


@blueprint.get("/v1/policy")
@requires(*EVERY_ROLE)
def show_policy() -> Response:
    try:
        running = _holder().running()
    except PolicyUnavailable:
        raise unavailable("No policy is loaded.") from None
    return json_response(_described(running))


def _described(running) -> dict:
    """The policy as GET /v1/policy shows it, with the database's version id."""
    return {**running.policy.describe(), "version_id": running.version_id}


@blueprint.post("/v1/policy/validate")
@requires(*EVERY_ROLE)
def validate_policy() -> Response:
    text = policy_text()
    # Parse and check only: compiling durable_rules rulesets for a file that is never
    # run would cost time and (the engine keeps rulesets registered) memory per call.
    from app.engine.loader import parse_policy

    try:
        model = parse_policy(text)
    except Exception as error:  # noqa: BLE001 - every failure is an answer about the file
        return invalid_policy("The policy is not valid.", problems_of(error))
    rules = [{"id": r.id, "principle": r.principle, "actions": list(r.actions),
              "description": r.description} for r in model.rules]
    return json_response({"valid": True, "rules": rules})


@blueprint.post("/v1/policy/reload")
@requires("admin")
def reload_policy() -> Response:
    """Import the policy file as a new version and publish it (CONTRACT §12)."""
    holder = _holder()
    try:
        version_service.reload(holder, database.db_engine(), current_key().name,
                               current_app.config["SETTINGS"].four_eyes)
    except version_service.SameAuthor as refused:
        raise Problem(403, f"Four eyes: the file is now version {refused.args[0]}, a draft; "
                           "another admin publishes it.") from None
    except version_service.NotLoadable as error:
        return invalid_policy("The policy file was not loaded; the running policy stays.",
                              problems_of(error.error))
    except SQLAlchemyError:
        raise  # the app's handler: a 503
    except Exception as error:  # noqa: BLE001 - the running policy stays
        return invalid_policy("The policy file was not loaded; the running policy stays.",
                              problems_of(error))
    return json_response(_described(holder.running()))


@blueprint.post("/v1/policy/impact")
@requires(*AUDITORS)
def policy_impact() -> Response:
    """Replay logged decisions under a candidate rules.yaml; what would change. Writes nothing."""
    unknown = [name for name in request.args if name not in IMPACT_PARAMS]
    if unknown:
        raise Problem(422, "impact filters by since, until, action and limit only.",
                      {name: ["Unknown parameter."] for name in unknown})
    timezone = current_app.config["SETTINGS"].timezone
    filters = paging.filters(request.args, timezone, allowed_extra=("limit",))
    limit = paging.parse_limit(request.args.get("limit"), MAX_IMPACT,
                               impact_service.DEFAULT_LIMIT)
    if (request.mimetype or "") not in YAML_TYPES:
        raise Problem(415, "Send the candidate rules.yaml as text (e.g. application/yaml).")
    text = policy_text()
    if not text.strip():
        # Not "six missing fields": usually curl's @file named a file that is not there.
        raise Problem(422, "Empty body: send the candidate rules.yaml as the body.")

    from app.engine import load_policy_text

    try:
        candidate = load_policy_text(text, "candidate.yaml")
    except Exception as error:  # noqa: BLE001 - every failure is an answer about the file
        return invalid_policy("The candidate policy is not valid; nothing was replayed.",
                              problems_of(error))
    try:
        answer = impact_service.impact(database.db_engine(), candidate, filters, limit,
                                       timezone)
    except SQLAlchemyError as error:
        # As every read of the log (app/api/log.py): the type only, never its values.
        current_app.logger.error("decision log read failed: %s", type(error).__name__)
        raise unavailable("The decision log cannot be read; try again.") from None
    return json_response(answer)


def policy_text() -> str:
    if (request.mimetype or "") in REFUSED_TYPES:
        raise Problem(415, "Send the rules.yaml text as the body (e.g. text/yaml).")
    raw = read_body()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Problem(400, "The policy text is not UTF-8.") from None
