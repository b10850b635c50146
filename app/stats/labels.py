"""Numbers and periods as people read them, for the chart and the terminal table."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

# English month names whatever the server's locale, so output reads the same everywhere.
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# A no-break space groups thousands (1 234 567) as a Russian report prints them and
# keeps a number on one line; every font has the glyph.
THOUSANDS = "\u00a0"


def format_number(value: float | int | Decimal, decimals: int = 0) -> str:
    """12345678.5 -> '12 345 678.50' (no-break spaces)."""
    return f"{value:,.{decimals}f}".replace(",", THOUSANDS)


def day_month(day: dt.date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]}"


def span(start: dt.date, end: dt.date) -> str:
    """'23 Nov – 29 Nov 2026', or '27 Nov 2026' for a single day."""
    last = f"{day_month(end)} {end.year}"
    return last if start == end else f"{day_month(start)} – {last}"


def period_label(period: str, start: dt.date) -> str:
    """A short axis label: '23 Nov' for a day or week, 'Nov 2026', 'Q4 2026'."""
    if period == "month":
        return f"{MONTHS[start.month - 1]} {start.year}"
    if period == "quarter":
        return f"Q{(start.month - 1) // 3 + 1} {start.year}"
    return day_month(start)
