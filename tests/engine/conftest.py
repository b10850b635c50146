from pathlib import Path

import pytest

from app.engine import load_policy

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "policies" / "rules.yaml"


@pytest.fixture(scope="session")
def policy():
    return load_policy(RULES)


@pytest.fixture
def rules_text() -> str:
    return RULES.read_text(encoding="utf-8")


def discount(percent, segment="wholesale", role="manager", **deal):
    return {
        "action": "discount",
        "as_of": "2026-11-27",
        "actor": {"id": "m-1", "role": role},
        "client": {"id": "c-1", "segment": segment},
        "deal": {"id": "d-1", "currency": "RUB", "list_amount": 1000, **deal},
        "discount": {"percent": percent},
    }
