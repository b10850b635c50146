"""Confidential fields (CONTRACT §7): kept in the log only as "hmac:" + 16 hex digits.

The same value always gives the same token under one secret, so compliance can
see that two decisions concern the same person without seeing who.
"""

from __future__ import annotations

import decimal
import hashlib
import hmac
import json
from collections.abc import Iterable
from typing import Any

from app.jsontext import dumps

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
    """A masked copy of `request` and the clear values that were masked.

    A path walks dicts by key and every element of a list (offer.custom_terms.text).
    Only the dicts and lists on a path are copied; the rest is shared with `request`,
    which is not changed (neither may the copy be, once made).
    """
    if not secret:
        raise MaskingError("no secret to mask with")
    clear: list[Any] = []
    return _masked(request, _path_tree(paths), secret, clear), clear


def _path_tree(paths: Iterable[str]) -> dict[str, dict]:
    """{"client": {"name": {}, "email": {}}} for client.name and client.email."""
    tree: dict[str, dict] = {}
    for path in paths:
        node = tree
        for part in path.split("."):
            node = node.setdefault(part, {})
    return tree


def _masked(node: Any, tree: dict[str, dict], secret: str, clear: list[Any]) -> Any:
    if isinstance(node, list):
        return [_masked(item, tree, secret, clear) for item in node]
    if not isinstance(node, dict) or not any(key in node for key in tree):
        return node
    copy = dict(node)
    for key, below in tree.items():
        if key not in copy:
            continue
        if below:
            copy[key] = _masked(copy[key], below, secret, clear)
        else:
            copy[key] = _masked_value(copy[key], secret, clear)
    return copy


def _masked_value(value: Any, secret: str, clear: list[Any]) -> Any:
    if value is None:
        return None
    if isinstance(value, list):
        # A confidential list of strings: mask each element.
        clear.extend(v for v in value if _is_scalar(v))
        return [None if v is None else token(secret, v) for v in value]
    if _is_scalar(value):
        clear.append(value)
    return token(secret, value)


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
    """Replace every clear confidential value found in `value` (see Scrubber)."""
    return Scrubber(clear, secret)(value)


class Scrubber:
    """Replaces the clear confidential values of one request wherever they appear.

    Rule messages and facts may quote a request field; they go into the log too. A
    string is replaced where it appears (whole, or inside a longer text); a number
    wherever the same number appears (a policy may mark a number confidential). Made
    once per request: each token is an HMAC.
    """

    def __init__(self, clear: Iterable[Any], secret: str) -> None:
        clear = list(clear)
        needles = sorted({c for c in clear if isinstance(c, str) and c}, key=len, reverse=True)
        self.numbers = {n: token(secret, c) for c in clear if (n := _as_number(c)) is not None}
        self.tokens = {n: token(secret, n) for n in needles}
        self.long_needles = [n for n in needles if len(n) >= MIN_SUBSTRING]

    def may_change(self, text: str) -> bool:
        """False when nothing of the JSON `text` would be replaced (no clear string in
        it, and no confidential number at all): then a value serialised as `text` needs
        no walk. JSON escapes a string character by character, so a clear string
        anywhere in the value appears escaped in the text."""
        return bool(self.numbers) or any(_json_inner(n) in text for n in self.tokens)

    def __call__(self, value: Any) -> Any:
        if not self.tokens and not self.numbers:
            return value
        return self._walk(value)

    def _walk(self, node: Any) -> Any:
        if isinstance(node, str):
            if node in self.tokens:
                return self.tokens[node]
            if _is_token(node):
                return node  # masked already: its hex digits may hold a short clear value
            for needle in self.long_needles:
                if needle in node:
                    node = node.replace(needle, self.tokens[needle])
            return node
        if isinstance(node, dict):
            # Keys are field and fact names (the schemas refuse any other): never request
            # data, and a value equal to one must not rename it.
            return {k: self._walk(v) for k, v in node.items()}
        if isinstance(node, list | tuple):
            return [self._walk(v) for v in node]
        if self.numbers:
            number = _as_number(node)
            if number is not None and number in self.numbers:
                return self.numbers[number]
        return node


def _is_token(text: str) -> bool:
    return (len(text) == len(PREFIX) + 16 and text.startswith(PREFIX)
            and all(c in "0123456789abcdef" for c in text[len(PREFIX):]))


def _json_inner(text: str) -> str:
    """`text` as it appears inside a JSON string: escaped, without the quotes."""
    return _json_string(text)[1:-1]


_json_string = json.JSONEncoder(ensure_ascii=False).encode
