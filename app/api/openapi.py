"""The OpenAPI 3 document: requests generated from the marshmallow schemas, answers as sent.

The request bodies come from the same schemas that validate requests (apispec's
MarshmallowPlugin, taught our field rules in openapi_fields.py), so the document
cannot promise less or more than the service checks. The answers are in
openapi_responses.py.
"""

from __future__ import annotations

import re
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from app.api import openapi_fields
from app.api.openapi_responses import COMPONENTS, ref
from app.schemas import REQUEST_SCHEMAS
from app.stats.models import EVENT_TYPES, MONEY_TYPES
from app.stats.schemas import KOPECK

TITLES = {
    "discount": "DiscountRequest",
    "shipment": "ShipmentRequest",
    "claim": "ClaimRequest",
    "disclosure": "DisclosureRequest",
    "offer": "OfferRequest",
}

SECURED = [{"bearer": []}]

_DESCRIPTIONS = {
    400: "Body is not JSON, or not a JSON object",
    401: "No key, unknown key or revoked key",
    403: "The key may not do this: its role may not (crm, manager, approver, compliance, "
         "admin; CONTRACT §6), or a person's key (manager, approver) named another "
         "actor.id or actor.role, or asserted an approval",
    404: "Not found",
    409: "request_id reused with another body",
    413: "Body over DEALGUARD_MAX_BODY",
    415: "Content type is not JSON",
    422: "Schema or business-value violation; `errors` names each field",
    503: "The decision log or the database cannot be used now, or no policy is loaded",
}
# Every /v1 operation checks the key first, which reads the database.
_KEY_CHECK = (401, 403, 503)


def _problems(*codes: int) -> dict[str, Any]:
    return {str(code): {"description": _DESCRIPTIONS[code]} for code in codes}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _ok(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"200": {"description": description, "content": _json(schema)}}


def build_spec(routes: list[tuple[str, list[str], str]] | None = None,
               currency: str | None = None) -> dict[str, Any]:
    """The document; `routes` (path, methods, summary) adds endpoints of other areas, and
    `currency` is the running policy's, the only one a request's money may be in."""
    marshmallow = MarshmallowPlugin()
    spec = APISpec(
        title="dealguard",
        version="1",
        openapi_version="3.0.3",
        plugins=[marshmallow],
        info={"description": "Deal-compliance decisions under the company's sales policy."},
    )
    openapi_fields.teach(marshmallow, currency)
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    for action, schema in REQUEST_SCHEMAS.items():
        spec.components.schema(TITLES[action], schema=schema)
    for name, component in COMPONENTS.items():
        spec.components.schema(name, component)
    _decision_paths(spec)
    _policy_paths(spec)
    _service_paths(spec)
    _documented_paths(spec)
    document = spec.to_dict()
    _event_variants(document["components"]["schemas"])
    for path, methods, summary in routes or []:
        operations = document["paths"].setdefault(path, {})
        for method in methods:
            operations.setdefault(method.lower(), {
                "summary": summary,
                "parameters": [{"name": name, "in": "path", "required": True,
                                "schema": {"type": "string"}}
                               for name in re.findall(r"{([^}]+)}", path)],
                "security": SECURED if path.startswith("/v1/") else [],
                "responses": {"200": {"description": "OK"}, **_problems(400, 422)},
            })
    _complete_answers(document)
    return document


def _complete_answers(document: dict[str, Any]) -> None:
    """Every operation behind a key may answer 401, 403 and 503 (CONTRACT §4, §6), and
    every error is a problem+json document unless the operation says which one."""
    problem = {"application/problem+json": {"schema": ref("Problem")}}
    for operations in document["paths"].values():
        for operation in operations.values():
            answers = operation["responses"]
            if operation.get("security"):
                for code in _KEY_CHECK:
                    answers.setdefault(str(code), {"description": _DESCRIPTIONS[code]})
            for code, answer in answers.items():
                if code[0] in "45" and "content" not in answer:
                    answer["content"] = problem


