"""The decision-log tests' requests: a claim on an order of its own.

A claim's order (o-7) differs from the shipment's (o-1), so that subject_id tells a
claim found by its order from a shipment. Every other fixture is the root conftest's;
its `decide` sends these bodies.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.bodies import BODIES, make_body

CLAIM_ORDER = {**BODIES["claim"]["order"], "id": "o-7"}


def log_body(action: str, **changes: Any) -> dict[str, Any]:
    """make_body, with a claim on order o-7 unless told otherwise."""
    if action == "claim":
        changes.setdefault("order", dict(CLAIM_ORDER))
    return make_body(action, **changes)


@pytest.fixture
def body() -> Callable[..., dict[str, Any]]:
    return log_body
