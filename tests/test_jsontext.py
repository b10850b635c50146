"""canonical.dumps takes the C encoder's path where it gives the text of the plain writer
(`_slow_dumps`, the definition of the hash chain's input): it must give the same text, or
the same error, for every value."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import random

import pytest

from app.jsontext import _slow_dumps, dumps, loads
from tests.bodies import BODIES

ODD = [None, True, False, 0, -5, 10**25, 1.5, -0.0, 1e300, decimal.Decimal("0.30"),
       decimal.Decimal("-0"), decimal.Decimal("1.5E+3"), "x", "\x00", "a\x00b", "\\u0000",
       "\x001\x00", "ünï\u2028", '"q"', dt.date(2026, 1, 2),
       dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)]
KEYS = ["b", "a", "é", "A", "\x00", "seq", "10", "9"]


def outcome(function, value, sort_keys):
    try:
        return function(value, sort_keys)
    except (TypeError, ValueError) as error:
        return type(error)


def random_value(rnd: random.Random, depth: int = 0):
    pick = rnd.random()
    if depth > 3 or pick < 0.5:
        return rnd.choice(ODD)
    if pick < 0.75:
        return [random_value(rnd, depth + 1) for _ in range(rnd.randint(0, 4))]
    keys = KEYS + ([1, True, None] if rnd.random() < 0.1 else [])
    return {rnd.choice(keys): random_value(rnd, depth + 1) for _ in range(rnd.randint(0, 4))}


@pytest.mark.parametrize("sort_keys", [True, False])
def test_same_text_as_the_plain_writer(sort_keys):
    rnd = random.Random(20261127)
    values = [loads(json.dumps(body)) for body in BODIES.values()]
    values += [random_value(rnd) for _ in range(5000)]
    values += [float("nan"), decimal.Decimal("NaN"), object(), {"a": [decimal.Decimal("Inf")]}]
    for value in values:
        assert outcome(dumps, value, sort_keys) == outcome(_slow_dumps, value, sort_keys), value
