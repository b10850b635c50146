"""The Russian console says everything in Russian: the charts' texts, the form errors
beside the fields, the policy's rules; only ids, codes and values stay as written."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

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


class _VisibleText(HTMLParser):
    """A page's text as a person reads it, without what is quoted as written: code, a
    JSON record, and any element marked as another language (lang="en")."""

    QUOTED = {"code", "pre", "script", "style"}
    VOID = {"br", "input", "meta", "link", "img", "hr", "source", "wbr"}

    def __init__(self) -> None:
        super().__init__()
        self.quoted: list[bool] = []
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag not in self.VOID:
            lang = dict(attrs).get("lang") or ""
            self.quoted.append(tag in self.QUOTED or (bool(lang) and lang != "ru"))

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.VOID and self.quoted:
            self.quoted.pop()

    def handle_data(self, data: str) -> None:
        if not any(self.quoted):
            self.parts.append(data)


# Three Latin words in a row: an English phrase (ids, field paths and codes are one word).
ENGLISH_PHRASE = re.compile(r"[A-Za-z][A-Za-z'’]*(?:[ \u00a0]+[A-Za-z][A-Za-z'’]*){2,}")
# Written by the system into a version's comment when the file is imported: data as stored.
STORED = ("imported from DEALGUARD_POLICY at first start",)
PAGES = {
    "manager": ["/console/", "/console/check", "/console/check/discount",
                "/console/check/shipment", "/console/check/claim", "/console/check/disclosure",
                "/console/check/offer", "/console/decisions/mine", "/console/week",
                "/console/policy", "/console/password", "/console/inbox"],
    "compliance": ["/console/log", "/console/log?since=yesterday", "/console/impact",
                   "/console/approvals", "/console/policy/versions",
                   "/console/policy/versions/1", "/console/policy/shadow"],
    "admin": ["/console/keys", "/console/users", "/console/webhooks"],
    "approver": ["/console/team", "/console/decisions/mine", "/console/inbox",
                 "/console/inbox?status=approved"],
}


def english_left(html: str) -> list[str]:
    parser = _VisibleText()
    parser.feed(html)
    text = "\n".join(parser.parts)  # a phrase never runs across elements
    for stored in STORED:
        text = text.replace(stored, "")
    return ENGLISH_PHRASE.findall(text)


def test_no_english_phrase_is_left_on_any_russian_page(sign_in, decide):
    decided = [decide("discount", actor={"id": "m-1", "role": "manager"},
                      discount={"percent": 12})["decision_id"],
               decide("claim")["decision_id"], decide("offer")["decision_id"],
               decide("shipment")["decision_id"], decide("disclosure")["decision_id"]]
    left = {}
    for role, paths in PAGES.items():
        person = {"person_id": "h-1", "job_role": "commercial_director"} \
            if role == "approver" else {}
        console = sign_in(role, **person)
        if role == "compliance":
            paths = paths + [f"/console/decisions/{decision_id}" for decision_id in decided]
        for path in paths:
            answer = console.get(path, headers=RUSSIAN)
            assert answer.status_code in (200, 422), path
            found = english_left(answer.get_data(as_text=True))
            if found:
                left[f"{role} {path}"] = found
    assert left == {}
