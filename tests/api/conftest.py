"""Fixtures of the API tests: a valid request per action (`body`), a crm key, `post`."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.bodies import BODIES


def make_body(action: str, **changes: Any) -> dict[str, Any]:
    """A valid request for `action`; `changes` replace top-level fields."""
    body = copy.deepcopy(BODIES[action])
    body.update(changes)
    return body


@pytest.fixture
def body():
    return make_body


@pytest.fixture
def crm(make_key) -> dict[str, str]:
    return make_key("crm")


@pytest.fixture
def post(client, crm):
    """post(body, headers=crm key) -> response of POST /v1/decisions."""

    def send(payload: Any, headers: dict[str, str] | None = None, path: str = "/v1/decisions"):
        return client.post(path, json=payload, headers=headers or crm)

    return send


def wait_until(condition: Callable[[], bool], what: str) -> None:
    # A bound against a hang, not a timing assertion: the condition comes true on any machine.
    deadline = time.monotonic() + 60
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"never happened: {what}")
        time.sleep(0.005)
