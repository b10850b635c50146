"""Russian and English (CONTRACT §11): the choice, the catalog, and Babel's formatting of
money, numbers and dates as each language writes them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from flask_babel import refresh

from app.console.locale import day, moment, money, number

REPO = Path(__file__).resolve().parents[2]
NBSP = "\u00a0"


@pytest.fixture
def in_language(app):
    def enter(language: str):
        context = app.test_request_context("/console/", headers={"Accept-Language": language})
        context.push()
        refresh()  # Flask-Babel keeps the locale in the app context, shared by both
        return context

    contexts = []
    yield lambda language: contexts.append(enter(language))
    for context in reversed(contexts):
        context.pop()


def test_money_in_russian_and_english(in_language):
    in_language("ru")
    assert _spaced(money(Decimal("15000"))) == "15 000,00 ₽"
    assert _spaced(number(Decimal("1234567.5"))) == "1 234 567,5"
    in_language("en")
    assert money(15000) == f"RUB{NBSP}15,000.00"
    assert number(Decimal("1234567.5")) == "1,234,567.5"


def test_dates_and_times_in_russian_and_english(in_language):
    in_language("ru")
    assert _spaced(day("2026-11-27")) == "27 нояб. 2026 г."
    # Shown in the service's time zone (Europe/Moscow, UTC+3).
    assert _spaced(moment(datetime(2026, 11, 27, 9, 14, 3, tzinfo=UTC))) == (
        "27 нояб. 2026 г., 12:14:03")
    in_language("en")
    assert day(date(2026, 11, 27)) == "Nov 27, 2026"
    assert _spaced(moment("2026-11-27T09:14:03.120Z")) == "Nov 27, 2026, 12:14:03 PM"


def _spaced(text: str) -> str:
    """Babel keeps words together with no-break spaces (U+00A0, U+202F): as plain spaces."""
    return text.replace(NBSP, " ").replace("\u202f", " ")


def test_every_text_of_the_console_has_its_russian():
    catalog = read_po((REPO / "app/translations/ru/LC_MESSAGES/messages.po").open("rb"))
    translated = {m.id for m in catalog if m.id and m.string and not m.fuzzy}
    method_map = [("app/console/**.py", "python"), ("app/console/templates/**.html", "jinja2")]
    keywords = {"_": None, "_l": None, "gettext": None, "lazy_gettext": None}
    found = {message for _, _, message, _, _ in extract_from_dir(
        str(REPO), method_map=method_map, keywords=keywords)}
    assert sorted(found - translated) == []


def test_the_browser_language_then_the_persons_choice(console, make_user):
    assert "Вход" in console.get("/console/sign-in",
                                 headers={"Accept-Language": "ru-RU"}).get_data(as_text=True)
    assert "Sign in" in console.get("/console/sign-in").get_data(as_text=True)
    name, password = make_user("compliance")
    console.sign_in(name, password)
    console.post_form("/console/password", {"current": password,
                                            "new": "a-long-new-password-1",
                                            "repeat": "a-long-new-password-1"})
    console.post_form("/console/language", {"lang": "ru", "back": "/console/log"},
                      token_from="/console/")
    # The person's choice wins over the browser's, and outlives the session.
    page = console.get("/console/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'lang="ru"' in page and "Журнал решений" in page
    console.post_form("/console/sign-out", {}, token_from="/console/")
    console.sign_in(name, "a-long-new-password-1")
    assert "Журнал решений" in console.get("/console/").get_data(as_text=True)
