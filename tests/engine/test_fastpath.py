"""The compiled fast path accepts only what marshmallow accepts, and loads the same values."""

import copy
import math
from pathlib import Path

import pytest
import yaml
from marshmallow import ValidationError

from app.engine.casefile import deep_merge
from app.schemas import FAST_LOADERS, REQUEST_SCHEMAS
from app.schemas.common import ApprovalItem
from app.schemas.currency import policy_currency
from app.schemas.fastpath import NotFast
from app.schemas.strict import Visible

CASES = Path(__file__).resolve().parents[2] / "policies" / "tests"
ODD_VALUES = [None, "x", "", True, False, 0, -1, 0.5, 10**13, math.nan, math.inf, [], {},
              [{"a": 1}], "2026-11-27", "2026-02-30", 1e-7, 100.0001,
              "c\x00x", "a\u200bb", "\ufeffx", "\x85", "\ud800", "клиент"]
# Every id of CONTRACT §3, by action: the fields that must refuse invisible characters.
ID_FIELDS = {
    "discount": {"request_id", "actor.id", "client.id", "client.owner_id", "approvals.by",
                 "approvals.approval_id", "deal.id"},
    "shipment": {"order.id", "shipment.id", "shipment.claim_decision_id"},
    "claim": {"order.id", "claim.id"},
    "disclosure": set(),
    "offer": {"offer.id", "offer.items.sku"},
}
COMMON_IDS = ID_FIELDS["discount"] - {"deal.id"}


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


def visible_fields(schema, prefix=""):
    """The dotted path of every string field whose validators refuse invisible characters."""
    for name, field in schema.fields.items():
        inner = getattr(field, "inner", field)
        if isinstance(inner, ApprovalItem):  # one of two objects
            for variant in inner.VARIANTS:
                yield from visible_fields(variant(), f"{prefix}{name}.")
        elif hasattr(inner, "schema"):
            yield from visible_fields(inner.schema, f"{prefix}{name}.")
        elif any(isinstance(check, Visible) for check in inner.validators):
            yield prefix + name


@pytest.mark.parametrize("action", sorted(ID_FIELDS))
def test_every_id_refuses_invisible_characters(action):
    # The shared Id type carries the check; an id declared as a plain string is found here.
    found = set(visible_fields(REQUEST_SCHEMAS[action]))
    assert found == ID_FIELDS[action] | COMMON_IDS


def with_id(request, path, value):
    request = copy.deepcopy(request)
    if path == "approvals.by":
        request["approvals"] = [{"role": "head_of_sales", "by": value}]
        return request
    if path == "approvals.approval_id":
        request["approvals"] = [{"approval_id": value}]
        return request
    node = request
    *parents, last = path.split(".")
    for part in parents:
        node = node[part]
        if isinstance(node, list):
            node = node[0]
    node[last] = value
    return request


@pytest.mark.parametrize("char", ["\x00", "\x1f", "\x7f", "\x9f", "\u00ad", "\u200b",
                                  "\u200f", "\u202a", "\u2066", "\ufeff", "\U000e0001",
                                  "\ud800"])
def test_fast_path_and_marshmallow_both_refuse_an_invisible_character_in_each_id(char):
    for action, ids in ID_FIELDS.items():
        valid = next(r for r in REQUESTS if r.get("action") == action
                     and both(r)[1] is not ValidationError)
        for path in ids | COMMON_IDS:
            assert both(with_id(valid, path, f"id{char}1")) == (NotFast, ValidationError), path
            accepted = both(with_id(valid, path, "id-клиент-1"))
            assert accepted[0] is not NotFast and accepted[0] == accepted[1], path
