"""The OpenAPI 3 document, built from the marshmallow schemas so it cannot drift from them."""

from __future__ import annotations

import re
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from app.schemas import REQUEST_SCHEMAS
from app.schemas.strict import IsoDate, IsoDateOrDateTime

TITLES = {
    "discount": "DiscountRequest",
    "shipment": "ShipmentRequest",
    "claim": "ClaimRequest",
    "disclosure": "DisclosureRequest",
    "offer": "OfferRequest",
}

PROBLEM = {
    "type": "object",
    "description": "RFC 9457 problem details (CONTRACT §4).",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {"type": "object", "additionalProperties": {
            "type": "array", "items": {"type": "string"}}},
    },
    "required": ["type", "title", "status", "detail", "errors"],
}

REASON = {
    "type": "object",
    "properties": {
        "rule": {"type": "string"},
        "principle": {"type": "string", "enum": [
            "no-empty-promises", "pricing-policy", "prepayment", "claims",
            "confidentiality", "real-need"]},
        "outcome": {"$ref": "#/components/schemas/Outcome"},
        "approver": {"type": "string", "nullable": True},
        "satisfied_by": {"type": "string", "nullable": True},
        "item": {"type": "string", "nullable": True},
        "message": {"type": "string"},
    },
}

DECISION = {
    "type": "object",
    "properties": {
        "decision_id": {"type": "string", "format": "uuid"},
        "request_id": {"type": "string", "nullable": True},
        "action": {"type": "string", "enum": list(TITLES)},
        "outcome": {"$ref": "#/components/schemas/Outcome"},
        "required_approvals": {"type": "array", "items": {"type": "string"}},
        "reasons": {"type": "array", "items": {"$ref": "#/components/schemas/Reason"}},
        "obligations": {"type": "array", "items": {"type": "object", "properties": {
            "type": {"type": "string"}, "value": {}, "rule": {"type": "string"}}}},
        "policy": {"type": "object", "properties": {
            "name": {"type": "string"}, "version": {"type": "string"},
            "sha256": {"type": "string"}}},
        "as_of": {"type": "string", "format": "date"},
        "decided_at": {"type": "string", "format": "date-time"},
        "duration_ms": {"type": "number"},
    },
}

SECURED = [{"bearer": []}]


def _errors(*codes: int) -> dict[str, Any]:
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    return {str(code): {"description": _DESCRIPTIONS[code], "content": problem} for code in codes}


