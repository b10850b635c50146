"""No input gives a 500: every leaf of every valid request, replaced by odd values."""

from __future__ import annotations

import copy
from decimal import Decimal

import pytest

ODD_VALUES = [None, "", "x" * 3000, -1, 0, 10**30, 1e308, True, [], {}, [None], {"a": 1},
              "2026-13-45", "NaN", Decimal("-0.000001")]


def leaves(node, path=()):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from leaves(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from leaves(value, (*path, index))
    yield path


def replaced(body, path, value):
    body = copy.deepcopy(body)
    if not path:
        return value
    node = body
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return body


@pytest.mark.parametrize("action", ["discount", "shipment", "claim", "disclosure", "offer"])
def test_mutated_requests_never_fail_the_server(client, crm, body, action):
    valid = body(action)
    requests = [replaced(valid, path, value) for path in leaves(valid) for value in ODD_VALUES]
    # Through the batch endpoint: 100 at a time, each item answered on its own.
    for start in range(0, len(requests), 100):
        chunk = requests[start:start + 100]
        response = client.post("/v1/decisions/batch", json={"requests": [
            _jsonable(r) for r in chunk]}, headers=crm)
        assert response.status_code == 200, response.get_data(as_text=True)[:500]
        for answer in response.get_json()["decisions"]:
            assert answer.get("status", 200) in (200, 400, 403, 409, 422), answer


def _jsonable(value):
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value
