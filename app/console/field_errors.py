"""The API's refusals in the reader's language: the field errors a check form or the
log's filters show beside a field, and a refusal's detail above the form.

The request schemas (marshmallow's messages and our own, app/schemas) and the log's
filters answer in English, which the API keeps (CONTRACT §4). The console reads each
message here: an exact message, or one of the shapes with values (`Must be one of:
retail, wholesale.`), is given in the page's language; any other stays as it is.
The English msgids are the messages themselves, so English reads them unchanged.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask_babel import lazy_gettext as _l

from app.console.locale import DEFAULT_LANGUAGE, language

EXACT = {
    # marshmallow's own
    "Missing data for required field.": _l("Missing data for required field."),
    "Field may not be null.": _l("Field may not be null."),
    "Unknown field.": _l("Unknown field."),
    "Invalid input type.": _l("Invalid input type."),
    "Invalid type.": _l("Invalid type."),
    "Invalid value.": _l("Invalid value."),
    "Not a valid string.": _l("Not a valid string."),
    "Not a valid list.": _l("Not a valid list."),
    "Not a valid number.": _l("Not a valid number."),
    "Not a valid integer.": _l("Not a valid integer."),
    "Not a valid boolean.": _l("Not a valid boolean."),
    "Not a valid date.": _l("Not a valid date."),
    "Not a valid mapping type.": _l("Not a valid mapping type."),
    "Number too large.": _l("Number too large."),
    "Special numeric values (nan or infinity) are not permitted.":
        _l("Special numeric values (nan or infinity) are not permitted."),
    # app/schemas
    "Must be a number.": _l("Must be a number."),
    "Must be at most 1e15 in magnitude.": _l("Must be at most 1e15 in magnitude."),
    "Must be an integer.": _l("Must be an integer."),
    "Must be true or false.": _l("Must be true or false."),
    "Must be an ISO date (YYYY-MM-DD).": _l("Must be an ISO date (YYYY-MM-DD)."),
    "Must be an ISO date or date-time.": _l("Must be an ISO date or date-time."),
    "Must be an ISO date-time.": _l("Must be an ISO date-time."),
    "Must carry a UTC offset (e.g. 2026-11-27T09:00:00+03:00).":
        _l("Must carry a UTC offset (e.g. 2026-11-27T09:00:00+03:00)."),
    "Must not contain control characters or invisible format characters.":
        _l("Must not contain control characters or invisible format characters."),
    "Must be an object: {approval_id} or {role, by}.":
        _l("Must be an object: {approval_id} or {role, by}."),
    "No approval with this id.": _l("No approval with this id."),
    "Not allowed for this key.": _l("Not allowed for this key."),
    "The request must be a JSON object.": _l("The request must be a JSON object."),
    # the log's filters (app/log/read/query.py)
    "Must be an ISO date (2026-11-27) or date-time.":
        _l("Must be an ISO date (2026-11-27) or date-time."),
    "Must be later than since.": _l("Must be later than since."),
    # a refusal's detail (app/decision_service.py, app/engine/approvals.py)
    "An approval_id names no approval given in dealguard.":
        _l("An approval_id names no approval given in dealguard."),
    "The request holds a value that is not plain JSON.":
        _l("The request holds a value that is not plain JSON."),
    "This request_id was used before with another body.":
        _l("This request_id was used before with another body."),
    "No policy is loaded; no decision can be made.":
        _l("No policy is loaded; no decision can be made."),
    "The decision log cannot be read; try again.":
        _l("The decision log cannot be read; try again."),
    "The decision log cannot be written; no decision was made.":
        _l("The decision log cannot be written; no decision was made."),
    "The decision could not be prepared for the log; no decision.":
        _l("The decision could not be prepared for the log; no decision."),
}
# (the English message's shape, its text with the same named values)
SHAPES = (
    (r"Must be greater than or equal to (?P<min>\S+) and less than or equal to (?P<max>\S+)\.",
     _l("Must be greater than or equal to %(min)s and less than or equal to %(max)s.")),
    (r"Must be greater than (?P<min>\S+) and less than or equal to (?P<max>\S+)\.",
     _l("Must be greater than %(min)s and less than or equal to %(max)s.")),
    (r"Must be greater than or equal to (?P<min>\S+)\.",
     _l("Must be greater than or equal to %(min)s.")),
    (r"Must be greater than (?P<min>\S+)\.", _l("Must be greater than %(min)s.")),
    (r"Must be less than or equal to (?P<max>\S+)\.", _l("Must be less than or equal to %(max)s.")),
    (r"Must be less than (?P<max>\S+)\.", _l("Must be less than %(max)s.")),
    (r"Shorter than minimum length (?P<min>\d+)\.", _l("Shorter than minimum length %(min)s.")),
    (r"Longer than maximum length (?P<max>\d+)\.", _l("Longer than maximum length %(max)s.")),
    (r"Length must be between (?P<min>\d+) and (?P<max>\d+)\.",
     _l("Length must be between %(min)s and %(max)s.")),
    (r"Must be one of: (?P<choices>.+)\.", _l("Must be one of: %(choices)s.")),
    (r"Only (?P<currency>\w+) is accepted by this policy\.",
     _l("Only %(currency)s is accepted by this policy.")),
    (r"Must be 1 to (?P<max>\d+) printable characters\.",
     _l("Must be 1 to %(max)s printable characters.")),
    (r"Must fall within the years 1 to 9999 in the time zone (?P<zone>.+)\.",
     _l("Must fall within the years 1 to 9999 in the time zone %(zone)s.")),
    (r"The request does not match the schema: (?P<fields>.+)",
     _l("The request does not match the schema: %(fields)s")),
)
_SHAPES = tuple((re.compile(pattern), text) for pattern, text in SHAPES)


def in_language(message: Any) -> str:
    """`message` in the page's language, when it is one the console knows; else as is."""
    text = str(message)
    if language() == DEFAULT_LANGUAGE:
        return text
    known = EXACT.get(text)
    if known is not None:
        return str(known)
    for pattern, translated in _SHAPES:
        found = pattern.fullmatch(text)
        if found:
            return str(translated) % found.groupdict()
    return text


def init_app(app: Flask) -> None:
    app.jinja_env.filters["field_error"] = in_language
