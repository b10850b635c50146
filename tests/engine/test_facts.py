"""Facts are derived exactly, in decimals."""

import datetime as dt
from decimal import Decimal

from app.engine.facts import business_date, derive
from app.schemas import validate_request

from .conftest import discount


def facts_of(request, claims=None):
    valid = validate_request(request)
    return derive(valid["action"], valid, dt.date(2026, 11, 27), claims)


def test_net_price_and_margin_are_exact():
    (line,) = facts_of(discount(10, cost_amount=810)).lines
    assert line["line.net_price"] == Decimal("900")
    assert line["line.margin_percent"] == Decimal("10")


def test_no_cost_means_no_margin():
    (line,) = facts_of(discount(10)).lines
    assert line["line.margin_percent"] is None
    assert line["line.has_cost"] is False


def test_a_ratio_too_large_for_nine_places_is_kept_whole(policy):
    # A price of a fraction of a kopeck against a cost of 1e15: a margin of about -1e26 %,
    # which cannot carry nine decimal places in 28 digits. Found by the fuzzer (a 500).
    (line,) = facts_of(discount(0, list_amount=1e-9, cost_amount=1e15)).lines
    price = Decimal("1e-9")
    assert line["line.margin_percent"] == (price - Decimal("1e15")) * 100 / price
    claim = {
        "action": "claim", "actor": {"id": "m", "role": "manager"}, "client": {"id": "c"},
        "order": {"id": "o", "currency": "RUB", "total": 1e-100},
        "claim": {"id": "cl", "reason": "defect", "amount": 1, "days_since_delivery": 1,
                  "remedy": "refund", "compensation": 1e15},
    }
    assert facts_of(claim).request["claim.compensation_percent_of_total"] == Decimal("1E+117")
    assert policy.decide(claim)["outcome"] in ("allow", "require_approval", "deny")
    assert policy.decide(discount(0, list_amount=1e-9, cost_amount=1e15))["outcome"]


def test_cleared_money_to_the_kopeck():
    request = {
        "action": "shipment", "actor": {"id": "m", "role": "manager"}, "client": {"id": "c"},
        "order": {"id": "o", "currency": "RUB", "total": 1, "paid": 0.30, "shipped_before": 0.10},
        "shipment": {"id": "s", "amount": 0.20},
    }
    assert facts_of(request).request["shipment.uncovered_amount"] == 0


def test_claim_lookup_checks_client_and_outcome():
    request = {
        "action": "shipment", "actor": {"id": "m", "role": "manager"}, "client": {"id": "c"},
        "order": {"id": "o", "currency": "RUB", "total": 1, "paid": 0},
        "shipment": {"id": "s", "amount": 1, "kind": "claim_replacement",
                     "claim_decision_id": "k"},
    }
    known = {"k": ("c", "allow")}
    assert facts_of(request, known.get).request["shipment.claim_allowed"] is True
    assert facts_of(request, {"k": ("other", "allow")}.get).request[
        "shipment.claim_allowed"] is False
    assert facts_of(request, None).request["shipment.claim_allowed"] is False


def test_business_date_in_the_zone():
    late_utc = dt.datetime(2026, 11, 29, 22, 30, tzinfo=dt.UTC)  # Monday 01:30 in Moscow
    assert business_date(late_utc, "Europe/Moscow") == dt.date(2026, 11, 30)
    assert business_date(dt.date(2026, 1, 1), "Europe/Moscow") == dt.date(2026, 1, 1)
