"""The chart's texts in the reader's language: titles, the subtitle, axis dates, the
current value's caption, the footnote and the numbers (app/stats/chart.py draws).

English stays the API's own chart, word for word; another language gets the console's
catalog, and Babel writes its dates and numbers (`12 окт.`, `1 234,50`)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask_babel import format_date, format_decimal, ngettext
from flask_babel import gettext as _

from app.console import words
from app.console.locale import DEFAULT_LANGUAGE, language, number
from app.stats.chart import ENGLISH, ChartWords, shorten
from app.stats.metrics import Metric


def chart_words() -> ChartWords:
    """The chart's words in the page's language."""
    if language() == DEFAULT_LANGUAGE:
        return ENGLISH
    return ChartWords(title=_title, subtitle=_subtitle, axis=_axis, footnote=_footnote,
                      current=_current, number=_number)


def _title(metric: Metric, period: str) -> str:
    label = words.word(words.METRICS, metric.name)
    if metric.money:
        label = _("%(metric)s, ₽", metric=label)
    return {
        "day": _("%(metric)s, per day", metric=label),
        "week": _("%(metric)s, per week", metric=label),
        "month": _("%(metric)s, per month", metric=label),
        "quarter": _("%(metric)s, per quarter", metric=label),
    }.get(period, label)


def _count(count: int, period: str) -> str:
    if period == "day":
        return ngettext("%(num)d day", "%(num)d days", count)
    if period == "month":
        return ngettext("%(num)d month", "%(num)d months", count)
    if period == "quarter":
        return ngettext("%(num)d quarter", "%(num)d quarters", count)
    return ngettext("%(num)d week", "%(num)d weeks", count)


def _subtitle(manager_id: str | None, count: int, period: str, start: dt.date, end: dt.date,
              zone_name: str) -> str:
    who = _("Manager %(id)s", id=shorten(manager_id)) if manager_id else _("All managers")
    last = format_date(end, "d MMM y")
    span = last if start == end else f"{format_date(start, 'd MMM')} – {last}"
    return _("%(who)s · %(count)s to %(span)s · %(zone)s", who=who,
             count=_count(count, period), span=span, zone=zone_name)


def _axis(period: str, start: dt.date) -> str:
    if period == "month":
        return format_date(start, "LLL y")
    if period == "quarter":
        return format_date(start, "QQQ y")
    return format_date(start, "d MMM")


def _footnote(period: str) -> str:
    return {
        "day": _("Each point is a calendar day. Shaded: the current day."),
        "week": _("Each point is an ISO week (Monday to Sunday), labelled by its Monday. "
                  "Shaded: the current week."),
        "month": _("Each point is a calendar month. Shaded: the current month."),
        "quarter": _("Each point is a calendar quarter. Shaded: the current quarter."),
    }.get(period, "")


def _current(running: bool, change_pct: Decimal | None) -> str:
    caption = _("current (so far)") if running else _("current")
    if change_pct is None:
        return caption
    change = format_decimal(change_pct, format="+#,##0.##;-#,##0.##")
    return _("%(caption)s, %(change)s%% on the previous", caption=caption, change=change)


def _number(value: float | int | Decimal, decimals: int) -> str:
    return number(value, decimals)
