"""CONTRACT §2: precedence, approvals by role, the smallest covering set."""

from app.engine.combine import minimal_cover, satisfier
from app.engine.messages import display

from .conftest import discount


def test_sales_chain_is_satisfied_by_equal_or_higher_roles():
    assert satisfier("head_of_sales", ["manager", "head_of_sales"]) == "head_of_sales"
    assert satisfier("head_of_sales", ["manager", "commercial_director"]) == "commercial_director"
    assert satisfier("commercial_director", ["head_of_sales"]) is None


def test_cfo_and_compliance_only_by_themselves():
    assert satisfier("cfo", ["commercial_director"]) is None
    assert satisfier("cfo", ["manager", "cfo"]) == "cfo"
    assert satisfier("compliance_officer", ["commercial_director", "cfo"]) is None


def test_director_covers_head_of_sales():
    assert minimal_cover({"head_of_sales", "commercial_director"}) == ["commercial_director"]
    assert minimal_cover({"head_of_sales", "cfo"}) == ["cfo", "head_of_sales"]


def test_deny_empties_required_approvals(policy):
    request = discount(30, cost_amount=900)
    decision = policy.decide(request)
    assert decision["outcome"] == "deny"
    assert decision["required_approvals"] == []
    assert {r["outcome"] for r in decision["reasons"]} == {"deny"}


def test_satisfied_requirement_stays_in_reasons(policy):
    request = discount(12)
    request["approvals"] = [{"role": "head_of_sales", "by": "h-1"}]
    decision = policy.decide(request)
    assert decision["outcome"] == "allow"
    (reason,) = decision["reasons"]
    assert reason["satisfied_by"] == "head_of_sales"
    assert reason["message"] == (
        "Discount 12% exceeds the manager's 10% limit for wholesale clients."
    )


def test_allow_with_no_rule_has_empty_reasons(policy):
    assert policy.decide(discount(0)) == {
        "outcome": "allow", "required_approvals": [], "reasons": [], "obligations": [],
        "approval_problems": [],
    }


def test_display_of_values():
    from decimal import Decimal

    assert display(Decimal("12.500")) == "12.5"
    assert display(Decimal("2.857142857")) == "2.8571"
    assert display(None) == "none"
    assert display(True) == "yes"
