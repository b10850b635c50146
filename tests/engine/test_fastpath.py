"""The compiled fast path accepts only what marshmallow accepts, and loads the same values."""

import copy
import math
from pathlib import Path

import pytest
import yaml
from marshmallow import ValidationError

from app.engine.casefile import deep_merge
from app.schemas import FAST_LOADERS, REQUEST_SCHEMAS
from app.schemas.currency import policy_currency
from app.schemas.fastpath import NotFast

CASES = Path(__file__).resolve().parents[2] / "policies" / "tests"
ODD_VALUES = [None, "x", "", True, False, 0, -1, 0.5, 10**13, math.nan, math.inf, [], {},
              [{"a": 1}], "2026-11-27", "2026-02-30", 1e-7, 100.0001]


def case_requests():
    for path in sorted(CASES.glob("*.yaml")):
        data = yaml.safe_load(path.read_text())
        for case in data["cases"]:
            yield deep_merge(data.get("defaults", {}), case.get("request", {}))


def leaf_paths(value, prefix=()):
    if isinstance(value, dict):
        for key, item in value.items():
            yield prefix + (key,)
            yield from leaf_paths(item, prefix + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield prefix + (index,)
            yield from leaf_paths(item, prefix + (index,))


def mutated(request):
    for path in list(leaf_paths(request)):
        for odd in ODD_VALUES:
            copy_ = copy.deepcopy(request)
            holder = copy_
            for part in path[:-1]:
                holder = holder[part]
            holder[path[-1]] = odd
            yield copy_
        copy_ = copy.deepcopy(request)
        holder = copy_
        for part in path[:-1]:
            holder = holder[part]
        if isinstance(holder, dict):
            del holder[path[-1]]
            yield copy_
            holder["unexpected"] = 1
            yield copy_


def both(request):
    action = request.get("action")
    if not isinstance(action, str) or action not in REQUEST_SCHEMAS:
        return None, None
    # As validate_request loads them: with the policy currency set (a foreign one is refused).
    with policy_currency("RUB"):
        try:
            fast = FAST_LOADERS[action](request)
        except NotFast:
            fast = NotFast
        try:
            slow = REQUEST_SCHEMAS[action].load(request)
        except ValidationError:
            slow = ValidationError
    return fast, slow


def same(a, b):
    # NaN never equals itself; nothing loaded may contain one anyway.
    return a == b


REQUESTS = list(case_requests())


def test_every_valid_case_takes_the_fast_path():
    taken = 0
    for request in REQUESTS:
        fast, slow = both(request)
        if slow is not ValidationError:
            assert fast is not NotFast, request
            assert same(fast, slow)
            taken += 1
    assert taken > 80


@pytest.mark.parametrize("index", range(0, len(REQUESTS), 7))
def test_fast_path_never_accepts_what_marshmallow_refuses(index):
    checked = 0
    for request in mutated(REQUESTS[index]):
        fast, slow = both(request)
        if fast is not NotFast and fast is not None:
            assert slow is not ValidationError, request
            assert same(fast, slow), request
        checked += 1
    assert checked > 50
