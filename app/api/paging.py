"""The log's query parameters over HTTP: filters, limit and cursor, or a 422 naming each.

The filters themselves are the log's (app.log.read.query.parse_filters, which the
command line reads too); the page size and the opaque cursor exist only here. A
cursor is the seq a page ended at, base64-encoded: the log reads `seq < cursor`.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

from app.log.read.query import Filters, InvalidFilters, parse_filters
from app.problems import Problem

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
CURSOR_PREFIX = "seq:"


def filters(args: Mapping[str, str], timezone: str,
            allowed_extra: tuple[str, ...] = ()) -> Filters:
    """The log's filters from query parameters; Problem(422) naming every bad field."""
    try:
        return parse_filters(args, timezone, allowed_extra)
    except InvalidFilters as invalid:
        raise Problem(422, invalid.detail, invalid.errors) from None


def parse_page(args: Mapping[str, str], timezone: str) -> tuple[Filters, int, int | None]:
    """Filters, limit and cursor of a list request; one Problem(422) naming every bad field."""
    errors: dict[str, list[str]] = {}
    parsed: list[Any] = []
    for parse in (lambda: filters(args, timezone, allowed_extra=("limit", "cursor")),
                  lambda: parse_limit(args.get("limit")),
                  lambda: decode_cursor(args.get("cursor"))):
        try:
            parsed.append(parse())
        except Problem as problem:
            errors.update(problem.errors)
    if errors:
        raise Problem(422, "Some parameters are not valid.", errors)
    page_filters, limit, before = parsed
    return page_filters, limit, before


def parse_limit(raw: str | None, maximum: int = MAX_LIMIT, default: int = DEFAULT_LIMIT) -> int:
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= maximum:
        raise Problem(422, "The limit is not valid.",
                      {"limit": [f"Must be a whole number from 1 to {maximum}."]})
    return int(raw)


def encode_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"{CURSOR_PREFIX}{seq}".encode()).decode().rstrip("=")


def decode_cursor(raw: str | None) -> int | None:
    """The seq a cursor points after, or None for the first page; Problem(422) if forged."""
    if raw is None:
        return None
    bad = Problem(422, "The cursor is not valid.",
                  {"cursor": ["Use the next_cursor of a previous page, unchanged."]})
    if not 1 <= len(raw) <= 40 or not raw.isascii():
        raise bad
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode("ascii")
    except (binascii.Error, ValueError):
        raise bad from None
    number = text.removeprefix(CURSOR_PREFIX)
    if number == text or not number.isdigit() or len(number) > 18 or int(number) < 1:
        raise bad
    return int(number)
