"""GET /v1/policy, POST /v1/policy/validate, POST /v1/policy/reload (CONTRACT §5)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from app.api.body import read_body
from app.api.respond import json_response
from app.auth import requires
from app.policy_holder import PolicyUnavailable, problems_of
from app.problems import Problem, problem_body

blueprint = Blueprint("policy", __name__)

EVERY_ROLE = ("crm", "manager", "approver", "compliance", "admin")
# Multipart and form bodies are not a rules file; anything else is read as its text,
# since curl --data-binary sends a file as application/x-www-form-urlencoded.
REFUSED_TYPES = ("multipart/form-data",)


def _holder():
    return current_app.extensions["dealguard.policy"]


@blueprint.get("/v1/policy")
@requires(*EVERY_ROLE)
def show_policy() -> Response:
    try:
        policy = _holder().current()
    except PolicyUnavailable:
        raise Problem(503, "No policy is loaded.", headers={"Retry-After": "5"}) from None
    return json_response(policy.describe())


@blueprint.post("/v1/policy/validate")
@requires(*EVERY_ROLE)
def validate_policy() -> Response:
    text = _policy_text()
    # Parse and check only: compiling durable_rules rulesets for a file that is never
    # run would cost time and (the engine keeps rulesets registered) memory per call.
    from app.engine.loader import parse_policy

    try:
        model = parse_policy(text)
    except Exception as error:  # noqa: BLE001 - every failure is an answer about the file
        return _invalid(error, "The policy is not valid.")
    rules = [{"id": r.id, "principle": r.principle, "actions": list(r.actions),
              "description": r.description} for r in model.rules]
    return json_response({"valid": True, "rules": rules})


@blueprint.post("/v1/policy/reload")
@requires("admin")
def reload_policy() -> Response:
    try:
        policy = _holder().reload()
    except Exception as error:  # noqa: BLE001 - the running policy stays
        return _invalid(error, "The policy file was not loaded; the running policy stays.")
    return json_response(policy.describe())


def _policy_text() -> str:
    if (request.mimetype or "") in REFUSED_TYPES:
        raise Problem(415, "Send the rules.yaml text as the body (e.g. text/yaml).")
    raw = read_body()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Problem(400, "The policy text is not UTF-8.") from None


def _invalid(error: Exception, detail: str) -> Response:
    return _invalid_problems(problems_of(error), detail)


def _invalid_problems(problems: list[dict], detail: str) -> Response:
    body = problem_body(422, detail)
    # Problem fields for generic clients, plus the contract's {valid, errors[]}.
    body["valid"] = False
    body["errors"] = problems
    return json_response(body, status=422, mimetype="application/problem+json")
