"""The semantic diff of two policies (app.engine.diff): the policy's terms, not lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.engine.diff import diff
from app.engine.loader import parse_policy

TEXT = (Path(__file__).resolve().parents[2] / "policies" / "rules.yaml").read_text(
    encoding="utf-8")
PROMO_RULE = TEXT[TEXT.index("  - id: pricing.promo"):TEXT.index("  - id: pricing.new-client")]


def changes(after: str, before: str = TEXT) -> dict:
    return diff(parse_policy(before), parse_policy(after))


def edited(old: str, new: str, text: str = TEXT) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def test_the_same_policy_has_no_changes():
    assert changes(TEXT) == {"settings": [], "parameters": [], "tables": [],
                             "rules": {"added": [], "removed": [], "changed": []}}


def test_comments_layout_and_rule_order_are_no_changes():
    moved = edited(PROMO_RULE, "") + PROMO_RULE.replace("    when:", "    # why\n    when:")
    assert changes(moved)["rules"] == {"added": [], "removed": [], "changed": []}
    assert changes(moved.replace("[5, 10, 15]", "[ 5,  10,  15 ]"))["tables"] == []


def test_a_parameter_changed():
    after = edited("margin_floor: 10 ", "margin_floor: 12 ")
    assert changes(after)["parameters"] == [{"name": "margin_floor", "from": 10, "to": 12}]


def test_a_discount_cell_changed_names_table_row_and_column():
    after = edited("key_account: [15, 20, 25]", "key_account: [15, 22, 25]")
    assert changes(after)["tables"] == [{"table": "discount_limits", "row": "key_account",
                                         "column": "head_of_sales", "from": 20, "to": 22}]


def test_a_rule_removed_and_added():
    after = edited(PROMO_RULE, PROMO_RULE.replace("pricing.promo", "pricing.promo-goods"))
    rules = changes(after)["rules"]
    assert [r["id"] for r in rules["removed"]] == ["pricing.promo"]
    assert [r["id"] for r in rules["added"]] == ["pricing.promo-goods"]
    assert rules["added"][0]["cases"][0] == {
        "when": "(line.category = \"promo\" and line.discount_percent > "
                "parameters.promo_max_discount)",
        "outcome": "deny", "approver": None,
        "message": "Promo goods are already discounted; a further "
                   "{line.discount_percent}% is not allowed."}
    assert rules["changed"] == []


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("    outcome: deny\n    message:\n      en: >-\n        Promo goods",
     "    outcome: require_approval\n    approver: cfo\n    message:\n      en: >-\n"
     "        Promo goods",
     [{"case": 1, "what": "outcome", "from": "deny", "to": "require_approval"},
      {"case": 1, "what": "approver", "from": None, "to": "cfo"}]),
    ("{line.category: promo, line.discount_percent: {gt: {param: promo_max_discount}}}",
     "{line.category: promo, line.discount_percent: {ge: 3}}",
     [{"case": 1, "what": "when",
       "from": "(line.category = \"promo\" and line.discount_percent > "
               "parameters.promo_max_discount)",
       "to": "(line.category = \"promo\" and line.discount_percent >= 3)"}]),
])
def test_a_changed_rule_says_which_case_condition_and_outcome(old, new, expected):
    after = edited(PROMO_RULE, PROMO_RULE.replace(old, new))
    assert changes(after)["rules"]["changed"] == [{"id": "pricing.promo", "changes": expected}]


def test_a_case_added_to_a_rule():
    rule = TEXT[TEXT.index("  - id: pricing.novelty"):TEXT.index("  - id: pricing.promo")]
    extra = rule.rstrip("\n") + (
        "\n      - when: {line.category: novelty}\n        outcome: allow\n"
        "        message: A novelty without a discount.\n\n")
    (change,) = changes(edited(rule, extra))["rules"]["changed"]
    assert change["id"] == "pricing.novelty"
    assert change["changes"] == [{"case": 3, "what": "case", "from": None, "to": {
        "when": 'line.category = "novelty"', "outcome": "allow", "approver": None,
        "message": "A novelty without a discount."}}]