_DESCRIPTIONS = {
    400: "Body is not JSON, or not a JSON object",
    401: "No key, unknown key or revoked key",
    403: "The key may not do this: its role may not, or a person's key (manager, approver) "
         "named another actor.id or actor.role, or asserted an approval",
    404: "Not found",
    409: "request_id reused with another body",
    413: "Body over DEALGUARD_MAX_BODY",
    415: "Content type is not JSON",
    422: "Schema or business-value violation",
    503: "The decision log cannot be written, or no policy is loaded",
}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def build_spec(routes: list[tuple[str, list[str], str]] | None = None) -> dict[str, Any]:
    """The document; `routes` (path, methods, summary) adds endpoints of other areas."""
    marshmallow = MarshmallowPlugin()
    spec = APISpec(
        title="dealguard",
        version="1",
        openapi_version="3.0.3",
        plugins=[marshmallow],
        info={"description": "Deal-compliance decisions under the company's sales policy."},
    )
    # Our strict field types subclass marshmallow's Field; tell apispec what they are.
    marshmallow.map_to_openapi_type(IsoDate, "string", "date")
    marshmallow.map_to_openapi_type(IsoDateOrDateTime, "string", None)
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    for action, schema in REQUEST_SCHEMAS.items():
        spec.components.schema(TITLES[action], schema=schema)
    spec.components.schema("Outcome", {"type": "string",
                                       "enum": ["allow", "require_approval", "deny"]})
    spec.components.schema("Problem", PROBLEM)
    spec.components.schema("Reason", REASON)
    spec.components.schema("Decision", DECISION)
    request_body = {"oneOf": [{"$ref": f"#/components/schemas/{t}"} for t in TITLES.values()],
                    "discriminator": {"propertyName": "action"}}
    spec.path("/v1/decisions", operations={"post": {
        "summary": "Decide one proposed action and log the decision",
        "security": SECURED,
        "requestBody": {"required": True, "content": _json(request_body)},
        "responses": {"200": {"description": "The decision (already logged)",
                              "content": _json({"$ref": "#/components/schemas/Decision"})},
                      **_errors(400, 401, 403, 409, 413, 415, 422, 503)},
    }})
    spec.path("/v1/decisions/batch", operations={"post": {
        "summary": "Decide up to 100 requests; invalid items are answered by a problem",
        "security": SECURED,
        "requestBody": {"required": True, "content": _json({
            "type": "object", "required": ["requests"],
            "properties": {"requests": {"type": "array", "maxItems": 100,
                                        "items": request_body}}})},
        "responses": {"200": {"description": "Decisions or problems, in request order",
                              "content": _json({"type": "object", "properties": {
                                  "decisions": {"type": "array", "items": {"oneOf": [
                                      {"$ref": "#/components/schemas/Decision"},
                                      {"$ref": "#/components/schemas/Problem"}]}}}})},
                      **_errors(400, 401, 403, 413, 415, 422, 503)},
    }})
    _policy_paths(spec)
    _service_paths(spec)
    _documented_paths(spec)
    document = spec.to_dict()
    for path, methods, summary in routes or []:
        operations = document["paths"].setdefault(path, {})
        for method in methods:
            operations.setdefault(method.lower(), {
                "summary": summary,
                "parameters": [{"name": name, "in": "path", "required": True,
                                "schema": {"type": "string"}}
                               for name in re.findall(r"{([^}]+)}", path)],
                "security": SECURED if path.startswith("/v1/") else [],
                "responses": {"200": {"description": "OK"}, **_errors(400, 401, 403, 422)},
            })
    return document


def _policy_paths(spec: APISpec) -> None:
    yaml_body = {"required": True, "content": {"text/yaml": {"schema": {"type": "string"}}}}
    spec.path("/v1/policy", operations={"get": {
        "summary": "The running policy: name, version, sha256, principles, rules",
        "security": SECURED,
        "responses": {"200": {"description": "The policy", "content": _json({"type": "object"})},
                      **_errors(401, 503)},
    }})
    spec.path("/v1/policy/validate", operations={"post": {
        "summary": "Check a candidate rules.yaml; line-numbered errors",
        "security": SECURED,
        "requestBody": yaml_body,
        "responses": {"200": {"description": "{valid: true, rules}",
                              "content": _json({"type": "object"})},
                      **_errors(401, 413, 422)},
    }})
    spec.path("/v1/policy/reload", operations={"post": {
        "summary": "Load the policy file again (admin); on error the running policy stays",
        "security": SECURED,
        "responses": {"200": {"description": "The new policy",
                              "content": _json({"type": "object"})},
                      **_errors(401, 403, 422)},
    }})


def _documented_paths(spec: APISpec) -> None:
    """Areas that describe their operations in their views' docstrings."""
    from app.api import activities, log, stats

    for module in (activities, stats, log):
        for name, parameter in getattr(module, "OPENAPI_PARAMETERS", {}).items():
            spec.components.parameter(name, parameter["in"], parameter)
        for path, operations in module.openapi_paths().items():
            spec.path(path, operations=operations)


def _service_paths(spec: APISpec) -> None:
    plain = {"200": {"description": "OK"}}
    spec.path("/health/live", operations={"get": {"summary": "The process answers",
                                                   "responses": plain}})
    spec.path("/health/ready", operations={"get": {
        "summary": "Database reachable, a policy loaded, the log writer answering",
        "responses": {**plain, **_errors(503)}}})
    spec.path("/metrics", operations={"get": {"summary": "Prometheus metrics",
                                               "responses": plain}})
