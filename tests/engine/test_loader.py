"""The loader refuses each kind of mistake and points at its line."""

import subprocess
import sys

import pytest

from app.engine import PolicyError, load_policy_text
from app.vocabulary import PRINCIPLES


def problems_of(text):
    with pytest.raises(PolicyError) as caught:
        load_policy_text(text)
    return caught.value.problems


def line_of(text, needle):
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_shipped_policy_loads_with_all_principles(policy):
    assert policy.name == "deal-compliance"
    assert {rule.principle for rule in policy.rules} == set(PRINCIPLES)
    assert len(policy.sha256) == 64


def test_bad_yaml_points_at_its_line(rules_text):
    broken = rules_text.replace("margin_floor: 10", "margin_floor: [10", 1)
    (problem,) = problems_of(broken)
    assert "invalid YAML" in problem.message
    assert problem.line is not None and problem.line >= line_of(rules_text, "margin_floor: 10")


def test_unknown_key(rules_text):
    broken = rules_text.replace("    principle: prepayment\n", "    principle: prepayment\n"
                                "    severity: high\n", 1)
    (problem,) = problems_of(broken)
    assert "unknown key 'severity'" in problem.message
    assert problem.line == line_of(broken, "severity: high")


def test_unknown_principle(rules_text):
    broken = rules_text.replace("principle: real-need\n", "principle: real-needs\n", 1)
    (problem,) = problems_of(broken)
    assert "unknown principle 'real-needs'" in problem.message
    assert problem.line == line_of(broken, "principle: real-needs")


def test_condition_on_a_field_that_does_not_exist(rules_text):
    broken = rules_text.replace("claim.days_since_delivery: {gt: {param: changed_mind_days}}",
                                "claim.days_since_deliver: {gt: {param: changed_mind_days}}", 1)
    (problem,) = problems_of(broken)
    assert "no field 'claim.days_since_deliver'" in problem.message
    assert problem.line == line_of(broken, "claim.days_since_deliver:")


def test_field_of_another_action_is_refused(rules_text):
    # order.paid exists for shipments, not for disclosures.
    broken = rules_text.replace("when: {disclosure.records: {gt: {param: bulk_deny_above}}}",
                                "when: {order.paid: {gt: {param: bulk_deny_above}}}", 1)
    (problem,) = problems_of(broken)
    assert "order.paid" in problem.message


def test_duplicate_rule_id(rules_text):
    broken = rules_text.replace("id: claims.large-amount", "id: claims.compensation", 1)
    (problem,) = problems_of(broken)
    assert "duplicate rule id 'claims.compensation'" in problem.message
    second = [i for i, text in enumerate(broken.splitlines(), 1)
              if text.strip() == "- id: claims.compensation"][1]
    assert problem.line == second


def test_parameter_of_the_wrong_type_points_at_the_parameter(rules_text):
    broken = rules_text.replace("margin_floor: 10 ", "margin_floor: ten ", 1)
    (problem,) = problems_of(broken)
    assert "parameter 'margin_floor'" in problem.message
    assert problem.line == line_of(broken, "margin_floor: ten")


def test_enum_typo_in_a_condition(rules_text):
    broken = rules_text.replace("line.category: promo,", "line.category: promos,", 1)
    (problem,) = problems_of(broken)
    assert "'promos' is not one of" in problem.message


def test_message_quoting_an_unknown_value(rules_text):
    broken = rules_text.replace("exceeds {large_claim_amount}.", "exceeds {large_claim_limit}.", 1)
    (problem,) = problems_of(broken)
    assert "{large_claim_limit}" in problem.message


def test_require_approval_needs_an_approver(rules_text):
    broken = rules_text.replace("        approver: cfo\n", "", 1)
    (problem,) = problems_of(broken)
    assert "needs an approver" in problem.message


def test_several_mistakes_are_all_reported(rules_text):
    broken = rules_text.replace("principle: real-need\n", "principle: real-needs\n", 1).replace(
        "id: claims.large-amount", "id: claims.compensation", 1)
    assert len(problems_of(broken)) == 2


def test_lint_prints_file_line_message_and_exits_1(tmp_path, rules_text):
    broken = tmp_path / "rules.yaml"
    broken.write_text(rules_text.replace("principle: real-need\n", "principle: real-needs\n", 1))
    run = subprocess.run([sys.executable, "-m", "app.cli", "policy", "lint", str(broken)],
                         capture_output=True, text=True)
    assert run.returncode == 1
    expected_line = line_of(broken.read_text(), "principle: real-needs")
    assert f"{broken}:{expected_line}: unknown principle 'real-needs'" in run.stdout


def test_lint_of_the_shipped_policy_passes(rules_text, tmp_path):
    good = tmp_path / "rules.yaml"
    good.write_text(rules_text)
    run = subprocess.run([sys.executable, "-m", "app.cli", "policy", "lint", str(good)],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


def test_yaml_aliases_are_refused_before_they_expand():
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(20)
    )
    (problem,) = problems_of(bomb)
    assert "aliases" in problem.message
    assert problem.line == 2


def test_comparing_with_null_or_an_empty_list_is_refused(rules_text):
    broken = rules_text.replace("when: {line.need_documented: false}",
                                "when: {line.need: null}", 1)
    (problem,) = problems_of(broken)
    assert "null cannot be compared" in problem.message
    broken = rules_text.replace("actor.role: {not_in: {param: internal_trusted_roles}}",
                                "actor.role: {not_in: []}", 1)
    (problem,) = problems_of(broken)
    assert "an empty list cannot be compared" in problem.message


def test_an_unknown_test_is_named(rules_text):
    broken = rules_text.replace("claim.amount: {gt: {param: large_claim_amount}}",
                                "claim.amount: {above: {param: large_claim_amount}}", 1)
    (problem,) = problems_of(broken)
    assert "unknown test above" in problem.message
