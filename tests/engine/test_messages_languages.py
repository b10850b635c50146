"""A case's message in English and Russian (CONTRACT §11): loading, lint, rendering."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from app.engine import PolicyError, load_policy, load_policy_text
from tests.bodies import make_body

RULES = Path(__file__).resolve().parents[2] / "policies" / "rules.yaml"


def test_the_shipped_policy_has_russian_for_every_case():
    policy = load_policy(RULES)
    for rule in policy.rules:
        for case in rule.cases:
            assert dict(case.translations).get("ru"), f"{rule.id} has a case without Russian"


def test_an_evaluation_gives_each_reason_in_russian_and_logs_english():
    policy = load_policy(RULES)
    evaluation = policy.evaluate(make_body("discount", discount={"percent": 12}))
    (reason,) = evaluation.reasons
    assert reason["message"] == ("Discount 12% exceeds the manager's 10% limit for wholesale "
                                 "clients.")
    (russian,) = evaluation.reasons_in("ru")
    assert russian["message"] == ("Скидка 12% превышает лимит менеджера 10% для клиентов "
                                  "сегмента wholesale.")
    assert {**russian, "message": None} == {**reason, "message": None}
    assert evaluation.reasons_in("en") == evaluation.reasons
    assert "translations" not in evaluation.as_dict()


def _with_first_message(message) -> str:
    data = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    rule = next(r for r in data["rules"] if "message" in r)
    rule["message"] = message
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def test_lint_names_a_translation_that_quotes_other_placeholders():
    text = _with_first_message({"en": "Discount {line.discount_percent}% is not allowed.",
                                "ru": "Скидка выше {promo_max_discount}% не допускается."})
    with pytest.raises(PolicyError) as raised:
        load_policy_text(text)
    messages = [problem.message for problem in raised.value.problems]
    assert any("quotes other placeholders than the en one" in m
               and "{promo_max_discount}" in m and "{line.discount_percent}" in m
               for m in messages), messages


def test_a_message_needs_its_english_text_and_knows_only_en_and_ru():
    with pytest.raises(PolicyError) as raised:
        load_policy_text(_with_first_message({"ru": "Только по-русски."}))
    assert any(p.path.endswith("message.en") for p in raised.value.problems)
    with pytest.raises(PolicyError) as raised:
        load_policy_text(_with_first_message({"en": "Fine.", "de": "Gut."}))
    assert any("de" in p.message or p.path.endswith("de") for p in raised.value.problems)


def test_a_plain_text_message_still_loads():
    policy = load_policy_text(_with_first_message("Promo lines are not discounted further."))
    assert policy.rules


def test_every_description_of_the_shipped_policy_has_its_russian():
    policy = load_policy(RULES)
    described = [*policy.rules, *policy.model.tables.values()]
    assert all(dict(d.description_translations).get("ru") for d in described)
    # The API's policy keeps its English words (CONTRACT §5).
    first = policy.describe()["rules"][0]
    assert first["description"] == ("A discount stays within the segment's limit of the role "
                                    "that grants it.")


def _with_first_description(description) -> str:
    data = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    data["rules"][0]["description"] = description
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def test_a_description_is_a_text_or_its_languages_with_english_required():
    plain = load_policy_text(_with_first_description("Plain English."))
    assert (plain.rules[0].description, plain.rules[0].description_translations) == (
        "Plain English.", ())
    for bad, path in (({"ru": "Только по-русски."}, "description.en"),
                      ({"en": "Fine.", "de": "Gut."}, "description.de"),
                      ({"en": "Fine.", "ru": ""}, "description.ru")):
        with pytest.raises(PolicyError) as raised:
            load_policy_text(_with_first_description(bad))
        assert any(p.path == f"rules.0.{path}" for p in raised.value.problems), bad
