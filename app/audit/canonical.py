"""Canonical JSON: one exact text per value, so a hash over it can be recomputed.

The standard encoder cannot write a Decimal as a JSON number, and money must stay
exact (0.30 is not 0.299999...), so this small writer does it by hand.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
from typing import Any

_string = json.JSONEncoder(ensure_ascii=False).encode


def dumps(value: Any, sort_keys: bool = True) -> str:
    """Compact JSON; with sort_keys the text is canonical (the hash chain's input)."""
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
