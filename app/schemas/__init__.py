"""Request schemas of CONTRACT §3: the one place where request field names live.

The API, the embedded engine and the policy loader all read them from here: the
API and `decide` to validate a request, the loader to check that a rule only
names fields that exist.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from app.schemas.claim import ClaimRequestSchema
from app.schemas.currency import policy_currency
from app.schemas.disclosure import DisclosureRequestSchema
from app.schemas.discount import DiscountRequestSchema
from app.schemas.fastpath import NotFast, compile_schema
from app.schemas.offer import OfferRequestSchema
from app.schemas.shipment import ShipmentRequestSchema
from app.schemas.strict import (
    IsoDate,
    IsoDateOrDateTime,
    StrictBoolean,
    StrictDecimal,
    StrictInteger,
)
from app.vocabulary import ACTIONS

# Built once: constructing a marshmallow schema per request costs more than evaluating it.
REQUEST_SCHEMAS: dict[str, Schema] = {
    "discount": DiscountRequestSchema(),
    "shipment": ShipmentRequestSchema(),
    "claim": ClaimRequestSchema(),
    "disclosure": DisclosureRequestSchema(),
    "offer": OfferRequestSchema(),
}

# The same schemas compiled for valid requests (see fastpath.py): a tenth of the cost.
FAST_LOADERS = {action: compile_schema(schema) for action, schema in REQUEST_SCHEMAS.items()}


class InvalidRequest(Exception):
    """A request that breaks the schema; `errors` maps a field path to its messages."""

    def __init__(self, errors: dict[str, list[str]], detail: str | None = None) -> None:
        self.errors = errors
        self.detail = detail or "The request does not match the schema: " + ", ".join(
            sorted(errors)
        )
        super().__init__(self.detail)


class NotAnObject(InvalidRequest):
    """The request is not a JSON object at all (the API answers 400, not 422)."""


def flatten_errors(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested error dict -> {"offer.items.2.quantity": [...]}."""
    if isinstance(messages, dict):
        flat: dict[str, list[str]] = {}
        for key, value in messages.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            if key == "_schema":
                path = prefix or "_schema"
            for sub_path, sub_messages in flatten_errors(value, path).items():
                flat.setdefault(sub_path, []).extend(sub_messages)
        return flat
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return {prefix or "_schema": list(messages)}
    if isinstance(messages, list):
        flat = {}
        for index, value in enumerate(messages):
            flat.update(flatten_errors(value, f"{prefix}.{index}"))
        return flat
    return {prefix or "_schema": [str(messages)]}


def validate_request(data: Any, currency: str = "RUB") -> dict[str, Any]:
    """Validate and type one decision request; raise InvalidRequest with field paths.

    The one check of the request's shape and its action: NotAnObject (an InvalidRequest)
    when it is not an object, an `action` error when its action is none of ACTIONS
    (missing, a list or an object included); then the action's schema checks the rest.
    """
    if not isinstance(data, dict):
        raise NotAnObject({"_schema": ["The request must be a JSON object."]})
    action = data.get("action")
    if not isinstance(action, str) or action not in REQUEST_SCHEMAS:
        raise InvalidRequest({"action": [f"Must be one of: {', '.join(ACTIONS)}."]})
    # Every rule is the schema's, the policy currency included (app/schemas/currency.py),
    # so that the OpenAPI document, generated from the same schemas, states them all.
    with policy_currency(currency):
        try:
            return FAST_LOADERS[action](data)
        except NotFast:
            try:
                return REQUEST_SCHEMAS[action].load(data)
            except ValidationError as error:
                raise InvalidRequest(flatten_errors(error.messages)) from None


@dataclass(frozen=True)
class FieldInfo:
    """What a rule may know of a request field: its type and, for enums, its values."""

    type: str  # number, integer, string, boolean, date
    choices: tuple[str, ...] | None = None


def _field_info(field: fields.Field) -> FieldInfo | None:
    choices = None
    for validator in _validators(field):
        if isinstance(validator, validate.OneOf):
            choices = tuple(validator.choices)
    if isinstance(field, StrictBoolean):
        return FieldInfo("boolean")
    if isinstance(field, StrictInteger):
        return FieldInfo("integer")
    if isinstance(field, StrictDecimal):
        return FieldInfo("number")
    if isinstance(field, IsoDate | IsoDateOrDateTime):
        return FieldInfo("date")
    if isinstance(field, fields.String):
        return FieldInfo("string", choices)
    return None


def _validators(field: fields.Field) -> list:
    return list(getattr(field, "validators", []) or [])


@functools.cache
def scalar_fields(action: str) -> dict[str, FieldInfo]:
    """Every scalar request field of `action` by dotted path (lists are left out).

    Cached: the schemas never change while the process runs, and facts ask per request.
    Callers must not modify the answer."""
    found: dict[str, FieldInfo] = {}

    def walk(schema: Schema, prefix: str) -> None:
        for name, field in schema.fields.items():
            path = f"{prefix}{name}"
            if isinstance(field, fields.Nested):
                walk(field.schema, path + ".")
            elif (info := _field_info(field)) is not None:
                found[path] = info

    walk(REQUEST_SCHEMAS[action], "")
    return found


def list_item_fields(action: str, list_path: str) -> dict[str, FieldInfo]:
    """Scalar fields of the objects in a list field, e.g. offer.items."""
    schema: Schema = REQUEST_SCHEMAS[action]
    *parents, last = list_path.split(".")
    for part in parents:
        schema = schema.fields[part].schema
    inner = schema.fields[last].inner
    return {
        name: info
        for name, field in inner.schema.fields.items()
        if (info := _field_info(field)) is not None
    }
