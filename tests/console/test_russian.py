"""The Russian console says everything in Russian: the charts' texts, the form errors
beside the fields, the policy's rules; only ids, codes and values stay as written."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

RUSSIAN = {"Accept-Language": "ru-RU"}
SVG = "{http://www.w3.org/2000/svg}"
# A word of Latin letters (three or more): English left in a Russian text.
LATIN_WORD = re.compile(r"\b[A-Za-z]{3,}\b")


def _chart_texts(console, metric: str, headers=None) -> list[str]:
    answer = console.get(f"/console/chart.svg?metric={metric}", headers=headers or {})
    assert answer.status_code == 200
    root = ET.fromstring(answer.get_data(as_text=True))
    return [element.text or "" for element in root.iter(f"{SVG}text")]


def test_a_chart_in_the_russian_console_is_in_russian(sign_in, decide):
    decide("discount", actor={"id": "m-1", "role": "manager"})
    console = sign_in("manager")
    texts = _chart_texts(console, "decisions", RUSSIAN)
    assert texts[0] == "Решения, по неделям"
    assert texts[1].startswith("Менеджер m-1 · 8 недель по ")
    assert any(t.startswith("текущее значение (пока неполное)") for t in texts)
    assert texts[-1].startswith("Каждая точка — неделя ISO")
    # Every text but the zone's name is Russian (dates included: "12 окт.").
    left = [word for text in texts for word in LATIN_WORD.findall(
        text.replace("Europe/Moscow", "").replace("ISO", ""))]
    assert left == []
    money = _chart_texts(console, "deals_amount", RUSSIAN)
    assert money[0] == "Сумма договоров, ₽, по неделям"
    # The English console keeps the API's chart word for word.
    assert _chart_texts(console, "decisions")[0] == "Decisions, per week"


def test_form_errors_beside_the_fields_are_in_russian_and_nothing_is_logged(
        sign_in, client, compliance):
    console = sign_in("manager")
    answer = console.post_form("/console/check/discount", {
        "client.id": "c-1", "deal.id": "d-1", "deal.list_amount": "abc",
        "discount.percent": "150"}, headers=RUSSIAN)
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert ('<span class="field-error" id="f-deal.list_amount-err">Должно быть числом.</span>'
            in page)
    assert ('<span class="field-error" id="f-discount.percent-err">Должно быть от 0 до 100.'
            '</span>' in page)
    assert ('<span class="field-error" id="f-client.segment-err">Обязательное поле: '
            'заполните его.</span>' in page)
    assert ("Запрос не прошёл проверку, поля: client.segment, deal.currency, "
            "deal.list_amount, discount.percent") in page
    assert "Missing data" not in page and "Must be" not in page
    # The same form in English says what the API says.
    english = console.post_form("/console/check/discount", {
        "client.id": "c-1", "deal.list_amount": "abc"}).get_data(as_text=True)
    assert "Must be a number." in english and "Missing data for required field." in english
    listed = client.get("/v1/decisions", headers=compliance).get_json()["items"]
    assert listed == []


def test_a_bad_log_filter_is_named_in_russian(sign_in):
    console = sign_in("compliance")
    answer = console.get("/console/log?since=yesterday&outcome=deny", headers=RUSSIAN)
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert "Нужна дата ISO (2026-11-27) или дата со временем." in page
    # The filters' choices are labels, not ids.
    assert '<option value="deny" selected>Запрещено</option>' in page


def test_the_policy_page_describes_rules_and_tables_in_russian(sign_in):
    page = sign_in("manager").get("/console/policy", headers=RUSSIAN).get_data(as_text=True)
    assert "<p>Скидка не выходит за лимит сегмента для роли, которая её даёт.</p>" in page
    assert "discount_limits: Скидка в процентах от прайс-листа" in page
    assert "A discount stays within" not in page and "Discount percent off" not in page