def _event_variants(schemas: dict[str, Any]) -> None:
    """An activity event's amount and outcome depend on its type, which the schema checks
    in code (EventSchema._fits_type): one variant of the generated Event per kind."""
    event = schemas.pop("Event")
    fields = event["properties"]
    only_null = {"nullable": True, "enum": [None]}
    amount = {key: value for key, value in fields["amount"].items() if key != "nullable"}
    others = [kind for kind in EVENT_TYPES if kind not in MONEY_TYPES and kind != "call"]
    kinds = {
        "MoneyEvent": (MONEY_TYPES, {"amount": {**amount, "multipleOf": float(KOPECK)},
                                     "outcome": {"type": "string", **only_null}}),
        "CallEvent": (("call",), {"amount": {"type": "number", **only_null}}),
        "OtherEvent": (others, {"amount": {"type": "number", **only_null},
                                "outcome": {"type": "string", **only_null}}),
    }
    mapping = {}
    for name, (types, changes) in kinds.items():
        properties = {**fields, "type": {"type": "string", "enum": list(types)}, **changes}
        required = list(event["required"]) + (["amount"] if types == MONEY_TYPES else [])
        schemas[name] = {**event, "properties": properties, "required": required}
        mapping.update({kind: f"#/components/schemas/{name}" for kind in types})
    schemas["ActivityBatch"]["properties"]["events"]["items"] = {
        "oneOf": [ref(name) for name in kinds],
        "discriminator": {"propertyName": "type", "mapping": mapping}}


def _decision_paths(spec: APISpec) -> None:
    request_body = {
        "oneOf": [ref(title) for title in TITLES.values()],
        "discriminator": {"propertyName": "action",
                          "mapping": {action: f"#/components/schemas/{title}"
                                      for action, title in TITLES.items()}},
    }
    spec.path("/v1/decisions", operations={"post": {
        "summary": "Decide one proposed action and log the decision",
        "description": "A person's key (manager, approver) asks only as itself: actor.id "
                       "and actor.role are its person and job role, and it sends no "
                       "approvals {role, by} (else 403).",
        "security": SECURED,
        "requestBody": {"required": True, "content": _json(request_body)},
        "responses": {**_ok("The decision (already logged)", ref("Decision")),
                      **_problems(400, 409, 413, 415, 422)},
    }})
    spec.path("/v1/decisions/batch", operations={"post": {
        "summary": "Decide up to 100 requests; invalid items are answered by a problem",
        "security": SECURED,
        "requestBody": {"required": True, "content": _json({
            "type": "object", "required": ["requests"],
            "properties": {"requests": {"type": "array", "maxItems": 100,
                                        "items": request_body}}})},
        "responses": {**_ok("Decisions or problems, in request order", ref("DecisionBatch")),
                      **_problems(400, 413, 415, 422)},
    }})


def _policy_paths(spec: APISpec) -> None:
    yaml_body = {"required": True, "content": {"text/yaml": {"schema": {"type": "string"}}}}
    invalid = {"422": {"description": "The policy is not valid: its line-numbered errors",
                       "content": {"application/problem+json": {
                           "schema": ref("PolicyProblem")}}}}
    spec.path("/v1/policy", operations={"get": {
        "summary": "The running policy: name, version, sha256, principles, rules",
        "security": SECURED,
        "responses": _ok("The policy", ref("Policy")),
    }})
    spec.path("/v1/policy/validate", operations={"post": {
        "summary": "Check a candidate rules.yaml; line-numbered errors",
        "security": SECURED,
        "requestBody": yaml_body,
        "responses": {**_ok("The policy is valid: its rules", ref("PolicyValidation")),
                      **_problems(400, 413), **invalid,
                      "415": {"description": "A multipart or form body"}},
    }})
    spec.path("/v1/policy/reload", operations={"post": {
        "summary": "Load the policy file again (admin); on error the running policy stays",
        "security": SECURED,
        "responses": {**_ok("The new policy", ref("Policy")), **invalid},
    }})


def _documented_paths(spec: APISpec) -> None:
    """Areas that describe their operations themselves (in their views' docstrings)."""
    from app.api import activities, log, stats

    for module in (activities, stats, log):
        for name, schema in getattr(module, "OPENAPI_SCHEMAS", {}).items():
            spec.components.schema(name, schema=schema)
        for name, parameter in getattr(module, "OPENAPI_PARAMETERS", {}).items():
            spec.components.parameter(name, parameter["in"], parameter)
        for path, operations in module.openapi_paths().items():
            spec.path(path, operations=operations)


def _service_paths(spec: APISpec) -> None:
    spec.path("/health/live", operations={"get": {
        "summary": "The process answers", "responses": _ok("Alive", ref("Live"))}})
    spec.path("/health/ready", operations={"get": {
        "summary": "Database reachable, a policy loaded, the log writable now",
        "responses": {**_ok("Ready", ref("Ready")),
                      "503": {"description": "Not ready: what is not",
                              "content": {"application/problem+json": {
                                  "schema": ref("NotReady")}}}}}})
    spec.path("/metrics", operations={"get": {
        "summary": "Prometheus metrics",
        "responses": {"200": {"description": "Prometheus text format",
                              "content": {"text/plain": {"schema": {"type": "string"}}}}}}})
