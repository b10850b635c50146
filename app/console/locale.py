"""Russian or English (CONTRACT §11): the person's choice, else the browser's language.

Labels come from the catalogs in app/translations (compiled at install); numbers,
money, dates and times are written by Babel as the language writes them
(`15 000,00 ₽` in Russian, `RUB 15,000.00` in English).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import Flask, request, session
from flask_babel import Babel, format_currency, format_date, format_datetime, format_decimal
from flask_babel import get_locale as _babel_locale
from flask_login import current_user

LANGUAGES = ("en", "ru")
DEFAULT_LANGUAGE = "en"
CURRENCY = "RUB"
SESSION_KEY = "lang"


def choose_language() -> str:
    """The signed-in person's choice, else this session's, else the browser's, else English."""
    if current_user and current_user.is_authenticated and current_user.locale in LANGUAGES:
        return current_user.locale
    chosen = session.get(SESSION_KEY)
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES, default=DEFAULT_LANGUAGE)


def language() -> str:
    return str(_babel_locale() or DEFAULT_LANGUAGE)


def money(value: Any) -> str:
    if value is None or value == "":
        return "—"
    # English writes the code before the amount, spaced: "RUB 15,000.00" (Babel's English
    # pattern would run them together); other languages as Babel writes them.
    pattern = "¤\u00a0#,##0.00" if language() == "en" else None
    return format_currency(Decimal(str(value)), CURRENCY, format=pattern)


def number(value: Any, decimals: int | None = None) -> str:
    if value is None or value == "":
        return "—"
    number = Decimal(str(value))
    if decimals is not None:
        return format_decimal(number, format="#,##0." + "0" * decimals if decimals else "#,##0")
    return format_decimal(number)


def day(value: Any) -> str:
    if not value:
        return "—"
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return format_date(value, "medium")


def moment(value: Any) -> str:
    """A date and time in the service's time zone, as the language writes it."""
    if not value:
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return format_datetime(value, "medium")


def init_app(app: Flask) -> None:
    app.config["BABEL_DEFAULT_LOCALE"] = DEFAULT_LANGUAGE
    app.config["BABEL_DEFAULT_TIMEZONE"] = app.config["SETTINGS"].timezone
    Babel(app, locale_selector=choose_language)
    app.jinja_env.filters.update(money=money, number=number, day=day, moment=moment)
    app.jinja_env.globals.update(language=language, LANGUAGES=LANGUAGES)
