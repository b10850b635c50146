"""Reading a JSON request body: every way it can be wrong is a 4xx, never a 500."""

from __future__ import annotations

import decimal
import json
from typing import Any

from flask import current_app, request

from app.problems import Problem

# Deeper than any request of CONTRACT §3 can be; refusing early keeps recursion bounded.
MAX_DEPTH = 16
# Longer integers are no business value; as a Decimal the schema refuses them (422)
# instead of Python's int() refusing them with a parse error.
MAX_INT_DIGITS = 20


def json_body() -> Any:
    """The parsed body: 415 unless JSON, 413 over the limit, 400 if not JSON, 422 if odd."""
    mimetype = request.mimetype or ""
    if not (mimetype == "application/json" or mimetype.endswith("+json")):
        raise Problem(415, "Send the body as application/json.")
    raw = read_body()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Problem(400, "The body is not UTF-8 encoded JSON.") from None
    try:
        value = json.loads(text, parse_float=decimal.Decimal, parse_int=_parse_int,
                           parse_constant=_refuse_constant)
    except _Constant as constant:
        raise Problem(422, f"{constant} is not a number this API accepts.",
                      {"_schema": [f"{constant} is not allowed."]}) from None
    except RecursionError:
        raise Problem(422, "The body is nested too deeply.") from None
    except ValueError as error:
        raise Problem(400, f"The body is not valid JSON: {_short(error)}") from None
    # Each level of nesting opens a bracket, so a body with few brackets (any real
    # request) cannot be too deep, and the walk over its every value is spared.
    if raw.count(b"{") + raw.count(b"[") > MAX_DEPTH and _depth(value) > MAX_DEPTH:
        raise Problem(422, "The body is nested too deeply.")
    return value


def read_body() -> bytes:
    """The raw body; 413 over MAX_CONTENT_LENGTH, with or without a Content-Length."""
    raw = request.get_data(cache=True)  # Werkzeug raises 413 when Content-Length is over
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if request.content_length is None and limit is not None and len(raw) >= limit:
        # A chunked body is cut at the limit without an error: look for one byte more.
        try:
            more = request.environ["wsgi.input"].read(1)
        except Exception:  # noqa: BLE001 - an unreadable rest counts as "too long"
            more = b"?"
        if more:
            raise Problem(413, f"The body is larger than {limit} bytes.")
    return raw


def object_body() -> dict[str, Any]:
    value = json_body()
    if not isinstance(value, dict):
        raise Problem(400, "The body must be a JSON object.")
    return value


class _Constant(Exception):
    pass


def _refuse_constant(name: str) -> Any:
    raise _Constant(name)


def _parse_int(text: str) -> int | decimal.Decimal:
    digits = text.lstrip("-")
    return int(text) if len(digits) <= MAX_INT_DIGITS else decimal.Decimal(text)


def _depth(value: Any) -> int:
    # Iterative: a recursive walk of hostile input is what we are protecting against.
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > MAX_DEPTH:
            return deepest
        stack.extend((child, depth + 1) for child in children)
    return deepest


def _short(error: ValueError) -> str:
    # json's messages name a position, never echo the input.
    return str(error).split("\n", 1)[0][:200]
