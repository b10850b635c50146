"""Fixtures of the decision-log tests: decisions logged through the API, keys per role."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.bodies import BODIES as SHARED_BODIES
from tests.bodies import CLEAR_VALUES

# The claim's order differs from the shipment's, so subject_id can find a claim by its order.
BODIES = copy.deepcopy(SHARED_BODIES)
BODIES["claim"]["order"]["id"] = "o-7"


def make_body(action: str, actor: str = "m-1", client: str = "c-1",
              **changes: Any) -> dict[str, Any]:
    """A valid request for `action` by `actor` about `client`; `changes` replace fields."""
    body = copy.deepcopy(BODIES[action])
    body["actor"]["id"] = actor
    body["client"]["id"] = client
    if "owner_id" in body["client"]:
        body["client"]["owner_id"] = actor
    body.update(changes)
    return body


@pytest.fixture
def crm(make_key) -> dict[str, str]:
    return make_key("crm")


@pytest.fixture
def compliance(make_key) -> dict[str, str]:
    return make_key("compliance")


@pytest.fixture
def decide(client, crm) -> Callable[..., dict[str, Any]]:
    """decide(action, actor=, client=, **changes) -> the answer of a logged decision."""

    def send(action: str, **kwargs: Any) -> dict[str, Any]:
        response = client.post("/v1/decisions", json=make_body(action, **kwargs), headers=crm)
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    return send


@pytest.fixture
def listing(client, compliance) -> Callable[..., Any]:
    """listing(headers=compliance, **params) -> the response of GET /v1/decisions."""

    def get(headers: dict[str, str] | None = None, **params: Any):
        return client.get("/v1/decisions", query_string=params, headers=headers or compliance)

    return get


@pytest.fixture
def clear_values() -> tuple[str, ...]:
    return CLEAR_VALUES


@pytest.fixture
def candidate_text(settings) -> str:
    """The running policy's rules.yaml, for a test to change into a candidate."""
    return Path(settings.policy_path).read_text(encoding="utf-8")


@pytest.fixture
def body() -> Callable[..., dict[str, Any]]:
    """make_body(action, actor=, client=, **changes): a valid request to change."""
    return make_body
