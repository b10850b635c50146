"""Reading a JSON request body: every way it can be wrong is a 4xx, never a 500."""

from __future__ import annotations

import decimal
import json
import re
from typing import Any

from flask import current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from app.api.drain import abandon_body, body_read
from app.problems import Problem

# Deeper than any request of CONTRACT §3 can be; refusing early keeps recursion bounded.
MAX_DEPTH = 16
# Longer integers are no business value; as a Decimal the schema refuses them (422)
# instead of Python's int() refusing them with a parse error.
MAX_INT_DIGITS = 20
_LONE = "a lone surrogate (an unpaired \\uD800-\\uDFFF escape)"
LONE_SURROGATE = f"Must not hold {_LONE}."
# After parsing, a surrogate code point is one that had no partner: json joins pairs.
_SURROGATE = re.compile("[\ud800-\udfff]")
# Only a \uD800-\uDFFF escape in the text can put one in a string (UTF-8 cannot encode
# it): a body without such an escape, nearly every body, is spared the walk for them.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def json_body() -> Any:
    """The parsed body: 415 unless JSON, 413 over the limit, 400 if not JSON, 422 if odd.

    400 names a key repeated in an object; 422 names every string that holds a lone
    surrogate, which no text encoding can write (the log, the database, the answer).
    """
    value, errors = _parse()
    if errors:
        raise Problem(422, _SURROGATES_DETAIL + ", ".join(sorted(errors)), errors)
    return value


def object_body() -> dict[str, Any]:
    value = json_body()
    if not isinstance(value, dict):
        raise Problem(400, "The body must be a JSON object.")
    return value


def batch_body(key: str) -> tuple[dict[str, Any], dict[int, Problem]]:
    """A body {key: [item, ...]}, and the problem of each item holding a lone surrogate.

    A batch answers such an item in its place, and decides the others; a lone
    surrogate elsewhere in the body refuses the whole body, like json_body.
    """
    value, errors = _parse()
    if not isinstance(value, dict):
        raise Problem(400, "The body must be a JSON object.")
    by_item: dict[int, dict[str, list[str]]] = {}
    rest: dict[str, list[str]] = {}
    for path, messages in errors.items():
        head, index, inner = (path.split(".", 2) + ["", ""])[:3]
        if head == key and index.isdigit() and isinstance(value.get(key), list):
            by_item.setdefault(int(index), {})[inner or "_schema"] = messages
        else:
            rest[path] = messages
    if rest:
        raise Problem(422, _SURROGATES_DETAIL + ", ".join(sorted(rest)), rest)
    return value, {index: Problem(422, _SURROGATES_DETAIL + ", ".join(sorted(item)), item)
                   for index, item in by_item.items()}


_SURROGATES_DETAIL = "Some strings hold a lone surrogate, which is no character: "


def _parse() -> tuple[Any, dict[str, list[str]]]:
    """The parsed body, and its lone surrogates by field path (refused by the callers)."""
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
                           parse_constant=_refuse_constant, object_pairs_hook=_object)
    except _RepeatedKey as repeated:
        raise Problem(400, f"The body repeats the key {repeated} in one object; "
                      "each key may appear once.") from None
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
    if "\\u" in text and _SURROGATE_ESCAPE.search(text):
        return value, lone_surrogates(value)
    return value, {}


def read_body() -> bytes:
    """The raw body; 413 over MAX_CONTENT_LENGTH, with or without a Content-Length.

    400 if it cannot be read to its end (a broken chunked encoding). Either way its rest
    stays unread, and the connection closes after the answer (app/api/drain.py).
    """
    try:
        raw = request.get_data(cache=True)  # Werkzeug raises 413 when Content-Length is over
    except RequestEntityTooLarge:
        raise
    except Exception:  # noqa: BLE001 - the server's own error for a bad chunk, a lost client
        abandon_body(request.environ)
        raise Problem(400, "The body could not be read to its end: its chunked encoding "
                      "is broken, or the client stopped sending it.") from None
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if request.content_length is not None and len(raw) == request.content_length:
        body_read(request.environ)
    if request.content_length is None and limit is not None and len(raw) >= limit:
        # A chunked body is cut at the limit without an error: look for one byte more.
        try:
            more = request.environ["wsgi.input"].read(1)
        except Exception:  # noqa: BLE001 - an unreadable rest counts as "too long"
            more = b"?"
        if more:
            abandon_body(request.environ)  # not worth reading on: the answer is a 413
            raise Problem(413, f"The body is larger than {limit} bytes.")
    return raw


def lone_surrogates(value: Any) -> dict[str, list[str]]:
    """Every string (or object key) of a parsed body holding a lone surrogate, by path."""
    errors: dict[str, list[str]] = {}
    stack: list[tuple[Any, str]] = [(value, "")]
    while stack:  # iterative, like _depth
        node, path = stack.pop()
        if isinstance(node, str):
            if _SURROGATE.search(node):
                errors[path or "_schema"] = [LONE_SURROGATE]
        elif isinstance(node, dict):
            for key, item in node.items():
                if _SURROGATE.search(key):
                    # The path shows the key escaped: it cannot hold the surrogate itself.
                    key = key.encode("utf-8", "backslashreplace").decode("utf-8")
                    errors[_join(path, key)] = [f"The key must not hold {_LONE}."]
                stack.append((item, _join(path, key)))
        elif isinstance(node, list):
            stack.extend((item, _join(path, str(index))) for index, item in enumerate(node))
    return errors


def _join(path: str, part: str) -> str:
    return f"{path}.{part}" if path else part


class _RepeatedKey(Exception):
    pass


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # json keeps the last of repeated keys silently; a body that says two things about
    # one field is refused instead of half ignored.
    value = dict(pairs)
    if len(value) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                # ASCII-escaped and cut short: the key is the client's text.
                raise _RepeatedKey(json.dumps(key[:50]))
            seen.add(key)
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
