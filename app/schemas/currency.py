"""The policy currency (CONTRACT §3): money in a request is in it, or the request is a 422.

The currency is the running policy's (`currency:` in rules.yaml), so the schemas cannot
name it when they are built. A `Currency()` field checks against the one that
`validate_request` sets for the load; the OpenAPI document reads the same marker and
states the running policy's currency as the field's only value.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from marshmallow import ValidationError, fields, validate

# Set only while a request is validated; a context variable, so threads do not share it.
_POLICY_CURRENCY: ContextVar[str | None] = ContextVar("policy_currency", default=None)


class PolicyCurrency(validate.Validator):
    """Only the policy currency; with none set (a bare schema load), any string."""

    error = "Only {currency} is accepted by this policy."

    def __call__(self, value: Any) -> Any:
        currency = _POLICY_CURRENCY.get()
        if currency is not None and value != currency:
            raise ValidationError(self.error.format(currency=currency))
        return value


def Currency(**kwargs: Any) -> fields.String:
    return fields.String(validate=PolicyCurrency(), **kwargs)


def is_currency(field: fields.Field) -> bool:
    return any(isinstance(v, PolicyCurrency) for v in getattr(field, "validators", ()))


@contextmanager
def policy_currency(currency: str) -> Iterator[None]:
    """Validate the requests loaded inside against `currency`."""
    token = _POLICY_CURRENCY.set(currency)
    try:
        yield
    finally:
        _POLICY_CURRENCY.reset(token)
