"""Confidential fields (CONTRACT §7): kept in the log only as "hmac:" + 16 hex digits.

The same value always gives the same token under one secret, so compliance can
see that two decisions concern the same person without seeing who.
"""

from __future__ import annotations

import decimal
import hashlib
import hmac
from collections.abc import Iterable
from typing import Any

from app.audit.canonical import dumps

PREFIX = "hmac:"
# Clear values at least this long are also cut out of free text (rule messages,
# facts); shorter ones would match by accident everywhere, so they are only
# replaced where a whole string equals them.
MIN_SUBSTRING = 4


class MaskingError(Exception):
    """A record could not be masked; the caller must not log it (and answers 503)."""


def token(secret: str, value: Any) -> str:
    text = value if isinstance(value, str) else dumps(value)
    digest = hmac.new(secret.encode("utf-8"), text.encode("utf-8"), hashlib.sha256)
    return PREFIX + digest.hexdigest()[:16]


def mask_request(
    request: dict, paths: Iterable[str], secret: str
) -> tuple[dict, list[Any]]:
    """A masked deep copy of `request` and the clear values that were masked.

    A path walks dicts by key and every element of a list (offer.custom_terms.text).
    """
    if not secret:
        raise MaskingError("no secret to mask with")
    masked = _copy_tree(request)
    clear: list[Any] = []
    for path in paths:
        _mask_path(masked, path.split("."), secret, clear)
    return masked, clear


def _copy_tree(node: Any) -> Any:
    """A copy of every dict and list of a parsed JSON value (what masking may change).

    copy.deepcopy does the same at several times the cost: it also copies the immutable
    leaves and keeps a memo, which a tree parsed from JSON does not need.
    """
    if isinstance(node, dict):
        return {key: _copy_tree(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_copy_tree(value) for value in node]
    return node


def _mask_path(node: Any, parts: list[str], secret: str, clear: list[Any]) -> None:
    if isinstance(node, list):
        for item in node:
            _mask_path(item, parts, secret, clear)
        return
    if not isinstance(node, dict) or not parts:
        return
    head, rest = parts[0], parts[1:]
    if head not in node:
        return
    if rest:
        _mask_path(node[head], rest, secret, clear)
        return
    value = node[head]
    if value is None:
        return
    if isinstance(value, list):
        # A confidential list of strings: mask each element.
        node[head] = [None if v is None else token(secret, v) for v in value]
        clear.extend(v for v in value if _is_scalar(v))
        return
    node[head] = token(secret, value)
    if _is_scalar(value):
        clear.append(value)


def _is_scalar(value: Any) -> bool:
    return isinstance(value, str | int | float | decimal.Decimal) and not isinstance(value, bool)


def _as_number(value: Any) -> decimal.Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | decimal.Decimal):
        return None
    try:
        number = decimal.Decimal(str(value))
    except decimal.InvalidOperation:
        return None
    return number if number.is_finite() else None


def scrub(value: Any, clear: Iterable[Any], secret: str) -> Any:
    """Replace every clear confidential value found in `value`.

    Rule messages and facts may quote a request field; they go into the log too. A
    string is replaced where it appears (whole, or inside a longer text); a number
    wherever the same number appears (a policy may mark a number confidential).
    """
    clear = list(clear)
    needles = sorted({c for c in clear if isinstance(c, str) and c}, key=len, reverse=True)
    numbers = {n: token(secret, c) for c in clear if (n := _as_number(c)) is not None}
    if not needles and not numbers:
        return value
    tokens = {n: token(secret, n) for n in needles}
    long_needles = [n for n in needles if len(n) >= MIN_SUBSTRING]

    def walk(node: Any) -> Any:
        if isinstance(node, str):
            if node in tokens:
                return tokens[node]
            for needle in long_needles:
                if needle in node:
                    node = node.replace(needle, tokens[needle])
            return node
        if isinstance(node, dict):
            return {walk(k) if isinstance(k, str) else k: walk(v) for k, v in node.items()}
        if isinstance(node, list | tuple):
            return [walk(v) for v in node]
        number = _as_number(node)
        if number is not None and number in numbers:
            return numbers[number]
        return node

    return walk(value)
