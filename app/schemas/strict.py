"""Strict field types: the rule engine compares loosely ("500" > 100, 1 == true), so
every value is typed exactly here, before any rule sees it."""

from __future__ import annotations

import datetime as dt
import decimal
import unicodedata
from typing import Any

from marshmallow import ValidationError, fields, validate

# Larger amounts are no business value and would lose exactness in the engine's doubles.
MAX_MAGNITUDE = decimal.Decimal("1e15")
MAX_INTEGER = 10**12
# No ISO date-time is longer (an offset and microseconds included).
MAX_DATE_TIME_LENGTH = 40

# No id may hold a character of these Unicode categories (CONTRACT §3): Cc, the controls
# (NUL, which PostgreSQL refuses in text, ESC, DEL, the C1 controls), Cf, the invisible
# format characters (bidi overrides, zero-width spaces, the BOM), with which two ids that
# look the same differ; and Cs, a lone surrogate, which no text encoding can write.
INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs"})


def has_invisible(text: str) -> bool:
    """Whether `text` holds a control, invisible format or surrogate character."""
    # str.isprintable() is False for every character of those categories, and for a few
    # more (the non-ASCII spaces, private use, unassigned): only such a string, a rare
    # one, is looked at character by character.
    if text.isprintable():
        return False
    return any(unicodedata.category(char) in INVISIBLE_CATEGORIES for char in text)


class Visible(validate.Validator):
    """Refuses a string that holds a character of `has_invisible`."""

    error = "Must not contain control characters or invisible format characters."

    def __call__(self, value: str) -> str:
        if has_invisible(value):
            raise ValidationError(self.error)
        return value


class StrictDecimal(fields.Decimal):
    """A JSON number (not a string, not a boolean), finite, kept exact as a Decimal."""

    default_error_messages = {
        "type": "Must be a number.",
        "too_large": "Must be at most 1e15 in magnitude.",
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(allow_nan=False, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int | float | decimal.Decimal):
            raise self.make_error("type")
        result = super()._deserialize(value, attr, data, **kwargs)
        if abs(result) > MAX_MAGNITUDE:
            raise self.make_error("too_large")
        return result


class StrictInteger(fields.Integer):
    """A JSON integer; 1.0, "1" and true are refused."""

    default_error_messages = {"type": "Must be an integer."}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(strict=True, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.make_error("type")
        if abs(value) > MAX_INTEGER:
            raise self.make_error("type")
        return super()._deserialize(value, attr, data, **kwargs)


class StrictBoolean(fields.Boolean):
    """Only JSON true or false."""

    default_error_messages = {"type": "Must be true or false."}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("type")
        return value


class IsoDate(fields.Field):
    """An ISO 8601 calendar date, YYYY-MM-DD."""

    default_error_messages = {"invalid": "Must be an ISO date (YYYY-MM-DD)."}

    def _deserialize(self, value, attr, data, **kwargs) -> dt.date:
        if not isinstance(value, str) or len(value) != 10:
            raise self.make_error("invalid")
        try:
            return dt.date.fromisoformat(value)
        except ValueError as error:
            raise self.make_error("invalid") from error


class IsoDateOrDateTime(fields.Field):
    """An ISO date, or an ISO date-time (naive ones are read in the configured zone later)."""

    default_error_messages = {"invalid": "Must be an ISO date or date-time."}

    def _deserialize(self, value, attr, data, **kwargs) -> dt.date | dt.datetime:
        if not isinstance(value, str) or not 10 <= len(value) <= MAX_DATE_TIME_LENGTH:
            raise self.make_error("invalid")
        try:
            if len(value) == 10:
                return dt.date.fromisoformat(value)
            return dt.datetime.fromisoformat(value)
        except ValueError as error:
            raise self.make_error("invalid") from error


class AwareDateTime(fields.Field):
    """An ISO date-time that carries its UTC offset."""

    default_error_messages = {
        "invalid": "Must be an ISO date-time.",
        "naive": "Must carry a UTC offset (e.g. 2026-11-27T09:00:00+03:00).",
    }

    def _deserialize(self, value, attr, data, **kwargs) -> dt.datetime:
        if not isinstance(value, str) or not 16 <= len(value) <= MAX_DATE_TIME_LENGTH:
            raise self.make_error("invalid")
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError as error:
            raise self.make_error("invalid") from error
        if parsed.tzinfo is None:
            raise self.make_error("naive")
        return parsed
