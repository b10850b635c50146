"""rules.yaml's approval settings: asserted approvals accepted or refused, validity hours."""

import pytest

from app.engine import PolicyError, load_policy_text
from app.schemas import InvalidRequest

from .conftest import discount

REFUSE = "asserted_approvals: accept", "asserted_approvals: refuse"


def test_shipped_policy_accepts_asserted_approvals_and_keeps_them_72_hours(policy):
    assert policy.model.approval_valid_hours == 72
    assert not policy.model.refuses_asserted_approvals
    request = discount(12)
    request["approvals"] = [{"role": "head_of_sales", "by": "h-1"}]
    assert policy.decide(request)["outcome"] == "allow"


def test_a_refusing_policy_answers_asserted_approvals_with_their_paths(rules_text):
    policy = load_policy_text(rules_text.replace(*REFUSE))
    request = discount(12)
    request["approvals"] = [{"role": "head_of_sales", "by": "h-1"},
                            {"role": "cfo", "by": "f-1"}]
    with pytest.raises(InvalidRequest) as caught:
        policy.decide(request)
    assert set(caught.value.errors) == {"approvals.0", "approvals.1"}
    assert "approval_id" in caught.value.errors["approvals.0"][0]
    # Without approvals the request is decided as before: only the assertion is refused.
    assert policy.decide(discount(12))["required_approvals"] == ["head_of_sales"]


@pytest.mark.parametrize(("old", "new", "name"), [
    ("asserted_approvals: accept", "asserted_approvals: sometimes", "asserted_approvals"),
    ("approval_valid_hours: 72", "approval_valid_hours: 0", "approval_valid_hours"),
    ("approval_valid_hours: 72", "approval_valid_hours: soon", "approval_valid_hours"),
])
def test_a_bad_approval_setting_points_at_its_line(rules_text, old, new, name):
    broken = rules_text.replace(old, new)
    with pytest.raises(PolicyError) as caught:
        load_policy_text(broken)
    (problem,) = caught.value.problems
    assert name in problem.message
    line = next(i for i, text in enumerate(broken.splitlines(), 1) if new in text)
    assert problem.line == line
