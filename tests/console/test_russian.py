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
