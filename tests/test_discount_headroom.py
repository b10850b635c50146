"""The highest discount a manager may grant alone, as the policy judges it."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from app.discount_headroom import highest_alone
from app.engine import load_policy
from tests.bodies import make_body

POLICY = load_policy(Path(__file__).resolve().parent.parent / "policies" / "rules.yaml")


def _request(**changes):
    return make_body("discount", **changes)


def test_a_manager_alone_reaches_the_segments_manager_column():
    assert highest_alone(POLICY, _request(), "Europe/Moscow") == Decimal(10)
    retail = _request(client={"id": "c-1", "segment": "retail"})
    assert highest_alone(POLICY, retail, "Europe/Moscow") == POLICY.model.tables[
        "discount_limits"].cell("retail", "manager")


def test_a_higher_role_may_grant_more_alone():
    director = _request(actor={"id": "cd-1", "role": "commercial_director"})
    assert highest_alone(POLICY, director, "Europe/Moscow") > Decimal(10)


def test_the_margin_floor_lowers_it_to_the_hundredth():
    # list 100 000, cost 85 000: a 10 % discount leaves 5 000 over cost, a margin under the
    # floor; the answer is where the margin meets it, not a whole number.
    costly = _request(deal={"id": "d-1", "currency": "RUB", "list_amount": 100000,
                            "cost_amount": 85000, "category": "standard"})
    highest = highest_alone(POLICY, costly, "Europe/Moscow")
    assert highest is not None and highest < Decimal(10)
    above = _request(deal=costly["deal"], discount={"percent": highest + Decimal("0.01")})
    at = _request(deal=costly["deal"], discount={"percent": highest})
    assert POLICY.evaluate(at).outcome == "allow"
    assert POLICY.evaluate(above).outcome != "allow"
