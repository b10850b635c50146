"""The OpenAPI 3 document, built one way: apispec, with its MarshmallowPlugin.

The request bodies come from the same marshmallow schemas that validate requests
(taught our field rules in openapi_fields.py), so the document cannot promise less
or more than the service checks. The answers are in openapi_responses.py, every
operation in openapi_paths.py; the views themselves carry none of it.
"""

from __future__ import annotations

import re
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from app.api import openapi_fields, openapi_paths
from app.api.openapi_paths import DESCRIPTIONS, PARAMETERS, SECURED, TITLES, problems
from app.api.openapi_responses import COMPONENTS, ref
from app.schemas import REQUEST_SCHEMAS
from app.stats.models import EVENT_TYPES, MONEY_TYPES
from app.stats.schemas import KOPECK, BatchSchema
from app.webhooks.schemas import WebhookSchema

# Every /v1 operation checks the key first, which reads the database.
_KEY_CHECK = (401, 403, 503)


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
    # The activities' request body, generated from the schema that validates it.
    spec.components.schema("ActivityBatch", schema=BatchSchema)
    spec.components.schema("WebhookRegistration", schema=WebhookSchema)
    for name, parameter in PARAMETERS.items():
        spec.components.parameter(name, parameter["in"], parameter)
    openapi_paths.add_all(spec)
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
                "responses": {"200": {"description": "OK"}, **problems(400, 422)},
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
                    answers.setdefault(str(code), {"description": DESCRIPTIONS[code]})
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
