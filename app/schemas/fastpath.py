"""A fast path for valid requests, compiled from the marshmallow schemas themselves.

marshmallow's load costs ~70 µs per request, more than the rule engine. Most
requests are valid, so each schema is compiled once into plain closures that
accept exactly what the schema accepts and return exactly what it would load.
Anything they are not sure about (any error, any field type they do not know)
raises `NotFast`, and the caller runs the real marshmallow load, which then
produces the error messages. Field names, types, ranges and enums still come
only from the schemas; tests/engine/test_fastpath.py checks the two agree.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable
from typing import Any

from marshmallow import Schema, ValidationError, fields
from marshmallow.utils import missing

from app.schemas.common import ApprovalItem
from app.schemas.strict import (
    MAX_INTEGER,
    MAX_MAGNITUDE,
    IsoDate,
    IsoDateOrDateTime,
    StrictBoolean,
    StrictDecimal,
    StrictInteger,
)

Converter = Callable[[Any], Any]


class NotFast(Exception):
    """The fast path cannot vouch for this value: ask marshmallow."""


def compile_schema(schema: Schema) -> Converter:
    """A loader equivalent to `schema.load` for valid input; raises NotFast otherwise."""
    if schema._hooks and any(schema._hooks.values()):
        raise TypeError("schemas with hooks are not compiled")
    steps = []
    for name, field in schema.fields.items():
        if field.data_key not in (None, name):
            raise TypeError("data_key is not supported by the fast path")
        steps.append((name, field.required, field.load_default, field.allow_none,
                      _field_converter(field)))
    allowed = frozenset(schema.fields)

    def load(data: Any) -> dict[str, Any]:
        if type(data) is not dict or not data.keys() <= allowed:
            raise NotFast
        out: dict[str, Any] = {}
        for name, required, default, allow_none, convert in steps:
            if name in data:
                value = data[name]
                if value is None:
                    if not allow_none:
                        raise NotFast
                    out[name] = None
                else:
                    out[name] = convert(value)
            elif required:
                raise NotFast
            elif default is not missing:
                out[name] = default() if callable(default) else default
        return out

    return load


def _field_converter(field: fields.Field) -> Converter:
    convert = _type_converter(field)
    validators = tuple(field.validators)
    if not validators:
        return convert

    def checked(value: Any) -> Any:
        result = convert(value)
        try:
            for validator in validators:
                validator(result)
        except ValidationError:
            raise NotFast from None
        return result

    return checked


def _type_converter(field: fields.Field) -> Converter:
    if isinstance(field, fields.Nested):
        return compile_schema(field.schema)
    if isinstance(field, fields.List):
        inner = _field_converter(field.inner)

        def each(value: Any) -> list:
            if type(value) is not list:
                raise NotFast
            return [inner(item) for item in value]

        return each
    if isinstance(field, StrictDecimal) and field.places is None:
        return _decimal
    if isinstance(field, StrictInteger):
        return _integer
    if isinstance(field, StrictBoolean):
        return _boolean
    if type(field) is fields.String:
        return _string
    if isinstance(field, ApprovalItem):
        return _approval_item(field)
    if isinstance(field, IsoDate | IsoDateOrDateTime):
        return _via(field)
    raise TypeError(f"no fast path for {type(field).__name__}")


def _approval_item(field: ApprovalItem) -> Converter:
    """Each variant compiled, chosen as ApprovalItem chooses it (by `approval_id`)."""
    reference, asserted = (compile_schema(variant()) for variant in field.VARIANTS)

    def convert(value: Any) -> Any:
        if type(value) is not dict:
            raise NotFast
        return reference(value) if "approval_id" in value else asserted(value)

    return convert


def _decimal(value: Any) -> decimal.Decimal:
    kind = type(value)
    if kind is not int and kind is not float and kind is not decimal.Decimal:
        raise NotFast
    number = decimal.Decimal(str(value))
    if not number.is_finite() or abs(number) > MAX_MAGNITUDE:
        raise NotFast
    return number


def _integer(value: Any) -> int:
    if type(value) is not int or abs(value) > MAX_INTEGER:
        raise NotFast
    return value


def _boolean(value: Any) -> bool:
    if type(value) is not bool:
        raise NotFast
    return value


def _string(value: Any) -> str:
    if type(value) is not str:
        raise NotFast
    return value


def _via(field: fields.Field) -> Converter:
    def convert(value: Any) -> Any:
        try:
            return field._deserialize(value, None, None)
        except ValidationError:
            raise NotFast from None

    return convert
