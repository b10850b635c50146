"""Canonical JSON: one exact text per value, so a hash over it can be recomputed.

The standard encoder cannot write a Decimal as a JSON number, and money must stay
exact (0.30 is not 0.299999...), so this small writer does it by hand.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
import re
from typing import Any

_string = json.JSONEncoder(ensure_ascii=False).encode
# A Decimal is handed to the C encoder as this string, then replaced by its number text.
_PLACEHOLDER = re.compile(r'"\\u0000(\d+)\\u0000"')
_NUL = "\\u0000"


def dumps(value: Any, sort_keys: bool = True, str_keys: bool = False) -> str:
    """Compact JSON; with sort_keys the text is canonical (the hash chain's input).

    Every decision is serialised three times (its fingerprint, its log document, its
    answer), so the work is done by the standard library's C encoder where that gives
    the very same text as the plain writer below (`_slow_dumps`, the definition), and by
    that writer otherwise: a key that is not a string, or a string holding U+0000.
    str_keys=True says every dict key is a str already (a tree parsed from JSON, or
    built of such), which spares the walk that checks it.
    """
    if not str_keys and not _plain_keys(value):
        return _slow_dumps(value, sort_keys)
    decimals: list[str] = []

    def default(item: Any) -> str:
        if isinstance(item, decimal.Decimal):
            if not item.is_finite():
                raise ValueError("NaN and infinity are not JSON")
            decimals.append(_decimal_text(item))
            return f"\x00{len(decimals) - 1}\x00"
        if isinstance(item, dt.datetime | dt.date):
            return item.isoformat()
        raise TypeError(f"{type(item).__name__} is not JSON serialisable")

    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=sort_keys,
                      allow_nan=False, default=default)
    if not decimals:
        return text if _NUL not in text else _slow_dumps(value, sort_keys)
    if text.count(_NUL) != 2 * len(decimals):
        return _slow_dumps(value, sort_keys)  # a string of the value holds U+0000 itself
    return _PLACEHOLDER.sub(lambda match: decimals[int(match.group(1))], text)


def _plain_keys(value: Any) -> bool:
    """True when every dict key in `value` is a str (json would rewrite others: 1, True)."""
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key in node:
                if type(key) is not str:
                    return False
            stack.extend(v for v in node.values() if isinstance(v, dict | list | tuple))
        elif isinstance(node, list | tuple):
            stack.extend(v for v in node if isinstance(v, dict | list | tuple))
    return True


def _slow_dumps(value: Any, sort_keys: bool = True) -> str:
    parts: list[str] = []
    _write(value, parts, sort_keys)
    return "".join(parts)


def _write(value: Any, out: list[str], sort_keys: bool) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(_string(value))
    elif isinstance(value, int):
        out.append(str(int(value)))
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("NaN and infinity are not JSON")
        out.append(repr(value))
    elif isinstance(value, decimal.Decimal):
        if not value.is_finite():
            raise ValueError("NaN and infinity are not JSON")
        out.append(_decimal_text(value))
    elif isinstance(value, dict):
        items = sorted(value.items(), key=lambda kv: str(kv[0])) if sort_keys else value.items()
        out.append("{")
        for index, (key, item) in enumerate(items):
            if index:
                out.append(",")
            out.append(_string(str(key)))
            out.append(":")
            _write(item, out, sort_keys)
        out.append("}")
    elif isinstance(value, list | tuple):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _write(item, out, sort_keys)
        out.append("]")
    elif isinstance(value, dt.datetime | dt.date):
        out.append(_string(value.isoformat()))
    else:
        raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _decimal_text(value: decimal.Decimal) -> str:
    # Plain notation ("1500.00", not "1.5E+3") reads the same in every JSON parser.
    text = format(value, "f")
    return "0" if text in ("-0", "") else text


def loads(text: str | bytes) -> Any:
    """Parse JSON keeping fractions exact (Decimal), as the API parses requests."""
    return json.loads(text, parse_float=decimal.Decimal)
