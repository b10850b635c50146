"""What apispec cannot read from our marshmallow fields, told to its converter.

apispec turns a field's type, enum, length and range into OpenAPI, but it drops
`min_inclusive=False`, knows nothing of the strict types' magnitude bounds, and
cannot know the policy currency. Each rule below reads the field itself, so the
document says exactly what the schema enforces and cannot drift from it.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import fields, validate

from app.schemas.common import ApprovalItem
from app.schemas.currency import is_currency
from app.schemas.strict import (
    MAX_DATE_TIME_LENGTH,
    MAX_INTEGER,
    MAX_MAGNITUDE,
    AwareDateTime,
    IsoDate,
    IsoDateOrDateTime,
    StrictDecimal,
    StrictInteger,
    Visible,
)
from app.stats.periods import MAX_DATE, MIN_DATE
from app.stats.schemas import UtcDateTime


def teach(plugin: MarshmallowPlugin, currency: str | None) -> None:
    """Add our field rules to `plugin`'s converter; `currency` is the running policy's."""
    plugin.map_to_openapi_type(IsoDate, "string", "date")
    plugin.map_to_openapi_type(AwareDateTime, "string", "date-time")
    plugin.map_to_openapi_type(IsoDateOrDateTime, "string", None)
    converter = plugin.converter

    def exclusive_bounds(self: Any, field: fields.Field, **_: Any) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for rule in _ranges(field):
            if rule.min is not None and not rule.min_inclusive:
                found["exclusiveMinimum"] = True
            if rule.max is not None and not rule.max_inclusive:
                found["exclusiveMaximum"] = True
        return found

    def magnitude(self: Any, field: fields.Field, ret: dict[str, Any], **_: Any) -> dict:
        # The strict number types refuse anything larger, whatever their validators say.
        if isinstance(field, StrictDecimal):
            bound = int(MAX_MAGNITUDE)
        elif isinstance(field, StrictInteger):
            bound = MAX_INTEGER
        else:
            return {}
        found: dict[str, Any] = {}
        if "maximum" not in ret:
            found["maximum"] = bound
        if "minimum" not in ret:
            found["minimum"] = -bound
        return found

    def policy_currency(self: Any, field: fields.Field, **_: Any) -> dict[str, Any]:
        return {"enum": [currency]} if currency and is_currency(field) else {}

    def date_or_date_time(self: Any, field: fields.Field, **_: Any) -> dict[str, Any]:
        if not isinstance(field, IsoDateOrDateTime):
            return {}
        return {"anyOf": [{"format": "date"}, {"format": "date-time"}],
                "maxLength": MAX_DATE_TIME_LENGTH,
                "description": "An ISO date, or a date-time (one without an offset is read "
                               "in the service's time zone)."}

    def stored_years(self: Any, field: fields.Field, **_: Any) -> dict[str, Any]:
        # An activity's time must lie in the years the statistics can place it in.
        if not isinstance(field, UtcDateTime):
            return {}
        years = "|".join(number_range(MIN_DATE.year, MAX_DATE.year, 4))
        return {"pattern": f"^(?:{years})-",
                "description": f"With its UTC offset, in the years {MIN_DATE.year} to "
                               f"{MAX_DATE.year}."}

    def ecma_pattern(self: Any, field: fields.Field, ret: dict[str, Any], **_: Any) -> dict:
        # OpenAPI patterns are ECMA-262 regexes, which have no \Z; there `$` (without the
        # multiline flag) is the end of the input, as \Z is in Python.
        pattern = ret.get("pattern")
        if isinstance(pattern, str) and pattern.endswith("\\Z"):
            return {"pattern": pattern[:-2] + "$"}
        return {}

    def visible(self: Any, field: fields.Field, ret: dict[str, Any], **_: Any) -> dict:
        if "pattern" in ret or not any(isinstance(v, Visible) for v in field.validators):
            return {}
        return {"pattern": VISIBLE_PATTERN}

    def approval_item(self: Any, field: fields.Field, **_: Any) -> dict[str, Any]:
        if not isinstance(field, ApprovalItem):
            return {}
        return {"oneOf": [self.resolve_nested_schema(variant) for variant in field.VARIANTS],
                "description": "An approval given in dealguard, by its id; or, from a crm "
                               "or admin key only, one the CRM's workflow gave."}

    for rule in (exclusive_bounds, magnitude, policy_currency, date_or_date_time, stored_years,
                 ecma_pattern, visible, approval_item):
        converter.add_attribute_function(rule)


def _invisible_class() -> str:
    """A regex class of the Basic Multilingual Plane's control and format characters.

    ECMA-262 patterns without the u flag cannot name characters above U+FFFF; the few
    format characters there (tags, musical formatting) are refused by the server too.
    Surrogates are left out: no JSON text carries a lone one to the server (it refuses
    them as it parses), and regex engines that work on code points cannot name them.
    """
    ranges: list[list[int]] = []
    for code in range(0x10000):
        if unicodedata.category(chr(code)) in ("Cc", "Cf"):
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1][1] = code
            else:
                ranges.append([code, code])
    return "".join(f"\\u{low:04x}" if low == high else f"\\u{low:04x}-\\u{high:04x}"
                   for low, high in ranges)


# No control, invisible format or surrogate character, as `Visible` checks. The end is
# "no character follows" rather than `$`: in Python's regexes (which test generators
# use) `$` also matches before a final newline, which would let "x\n" pass.
VISIBLE_PATTERN = f"^[^{_invisible_class()}]*(?![\\s\\S])"


def number_range(low: int, high: int, width: int) -> list[str]:
    """Regex alternatives that match exactly the `width`-digit numbers low..high.

    Each alternative is a fixed prefix, one digit range and free digits (19\\d\\d,
    [2-8]\\d\\d\\d, ...): the largest aligned blocks of numbers, from `low` upwards.
    """
    alternatives = []
    while low <= high:
        free = 0  # digits after the range digit: a block of 10**free numbers
        while (free + 1 < width and low % 10 ** (free + 1) == 0
               and low + 10 ** (free + 1) - 1 <= high):
            free += 1
        size = 10**free
        first = low // size % 10
        count = 1
        while first + count <= 9 and low + (count + 1) * size - 1 <= high:
            count += 1
        prefix = str(low // size // 10).zfill(width - free - 1) if width - free > 1 else ""
        digit = str(first) if count == 1 else f"[{first}-{first + count - 1}]"
        alternatives.append(prefix + digit + "\\d" * free)
        low += count * size
    return alternatives


def _ranges(field: fields.Field) -> list[validate.Range]:
    return [v for v in getattr(field, "validators", ()) if isinstance(v, validate.Range)]
