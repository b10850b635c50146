"""What POST /v1/activities accepts and what the /v1/stats queries take, typed strictly:
a string is not a number, a naive time is not a time, and nothing unknown passes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.schemas.common import Id
from app.schemas.strict import AwareDateTime, IsoDate, StrictDecimal
from app.stats.metrics import METRIC_NAMES
from app.stats.models import CALL_OUTCOMES, EVENT_TYPES, MONEY_TYPES
from app.stats.periods import DEFAULT_PERIOD, MAX_DATE, MIN_DATE, PERIODS

MAX_EVENTS = 1000
MAX_SERIES = 104
DEFAULT_SERIES = 12
KOPECK = Decimal("0.01")
# A trillion roubles is beyond any one contract or payment. The bound keeps every amount
# exact to the kopeck in SQLite's doubles (below 2**53 kopecks) and keeps its integer
# sums of kopecks from overflowing on any plausible number of events.
MAX_AMOUNT = Decimal("1e12")


class UtcDateTime(AwareDateTime):
    """An ISO date-time with its offset, returned in UTC (the only zone stored)."""

    default_error_messages = {
        **AwareDateTime.default_error_messages,
        "range": f"Must lie between {MIN_DATE.year} and {MAX_DATE.year}.",
    }

    def _deserialize(self, value, attr, data, **kwargs) -> dt.datetime:
        parsed = super()._deserialize(value, attr, data, **kwargs)
        if not MIN_DATE <= parsed.date() <= MAX_DATE:
            raise self.make_error("range")
        return parsed.astimezone(dt.UTC)


class EventSchema(Schema):
    id = Id(required=True)
    type = fields.String(required=True, validate=validate.OneOf(EVENT_TYPES))
    manager_id = Id(required=True)
    client_id = Id(required=True)
    occurred_at = UtcDateTime(required=True)
    amount = StrictDecimal(allow_none=True, validate=validate.Range(min=0, max=MAX_AMOUNT))
    outcome = fields.String(allow_none=True, validate=validate.OneOf(CALL_OUTCOMES))

    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def _fits_type(self, data: dict, original: Any, **_kwargs: Any) -> None:
        # Fields that do not belong to the event's type are refused rather than ignored:
        # a CRM sending an amount with a call has a bug the stats would otherwise hide.
        # `original` tells an absent amount from one whose own check failed already.
        if not isinstance(original, dict):
            return
        kind = data.get("type")
        amount = data.get("amount")
        errors: dict[str, list[str]] = {}
        if kind in MONEY_TYPES and original.get("amount") is None:
            errors["amount"] = [f"Required for {kind}."]
        elif kind in EVENT_TYPES and kind not in MONEY_TYPES and amount is not None:
            errors["amount"] = [f"Only {' and '.join(MONEY_TYPES)} carry an amount."]
        elif amount is not None and amount != amount.quantize(KOPECK):
            errors["amount"] = ["At most two decimal places (kopecks)."]
        if kind in EVENT_TYPES and kind != "call" and data.get("outcome") is not None:
            errors["outcome"] = ["Only a call has an outcome."]
        if errors:
            raise ValidationError(errors)


class BatchSchema(Schema):
    events = fields.List(
        fields.Nested(EventSchema),
        required=True,
        validate=validate.Length(max=MAX_EVENTS, error=f"At most {MAX_EVENTS} events per call."),
    )


class QueryDate(IsoDate):
    default_error_messages = {
        **IsoDate.default_error_messages,
        "range": f"Must lie between {MIN_DATE.isoformat()} and {MAX_DATE.isoformat()}.",
    }

    def _deserialize(self, value, attr, data, **kwargs) -> dt.date:
        parsed = super()._deserialize(value, attr, data, **kwargs)
        if not MIN_DATE <= parsed <= MAX_DATE:
            raise self.make_error("range")
        return parsed


class QueryCount(fields.Field):
    """A whole number in a query string: digits only."""

    default_error_messages = {"invalid": f"Must be a whole number from 1 to {MAX_SERIES}."}

    def _deserialize(self, value, attr, data, **kwargs) -> int:
        if not isinstance(value, str) or not value.isascii() or not value.isdigit():
            raise self.make_error("invalid")
        if len(value) > 4 or not 1 <= int(value) <= MAX_SERIES:
            raise self.make_error("invalid")
        return int(value)


class StatsQuery(Schema):
    period = fields.String(load_default=DEFAULT_PERIOD, validate=validate.OneOf(PERIODS))
    at = QueryDate(load_default=None)
    manager_id = Id(load_default=None)


class SeriesQuery(StatsQuery):
    metric = fields.String(required=True, validate=validate.OneOf(METRIC_NAMES))
    count = QueryCount(load_default=DEFAULT_SERIES)
